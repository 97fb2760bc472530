"""Benchmark: campaigns end to end on the local platform against their bare minimum (R-DSP-1..3, R-BIL-3;
issues 5 and 17).

Three kinds, each to RECIPIENTS (60,000) distinct numbers: an advertising SMS campaign, a service SMS campaign
and a service voice campaign (text to speech). Everything real except the network: the API handler creates
the campaign, the campaign state machine runs on moto's Step Functions engine, the SQS pollers feed the
dispatch and results Lambdas, the simulator answers at zero latency. Timed from `POST /v1/campaigns` until
the campaign is reconciled. The local clock starts at 10:00 Tehran time (inside the advertising SMS window)
and ticks, so the speed limit (1,000/s, above what is reached) refills as it would; once every recipient is
admitted the benchmark moves it 10 s at a time so the workflow's wait for in-flight results passes. A
50-recipient campaign of the same kind runs first, untimed, as warm Lambda containers would.

Then, in the same process and moto, the bare minimum AWS calls for the same number of attempts: the number looked
up in the suppression lists the law requires for its category (BatchGetItem, 100 keys a request: the stop list;
advertising also the telecom blacklist and the ad opt-out), a conditional PutItem claiming the ad cap
(advertising only), the attempt enqueued (SendMessageBatch, 100 attempts per message, drained as it fills) and
its result written (BatchWriteItem) — what the platform itself must read and write per attempt (it writes no
item at admission). `--old-floor` also times the floor without the lookups (before issue 17's sixth pass).

The ratio is the platform's CPU seconds (`time.process_time()`, every thread of the process) over the bare
loop's for the same number of attempts: on a machine shared with other jobs, wall time measures the others
as much as us; the wall ratio is printed too. Every AWS request is counted by a botocore event hook, by
service and operation, with the item writes each DynamoDB item received. The RSS is sampled while each
campaign runs (peak), after it, and after its per-attempt data is dropped from moto (what the platform
itself keeps); the advertising campaign runs a second time at the end and may not leave more behind.

Targets (issue 17): each campaign ≤ 1.1 × its bare minimum (CPU); item writes per attempt within today's
figures (advertising 2.05, service 1.05) and ≤ 3; ≤ 0.1 SQS requests per attempt; no item written more than
once per 100 attempts; the money exact; RSS after the second advertising campaign ≤ 5 % above the first's.
Exits 1 when one is missed.

    .venv/bin/python -m bench.campaign                                 # all, 60,000 each
    .venv/bin/python -m bench.campaign service_sms --recipients 10000  # one kind, shorter
    .venv/bin/python -m bench.campaign --counts-out counts.json        # then bench.cloud_model --counts

Retry parts (issue 11): `--parts N` (1–5) gives each campaign N smart retry parts, 5 minutes apart, re-calling
(re-sending) what ended `no_answer`, `busy` or `failed` (SMS: `failed`); the simulator's default rates leave about
a third of the calls unanswered, so each part calls about a third of the one before. The figures are then per
attempt placed over every part (Σ the parts' totals), and the same targets hold: writes per attempt and no
item written more than once per 100 attempts.

    .venv/bin/python -m bench.campaign service_voice --recipients 10000 --parts 2

Durability (issue 15): `--durability on` times the campaign with the data folder's journal on, as `make run`
keeps it (in a temporary folder); `--durability both` then runs the same campaign again `--pairs` times with
durability on and off, alternating (on first, so the later, warmer turns are off's), each to other numbers,
and reports both rates, CPU seconds, the load average, and what durability costs (target ≤ 10 % of the rate:
1 - Σ attempts/Σ seconds on ÷ the same off). The other targets are checked on the first run.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import os
import re
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

os.environ.update(
    {
        "JARCHI_STAGE": "local",
        "JARCHI_RESOURCE_PREFIX": "jarchi-bench",
        "POWERTOOLS_SERVICE_NAME": "jarchi",
        "POWERTOOLS_METRICS_NAMESPACE": "Jarchi",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "AWS_DEFAULT_REGION": "eu-central-1",
        "JARCHI_CAMPAIGN_MODERATION_DAYS": "0",  # the bench's new account would wait for an admin's review
    }
)

from bench._aws_requests import RequestLog, install

RECIPIENTS = int(os.environ.get("RECIPIENTS", "60000"))
WARM_UP_RECIPIENTS = 50
START = datetime.fromisoformat("2026-03-02T10:00:00+03:30")  # a Monday, inside the ad SMS window
DEADLINE_SECONDS = 1800
MAX_RATIO = 1.1  # CPU seconds of the platform / CPU seconds of the bare minimum, both in this run
MAX_ITEM_WRITES_PER_ATTEMPT = 3.0
MAX_SQS_PER_ATTEMPT = 0.1
MIN_ATTEMPTS_PER_ITEM_WRITE = 100
MAX_DURABILITY_COST = 0.10  # share of the attempts/s that the journal may cost
MAX_MEMORY_GROWTH = 0.05  # RSS after a campaign (its stored data dropped) vs after the one before


@dataclass(frozen=True)
class Scenario:
    """One kind of campaign and the bare minimum AWS work of one of its attempts."""

    name: str
    channel: str
    category: str
    prefix: str  # the recipients' numbers: +98<prefix>NNNNNNN, distinct per scenario (the ad cap is per number)
    warm_up_prefix: str
    max_item_writes: float  # per attempt, today's figure (issue 17: may not grow)

    @property
    def claims_cap(self) -> bool:
        return self.category == "advertising"


SCENARIOS = {
    s.name: s
    for s in (
        Scenario("advertising_sms", "sms", "advertising", "912", "913", 2.05),
        Scenario("service_sms", "sms", "service", "914", "916", 1.05),
        Scenario("service_voice", "voice", "service", "915", "917", 1.05),
    )
}


# The advertising campaign runs twice in a row (issue 17: memory flat across two campaigns in a row): its RSS after
# the second may not exceed the first's. With other kinds between, their own stored lists would count as growth.
DEFAULT_RUN = ["advertising_sms", "advertising_sms", "service_sms", "service_voice"]


class FunctionCpu:
    """CPU seconds spent inside each function's handler (the calling thread's CPU time), by function: where the
    platform's CPU goes, exactly, without a profiler's sampling (issue 17). What is not inside a handler —
    the pollers' receives and deletes, moto's Step Functions engine, the scheduler, the collector — is the
    campaign's CPU minus their sum."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._lock = threading.Lock()

    def _add(self, name: str, started: float) -> None:
        spent = time.thread_time() - started
        with self._lock:
            self.seconds[name] = self.seconds.get(name, 0.0) + spent

    def _timed(self, name: str, handler: Any) -> Any:
        def timed(event: Any, context: Any) -> Any:
            started = time.thread_time()
            try:
                return handler(event, context)
            finally:
                self._add(name, started)

        return timed

    def install(self) -> None:
        """Time the Lambdas the pollers and moto's Step Functions call, and the API as the benchmark calls it."""
        import local.lambdas
        import local.pollers
        import tests.api
        from local.functions import resolve_handler

        invoke = tests.api.invoke_api  # type: ignore[attr-defined]

        def invoking(request: Any) -> Any:
            started = time.thread_time()
            try:
                return invoke(request)
            finally:
                self._add("api", started)

        def resolving(name: str) -> Any:
            return self._timed(name, resolve_handler(name))

        local.lambdas.resolve_handler = resolving  # type: ignore[attr-defined]
        local.pollers.resolve_handler = resolving  # type: ignore[attr-defined]
        tests.api.invoke_api = invoking  # type: ignore[attr-defined]

    def snapshot(self) -> dict[str, float]:
        with self._lock:
            return dict(self.seconds)

    def reset(self) -> None:
        with self._lock:
            self.seconds.clear()


