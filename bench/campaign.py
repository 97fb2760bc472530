"""Benchmark: a 60,000-recipient advertising SMS campaign end to end on the local platform (R-DSP-1, R-BIL-3).

Everything real except the network: the API handler creates the campaign (60,000 inline numbers), the
campaign state machine runs on moto's Step Functions engine, the SQS pollers feed the dispatch and results
Lambdas, the simulator connector answers at zero latency. Timed from `POST /v1/campaigns` until the
campaign is reconciled. The local clock starts at 10:00 Tehran time (inside the advertising SMS window)
and ticks, so the speed limit (1,000/s, above what is reached) refills as it would; once every recipient is
admitted the benchmark moves it 10 s at a time so the workflow's wait for in-flight results passes.
A 50-recipient campaign runs first, untimed, as warm Lambda containers would.

In the same run, against the same moto, the bare minimum AWS calls for the same number of attempts: a
conditional PutItem claiming the ad cap, the attempt's item written (BatchWriteItem), the attempt enqueued
(SendMessageBatch, 100 attempts per message, drained as it fills) and its result written (BatchWriteItem).

Every AWS request is counted by a botocore event hook, by service and operation, with the item writes each
DynamoDB item received. Targets (issue 5): ≥ 300 attempts/s; ≤ 1.5 × the bare minimum; ≤ 3 DynamoDB
item writes per attempt; ≤ 0.1 SQS requests per attempt; no item written more than once per 100 attempts.
Exits 1 when one is missed. Run: `.venv/bin/python -m bench.campaign` (`RECIPIENTS=6000` for a quick look).
"""

from __future__ import annotations

import json
import os
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
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
    }
)

from bench._aws_requests import RequestLog, install

RECIPIENTS = int(os.environ.get("RECIPIENTS", "60000"))
WARM_UP_RECIPIENTS = 50
START = datetime.fromisoformat("2026-03-02T10:00:00+03:30")  # a Monday, inside the ad SMS window
DEADLINE_SECONDS = 1800
TARGET_RATE = 300.0
MAX_RATIO = 1.5
MAX_ITEM_WRITES_PER_ATTEMPT = 3.0
MAX_SQS_PER_ATTEMPT = 0.1
MIN_ATTEMPTS_PER_ITEM_WRITE = 100


@dataclass
class Run:
    attempts: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.attempts / self.seconds


def _numbers(count: int, prefix: str) -> list[str]:
    return [f"+98{prefix}{i:07d}" for i in range(count)]


def _campaign_body(count: int, prefix: str) -> dict[str, Any]:
    return {
        "name": "Bench",
        "channel": "sms",
        "category": "advertising",
        "sms_text": "Big sale today at the shop",
        "sender": "Shop",
        "recipients": _numbers(count, prefix),
        "speed_per_hour": 3_600_000,
    }


def _until_reconciled(as_shop: Any, body: dict[str, Any], log: RequestLog) -> tuple[str, float]:
    """Create the campaign and wait for its reconciliation; the campaign id and the seconds it took."""
    from jarchi.clock import get_clock
    from jarchi.store.campaigns import CampaignItem

    clock = get_clock()
    started = time.perf_counter()
    created = as_shop.post("/v1/campaigns", body)
    if created.status != 201:
        raise RuntimeError(f"create failed: {created.status} {created.body!r}")
    campaign_id: str = created.json()["id"]
    deadline = started + DEADLINE_SECONDS
    admitted_at: float | None = None
    print(f"created in {time.perf_counter() - started:.1f} s", flush=True)
    while time.perf_counter() < deadline:
        with log.ignoring():
            item = CampaignItem.get(
                campaign_id, consistent_read=True, attributes_to_get=["id", "reconciled", "next_seq", "total"]
            )
        if item.reconciled:
            return campaign_id, time.perf_counter() - started
        if int(item.next_seq) >= int(item.total):
            if admitted_at is None:
                admitted_at = time.perf_counter() - started
                print(f"every recipient admitted after {admitted_at:.1f} s", flush=True)
            clock.advance(10)  # type: ignore[attr-defined]  # the workflow's 10 s wait for in-flight results
        time.sleep(0.2)
    raise RuntimeError(f"campaign {campaign_id} not reconciled after {DEADLINE_SECONDS} s")


def _run_campaign(log: RequestLog) -> tuple[Run, dict[str, Any]]:
    from jarchi.billing.ledger import totals_of
    from jarchi.store import ledger
    from local.seed import seed_admin
    from tests.api import Api

    admin = Api(seed_admin().secret)
    shop = admin.new_account("Bench shop")
    admin.top_up(shop["id"], 10**12)
    as_shop = admin.as_(admin.new_token(shop["id"]))
    sender = as_shop.post("/v1/senders", {"name": "Shop"}).json()
    admin.post(f"/v1/senders/{sender['id']}/moderation", {"decision": "approve"})
    _until_reconciled(as_shop, _campaign_body(WARM_UP_RECIPIENTS, "913"), log)  # warm "containers" and clients
    body = _campaign_body(RECIPIENTS, "912")
    log.reset()
    campaign_id, elapsed = _until_reconciled(as_shop, body, log)
    with log.ignoring():
        balance = ledger.get_balance(shop["id"])
        entries_total = totals_of(ledger.all_entries(shop["id"]))
        done = as_shop.get(f"/v1/campaigns/{campaign_id}").json()
    checks = {
        "status": done["status"],
        "stats": done["stats"],
        "cost": done["cost"],
        "balance_equals_ledger": balance == entries_total,
        "reserved_after": balance.reserved,
    }
    return Run(attempts=int(done["stats"]["total"]), seconds=elapsed), checks


