"""Random campaigns under random faults, on the whole campaign path (issue 9, item 8: R-DSP-1, R-CPL-1/2,
R-BIL-1/3).

Each scenario: 1–3 campaigns of up to three accounts, created through the API at once, drawing their
recipients (1–12) from one small pool of numbers in two time zones (so they compete for numbers); random
channel (SMS, voice) and category (advertising, service, OTP), sometimes narrowed windows, a vote, a random
simulator seed; the clock at a random time of day. Then 0–3 faults at random step boundaries: which port
method (the campaign and recipient repositories, the ad cap, the suppression lists, the dispatch and
results queues, the connector), which of its calls, which fault kind (`local.faults`: crash before/after,
throttling, timeout before/after, a message sent twice, a send or the dispatched mark held back until
later). The platform runs synchronously on moto (`tests.fault_driver.SyncPlatform`: the real handlers,
Step Functions' retry policy, SQS redelivery) with a random interleaving of workflow tasks and queue
batches, and `check_invariants` then requires: every recipient has exactly one final status, no number
placed twice for one attempt, at most one ad per number per 24 h, no placement outside a window,
reserved = charged + released + refunded per campaign, and balance = Σ ledger per account.

Voice campaigns may have smart retry parts and follow-up SMS. Some scenarios also have two owners of one
campaign act at once (`pause`/`finish`, `stop`/`finish`, `reset`/`archive`, `retry_failed`/`archive`, …, while
it runs or once it ended): the first reads the campaign and is held just before its first write while the
second acts (`tests.fault_driver.race_owners`). When both were allowed as read and the second won, the first
must answer 409 `action_not_allowed` naming the status the winner left and change nothing; at the end each
workflow run the campaign raised has exactly one execution (no orphaned run); the owner then resumes what is
paused and finishes what is stopped, and every other invariant holds as before.

A scenario whose faults hit one workflow task and its one retry ends its campaign in `error` (Step
Functions gave up, as it would in the cloud); the other invariants still hold for it, and it is counted in
the statistics (`--hypothesis-show-statistics`).

Scenario count: 80 by default (derandomized: CI repeats the same ones), `JARCHI_FAULT_SCENARIOS=2000`
for a nightly run. `JARCHI_FAULT_BREAK=adcap` (or `double-charge`) breaks an invariant on purpose: the
test must then fail (see also the `test_the_checker_reports_*` tests).

Not drawn, and why: a connector call that took effect but whose answer was lost (`Connector.place`
`crash_after`/`timeout_after`) places again on redelivery; a failed message comes back at once, not after
the cloud's visibility timeout (a batch redelivered after its window closed is placed outside it); faults
inside the API's create request. These and an errored campaign keeping its reservation are known gaps,
pinned below as strict xfails (they pass once fixed; see docs/decisions.md).
"""

from __future__ import annotations

import itertools
import os
import random
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, Phase, event, given, note, settings
from hypothesis import strategies as st

from jarchi.campaigns.follow_ups import follow_up_of
from jarchi.campaigns.ports import CampaignRepository, RecipientRepository, RouteCapacity, WorkflowRuns
from jarchi.campaigns.statuses import CampaignStatus
from jarchi.clock import LocalClock
from jarchi.compliance.ports import AdCap
from jarchi.connectors.simulator import SimulatorConfig, SimulatorConnector, VoiceRates
from jarchi.ports import override, resolve
from jarchi.resources import DISPATCH_QUEUE
from jarchi.settings import Settings, get_settings, reset_settings
from jarchi.store import ledger
from jarchi.store.campaigns import DynamoCampaigns
from jarchi.store.destinations import DynamoDestinations
from local.faults import FaultKind, FaultPlan, injected
from local.pollers import SqsPoller
from tests.api import Api
from tests.campaign_harness import Customer, allow_countries, create, new_customer, recording_connector
from tests.fault_driver import (
    MAX_STEPS,
    DriverRuns,
    ObservedRecipients,
    RaceRecord,
    SyncPlatform,
    WatchedRoutes,
    call_back,
    check_invariants,
    faster_moto,
    follow_up_rules,
    make_pollers,
    observe,
    race_owners,
)

SCENARIOS = int(os.environ.get("JARCHI_FAULT_SCENARIOS", "80"))
ROUTE_LIMIT = 2  # calls at once on the fixed lines' route (+98-21), in the scenarios that have fixed lines
BREAK = os.environ.get("JARCHI_FAULT_BREAK", "")
ACCOUNTS = ("Alpha", "Beta", "Gamma")
ACCOUNTS_FOR = 20  # scenarios
TEHRAN = ZoneInfo("Asia/Tehran")
# Inside every policy rule, so a campaign of any channel and category may narrow to them.
NARROWED = [None, None, [{"start": "10:00", "end": "13:00"}], [{"start": "18:00", "end": "20:00"}]]
# Smart retry parts of voice campaigns (R-CMP-5). They found a part reserving its calls but not its follow-up
# SMS, whose settlement the ledger then refused (`test_r_bil_3_r_out_3_a_smart_part_reserves_its_follow_ups_…`).
RETRY_PARTS = (0, 0, 0, 1, 2)
RETRY_ON = ["no_answer", "busy", "failed"]