FUNCTION_CPU = FunctionCpu()


@dataclass
class Run:
    attempts: int
    seconds: float
    cpu_seconds: float  # process CPU time (every thread): what a shared machine's other jobs do not change
    by_function: dict[str, float] = field(default_factory=dict)  # CPU s inside each function's handler

    @property
    def rate(self) -> float:
        return self.attempts / self.seconds


@dataclass
class Memory:
    before_mb: float
    peak_mb: float  # the largest VmRSS sampled every 0.2 s while the campaign ran
    after_mb: float  # once reconciled, its data still stored in moto
    after_dropped_mb: float  # once its per-attempt data is dropped from moto and the collector has run
    after_trim_mb: float = float("nan")  # then after malloc_trim(0): the allocator's free memory given back


def _numbers(count: int, prefix: str) -> list[str]:
    return [f"+98{prefix}{i:07d}" for i in range(count)]


def rss_mb(field: str = "VmRSS") -> float:
    match = re.search(rf"{field}:\s+(\d+) kB", Path("/proc/self/status").read_text())
    return int(match.group(1)) / 1024 if match else float("nan")


RETRY_ON = {"voice": ["no_answer", "busy", "failed"], "sms": ["failed"]}


def _contact_list(shop: Shop, count: int, prefix: str) -> str:
    """The numbers as a contact list, uploaded as a user with a big list would (R-LST-1: a presigned PUT of a
    CSV, then its completion); its id. One list per set of numbers: a kind's second campaign reuses it."""
    import requests

    key = (count, prefix)
    if key not in shop.lists:
        started = shop.api.post("/v1/contact-lists/uploads", {"name": f"Bench {prefix}", "file_name": "bench.csv"})
        if started.status != 201:
            raise RuntimeError(f"upload refused: {started.status} {started.body!r}")
        upload = started.json()
        data = ("phone\n" + "\n".join(_numbers(count, prefix)) + "\n").encode()
        put = requests.put(upload["upload_url"], data=data, timeout=60)
        put.raise_for_status()
        done = shop.api.post(f"/v1/contact-lists/uploads/{upload['upload_id']}/complete")
        if done.status != 201 or done.json()["kept"] != count:
            raise RuntimeError(f"upload not completed: {done.status} {done.body[:300]!r}")
        shop.lists[key] = done.json()["id"]
    return shop.lists[key]