def _run_bare(count: int) -> Run:
    """The bare minimum per attempt against the same moto: cap claim, attempt write, enqueue, result write."""
    import boto3

    from jarchi.resources import DISPATCH_QUEUE
    from jarchi.settings import get_settings
    from jarchi.store.tables import AD_CAP, RECIPIENTS

    settings = get_settings()
    dynamodb = boto3.client("dynamodb", region_name=settings.region)
    sqs = boto3.client("sqs", region_name=settings.region)
    queue_url = sqs.get_queue_url(QueueName=settings.queue_name(DISPATCH_QUEUE.logical) + "-bare")["QueueUrl"]
    cap_table = settings.table_name(AD_CAP.logical)
    recipients_table = settings.table_name(RECIPIENTS.logical)
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
    for first in range(0, count, 1000):
        chunk = list(enumerate(numbers[first : first + 1000], start=first))
        for seq, number in chunk:
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
        write_items([recipient(seq, number, "in_progress") for seq, number in chunk])
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
    return Run(attempts=count, seconds=time.perf_counter() - started)


def _report(campaign: Run, bare: Run, log: RequestLog, checks: dict[str, Any]) -> int:
    attempts = campaign.attempts
    ratio = campaign.seconds / (bare.seconds * attempts / bare.attempts)
    item_writes = sum(log.item_writes.values())
    sqs_requests = log.total("sqs.")
    hottest = log.item_writes.most_common(3)
    max_item_writes = hottest[0][1] if hottest else 0
    print(f"recipients: {attempts:,}  (status {checks['status']}, stats {checks['stats']})")
    print(f"cost: {checks['cost']}")
    print(f"balance = Σ ledger: {checks['balance_equals_ledger']}; reserved after: {checks['reserved_after']}")
    print(f"jarchi: {campaign.seconds:.1f} s, {campaign.rate:,.0f} attempts/s (target ≥ {TARGET_RATE:.0f})")
    print(f"bare minimum: {bare.seconds:.1f} s for {bare.attempts:,}, {bare.rate:,.0f} attempts/s")
    print(f"ratio jarchi / bare: {ratio:.2f} (target ≤ {MAX_RATIO})")
    print("AWS requests per attempt, by operation:")
    for operation, count in sorted(log.requests.items(), key=lambda kv: -kv[1]):
        print(f"  {operation:<40} {count:>8,}  {count / attempts:.4f}")
    print(f"DynamoDB item writes: {item_writes:,} = {item_writes / attempts:.2f} per attempt (target ≤ 3)")
    for table, count in log.writes_by_table.most_common():
        print(f"  {table:<40} {count:>8,}  {count / attempts:.4f}")
    print(
        f"SQS requests: {sqs_requests:,} = {sqs_requests / attempts:.4f} per attempt (target ≤ {MAX_SQS_PER_ATTEMPT})"
    )
    print(
        f"most writes to one item: {max_item_writes:,} = one per {attempts / max(max_item_writes, 1):,.0f} attempts "
        f"(target ≥ {MIN_ATTEMPTS_PER_ITEM_WRITE}); hottest: {hottest}"
    )
    cost = checks["cost"]
    met = {
        "rate": campaign.rate >= TARGET_RATE,
        "ratio": ratio <= MAX_RATIO,
        "item writes": item_writes / attempts <= MAX_ITEM_WRITES_PER_ATTEMPT,
        "sqs": sqs_requests / attempts <= MAX_SQS_PER_ATTEMPT,
        "hot item": max_item_writes * MIN_ATTEMPTS_PER_ITEM_WRITE <= attempts,
        "finished": checks["status"] == "finished",
        "money": cost["reserved"] == cost["charged"] + cost["released"] + cost["refunded"]
        and checks["balance_equals_ledger"]
        and checks["reserved_after"] == 0,
    }
    missed = [name for name, ok in met.items() if not ok]
    print("all targets met" if not missed else f"MISSED: {', '.join(missed)}")
    return 0 if not missed else 1


def main() -> int:
    log = install()
    from jarchi.clock import LocalClock, use_clock
    from jarchi.resources import DISPATCH_QUEUE
    from jarchi.settings import get_settings, reset_settings
    from local.emulator import emulated_aws
    from local.runtime import LocalRuntime

    reset_settings()
    settings = get_settings()
    use_clock(LocalClock(START, ticking=True))  # pacing refills as time passes, as in the cloud
    with emulated_aws(settings):
        import boto3

        boto3.client("sqs", region_name=settings.region).create_queue(
            QueueName=settings.queue_name(DISPATCH_QUEUE.logical) + "-bare"
        )
        runtime = LocalRuntime(settings, failed_visibility_seconds=1).start()
        try:
            campaign, checks = _run_campaign(log)
        finally:
            runtime.stop()
        with log.ignoring():
            bare = _run_bare(campaign.attempts)
    return _report(campaign, bare, log, checks)


if __name__ == "__main__":
    sys.exit(main())