ALWAYS: tuple[FaultKind, ...] = (
    FaultKind.CRASH_BEFORE,
    FaultKind.CRASH_AFTER,
    FaultKind.THROTTLE,
    FaultKind.TIMEOUT,
    FaultKind.TIMEOUT_AFTER,
)
SENDS = (*ALWAYS, FaultKind.DUPLICATE, FaultKind.DUPLICATE, FaultKind.HOLD)
# Where faults may strike, and how. The connector's own answer is never lost after it placed (see the
# module docstring).
FAULT_SITES: dict[str, tuple[FaultKind, ...]] = {
    "CampaignRepository.get": ALWAYS,
    "CampaignRepository.pricing": ALWAYS,
    "CampaignRepository.record_status_change": ALWAYS,
    "CampaignRepository.record_admission": ALWAYS,
    "CampaignRepository.clear_dispatching": (*ALWAYS, FaultKind.HOLD),
    "CampaignRepository.record_results": ALWAYS,
    "CampaignRepository.settle": ALWAYS,
    "RecipientRepository.read_audience": ALWAYS,
    "RecipientRepository.save_all": ALWAYS,
    "RecipientRepository.load_many": ALWAYS,
    "AdCap.claim": ALWAYS,
    "AdCap.release": ALWAYS,
    "SuppressionLists.memberships": ALWAYS,
    "SuppressionLists.add": ALWAYS,
    "MessageQueue.send@dispatch": SENDS,
    "MessageQueue.send@results": SENDS,
    "Connector.place": (FaultKind.CRASH_BEFORE, FaultKind.THROTTLE, FaultKind.TIMEOUT),
}


@dataclass(frozen=True)
class CampaignSpec:
    account: int
    channel: str
    category: str
    recipients: list[int]  # indices into the scenario's numbers
    windows: list[dict[str, str]] | None
    vote: bool
    follow_ups: bool = False  # voice: an SMS on digit 1 (with a vote), on answered, on not answered (R-OUT-3)
    retry_parts: int = 0  # voice: smart retry parts on no_answer, busy and failed (R-CMP-5)

    def body(self, customer: Customer, numbers: Sequence[str]) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": f"{self.channel} {self.category}",
            "channel": self.channel,
            "category": self.category,
            "recipients": [numbers[i] for i in self.recipients],
            "speed_per_hour": 360_000,
        }
        if self.channel == "sms":
            body["sms_text"] = f"{customer.sender}: your code is 1234"
        else:
            body |= {"tts_text": f"Hello from {customer.sender}", "language": "en", "vote": self.vote}
            if self.follow_ups:
                body["follow_ups"] = follow_up_rules(customer.sender, vote=self.vote)
            if self.retry_parts:
                body["retry"] = {"parts": self.retry_parts, "delay_minutes": 5, "on": RETRY_ON}
        if self.windows is not None:
            body["windows"] = self.windows
        return body


# Two owners acting at once (R-CMP-4): the first of a pair reads the campaign and writes last, the second acts in
# between. While it runs (pause, stop, finish) or once it ended (reset, retry_failed, archive).
RACES = (
    ("pause", "finish"),
    ("finish", "pause"),
    ("pause", "stop"),
    ("stop", "finish"),
    ("finish", "stop"),
    ("reset", "archive"),
    ("archive", "reset"),
    ("retry_failed", "archive"),
    ("reset", "retry_failed"),
)


@dataclass(frozen=True)
class Race:
    campaign: int  # index into the scenario's campaigns
    held: str  # reads first, writes last
    prompt: str  # acts in between
    after_steps: int | None  # platform steps before the owners act (past the end: once everything ended;
    # None: as soon as everything waits for the clock, e.g. for a window)


@dataclass(frozen=True)
class Scenario:
    seed: int  # the interleaving and the simulator
    start_minute: int  # Tehran wall clock
    pool: int  # how many numbers the campaigns share
    campaigns: list[CampaignSpec]
    faults: dict[str, dict[str, Any]]
    callbacks: list[tuple[int, int]] = field(default_factory=list)  # (number index, minutes after the end)
    race: Race | None = None
    fixed_lines: bool = False  # every third number a fixed line of one route limited to ROUTE_LIMIT (R-DSP-3)

    def plan(self) -> FaultPlan:
        return FaultPlan.parse(self.faults)