def _campaign_body(
    shop: Shop, scenario: Scenario, count: int, prefix: str, parts: int = 0, *, via_list: bool | None = None
) -> dict[str, Any]:
    """A campaign to `count` numbers: listed inline up to the API's limit (as every figure before issue 17's
    fifth pass was measured), beyond it (or with `via_list`) from a contact list uploaded beforehand."""
    from jarchi.limits import MAX_INLINE_NUMBERS

    body: dict[str, Any] = {
        "name": "Bench",
        "channel": scenario.channel,
        "category": scenario.category,
        "sender": "Shop",
        "speed_per_hour": 3_600_000,
    }
    if via_list if via_list is not None else count > MAX_INLINE_NUMBERS:
        body["contact_list_id"] = _contact_list(shop, count, prefix)
    else:
        body["recipients"] = _numbers(count, prefix)
    if scenario.channel == "voice":
        body |= {"tts_text": "Your appointment is tomorrow at ten", "language": "en"}
    else:
        body["sms_text"] = "Big sale today at the shop" if scenario.claims_cap else "Shop: your order is ready"
    if parts:
        body["retry"] = {"parts": parts, "delay_minutes": 5, "on": RETRY_ON[scenario.channel]}
    return body


def _until_reconciled(as_shop: Any, body: dict[str, Any], log: RequestLog) -> tuple[str, float, float, float]:
    """Create the campaign and wait for its reconciliation: its id, the seconds and CPU seconds it took, and
    the largest RSS seen meanwhile."""
    from jarchi.clock import get_clock
    from jarchi.store.campaigns import CampaignItem

    clock = get_clock()
    started = time.perf_counter()
    cpu_started = time.process_time()
    peak = rss_mb()
    created = as_shop.post("/v1/campaigns", body)
    if created.status != 201:
        raise RuntimeError(f"create failed: {created.status} {created.body!r}")
    campaign_id: str = created.json()["id"]
    if created.json()["status"] not in ("accepted", "running"):
        raise RuntimeError(f"the campaign is {created.json()['status']}, not running")
    deadline = started + DEADLINE_SECONDS
    admitted_at: float | None = None
    print(f"created in {time.perf_counter() - started:.1f} s", flush=True)
    harness_cpu = 0.0  # this thread's own polling: the benchmark's, not the platform's, CPU time
    while time.perf_counter() < deadline:
        polled = time.thread_time()
        peak = max(peak, rss_mb())
        with log.ignoring():
            item = CampaignItem.get(
                campaign_id, consistent_read=True, attributes_to_get=["id", "reconciled", "next_seq", "total"]
            )
        harness_cpu += time.thread_time() - polled
        if item.reconciled:
            cpu = time.process_time() - cpu_started - harness_cpu
            return campaign_id, time.perf_counter() - started, cpu, peak
        if int(item.next_seq) >= int(item.total):
            if admitted_at is None:
                admitted_at = time.perf_counter() - started
                print(f"every recipient admitted after {admitted_at:.1f} s", flush=True)
            clock.advance(10)  # type: ignore[attr-defined]  # the workflow's 10 s wait for in-flight results
        time.sleep(0.2)
    raise RuntimeError(f"campaign {campaign_id} not reconciled after {DEADLINE_SECONDS} s")


@dataclass
class Shop:
    api: Any
    account_id: str
    lists: dict[tuple[int, str], str] = field(default_factory=dict)  # (count, prefix) → contact list id


def _new_shop() -> Shop:
    from local.seed import seed_admin
    from tests.api import Api

    admin = Api(seed_admin().secret)
    shop = admin.new_account("Bench shop")
    admin.top_up(shop["id"], 10**12)
    as_shop = admin.as_(admin.new_token(shop["id"]))
    sender = as_shop.post("/v1/senders", {"name": "Shop"}).json()
    admin.post(f"/v1/senders/{sender['id']}/moderation", {"decision": "approve"})
    return Shop(as_shop, shop["id"])


