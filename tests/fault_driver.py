"""The campaign platform driven synchronously on moto, one step at a time, for the fault scenarios.

The threaded local runtime (`local.runtime`) is faithful but takes seconds a campaign; hundreds of random
scenarios need something quicker that still runs the real code. `SyncPlatform` runs the same three Lambda
handlers (workflow, dispatch, results) on moto's DynamoDB, SQS and S3, and stands in for the two AWS
services that would run them:

- Step Functions: `DriverRuns` is the `WorkflowRuns` port; every execution it starts follows the ASL
  (infra/statemachines/campaign.asl.json): Prepare → Route → Admit / WaitUntil / Reconcile, a failed task
  retried once (`States.TaskFailed`, MaxAttempts 1), then MarkFailed (`fail`, retried twice) and Failed;
- the SQS event source mappings: `local.pollers.SqsPoller.run_once` (ReportBatchItemFailures; a failed
  message is visible again at once, and goes to the DLQ after maxReceiveCount receives).

Each step picks one ready action at random (a seeded `random.Random`): a workflow task of some execution,
or one batch from the dispatch or the results queue. So a workflow task's retry may run before or after
the dispatch and results of what it sent: a results message is applied before its admission batch is
recorded as dispatched. The local clock moves only when nothing else can happen (every execution waits,
both queues are empty, nothing is held by a fault), straight to the earliest `resume_at`: an attempt is
placed at the instant it was admitted.

`check_invariants` answers what went wrong (empty: nothing), invariant by invariant.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from boto3.dynamodb.types import TypeSerializer
from moto.dynamodb.models.dynamo_type import Item
from moto.dynamodb.responses import DynamoResult

from jarchi.attempts import Outcome
from jarchi.audiences.numbers import number_info, recipient_time_zone
from jarchi.billing.ledger import EntryType, LedgerEntry, totals_of
from jarchi.campaigns.callbacks import CALLBACK_WINDOW, callback_pulses
from jarchi.campaigns.follow_ups import follow_up_of
from jarchi.campaigns.models import PART_STRIDE, Campaign, PartKind, RecipientState
from jarchi.campaigns.parts import statuses_due_again
from jarchi.campaigns.ports import CampaignRepository, RecipientRepository, RouteCapacity
from jarchi.campaigns.routes import ROUTE_SHARDS, shard_capacity, slot_name, used
from jarchi.campaigns.statuses import CampaignStatus
from jarchi.channels import Category, Channel
from jarchi.clock import LocalClock
from jarchi.compliance.adcap import AD_CAP_PERIOD, releases_ad_cap
from jarchi.compliance.windows import TimeWindow, WindowPolicy, WindowRule
from jarchi.connectors.simulator import originate_inbound_call
from jarchi.ports import override, resolve
from jarchi.settings import Settings, get_settings
from jarchi.store import ledger
from jarchi.store.campaigns import DynamoCampaigns, RecipientItem, to_state
from jarchi.store.routes import RouteShardItem, shard_holds
from local.emulator import sqs_sends_so_far
from local.functions import make_context
from local.pollers import SqsPoller
from local.runtime import EVENT_SOURCES
from tests.campaign_harness import FINAL_STATUSES, Placed

# Step Functions' Retry of the workflow's Task states on States.TaskFailed (campaign.asl.json).
TASK_MAX_ATTEMPTS = 1 + 1
FAIL_TASK_MAX_ATTEMPTS = 1 + 2
MAX_STEPS = 5_000
SETTLED = frozenset({CampaignStatus.FINISHED, CampaignStatus.ARCHIVED})
_serializer = TypeSerializer()


class State(StrEnum):
    PREPARE = "prepare"
    ADMIT = "admit"
    WAIT = "wait"
    RECONCILE = "reconcile"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass
class Execution:
    campaign_id: str
    run: int
    arn: str
    state: State = State.PREPARE
    resume_at: datetime | None = None
    failures: int = 0  # failed attempts of the current task
    tasks: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def done(self) -> bool:
        return self.state in (State.SUCCEEDED, State.FAILED)


class DriverRuns:
    """The `WorkflowRuns` port: executions `SyncPlatform` runs. Scheduled starts are not needed here."""

    def __init__(self) -> None:
        self.executions: list[Execution] = []
        self._lock = threading.Lock()

    def start(self, campaign_id: str, run: int) -> str:
        arn = f"arn:aws:states:local:123456789012:execution:campaign:{campaign_id}-{run}"
        with self._lock:
            self.executions.append(Execution(campaign_id, run, arn))
        return arn

    def run_started(self, campaign_id: str, run: int) -> bool:
        with self._lock:
            return any((e.campaign_id, e.run) == (campaign_id, run) for e in self.executions)

    def schedule_start(self, campaign_id: str, run: int, at: datetime) -> str:
        raise NotImplementedError("the fault scenarios start their campaigns at once")

    def delete_schedule(self, name: str) -> None:
        return None


class ObservedRecipients:
    """The recipient repository, recording every state written (to see a recipient given two finals)."""

    def __init__(self, inner: RecipientRepository) -> None:
        self.inner = inner
        self.written: dict[tuple[str, int], list[str]] = defaultdict(list)
        self._lock = threading.Lock()

    def save_all(self, states: Sequence[RecipientState]) -> None:
        self.inner.save_all(states)
        with self._lock:
            for state in states:
                self.written[(state.campaign_id, state.seq)].append(state.status)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class WatchedRoutes:
    """The route capacity port (R-DSP-3), checked at every checkpoint where a route can fill up: after each
    `take` that granted slots, the route's shard items are read back (the table, not the adapter's word), and
    the most slots held on each route at once is kept for the `route` invariant."""

    def __init__(self, inner: RouteCapacity) -> None:
        self.inner = inner
        self.peaks: dict[str, int] = {}
        self.over_shard: list[str] = []
        self._lock = threading.Lock()

    def take(self, route: str, holder: str, wanted: int, limit: int, now: datetime) -> list[int]:
        granted = self.inner.take(route, holder, wanted, limit, now)
        if granted:
            self.checkpoint(route, limit, now)
        return granted

    def checkpoint(self, route: str, limit: int, now: datetime) -> None:
        held = 0
        for shard in range(ROUTE_SHARDS):
            try:
                item = RouteShardItem.get(slot_name(route, shard), consistent_read=True)
            except RouteShardItem.DoesNotExist:
                continue
            on_shard = used(shard_holds(item), now)
            held += on_shard
            if on_shard > shard_capacity(limit, shard):
                with self._lock:
                    self.over_shard.append(f"{route}#{shard} holds {on_shard} > {shard_capacity(limit, shard)}")
        with self._lock:
            self.peaks[route] = max(self.peaks.get(route, 0), held)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def make_pollers(settings: Settings) -> dict[str, SqsPoller]:
    """One poller per queue-triggered function (a client each: reuse them across scenarios)."""
    return {
        queue.logical: SqsPoller(settings, queue, function, failed_visibility_seconds=0)
        for queue, function in EVENT_SOURCES
    }


@contextmanager
def faster_moto() -> Iterator[None]:
    """Two shortcuts in moto's DynamoDB that give the same answers, for the hundreds of scenarios:

    - a GetItem with a ProjectionExpression converts the whole item once per projected attribute (the
      campaign repository names ~45): converted once when every projected path is a top-level attribute;
    - a data-plane answer goes through moto's generic, model-driven serializer, although it is plain JSON
      already: `json.dumps` of the same result (botocore ignores nothing it needs: the serializer only
      drops keys the model does not name)."""
    project, execute = Item.project, DynamoResult.execute_result

    def fast_project(self: Item, projection_expressions: list[list[str]]) -> Item:
        if any(len(path) != 1 or "[" in path[0] for path in projection_expressions):
            return project(self, projection_expressions)
        regular = self.to_regular_json()
        result = {path[0]: regular[path[0]] for path in projection_expressions if path[0] in regular}
        return Item(hash_key=self.hash_key, range_key=self.range_key, attrs=_serializer.serialize(result)["M"])

    def fast_execute(self: DynamoResult, context: Any) -> Any:
        if context.operation_model.name not in _PLAIN_JSON_OPERATIONS:
            return execute(self, context)
        return 200, {"Content-Type": "application/x-amz-json-1.0"}, json.dumps(self.result)

    Item.project = fast_project  # type: ignore[method-assign]
    DynamoResult.execute_result = fast_execute  # type: ignore[method-assign]
    try:
        yield
    finally:
        Item.project = project  # type: ignore[method-assign]
        DynamoResult.execute_result = execute  # type: ignore[method-assign]


_PLAIN_JSON_OPERATIONS = frozenset(
    {"GetItem", "PutItem", "UpdateItem", "Query", "BatchGetItem", "BatchWriteItem", "TransactWriteItems"}
)


class SyncPlatform:
    """See the module docstring. `flush` lets held faults take effect (called before the clock moves)."""

    def __init__(
        self,
        settings: Settings,
        clock: LocalClock,
        runs: DriverRuns,
        *,
        rng: random.Random,
        flush: Callable[[], int] = lambda: 0,
        pollers: Mapping[str, SqsPoller] | None = None,
        redelivery_seconds: float = 0,
    ) -> None:
        import functions.workflow.handler as workflow_handler

        self.settings = settings
        self.clock = clock
        self.runs = runs
        self.rng = rng
        self.flush = flush
        self.workflow = workflow_handler.handler
        self.context = make_context(f"{settings.resource_prefix}-workflow", region=settings.region)
        self.pollers = dict(pollers or make_pollers(settings))
        self._idle_at: dict[str, int | None] = {name: None for name in self.pollers}
        # A failed message comes back at once (as in the local runtime), or after `redelivery_seconds` of
        # the platform clock (the cloud: the queue's visibility timeout); the queue is not polled meanwhile.
        self.redelivery_seconds = redelivery_seconds
        self._back_at: dict[str, datetime | None] = {name: None for name in self.pollers}
        self.steps = 0
        self.clock_moves = 0
        self.task_failures = 0
        self.message_failures = 0

    # --- Step Functions ---------------------------------------------------------------------------------

    def _task(self, execution: Execution) -> None:
        execution.tasks += 1
        event: dict[str, Any] = {"task": execution.state.value, "campaign_id": execution.campaign_id}
        if execution.state in (State.PREPARE, State.ADMIT):
            event["run"] = execution.run
        if execution.state is State.PREPARE:
            event["execution_arn"] = execution.arn
        try:
            answer = self.workflow(event, self.context)
        except Exception as error:  # States.TaskFailed
            self.task_failures += 1
            execution.failures += 1
            execution.errors.append(f"{execution.state.value}: {type(error).__name__}: {error}")
            if execution.failures >= TASK_MAX_ATTEMPTS:
                self._mark_failed(execution, error)
            return
        execution.failures = 0
        if execution.state is State.RECONCILE:
            execution.state = State.SUCCEEDED
            return
        match answer["next"]:
            case "admit":
                execution.state = State.ADMIT
            case "wait":
                execution.state = State.WAIT
                execution.resume_at = datetime.fromisoformat(answer["resume_at"])
            case "reconcile":
                execution.state = State.RECONCILE
            case "end":
                execution.state = State.SUCCEEDED
            case other:
                raise AssertionError(f"unknown next {other!r}")

    def _mark_failed(self, execution: Execution, error: Exception) -> None:
        event = {
            "task": "fail",
            "campaign_id": execution.campaign_id,
            "error": {"Error": type(error).__name__, "Cause": str(error)[:200]},
        }
        for _ in range(FAIL_TASK_MAX_ATTEMPTS):
            try:
                self.workflow(event, self.context)
                break
            except Exception as failure:
                execution.errors.append(f"fail: {type(failure).__name__}: {failure}")
        execution.state = State.FAILED

    # --- the event source mappings ------------------------------------------------------------------------

    def _maybe_busy(self, queue: str) -> bool:
        back_at = self._back_at[queue]
        if back_at is not None:
            if self.clock.now() < back_at:
                return False
            self._back_at[queue] = None
        idle_at = self._idle_at[queue]
        return idle_at is None or idle_at != sqs_sends_so_far()

    def _poll(self, queue: str) -> None:
        sends = sqs_sends_so_far()
        outcome = self.pollers[queue].run_once()
        self.message_failures += len(outcome.failed_ids)
        # Idle until the next send (a failed message is visible again at once: not idle).
        self._idle_at[queue] = sends if not outcome.received else None
        if outcome.failed_ids and self.redelivery_seconds:
            self._back_at[queue] = self.clock.now() + timedelta(seconds=self.redelivery_seconds)

    # --- the loop -----------------------------------------------------------------------------------------

    def _actions(self) -> list[tuple[str, Callable[[], None]]]:
        now = self.clock.now()
        actions: list[tuple[str, Callable[[], None]]] = []
        for execution in self.runs.executions:
            if execution.done:
                continue
            if execution.state is State.WAIT:
                if execution.resume_at is not None and execution.resume_at <= now:
                    execution.state = State.ADMIT
                else:
                    continue
            actions.append((f"task {execution.campaign_id}", lambda e=execution: self._task(e)))  # type: ignore[misc]
        for queue in self.pollers:
            if self._maybe_busy(queue):
                actions.append((f"poll {queue}", lambda q=queue: self._poll(q)))  # type: ignore[misc]
        return actions

    def run(self, *, steps: int | None = None, until_idle: bool = False) -> None:
        """Until every execution has ended, or `steps` more steps were taken, or (`until_idle`) everything waits
        for the clock (AssertionError after MAX_STEPS)."""
        stop_at = self.steps + steps if steps is not None else MAX_STEPS
        while self.steps < min(stop_at, MAX_STEPS):
            self.steps += 1
            actions = self._actions()
            if actions:
                _name, action = self.rng.choice(actions)
                action()
                continue
            if self.flush():
                continue
            waiting = [e.resume_at for e in self.runs.executions if not e.done and e.resume_at is not None]
            waiting += [back_at for back_at in self._back_at.values() if back_at is not None]
            if not waiting or until_idle:
                return
            self.clock_moves += 1
            self.clock.advance(max(0.0, (min(waiting) - self.clock.now()).total_seconds()))
        if self.steps < MAX_STEPS:
            return
        states = [(e.campaign_id, e.state.value, e.resume_at) for e in self.runs.executions]
        raise AssertionError(f"the campaigns did not end within {MAX_STEPS} steps: {states}")

    def dead_letters(self) -> dict[str, int]:
        return {poller.queue.dlq_logical: poller.dead_letters() for poller in self.pollers.values()}


# --- two owners at once ------------------------------------------------------------------------------------


CAMPAIGN_READS = frozenset({"get", "pricing", "list_for_account", "awaiting_review"})
RACE_TIMEOUT_SECONDS = 30


class HeldWrites:
    """The campaign repository as two owners acting at once see it: the request running in the held thread
    reads freely, and its first write waits until `release()`, so the other owner's whole request runs
    between its reads and its write (the interleaving that makes a lost update)."""

    def __init__(self, inner: CampaignRepository) -> None:
        self.inner = inner
        self.held_thread: int | None = None
        self.arrived = threading.Event()
        self._released = threading.Event()

    def release(self) -> None:
        self._released.set()

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.inner, name)
        if name in CAMPAIGN_READS or not callable(attribute):
            return attribute

        def write(*args: Any, **kwargs: Any) -> Any:
            if threading.get_ident() == self.held_thread and not self._released.is_set():
                self.arrived.set()
                self._released.wait(RACE_TIMEOUT_SECONDS)
            return attribute(*args, **kwargs)

        return write


@dataclass(frozen=True)
class RaceRecord:
    """What happened when two owners acted on one campaign at once: `held` read it first and wrote last
    (`reached`: it got as far as a write), `prompt` acted in between. Statuses as the campaign was before,
    after `prompt`, and at the end; `runs` its workflow run before and at the end."""

    campaign_id: str
    held: str
    prompt: str
    reached: bool
    held_answer: tuple[int, dict[str, Any]]
    prompt_answer: tuple[int, dict[str, Any]]
    before: CampaignStatus
    after_prompt: Campaign
    after_both: Campaign
    faults_struck: bool


def _answer_of(response: Any) -> tuple[int, dict[str, Any]]:
    try:
        body = response.json()
    except ValueError:
        body = {}
    return response.status, body if isinstance(body, dict) else {}


def race_owners(
    campaign_id: str, held: tuple[Any, str], prompt: tuple[Any, str], *, faults_struck: Callable[[], int]
) -> RaceRecord:
    """`held` = (an owner's `tests.api.Api`, action) reads the campaign, `prompt` acts meanwhile, then `held`
    writes: `POST /v1/campaigns/{id}/{action}` both, through the API, on the real repository."""
    repository = DynamoCampaigns()  # the driver's own reads: no fault strikes them
    before = repository.get(campaign_id)
    assert before is not None
    gate = HeldWrites(resolve(CampaignRepository))
    answers: dict[str, Any] = {}
    struck = faults_struck()

    def act_held() -> None:
        gate.held_thread = threading.get_ident()
        answers["held"] = held[0].post(f"/v1/campaigns/{campaign_id}/{held[1]}")

    with override(CampaignRepository, gate):  # type: ignore[type-abstract]
        thread = threading.Thread(target=act_held, name="held-owner")
        thread.start()
        deadline = time.monotonic() + RACE_TIMEOUT_SECONDS
        while not gate.arrived.is_set() and thread.is_alive():
            assert time.monotonic() < deadline, "the held owner's request never wrote nor answered"
            gate.arrived.wait(0.005)
        reached = gate.arrived.is_set()
        prompt_answer = _answer_of(prompt[0].post(f"/v1/campaigns/{campaign_id}/{prompt[1]}"))
        after_prompt = repository.get(campaign_id)
        gate.release()
        thread.join(RACE_TIMEOUT_SECONDS)
        assert not thread.is_alive(), "the held owner's request did not end"
    after_both = repository.get(campaign_id)
    assert after_prompt is not None and after_both is not None
    return RaceRecord(
        campaign_id,
        held[1],
        prompt[1],
        reached,
        _answer_of(answers["held"]),
        prompt_answer,
        before.status,
        after_prompt,
        after_both,
        faults_struck() != struck,
    )


def _races(races: Sequence[RaceRecord]) -> list[str]:
    """When both owners' actions were allowed as they read the campaign (the held one got as far as its
    write) and the prompt one won: the held one is 409 `action_not_allowed` naming the status the winner
    left, and changed nothing (status, history, run, money)."""
    problems = []
    for race in races:
        held_status, held_body = race.held_answer
        prompt_status, _ = race.prompt_answer
        if not race.reached or prompt_status >= 300 or race.faults_struck:
            continue
        error = held_body.get("error", {})
        now = race.after_prompt.status.value
        if (held_status, error.get("code"), error.get("status")) != (409, "action_not_allowed", now):
            problems.append(
                f"race: {race.campaign_id} {race.prompt} won from {race.before.value}; the overtaken {race.held} "
                f"answered {held_status} {error or held_body}, not 409 action_not_allowed naming {now}"
            )
        first, last = race.after_prompt, race.after_both
        if (first.status, len(first.history), first.progress.run, first.money) != (
            last.status,
            len(last.history),
            last.progress.run,
            last.money,
        ):
            problems.append(f"race: the overtaken {race.held} of {race.campaign_id} still changed it")
    return problems


def _runs(campaigns: Sequence[Campaign], executions: Sequence[Execution]) -> list[str]:
    """No orphaned workflow run: each run a campaign raised (every start, resume, reset, …) has exactly one
    execution, and no execution was started for a run the campaign never raised (a loser's)."""
    started: dict[str, list[int]] = defaultdict(list)
    for execution in executions:
        started[execution.campaign_id].append(execution.run)
    problems = []
    for campaign in campaigns:
        runs = sorted(started[campaign.id])
        if runs != list(range(1, campaign.progress.run + 1)):
            problems.append(f"orphaned run: {campaign.id} raised run {campaign.progress.run}, executions for {runs}")
    return problems


# --- the invariants --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Observed:
    """What a scenario leaves behind, for `check_invariants`."""

    campaigns: list[Campaign]
    executions: list[Execution]
    placed: list[Placed]
    written: Mapping[tuple[str, int], list[str]]
    account_ids: list[str]
    dead_letters: Mapping[str, int]
    callbacks: list[CallingBack] = field(default_factory=list)
    races: list[RaceRecord] = field(default_factory=list)
    route_peaks: Mapping[str, int] = field(default_factory=dict)  # the most slots held on each route at once
    route_limit: int = 0
    route_over_shard: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CallingBack:
    """A subscriber who called back (R-OUT-4): from `number` at `at`, `seconds` on the line if connected."""

    event_id: str
    number: str
    at: datetime
    seconds: int


CALLBACK_SECONDS = 40  # 2 started pulses


def follow_up_rules(sender: str, *, vote: bool) -> list[dict[str, Any]]:
    """Follow-up SMS rules for a voice campaign (R-OUT-3): on digit 1 (with a vote), answered, not answered."""
    rules: list[dict[str, Any]] = [
        {"on": "answered", "sms_text": f"{sender}: thanks for listening", "sender": sender},
        {"on": "not_answered", "sms_text": f"{sender}: we tried to call you", "sender": sender},
    ]
    if vote:  # service texts carry the sender's name (R-SMS-1)
        rules.insert(0, {"on": "vote", "digits": ["1"], "sms_text": f"{sender}: you chose 1", "sender": sender})
    return rules


def call_back(
    clock: LocalClock, numbers: Sequence[str], calls: Sequence[tuple[int, int]], *, serial: int
) -> list[CallingBack]:
    """The simulator's subscribers call back `minutes` after the campaigns ended (in order of minutes)."""
    ended = clock.now()
    made = []
    for i, (index, minutes) in enumerate(calls):
        clock.advance(max(0.0, (ended + timedelta(minutes=minutes) - clock.now()).total_seconds()))
        event_id = f"fs{serial}-{i}"
        originate_inbound_call(numbers[index], CALLBACK_SECONDS, event_id=event_id)
        made.append(CallingBack(f"simulator:{event_id}", numbers[index], clock.now(), CALLBACK_SECONDS))
    return made


def observe(
    campaign_ids: Iterable[str],
    runs: DriverRuns,
    placed: list[Placed],
    observed: ObservedRecipients,
    account_ids: Iterable[str],
    dead_letters: Mapping[str, int],
    callbacks: Sequence[CallingBack] = (),
    races: Sequence[RaceRecord] = (),
    routes: WatchedRoutes | None = None,
) -> Observed:
    repository = resolve(CampaignRepository)
    campaigns = []
    for campaign_id in campaign_ids:
        campaign = repository.get(campaign_id)
        assert campaign is not None, campaign_id
        campaigns.append(campaign)
    return Observed(
        campaigns,
        list(runs.executions),
        list(placed),
        dict(observed.written),
        sorted(set(account_ids)),
        dict(dead_letters),
        list(callbacks),
        list(races),
        dict(routes.peaks) if routes else {},
        get_settings().route_max_concurrent_calls,
        list(routes.over_shard) if routes else [],
    )


def check_invariants(seen: Observed) -> list[str]:
    """Every broken invariant, one line each, prefixed with its name:

    - `ended`: every campaign finished and reconciled, unless its workflow gave up (`error`) after Step
      Functions' retries, every failure of which was an injected fault (and then what it placed is still
      charged once: charged = Σ recipient costs);
    - `one final status`: every recipient of a finished campaign has a stored final status, every state
      written for a recipient is one and the same final status, an attempted one's is what the connector
      reported; the counters add up to the total;
    - `placed twice`: no attempt placed twice, no number placed twice by one part of a campaign;
    - `due`: a recipient is called in a smart retry part only if its result in the part before is in the
      campaign's `retry.on` (issue 11);
    - `ad cap`: at most one campaign's advertising that reached the network per number per 24 h (a campaign's
      retry parts reuse its claim);
    - `window`: every attempt placed inside its campaign's sending windows, in the recipient's local time;
    - `money`: reserved = charged + released + refunded per finished campaign, charged = Σ recipient costs,
      the ledger holds each of these once;
    - `balance`: each account's balance item = Σ its ledger;
    - `dead letters`: no message ended in a DLQ;
    - `follow-up`: at most one follow-up SMS per rule and recipient, only after a call whose result fires
      its rule, inside the SMS window of the category in the recipient's zone (they ride the call's ad-cap
      claim, so the ad-cap and per-number checks look at calls and campaign SMS only);
    - `callback`: a callback is charged (started pulses × the tariff, once) only inside the hour after the
      last call that reached its number, else never;
    - `route`: a route never holds more slots than its limit (read from its shard items after every take that
      granted some), and no shard more than its share (R-DSP-3).
    """
    problems: list[str] = []
    reported = {p.attempt_id: p.status for p in seen.placed}
    entries = {account_id: ledger.all_entries(account_id) for account_id in seen.account_ids}
    errors: dict[str, list[str]] = defaultdict(list)
    for execution in seen.executions:
        errors[execution.campaign_id] += execution.errors
    for campaign in seen.campaigns:
        if campaign.status is CampaignStatus.ERROR:
            problems += _gave_up(campaign, errors[campaign.id])
            continue
        if campaign.status not in SETTLED or not campaign.progress.reconciled:
            problems.append(
                f"ended: {campaign.id} is {campaign.status.value}, reconciled={campaign.progress.reconciled}"
            )
            continue
        rows = _stored(campaign.id)
        problems += _final_statuses(campaign, rows, seen.written, reported)
        problems += _money(campaign, rows, entries[campaign.account_id])
        problems += _due(campaign, rows, [p for p in seen.placed if follow_up_of(p.attempt_id) is None])
    sends = [p for p in seen.placed if follow_up_of(p.attempt_id) is None]
    problems += _placements(sends)
    problems += _ad_cap(sends)
    problems += _windows(seen.campaigns, sends)
    problems += _follow_ups(seen.campaigns, seen.placed)
    problems += _callbacks(seen.campaigns, seen.placed, seen.callbacks, entries)
    problems += _races(seen.races)
    problems += [
        f"route: {route} held {peak} calls at once > its limit {seen.route_limit}"
        for route, peak in sorted(seen.route_peaks.items())
        if peak > seen.route_limit
    ]
    problems += [f"route: shard {over}" for over in seen.route_over_shard]
    problems += _runs(seen.campaigns, seen.executions)
    for account_id in seen.account_ids:
        balance = ledger.get_balance(account_id)
        expected = totals_of(entries[account_id])
        if balance != expected:
            problems.append(f"balance: {account_id} holds {balance}, its ledger sums to {expected}")
    problems += [f"dead letters: {count} in {dlq}" for dlq, count in seen.dead_letters.items() if count]
    return problems


def _gave_up(campaign: Campaign, errors: list[str]) -> list[str]:
    """A campaign whose workflow gave up: only injected faults may have made it, and the results of what it
    placed are still all applied, each charged once."""
    problems = [f"ended: {campaign.id} failed on its own: {e}" for e in errors if "injected" not in e]
    if campaign.progress.outstanding == 0:
        costs = sum(int(r.cost) for r in _stored(campaign.id))
        if costs != campaign.money.charged:
            problems.append(f"money: {campaign.id} charged {campaign.money.charged}, its recipients cost {costs}")
    return problems


def _stored(campaign_id: str) -> list[RecipientState]:
    return [to_state(item) for item in RecipientItem.query(campaign_id, consistent_read=True)]


def _final_statuses(
    campaign: Campaign,
    stored: list[RecipientState],
    written: Mapping[tuple[str, int], list[str]],
    reported: Mapping[str, str | None],
) -> list[str]:
    problems = []
    rows = {int(r.seq): r for r in stored if int(r.seq) >= 0}  # follow-ups and callbacks sit below 0
    expected = [p.part * PART_STRIDE + i for p in campaign.all_parts() for i in range(p.total)]
    # The last part ends at its pointer: a cancelled part, or one its owner stopped (or paused) and finished
    # (whom admission never reached stays pending).
    progress = campaign.progress
    expected = [s for s in expected if s < progress.seq_base + progress.next_seq]
    if sorted(rows) != expected:
        missing = sorted(set(expected) - set(rows))
        problems.append(f"one final status: {campaign.id} has no stored state for recipients {missing[:5]}")
    for seq, row in sorted(rows.items()):
        if row.status not in FINAL_STATUSES:
            problems.append(f"one final status: {campaign.id}.{seq} ended {row.status}")
        finals = set(written.get((campaign.id, seq), [])) & FINAL_STATUSES
        if len(finals) > 1:
            problems.append(f"one final status: {campaign.id}.{seq} was given {sorted(finals)}")
        if row.attempt_id and (row.attempt_id not in reported or reported[row.attempt_id] != row.status):
            outcome = reported.get(row.attempt_id, "never placed")
            problems.append(f"one final status: {row.attempt_id} ended {row.status}, the connector said {outcome}")
    counted, admitted = sum(campaign.counts.values()), campaign.progress.next_seq
    if counted != admitted:
        problems.append(f"one final status: {campaign.id} counts {counted} finals for {admitted} admitted")
    return problems


def _part_of(attempt_id: str) -> int:
    return int(attempt_id.rsplit(".", 1)[1]) - 1


def _due(campaign: Campaign, rows: list[RecipientState], placed: list[Placed]) -> list[str]:
    """Each call of a smart retry part went to a recipient whose result in the part before is in `retry.on`."""
    retry = campaign.settings.retry
    kinds = {p.part: p.kind for p in campaign.all_parts()}
    results = {(int(r.seq) // PART_STRIDE, r.number): r.status for r in rows}
    due = statuses_due_again(retry.on) if retry is not None else frozenset()
    problems = []
    for p in placed:
        part = _part_of(p.attempt_id)
        if p.campaign_id != campaign.id or kinds.get(part) is not PartKind.RETRY:
            continue
        before = results.get((part - 1, p.number))
        if before not in due:
            problems.append(f"due: {p.attempt_id} called {p.number} in part {part}, its result before was {before}")
    return problems


def _money(campaign: Campaign, rows: list[RecipientState], account_entries: list[LedgerEntry]) -> list[str]:
    problems = []
    money = campaign.money
    if money.reserved != money.charged + money.released + money.refunded:
        problems.append(
            f"money: {campaign.id} reserved {money.reserved} != charged {money.charged} + released "
            f"{money.released} + refunded {money.refunded}"
        )
    costs = sum(int(r.cost) for r in rows)
    if costs != money.charged:
        problems.append(f"money: {campaign.id} charged {money.charged}, its recipients cost {costs}")
    entries = [e for e in account_entries if e.campaign_id == campaign.id]
    booked: Counter[str] = Counter()
    for entry in entries:
        booked[entry.type.value] += entry.amount
    expected = {
        EntryType.RESERVATION.value: money.reserved,
        EntryType.CHARGE.value: money.charged,
        EntryType.RELEASE.value: money.released,
        EntryType.REFUND.value: money.refunded,
    }
    if dict(booked) != {kind: amount for kind, amount in expected.items() if amount}:
        problems.append(f"money: {campaign.id} booked {dict(booked)} in the ledger, the campaign says {expected}")
    keys = [(e.type, e.reference) for e in entries]
    if len(keys) != len(set(keys)):
        problems.append(f"money: {campaign.id} booked an entry twice: {keys}")
    return problems


def _placements(placed: list[Placed]) -> list[str]:
    problems = []
    for attempt_id, count in Counter(p.attempt_id for p in placed).items():
        if count > 1:
            problems.append(f"placed twice: attempt {attempt_id} placed {count} times")
    for (campaign_id, part, number), count in Counter(
        (p.campaign_id, _part_of(p.attempt_id), p.number) for p in placed
    ).items():
        if count > 1:
            problems.append(f"placed twice: {campaign_id} placed {number} {count} times in part {part}")
    return problems


def _ad_cap(placed: list[Placed]) -> list[str]:
    ads: dict[str, list[Placed]] = defaultdict(list)
    for p in sorted(placed, key=lambda p: p.order):
        if p.category is Category.ADVERTISING and not (p.outcome is not None and releases_ad_cap(p.outcome)):
            ads[p.number].append(p)
    problems = []
    for number, attempts in ads.items():
        for i, second in enumerate(attempts):
            # A retry part of the campaign that holds the claim is no second ad.
            earlier = [a for a in attempts[:i] if a.campaign_id != second.campaign_id]
            first = earlier[-1] if earlier else None
            if first is not None and second.placed_at < first.placed_at + AD_CAP_PERIOD:
                problems.append(
                    f"ad cap: {number} got an ad from {second.campaign_id} at {second.placed_at.isoformat()}, "
                    f"{first.campaign_id}'s reached it at {first.placed_at.isoformat()}"
                )
    return problems


def _windows(campaigns: list[Campaign], placed: list[Placed]) -> list[str]:
    by_id = {c.id: c for c in campaigns}
    problems = []
    zones: dict[str, dict[int, str]] = {}
    recipients = resolve(RecipientRepository)
    for p in placed:
        campaign = by_id.get(p.campaign_id)
        if campaign is None:
            continue
        if campaign.id not in zones:
            zones[campaign.id] = {
                e.seq: e.time_zone
                for part in campaign.all_parts()
                for e in recipients.read_audience(part.audience_key, part.part * PART_STRIDE, part.total)
            }
        seq = int(p.attempt_id.rsplit(".", 2)[1])
        settings = campaign.settings
        rule = WindowRule.of(
            [TimeWindow.parse(w.start, w.end) for w in settings.windows], settings.days_of_week or range(1, 8)
        )
        if not rule.is_open(p.placed_at, zones[campaign.id][seq]):
            problems.append(
                f"window: {p.attempt_id} placed at {p.placed_at.isoformat()} outside {settings.windows} "
                f"in {zones[campaign.id][seq]}"
            )
    return problems


def _follow_ups(campaigns: list[Campaign], placed: list[Placed]) -> list[str]:
    by_id = {c.id: c for c in campaigns}
    calls = {p.attempt_id: p for p in placed}
    problems = []
    sent: Counter[tuple[str, str, int]] = Counter()
    for p in placed:
        found = follow_up_of(p.attempt_id)
        campaign = by_id.get(p.campaign_id)
        if found is None or campaign is None:
            continue
        seq, rule = found
        sent[(p.campaign_id, p.number, rule)] += 1
        call = next(
            (
                c
                for c in calls.values()
                if c.campaign_id == p.campaign_id
                and c.attempt_id.split(".")[1] == str(seq)
                and follow_up_of(c.attempt_id) is None
            ),
            None,
        )
        if call is None or call.outcome is None:
            problems.append(f"follow-up: {p.attempt_id} sent without a call of its recipient")
            continue
        on = campaign.settings.follow_ups[rule].on.value
        fires = {"answered": call.outcome is Outcome.ANSWERED, "vote": call.outcome is Outcome.ANSWERED}
        fires["not_answered"] = call.outcome in (Outcome.NO_ANSWER, Outcome.BUSY, Outcome.UNREACHABLE)
        if not fires[on]:
            problems.append(f"follow-up: {p.attempt_id} ({on}) sent after a call that ended {call.outcome}")
        zone = recipient_time_zone(number_info(p.number), campaign.settings.time_zones[0])
        window = WindowPolicy.default().rule_for(Channel.SMS, campaign.category, country=number_info(p.number).region)
        if not window.is_open(p.placed_at, zone):
            problems.append(f"follow-up: {p.attempt_id} placed at {p.placed_at.isoformat()} outside the SMS window")
    problems += [f"follow-up: {key} sent {n} times" for key, n in sent.items() if n > 1]
    return problems


def _callbacks(
    campaigns: list[Campaign],
    placed: list[Placed],
    calls_back: list[CallingBack],
    entries: Mapping[str, list[LedgerEntry]],
) -> list[str]:
    by_id = {c.id: c for c in campaigns}
    charged: Counter[str] = Counter()
    for account_entries in entries.values():
        for entry in account_entries:
            reference = entry.reference or ""
            if entry.type is EntryType.CHARGE and reference.startswith("callback:"):
                charged[reference.removeprefix("callback:")] += entry.amount
    problems = []
    reached = (Outcome.ANSWERED, Outcome.NO_ANSWER, Outcome.BUSY, Outcome.UNREACHABLE)
    for call in calls_back:
        called = [
            p
            for p in placed
            if p.number == call.number
            and p.channel is Channel.VOICE
            and p.outcome in reached
            and p.placed_at <= call.at
        ]
        last = max(called, key=lambda p: p.placed_at, default=None)
        inside = last is not None and call.at - last.placed_at <= CALLBACK_WINDOW and last.campaign_id in by_id
        expected = callback_pulses(call.seconds) * by_id[last.campaign_id].money.tariff if inside and last else 0
        if charged[call.event_id] != expected:
            problems.append(
                f"callback: {call.event_id} from {call.number} at {call.at.isoformat()} charged "
                f"{charged[call.event_id]}, expected {expected} (last call at {last.placed_at if last else None})"
            )
    return problems


def outcomes_of(placed: list[Placed]) -> set[Outcome]:
    return {p.outcome for p in placed if p.outcome is not None}