# How many faults a scenario gets, and which call of a method each strikes (most methods are called a few
# times a scenario).
FAULT_COUNTS = (0, 1, 1, 1, 2, 2, 2, 3, 3)
CALL_NUMBERS = (1, 1, 1, 2, 2, 3, 4, 6)


def fault_plan(seed: str) -> dict[str, dict[str, Any]]:
    """0–3 faults drawn uniformly (site, kind, call) from `seed`, which is everything else the example drew.
    Hypothesis's own choices lean to the first of a list and to a few favourite integers (0, 2**32 - 1),
    which would leave some sites and kinds almost never struck."""
    rng = random.Random(seed)
    plan: dict[str, dict[str, Any]] = {}
    for _ in range(rng.choice(FAULT_COUNTS)):
        site = rng.choice(sorted(FAULT_SITES))
        kind = rng.choice(FAULT_SITES[site])
        call = rng.choice(CALL_NUMBERS)
        entry = plan.setdefault(site, {})
        if any(call in numbers for key, numbers in entry.items() if key != "until"):
            continue
        entry.setdefault(kind.value, []).append(call)
        if kind is FaultKind.HOLD and site == "CampaignRepository.clear_dispatching":
            entry["until"] = "record_results"  # the results are applied before the batch is marked sent
    return plan


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    pool = draw(st.integers(2, 12))
    specs = st.builds(
        CampaignSpec,
        account=st.integers(0, len(ACCOUNTS) - 1),
        channel=st.sampled_from(["sms", "voice"]),
        category=st.sampled_from(["advertising", "advertising", "service", "otp"]),
        recipients=st.lists(st.integers(0, pool - 1), min_size=1, max_size=pool, unique=True),
        windows=st.sampled_from(NARROWED),
        vote=st.booleans(),
        follow_ups=st.booleans(),
        retry_parts=st.sampled_from(RETRY_PARTS),
    )
    drawn_campaigns = draw(st.lists(specs, min_size=1, max_size=3))
    # Each campaign of another account (the first one's drawn), so they compete across accounts; OTP is SMS only.
    first = drawn_campaigns[0].account
    campaigns = [
        CampaignSpec(
            (first + i) % len(ACCOUNTS),
            "sms" if c.category == "otp" else c.channel,
            c.category,
            c.recipients,
            c.windows,
            c.vote,
            c.follow_ups,
            c.retry_parts if c.channel == "voice" and c.category != "otp" else 0,
        )
        for i, c in enumerate(drawn_campaigns)
    ]
    # Subscribers calling back after the campaigns ended, inside or outside the hour (R-OUT-4).
    callbacks = draw(st.lists(st.tuples(st.integers(0, pool - 1), st.sampled_from([5, 40, 65, 90])), max_size=2))
    race = draw(
        st.one_of(
            st.none(),
            st.builds(
                lambda pair, campaign, steps: Race(campaign % len(campaigns), *pair, steps),
                st.sampled_from(RACES),
                st.integers(0, 2),
                st.sampled_from([None, 5, 15, 30, 60, MAX_STEPS]),
            ),
        )
    )
    seed = draw(st.integers(0, 2**32 - 1))
    # mostly inside Tehran's advertising windows, sometimes any time of day (the campaign waits)
    start_minute = draw(st.one_of(st.integers(10 * 60, 12 * 60), st.integers(0, 24 * 60 - 1)))
    drawn = f"{seed} {start_minute} {pool} {campaigns!r}"
    return Scenario(
        # the interleaving and the simulator: as diverse as the examples are
        seed=random.Random(drawn).getrandbits(32),
        start_minute=start_minute,
        pool=pool,
        campaigns=campaigns,
        faults=fault_plan(drawn),
        callbacks=sorted(callbacks, key=lambda c: c[1]),
        race=race,
    )


# --- running one scenario ---------------------------------------------------------------------------------