@contextmanager
def _durability(on: bool) -> Iterator[None]:
    """The local platform's journal, as `make run` keeps it (in a temporary data folder), while the block runs."""
    if not on:
        yield
        return
    from jarchi.ports import Connector, override, resolve
    from jarchi.settings import get_settings
    from local.durability import DataFolder, durable_connector, durable_state

    with tempfile.TemporaryDirectory(prefix="jarchi-bench-") as directory:
        folder = DataFolder(Path(directory)).open()
        with (
            durable_state(folder, get_settings().region, START) as resumed,
            durable_connector(resolve(Connector), resumed.journal) as connector,
            override(Connector, connector),
        ):
            yield
        size = folder.journal_path.stat().st_size + folder.snapshot_path.stat().st_size
        print(f"journal: {resumed.journal.stats}; data folder after the stop: {size / 1e6:,.1f} MB", flush=True)
        folder.close()


def _durability_runs(shop: Shop, scenario: Scenario, count: int, log: RequestLog, pairs: int) -> list[DurabilityRun]:
    """The same campaign again, `pairs` times with durability on and off, alternating, each to other numbers
    (the ad cap is per number) and on tables emptied of the runs before (each run starts alike)."""
    runs = []
    for turn in range(2 * pairs):
        durable = turn % 2 == 0
        _drop_attempt_data()
        load = os.getloadavg()[0]
        print(f"--- {scenario.name} with durability {'on' if durable else 'off'} (load {load:.1f})", flush=True)
        body = _campaign_body(shop, scenario, count, f"93{turn}")  # (the ad caps were dropped with the rest)
        with _durability(durable):
            _, elapsed, cpu, _ = _until_reconciled(shop.api, body, log)
        run = Run(attempts=count, seconds=elapsed, cpu_seconds=cpu)
        print(f"{run.rate:,.0f} attempts/s, {cpu:.1f} CPU s", flush=True)
        runs.append(DurabilityRun(durable, run, (load + os.getloadavg()[0]) / 2))
    return runs


@dataclass
class DurabilityRun:
    durable: bool
    run: Run
    load: float  # the 1-minute load average, at its start and end, averaged


def _run_campaign(
    shop: Shop, scenario: Scenario, count: int, log: RequestLog, *, durable: bool = False, parts: int = 0
) -> tuple[Run, Memory, dict[str, Any]]:
    from jarchi.billing.ledger import totals_of
    from jarchi.limits import MAX_INLINE_NUMBERS
    from jarchi.store import ledger

    # the warm-up takes the audience's path too (inline numbers or a contact list); the list is made before
    # the counts and the clock start: it is the user's, made once, not the campaign's work
    via_list = count > MAX_INLINE_NUMBERS
    warm_up = _campaign_body(shop, scenario, WARM_UP_RECIPIENTS, scenario.warm_up_prefix, parts, via_list=via_list)
    _until_reconciled(shop.api, warm_up, log)  # warm "containers" and clients
    body = _campaign_body(shop, scenario, count, scenario.prefix, parts)
    gc.collect()
    before = rss_mb()
    log.reset()
    FUNCTION_CPU.reset()
    with _durability(durable):
        campaign_id, elapsed, cpu, peak = _until_reconciled(shop.api, body, log)
    by_function = FUNCTION_CPU.snapshot()
    with log.ignoring():
        balance = ledger.get_balance(shop.account_id)
        entries_total = totals_of(ledger.all_entries(shop.account_id))
        done = shop.api.get(f"/v1/campaigns/{campaign_id}").json()
    gc.collect()
    after = rss_mb()
    _drop_attempt_data()
    dropped = rss_mb()
    memory = Memory(before, peak, after, after_dropped_mb=dropped, after_trim_mb=_trimmed_rss_mb())
    checks = {
        "status": done["status"],
        "stats": done["stats"],
        "cost": done["cost"],
        "balance_equals_ledger": balance == entries_total,
        "reserved_after": balance.reserved,
        "parts": [int(p["stats"]["total"]) for p in done.get("parts") or []],
    }
    # Every attempt placed, over the parts (a part's total is what it called again).
    attempts = sum(checks["parts"]) if parts else int(done["stats"]["total"])
    return Run(attempts=attempts, seconds=elapsed, cpu_seconds=cpu, by_function=by_function), memory, checks


def _drop_attempt_data() -> None:
    """Forget what the campaigns stored in moto that grows with their recipients (the recipients, ad-cap claims
    and idempotency items; the campaigns' frozen audiences in S3, ~90 bytes a recipient; the finished Step
    Functions executions and their histories, with the thread objects moto's engine keeps there), so the RSS
    after a campaign shows what the platform keeps, not what the emulated cloud stores. (Until issue 17's fifth
    pass only the items were dropped: at 60,000 recipients the other two were ~5.4 MB of audience and ~2,000
    history events a campaign.) The contact lists stay: a user's, reused by the next campaign."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends
    from moto.s3.models import s3_backends
    from moto.stepfunctions.models import stepfunctions_backends
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    from jarchi.resources import LISTS_BUCKET
    from jarchi.settings import get_settings
    from jarchi.store.tables import AD_CAP, IDEMPOTENCY, RECIPIENTS
    from local.emulator import emulator_lock, forget_derived

    settings = get_settings()
    with emulator_lock():
        tables = dynamodb_backends[DEFAULT_ACCOUNT_ID][settings.region].tables
        for spec in (AD_CAP, IDEMPOTENCY, RECIPIENTS):
            tables[settings.table_name(spec.logical)].items.clear()
        forget_derived()  # (what reads kept of these tables: they changed outside a write request)
        bucket = s3_backends[DEFAULT_ACCOUNT_ID]["global"].buckets.get(settings.bucket_name(LISTS_BUCKET.logical))
        if bucket is not None:
            for key in [k for k in bucket.keys if k.startswith("campaigns/") and "/audience/" in k]:
                bucket.keys.pop(key)
        for backends in (stepfunctions_backends, stepfunctions_parser_backends):
            for machine in backends[DEFAULT_ACCOUNT_ID][settings.region].state_machines:
                machine.executions[:] = [e for e in machine.executions if _running(e)]
    gc.collect()


def _running(execution: Any) -> bool:
    """moto's parser engine keeps the status in `exec_status`, its older engine in `status`."""
    status = getattr(execution, "exec_status", None) or getattr(execution, "status", None)
    return bool(status == "RUNNING")  # (a str enum: equal to its value, though its str() is the member's name)


def malloc_trim() -> bool:
    """glibc gives back the free memory it keeps (`malloc_trim(0)`); False if it gave none back or is not glibc."""
    import ctypes

    try:
        return bool(ctypes.CDLL("libc.so.6").malloc_trim(0))
    except (OSError, AttributeError):  # not glibc: nothing to trim
        return False


def _trimmed_rss_mb() -> float:
    """The RSS once glibc has given back the free memory it keeps; what is left is live."""
    malloc_trim()
    return rss_mb()


def _run_bare(count: int, *, category: str, lookups: bool = True) -> Run:
    """The bare minimum per attempt against the same moto: the number looked up in the suppression lists its
    category is checked against (R-CPL-2/3: the account's stop list; for advertising also the telecom blacklist
    and the ad opt-out; BatchGetItem, 100 keys a request), the cap claim (advertising only), the attempt
    enqueued, its result written. (Until issue 17's second pass it also wrote an `in_progress` item per attempt
    at admission, which the platform does not write: the floor was one item write per attempt too high. Until
    its sixth pass it did not look the numbers up: `lookups=False` is that floor.)"""
    import boto3

    from jarchi.compliance.adcap import cap_applies, lists_to_check
    from jarchi.resources import DISPATCH_QUEUE
    from jarchi.settings import get_settings
    from jarchi.store.suppression import list_id
    from jarchi.store.tables import AD_CAP, RECIPIENTS, SUPPRESSION

    claim_cap = cap_applies(category)
    lists = [list_id(kind, "acc_bare") for kind in lists_to_check(category)] if lookups else []
    settings = get_settings()
    dynamodb = boto3.client("dynamodb", region_name=settings.region)
    sqs = boto3.client("sqs", region_name=settings.region)
    queue_url = sqs.get_queue_url(QueueName=settings.queue_name(DISPATCH_QUEUE.logical) + "-bare")["QueueUrl"]
    cap_table = settings.table_name(AD_CAP.logical)
    recipients_table = settings.table_name(RECIPIENTS.logical)
    suppression_table = settings.table_name(SUPPRESSION.logical)
    campaign = f"bare-{uuid.uuid4().hex[:8]}"
    now = int(START.timestamp())
    numbers = _numbers(count, "935")

    def write_items(items: list[dict[str, Any]]) -> None:
        for start in range(0, len(items), 25):
            chunk = items[start : start + 25]
            dynamodb.batch_write_item(RequestItems={recipients_table: [{"PutRequest": {"Item": i}} for i in chunk]})

    def recipient(seq: int, number: str, status: str) -> dict[str, Any]:
        return {
            "campaign_id": {"S": campaign},
            "seq": {"N": str(seq)},
            "number": {"S": number},
            "status": {"S": status},
        }

    started = time.perf_counter()
    cpu_started = time.process_time()
    for first in range(0, count, 1000):
        chunk = list(enumerate(numbers[first : first + 1000], start=first))
        keys = [{"list_id": {"S": lid}, "number": {"S": number}} for _, number in chunk for lid in lists]
        for start in range(0, len(keys), 100):
            dynamodb.batch_get_item(RequestItems={suppression_table: {"Keys": keys[start : start + 100]}})
        for seq, number in chunk if claim_cap else ():
            dynamodb.put_item(
                TableName=cap_table,
                Item={
                    "number": {"S": number},
                    "attempt_id": {"S": f"{campaign}.{seq}.1"},
                    "expires_at": {"N": str(now + 86400)},
                },
                ConditionExpression="attribute_not_exists(#n) OR expires_at <= :now",
                ExpressionAttributeNames={"#n": "number"},
                ExpressionAttributeValues={":now": {"N": str(now)}},
            )
        messages = [
            {
                "Id": str(i),
                "MessageBody": json.dumps([{"attempt_id": f"{campaign}.{s}.1", "number": n} for s, n in part]),
            }
            for i, part in enumerate(chunk[j : j + 100] for j in range(0, len(chunk), 100))
        ]
        sqs.send_message_batch(QueueUrl=queue_url, Entries=messages)
        received = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        if received:
            sqs.delete_message_batch(
                QueueUrl=queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(received)],
            )
        write_items([recipient(seq, number, "delivered") for seq, number in chunk])
    run = Run(attempts=count, seconds=time.perf_counter() - started, cpu_seconds=time.process_time() - cpu_started)
    _drop_attempt_data()
    return run