@dataclass
class World:
    """What the scenarios share: moto, the clock, three funded accounts; every scenario gets new numbers."""

    settings: Settings
    clock: LocalClock
    admin: Api
    pollers: dict[str, SqsPoller]
    customers: list[Customer] = field(default_factory=list)
    second_owners: list[Api] = field(default_factory=list)  # another token of each account: its second owner
    serial: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    scenarios: int = 0

    def next_customers(self) -> list[Customer]:
        """The accounts of the next scenario: new ones every ACCOUNTS_FOR scenarios, so that reading an
        account's whole ledger stays cheap."""
        if self.scenarios % ACCOUNTS_FOR == 0:
            self.customers = [new_customer(self.admin, name) for name in ACCOUNTS]
            self.second_owners = [self.admin.as_(self.admin.new_token(c.account_id)) for c in self.customers]
            for customer in self.customers:
                allow_countries(customer.account_id, "IR", "DE")
            # Berlin's range is a known destination: these scenarios are not about the pumping guard.
            DynamoDestinations().remember({"+49151"}, self.clock.now())
        self.scenarios += 1
        return self.customers

    def numbers(self, count: int, *, fixed_lines: bool = False) -> list[str]:
        """Fresh numbers (no cap or list entry from another scenario), alternately Tehran and Berlin mobiles;
        with `fixed_lines`, every third a Tehran fixed line (route `+98-21`, `ROUTE_LIMIT` calls at once)."""
        n = next(self.serial)
        return [
            f"+98218{n % 1000:03d}{i:04d}"
            if fixed_lines and i % 3 == 2
            else f"+98912{n:04d}{i:03d}"
            if i % 2 == 0
            else f"+49151{n:04d}{i:04d}"
            for i in range(count)
        ]

    def fresh_start(self, start_minute: int) -> None:
        """At least a day on, at `start_minute` in Tehran."""
        later = (self.clock.now() + timedelta(days=1)).astimezone(TEHRAN)
        start = later.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1, minutes=start_minute)
        self.clock.advance((start - self.clock.now()).total_seconds())


@dataclass
class Outcome:
    problems: list[str]
    errored: list[str]
    injected: list[str]
    platform: SyncPlatform
    campaign_ids: list[str]
    follow_ups_placed: int = 0
    callbacks: Counter[str] = field(default_factory=Counter)  # connected | refused, as the campaigns count them
    races: list[RaceRecord] = field(default_factory=list)
    route_full: bool = False  # a route held as many calls as its limit at some checkpoint


def run_scenario(
    world: World,
    scenario: Scenario,
    *,
    breakers: Sequence[tuple[type[Any], Any]] = (),
    redelivery_seconds: float = 0,
) -> Outcome:
    customers = world.next_customers()
    world.fresh_start(scenario.start_minute)
    numbers = world.numbers(scenario.pool, fixed_lines=scenario.fixed_lines)
    runs = DriverRuns()
    with ExitStack() as stack:
        stack.enter_context(override(WorkflowRuns, runs))
        connector = stack.enter_context(recording_connector(SimulatorConfig(seed=scenario.seed % 10_000)))
        recipients = ObservedRecipients(resolve(RecipientRepository))
        stack.enter_context(override(RecipientRepository, recipients))
        routes = WatchedRoutes(resolve(RouteCapacity))
        stack.enter_context(override(RouteCapacity, routes))
        ids = []
        for spec in scenario.campaigns:
            customer = customers[spec.account]
            ids.append(create(customer, spec.body(customer, numbers))["id"])
        for kind, wrap in breakers:
            stack.enter_context(override(kind, wrap(resolve(kind))))
        faults = stack.enter_context(injected(scenario.plan()))
        platform = SyncPlatform(
            world.settings,
            world.clock,
            runs,
            rng=random.Random(scenario.seed),
            flush=faults.flush,
            pollers=world.pollers,
            redelivery_seconds=redelivery_seconds,
        )
        races = []
        if scenario.race is None:
            platform.run()
        else:
            race = scenario.race
            platform.run(steps=race.after_steps, until_idle=race.after_steps is None)
            owner = scenario.campaigns[race.campaign].account
            held, prompt = (customers[owner].api, race.held), (world.second_owners[owner], race.prompt)
            races.append(race_owners(ids[race.campaign], held, prompt, faults_struck=lambda: len(faults.log.entries)))
            platform.run()
            tidy_up(customers[owner].api, ids, platform)
        calls_back = call_back(world.clock, numbers, scenario.callbacks, serial=next(world.serial))
        platform.run()
        seen = observe(
            ids,
            runs,
            connector.placed,
            recipients,
            sorted({customers[spec.account].account_id for spec in scenario.campaigns}),
            platform.dead_letters(),
            calls_back,
            races,
            routes,
        )
    errored = [c.id for c in seen.campaigns if c.status is CampaignStatus.ERROR]
    follow_ups = sum(1 for p in seen.placed if follow_up_of(p.attempt_id) is not None)
    connected = sum(c.callbacks for c in seen.campaigns)
    callbacks = Counter({"connected": connected, "refused": len(seen.callbacks) - connected})
    problems = check_invariants(seen)
    full = any(peak >= seen.route_limit for peak in seen.route_peaks.values())
    return Outcome(problems, errored, list(faults.log.entries), platform, ids, follow_ups, callbacks, races, full)