@dataclass
class Outcome:
    scenario: Scenario
    campaign: Run
    bare: Run
    memory: Memory
    checks: dict[str, Any]
    requests: dict[str, int]
    writes_by_table: dict[str, int]
    item_writes: int
    sqs_requests: int
    hottest: list[tuple[str, int]]
    durability: list[DurabilityRun] = field(default_factory=list)  # --durability both
    bare_without_lookups: Run | None = None  # --old-floor: the floor before issue 17's sixth pass

    def _side(self, durable: bool) -> Run:
        runs = [d.run for d in self.durability if d.durable is durable]
        return Run(
            attempts=sum(r.attempts for r in runs),
            seconds=sum(r.seconds for r in runs),
            cpu_seconds=sum(r.cpu_seconds for r in runs),
        )

    @property
    def durability_cost(self) -> float:
        """The share of the attempts/s lost to the journal."""
        return 1 - self._side(True).rate / self._side(False).rate if self.durability else 0.0

    @property
    def cpu_ratio(self) -> float:
        return self.campaign.cpu_seconds / (self.bare.cpu_seconds * self.campaign.attempts / self.bare.attempts)

    @property
    def wall_ratio(self) -> float:
        return self.campaign.seconds / (self.bare.seconds * self.campaign.attempts / self.bare.attempts)


def _measure(
    shop: Shop,
    scenario: Scenario,
    count: int,
    log: RequestLog,
    durability: str = "off",
    pairs: int = 2,
    parts: int = 0,
    old_floor: bool = False,
) -> Outcome:
    from jarchi.settings import get_settings
    from local.runtime import LocalRuntime

    print(f"--- {scenario.name}: {count:,} recipients", flush=True)
    log.reset()
    runtime = LocalRuntime(get_settings(), failed_visibility_seconds=1).start()
    try:
        campaign, memory, checks = _run_campaign(shop, scenario, count, log, durable=durability == "on", parts=parts)
        counted = {
            "requests": dict(log.requests),
            "writes_by_table": dict(log.writes_by_table),
            "item_writes": sum(log.item_writes.values()),
            "sqs_requests": log.total("sqs."),
            "hottest": log.item_writes.most_common(3),
        }
        # (after the counts: these runs are not counted)
        durable = _durability_runs(shop, scenario, count, log, pairs) if durability == "both" else []
    finally:
        runtime.stop()
    with log.ignoring():
        bare = _run_bare(campaign.attempts, category=scenario.category)
        without = _run_bare(campaign.attempts, category=scenario.category, lookups=False) if old_floor else None
    return Outcome(
        scenario=scenario,
        campaign=campaign,
        bare=bare,
        memory=memory,
        checks=checks,
        durability=durable,
        bare_without_lookups=without,
        **counted,
    )


def _report(outcome: Outcome) -> list[str]:
    """Print one scenario's figures; the names of the targets it missed."""
    campaign, bare, checks, attempts = outcome.campaign, outcome.bare, outcome.checks, outcome.campaign.attempts
    max_item_writes = outcome.hottest[0][1] if outcome.hottest else 0
    print(f"=== {outcome.scenario.name}: {attempts:,} attempts (status {checks['status']}, stats {checks['stats']})")
    if len(checks["parts"]) > 1:
        print(f"attempts by part: {checks['parts']}")
    print(f"cost: {checks['cost']}")
    print(f"balance = Σ ledger: {checks['balance_equals_ledger']}; reserved after: {checks['reserved_after']}")
    print(
        f"jarchi: {campaign.seconds:.1f} s ({campaign.rate:,.0f} attempts/s), {campaign.cpu_seconds:.1f} CPU s; "
        f"bare minimum: {bare.seconds:.1f} s ({bare.rate:,.0f} attempts/s), {bare.cpu_seconds:.1f} CPU s"
    )
    print(f"ratio jarchi / bare: CPU {outcome.cpu_ratio:.2f} (target ≤ {MAX_RATIO}), wall {outcome.wall_ratio:.2f}")
    if (old := outcome.bare_without_lookups) is not None:
        print(
            f"the floor without the suppression lookups (before the sixth pass): {old.cpu_seconds:.1f} CPU s "
            f"({old.cpu_seconds / old.attempts * 1e6:,.0f} µs an attempt); CPU ratio against it "
            f"{campaign.cpu_seconds / old.cpu_seconds:.2f}"
        )
    per_attempt = {
        name: cpu / attempts * 1e6 for name, cpu in sorted(campaign.by_function.items(), key=lambda kv: -kv[1])
    }
    outside = (campaign.cpu_seconds - sum(campaign.by_function.values())) / attempts * 1e6
    print(
        "CPU µs per attempt, inside each function's handler: "
        + ", ".join(f"{name} {us:,.0f}" for name, us in per_attempt.items())
        + f"; outside them (pollers' receives and deletes, Step Functions engine, scheduler, GC) {outside:,.0f};"
        f" total {campaign.cpu_seconds / attempts * 1e6:,.0f}; the floor {bare.cpu_seconds / bare.attempts * 1e6:,.0f}"
    )
    print("AWS requests per attempt, by operation:")
    for operation, count in sorted(outcome.requests.items(), key=lambda kv: -kv[1]):
        print(f"  {operation:<40} {count:>8,}  {count / attempts:.4f}")
    writes = outcome.item_writes / attempts
    ceiling = outcome.scenario.max_item_writes
    print(f"DynamoDB item writes: {outcome.item_writes:,} = {writes:.2f} per attempt (target ≤ {ceiling})")
    for table, count in sorted(outcome.writes_by_table.items(), key=lambda kv: -kv[1]):
        print(f"  {table:<40} {count:>8,}  {count / attempts:.4f}")
    sqs = outcome.sqs_requests / attempts
    print(f"SQS requests: {outcome.sqs_requests:,} = {sqs:.4f} per attempt (target ≤ {MAX_SQS_PER_ATTEMPT})")
    print(
        f"most writes to one item: {max_item_writes:,} = one per {attempts / max(max_item_writes, 1):,.0f} attempts "
        f"(target ≥ {MIN_ATTEMPTS_PER_ITEM_WRITE}); hottest: {outcome.hottest}"
    )
    m = outcome.memory
    print(
        f"RSS: before {m.before_mb:,.0f} MB, peak {m.peak_mb:,.0f} MB, after {m.after_mb:,.0f} MB, "
        f"after its per-attempt data is dropped {m.after_dropped_mb:,.0f} MB, then after malloc_trim "
        f"{m.after_trim_mb:,.0f} MB"
    )
    if outcome.durability:
        on, off = outcome._side(True), outcome._side(False)
        turns = ", ".join(
            f"{'on' if d.durable else 'off'} {d.run.rate:,.0f}/s (load {d.load:.1f})" for d in outcome.durability
        )
        print(f"durability, in turns: {turns}")
        print(
            f"durability off: {off.rate:,.0f} attempts/s, {off.cpu_seconds:.1f} CPU s; "
            f"on: {on.rate:,.0f} attempts/s, {on.cpu_seconds:.1f} CPU s; "
            f"cost {outcome.durability_cost:.1%} of the rate (target ≤ {MAX_DURABILITY_COST:.0%}), "
            f"{on.cpu_seconds / off.cpu_seconds - 1:+.1%} CPU"
        )
    cost = checks["cost"]
    met = {
        "ratio": outcome.cpu_ratio <= MAX_RATIO,
        "item writes": writes <= min(outcome.scenario.max_item_writes, MAX_ITEM_WRITES_PER_ATTEMPT),
        "sqs": sqs <= MAX_SQS_PER_ATTEMPT,
        "hot item": max_item_writes * MIN_ATTEMPTS_PER_ITEM_WRITE <= attempts,
        "finished": checks["status"] == "finished",
        "money": cost["reserved"] == cost["charged"] + cost["released"] + cost["refunded"]
        and checks["balance_equals_ledger"]
        and checks["reserved_after"] == 0,
        "durability": outcome.durability_cost <= MAX_DURABILITY_COST,
    }
    return [f"{outcome.scenario.name} {name}" for name, ok in met.items() if not ok]