def tidy_up(owner: Api, campaign_ids: Sequence[str], platform: SyncPlatform) -> None:
    """After a race the owner ends what it left open: resumes a paused campaign, finishes a stopped one."""
    repository = DynamoCampaigns()  # the driver's own reads: no fault strikes them
    for _ in range(3):
        acted = False
        for campaign_id in campaign_ids:
            campaign = repository.get(campaign_id)
            assert campaign is not None
            action = {CampaignStatus.PAUSED: "resume", CampaignStatus.STOPPED: "finish"}.get(campaign.status)
            if action is not None:
                for _ in range(3):  # as any client does after a 5xx (an injected crash mid-request)
                    if owner.post(f"/v1/campaigns/{campaign_id}/{action}").status < 500:
                        break
                acted = True
        if not acted:
            return
        platform.run()


@pytest.fixture
def world(aws: Settings, admin: Api, clock: LocalClock, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    # A route small enough that the scenarios' fixed lines fill it (R-DSP-3: the `route` invariant).
    monkeypatch.setenv("JARCHI_ROUTE_MAX_CONCURRENT_CALLS", str(ROUTE_LIMIT))
    reset_settings()
    with faster_moto():
        yield World(get_settings(), clock, admin, make_pollers(aws))
    monkeypatch.undo()
    reset_settings()


# --- deliberately broken adapters (the checker must notice) ---------------------------------------------


class NoAdCap:
    """Breaks R-CPL-2: every claim is granted and nothing is stored."""

    def __init__(self, inner: AdCap) -> None:
        self.inner = inner

    def claim(self, number: str, *, attempt_id: str, campaign_id: str, now: Any, reuse: bool = False) -> bool:
        return True

    def release(self, number: str, attempt_id: str) -> None:
        return None


class ChargeTwice:
    """Breaks R-BIL-3: every results batch's charge is booked a second time (under another batch id)."""

    def __init__(self, inner: CampaignRepository) -> None:
        self.inner = inner

    def record_results(
        self, campaign_id: str, batch_id: str, *, applied: int, charged: int, finals: Mapping[str, int], **more: Any
    ) -> bool:
        first = self.inner.record_results(
            campaign_id, batch_id, applied=applied, charged=charged, finals=finals, **more
        )
        if first:
            self.inner.record_results(campaign_id, f"{batch_id}#again", applied=0, charged=charged, finals={})
        return first

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class NoRouteLimit:
    """Breaks R-DSP-3: every take asks the shards for ten times the route's limit."""

    def __init__(self, inner: RouteCapacity) -> None:
        self.inner = inner

    def take(self, route: str, holder: str, wanted: int, limit: int, now: Any) -> list[int]:
        return self.inner.take(route, holder, wanted, limit * 10, now)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


BREAKERS: dict[str, tuple[type[Any], Any]] = {
    "adcap": (AdCap, NoAdCap),
    "double-charge": (CampaignRepository, ChargeTwice),
    "routes": (RouteCapacity, NoRouteLimit),
}


@dataclass
class Tally:
    """What the scenarios reached, printed at the end (`-s`) and checked: the harness did inject."""

    scenarios: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    sites: Counter[str] = field(default_factory=Counter)
    situations: Counter[str] = field(default_factory=Counter)

    def add(self, outcome: Outcome) -> None:
        self.scenarios += 1
        for entry in outcome.injected:
            site, _, kind = entry.partition(" ")
            self.kinds[kind] += 1
            self.sites[site.split("#")[0]] += 1
        situations = {
            "campaigns ended in error (a task and its retry both failed)": bool(outcome.errored),
            "scenarios with a queue message redelivered": outcome.platform.message_failures > 0,
            "scenarios with a workflow task retried": outcome.platform.task_failures > 0,
            "scenarios waiting for a window or the pace": outcome.platform.clock_moves > 1,
            "scenarios with follow-up SMS": outcome.follow_ups_placed > 0,
            "scenarios with a callback connected": outcome.callbacks["connected"] > 0,
            "scenarios with a callback refused": outcome.callbacks["refused"] > 0,
            "scenarios with a route full": outcome.route_full,
            "scenarios with two owners at once, one overtaken (409)": any(
                r.reached and r.prompt_answer[0] < 300 for r in outcome.races
            ),
        }
        for situation, reached in situations.items():
            self.situations[situation] += reached
            if reached:
                event(situation)

    def report(self) -> str:
        lines = [f"{self.scenarios} scenarios, {sum(self.kinds.values())} faults injected"]
        lines += [f"  {kind}: {count}" for kind, count in sorted(self.kinds.items())]
        lines += [f"  at {site}: {count}" for site, count in sorted(self.sites.items())]
        lines += [f"  {situation}: {count}" for situation, count in self.situations.items()]
        return "\n".join(lines)


# --- the tests ---------------------------------------------------------------------------------------------


def test_r_dsp_1_r_cpl_1_2_r_bil_1_3_random_faults_lose_nothing_and_do_nothing_twice(world: World) -> None:
    breakers = [BREAKERS[BREAK]] if BREAK else []
    tally = Tally()

    @settings(
        max_examples=SCENARIOS,
        derandomize=True,
        deadline=None,
        database=None,
        # No shrinking: the examples share moto; the failing one is reported as drawn (with `note`).
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(scenario=scenarios())
    def check(scenario: Scenario) -> None:
        note(f"faults: {scenario.plan().as_json()}")
        outcome = run_scenario(world, scenario, breakers=breakers)
        note(f"injected: {outcome.injected}; task errors: {[e.errors for e in outcome.platform.runs.executions]}")
        tally.add(outcome)
        assert outcome.problems == []

    check()
    print(tally.report())
    # The harness did what it says: every kind of fault struck somewhere, and most scenarios had one.
    assert set(tally.kinds) == {kind.value for kind in FaultKind}, tally.report()
    assert tally.situations["scenarios with a queue message redelivered"] > 0, tally.report()
    assert tally.situations["scenarios with a workflow task retried"] > 0, tally.report()
    for outcome_around_calls in (
        "follow-up SMS",
        "a callback connected",
        "a callback refused",
        "two owners at once, one overtaken (409)",
    ):
        assert tally.situations[f"scenarios with {outcome_around_calls}"] > 0, tally.report()


AD_RACE = Scenario(
    seed=7,
    start_minute=11 * 60,
    pool=4,
    campaigns=[
        CampaignSpec(0, "sms", "advertising", [0, 1, 2, 3], None, vote=False),
        CampaignSpec(1, "voice", "advertising", [3, 2, 1, 0], None, vote=False),
    ],
    faults={},
)


def test_the_scenario_without_faults_or_breakers_is_clean(world: World) -> None:
    outcome = run_scenario(world, AD_RACE)
    assert outcome.problems == [] and outcome.errored == []


def test_the_checker_reports_a_skipped_ad_cap_claim(world: World) -> None:
    # WHEN the ad-cap port grants every claim: two accounts' ads reach the same numbers
    outcome = run_scenario(world, AD_RACE, breakers=[BREAKERS["adcap"]])
    # THEN the checker names the broken invariant
    assert any(p.startswith("ad cap: ") for p in outcome.problems), outcome.problems


def test_the_checker_reports_a_results_batch_charged_twice(world: World) -> None:
    outcome = run_scenario(world, AD_RACE, breakers=[BREAKERS["double-charge"]])
    assert any(p.startswith("money: ") for p in outcome.problems), outcome.problems


# Campaigns of two accounts racing for one route's fixed lines (R-DSP-3) while faults strike where a slot is
# taken, carried or given back: the admission write, the dispatch and results messages, the results write.
# (A fault that loses a result holds its slot until the hold expires, 15 minutes of platform clock that the
# route's admission re-checks every 10 s: right, but minutes of real time here; those stay for the nightly run.)
ROUTE_FAULTS: tuple[dict[str, dict[str, Any]], ...] = (
    {
        "CampaignRepository.record_admission": {"crash_after": [1]},
        "MessageQueue.send@dispatch": {"duplicate": [2]},
        "MessageQueue.send@results": {"duplicate": [1, 2]},
    },
)


@pytest.mark.skipif(
    not os.environ.get("JARCHI_FAULT_ROUTES"),
    reason="≈30 CPU s (the route's waits replay many admissions): nightly, with JARCHI_FAULT_ROUTES=1",
)
def test_r_dsp_3_racing_campaigns_under_faults_never_hold_a_route_above_its_limit(world: World) -> None:
    for faults in ROUTE_FAULTS:  # one world for all: a scenario costs less than a new moto
        scenario = Scenario(
            seed=11,
            start_minute=11 * 60,
            pool=9,
            campaigns=[
                CampaignSpec(0, "voice", "service", [2, 5, 8, 0, 1], None, vote=False, retry_parts=1),
                CampaignSpec(1, "voice", "advertising", [8, 5, 2, 3, 4], None, vote=True, follow_ups=True),
            ],
            faults=faults,
            fixed_lines=True,
        )
        outcome = run_scenario(world, scenario)
        assert outcome.problems == [], (faults, outcome.problems)
        assert outcome.route_full, faults  # the route did fill up: the limit was what held the calls back


def test_the_checker_reports_a_route_over_its_limit(world: World) -> None:
    # GIVEN a voice campaign to 3 of the route's fixed lines (every third number) and a route limited to 2
    calls = Scenario(
        seed=3,
        start_minute=11 * 60,
        pool=9,
        campaigns=[CampaignSpec(0, "voice", "service", list(range(9)), None, vote=False)],
        faults={},
        fixed_lines=True,
    )
    assert run_scenario(world, calls).problems == []  # the adapter keeps the limit
    # WHEN the adapter ignores the limit THEN the checker names the broken invariant
    outcome = run_scenario(world, calls, breakers=[BREAKERS["routes"]])
    assert any(p.startswith("route: ") for p in outcome.problems), outcome.problems


@pytest.mark.xfail(strict=True, reason="known gap, reported: an ambiguous connector timeout places again")
def test_an_ambiguous_connector_timeout_does_not_place_the_batch_again(world: World) -> None:
    """Not drawn by the random scenarios. The connector placed the batch, then its answer was lost (a
    timeout). The dispatch handler's idempotency record is dropped with the error, SQS redelivers, and the
    batch is placed a second time: the checker reports `placed twice`. Only a connector that takes the
    attempt id as an idempotency key (the HTTPS one does), or placing only the attempts a connector reports
    as not placed, closes this."""
    scenario = Scenario(
        seed=3,
        start_minute=11 * 60,
        pool=2,
        campaigns=[CampaignSpec(0, "sms", "service", [0, 1], None, vote=False)],
        faults={"Connector.place": {"timeout_after": 1}},
    )
    outcome = run_scenario(world, scenario)
    assert outcome.injected == ["Connector.place#1 timeout_after"]
    assert outcome.problems == []


def test_a_campaign_the_workflow_gave_up_on_can_be_finished_and_its_reservation_returned(world: World) -> None:
    """The Admit task and its one retry both fail (two throttled admission writes): Step Functions gives up
    and `fail` marks the campaign `error`; its reservation stays until the owner finishes it, which returns it
    (a gap the harness found: `finish` did not take `error`, so the credit stayed reserved for good)."""
    scenario = Scenario(
        seed=5,
        start_minute=11 * 60,
        pool=2,
        campaigns=[CampaignSpec(0, "sms", "service", [0, 1], None, vote=False)],
        faults={"CampaignRepository.record_admission": {"throttle": [1, 2]}},
    )
    outcome = run_scenario(world, scenario)
    (campaign_id,) = outcome.campaign_ids
    assert outcome.errored == [campaign_id] and outcome.problems == []
    owner = world.customers[0]
    finished = owner.api.post(f"/v1/campaigns/{campaign_id}/finish")
    assert finished.status == 200, finished.body
    assert ledger.get_balance(owner.account_id).reserved == 0


@pytest.mark.xfail(strict=True, reason="known gap, reported: placing does not check the window again")
def test_a_dispatch_redelivered_after_its_window_closed_is_not_placed_outside_it(world: World) -> None:
    """The random scenarios redeliver a failed message at once (as the local runtime does). In the cloud it
    comes back after the dispatch queue's visibility timeout, 120 s: a batch admitted at 12:59 inside a
    10:00–13:00 window whose first placing fails (the provider times out) is placed at 13:01, outside the
    window: admission checks the window, placing does not check it again (R-CPL-1)."""
    scenario = Scenario(
        seed=11,
        start_minute=12 * 60 + 59,
        pool=2,
        campaigns=[CampaignSpec(0, "sms", "service", [0], [{"start": "10:00", "end": "13:00"}], vote=False)],
        faults={"Connector.place": {"timeout": 1}},
    )
    outcome = run_scenario(world, scenario, redelivery_seconds=DISPATCH_QUEUE.visibility_timeout_seconds)
    assert outcome.injected == ["Connector.place#1 timeout"]
    assert outcome.problems == []


# --- two owners at once (R-CMP-4) ----------------------------------------------------------------------------

# An SMS campaign waiting for its evening window (nothing in flight: `finish` is allowed), or one that ended.
WAITING = [{"start": "18:00", "end": "20:00"}]


@pytest.mark.parametrize(
    ("held", "prompt", "after_steps", "winner_status"),
    [
        ("pause", "finish", None, "finished"),
        ("finish", "pause", None, "paused"),
        ("archive", "reset", MAX_STEPS, "running"),
        ("reset", "archive", MAX_STEPS, "archived"),
    ],
)
def test_r_cmp_4_two_owners_at_once_one_wins_the_other_409_and_no_run_is_orphaned(
    world: World, held: str, prompt: str, after_steps: int | None, winner_status: str
) -> None:
    # GIVEN two owners of one account who both read the campaign, then act: `prompt` first, `held` after
    scenario = Scenario(
        seed=13,
        start_minute=11 * 60,
        pool=4,
        campaigns=[CampaignSpec(0, "sms", "service", [0, 1, 2, 3], WAITING, vote=False)],
        faults={},
        race=Race(0, held, prompt, after_steps),
    )
    outcome = run_scenario(world, scenario)
    (race,) = outcome.races
    # THEN the second to write is refused with 409 naming the status the first left, and changed nothing
    assert race.reached and race.prompt_answer[0] == 200, (race.held_answer, race.prompt_answer, race.before)
    assert race.after_prompt.status.value == winner_status
    error = race.held_answer[1]["error"]
    assert (race.held_answer[0], error["code"], error["status"]) == (409, "action_not_allowed", winner_status)
    # AND every invariant holds at the end: money, one final status each, no orphaned workflow run
    assert outcome.problems == [] and outcome.errored == []


# --- a smart part's follow-ups (R-CMP-5, R-OUT-3, R-BIL-3) --------------------------------------------------

EVERYONE_ANSWERS = VoiceRates(answered=1, no_answer=0, busy=0, unreachable=0, failed=0, answering_machine=0)


def test_r_bil_3_r_out_3_a_smart_part_reserves_its_follow_ups_and_settles_exactly(world: World) -> None:
    """Found by the random scenarios with smart parts drawn: a smart part reserved its calls only, so its
    follow-up SMS (here: nobody answered in part 0, everyone in part 1, and the `answered` rule fires in part 1
    only) charged more than the part held and its settlement was refused by the ledger's balance condition."""
    (owner, *_), numbers, runs = world.next_customers(), world.numbers(4), DriverRuns()
    world.fresh_start(11 * 60)
    nobody = SimulatorConfig(seed=1, overrides=dict.fromkeys(numbers, "no_answer"))
    with override(WorkflowRuns, runs), recording_connector(nobody) as connector:
        recipients = ObservedRecipients(resolve(RecipientRepository))
        with override(RecipientRepository, recipients):
            spec = CampaignSpec(0, "voice", "service", [0, 1, 2, 3], None, vote=False, follow_ups=True, retry_parts=1)
            campaign_id = create(owner, spec.body(owner, numbers))["id"]
            platform = SyncPlatform(world.settings, world.clock, runs, rng=random.Random(1), pollers=world.pollers)
            # WHEN part 0 ends with nobody answering (a `not_answered` SMS each) and everyone answers part 1
            platform.run(until_idle=True)
            connector.inner = SimulatorConnector(SimulatorConfig(seed=1, voice=EVERYONE_ANSWERS))
            platform.run()
            dead_letters = platform.dead_letters()
            seen = observe([campaign_id], runs, connector.placed, recipients, [owner.account_id], dead_letters)
    # THEN the campaign settled both parts, each follow-up paid from a reservation that held it
    (campaign,) = seen.campaigns
    assert [p.kind.value for p in campaign.all_parts()] == ["send", "retry"]
    assert sum(1 for p in seen.placed if follow_up_of(p.attempt_id) is not None) == 8
    assert check_invariants(seen) == []


def test_a_campaign_whose_prepare_gave_up_is_marked_error_not_left_accepted(world: World) -> None:
    """Found by a 300-scenario run: Prepare failed twice (both injected) before moving the campaign to
    `running`, and `fail` only marked running campaigns: it stayed `accepted`, reserved, with no run."""
    scenario = Scenario(
        seed=17,
        start_minute=11 * 60,
        pool=2,
        campaigns=[CampaignSpec(0, "sms", "service", [0, 1], None, vote=False)],
        faults={
            "CampaignRepository.record_status_change": {"crash_before": 1},
            "CampaignRepository.get": {"crash_after": 2},
        },
    )
    outcome = run_scenario(world, scenario)
    assert outcome.errored == outcome.campaign_ids and outcome.problems == []


def test_r_cmp_4_a_resume_cut_short_after_its_status_write_is_completed_by_the_owners_retry(
    world: World,
) -> None:
    """Found by the random scenarios: the owner's `resume` wrote `running` with a new run and its request died
    before starting the run's workflow (5xx); the campaign showed `running` with nothing running it. The
    owner's retry (as a client does after a 5xx) now starts that run instead of answering 409."""
    scenario = Scenario(
        seed=13,
        start_minute=11 * 60,
        pool=4,
        campaigns=[CampaignSpec(0, "sms", "service", [0, 1, 2, 3], WAITING, vote=False)],
        faults={"CampaignRepository.record_status_change": {"crash_after": [RESUME_WRITE]}},
        race=Race(0, "finish", "pause", None),
    )
    outcome = run_scenario(world, scenario)
    assert outcome.injected == [f"CampaignRepository.record_status_change#{RESUME_WRITE} crash_after"]
    assert outcome.problems == [] and outcome.errored == []


# Prepare's two writes (running, then waiting for the window), the prompt owner's pause, the tidy-up's resume
RESUME_WRITE = 4