def _memory_flat(outcomes: list[Outcome]) -> list[str]:
    """A campaign of a kind run again may not leave the RSS (its per-attempt data dropped) above the first's:
    what stays after a campaign is what the platform keeps, and it must not add up."""
    missed = []
    for earlier, later in itertools.pairwise(outcomes):
        growth = later.memory.after_dropped_mb / earlier.memory.after_dropped_mb - 1
        print(f"RSS after {earlier.scenario.name} → after {later.scenario.name}: {growth:+.1%}")
    for i, earlier in enumerate(outcomes):
        again = next((o for o in outcomes[i + 1 :] if o.scenario == earlier.scenario), None)
        if again is None:
            continue
        growth = again.memory.after_dropped_mb / earlier.memory.after_dropped_mb - 1
        print(
            f"{earlier.scenario.name} twice: RSS after the first {earlier.memory.after_dropped_mb:,.0f} MB, "
            f"after the second {again.memory.after_dropped_mb:,.0f} MB ({growth:+.1%}, target ≤ "
            f"{MAX_MEMORY_GROWTH:.0%}); peaks {earlier.memory.peak_mb:,.0f} and {again.memory.peak_mb:,.0f} MB"
        )
        if growth > MAX_MEMORY_GROWTH:
            missed.append(f"memory after {earlier.scenario.name} twice")
    return missed


def counts_per_attempt(outcome: Outcome) -> dict[str, float]:
    """What `bench.cloud_model --counts` reads: requests and item writes per attempt."""
    from jarchi.compliance.adcap import lists_to_check

    attempts = outcome.campaign.attempts
    counts = {operation: n / attempts for operation, n in outcome.requests.items()}
    prefix = f"{os.environ['JARCHI_RESOURCE_PREFIX']}-"
    counts |= {f"writes.{table.removeprefix(prefix)}": n / attempts for table, n in outcome.writes_by_table.items()}
    # the lists a number of this category is looked up in (stop list; blacklist and ad opt-out for advertising)
    counts["reads.suppression_keys"] = float(len(lists_to_check(outcome.scenario.category)))
    return counts


def run(
    names: list[str], count: int, durability: str = "off", pairs: int = 2, parts: int = 0, old_floor: bool = False
) -> list[Outcome]:
    from local.__main__ import limit_malloc_arenas

    limit_malloc_arenas()  # as `make run` does (MALLOC_ARENA_MAX=16 in the environment: glibc's default here)
    log = install()
    FUNCTION_CPU.install()
    from jarchi.clock import LocalClock, use_clock
    from jarchi.resources import DISPATCH_QUEUE
    from jarchi.settings import get_settings, reset_settings
    from local.emulator import emulated_aws

    reset_settings()
    settings = get_settings()
    from jarchi import wiring

    wiring.install()  # the adapters behind the ports, as each Lambda's cold start installs them
    use_clock(LocalClock(START, ticking=True))  # pacing refills as time passes, as in the cloud
    outcomes = []
    with emulated_aws(settings):
        import boto3

        boto3.client("sqs", region_name=settings.region).create_queue(
            QueueName=settings.queue_name(DISPATCH_QUEUE.logical) + "-bare"
        )
        shop = _new_shop()
        for name in names:
            outcomes.append(_measure(shop, SCENARIOS[name], count, log, durability, pairs, parts, old_floor))
    return outcomes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("scenarios", nargs="*", help=f"of {', '.join(SCENARIOS)} (default: {' '.join(DEFAULT_RUN)})")
    parser.add_argument("--recipients", type=int, default=RECIPIENTS)
    parser.add_argument("--counts-out", type=Path, help="write the requests per attempt here for bench.cloud_model")
    parser.add_argument(
        "--durability", choices=["off", "on", "both"], default="off", help="the data folder's journal (issue 15)"
    )
    parser.add_argument("--pairs", type=int, default=2, help="with --durability both: on/off turns (default 2)")
    parser.add_argument("--parts", type=int, default=0, help="smart retry parts of each campaign, 1 to 5 (issue 11)")
    parser.add_argument(
        "--old-floor",
        action="store_true",
        help="also time the floor without the suppression lookups (as before issue 17's sixth pass)",
    )
    args = parser.parse_args(argv if argv is not None else [])
    if not 1 <= args.pairs <= 5:
        parser.error("--pairs is 1 to 5")
    if not 0 <= args.parts <= 5:
        parser.error("--parts is 0 to 5")
    unknown = [name for name in args.scenarios if name not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario(s) {', '.join(unknown)}")
    outcomes = run(
        list(args.scenarios) or DEFAULT_RUN, args.recipients, args.durability, args.pairs, args.parts, args.old_floor
    )
    if args.counts_out:
        args.counts_out.write_text(json.dumps({o.scenario.name: counts_per_attempt(o) for o in outcomes}, indent=1))
    missed = [name for outcome in outcomes for name in _report(outcome)] + _memory_flat(outcomes)
    print("=== campaign ratios (CPU, this run): " + ", ".join(f"{o.scenario.name} {o.cpu_ratio:.2f}" for o in outcomes))
    print("all targets met" if not missed else f"MISSED: {', '.join(missed)}")
    return 0 if not missed else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
