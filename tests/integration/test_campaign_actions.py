"""Campaign lifecycle actions and scheduled starts on the whole local platform, through the API as a customer
(issue 5: R-CMP-2, R-CMP-3, R-CMP-4, R-BIL-3).

- a scheduled campaign starts by itself at `start_at` (the local EventBridge Scheduler loop), not before;
- `auto_start: false` waits for the owner's `start`;
- pause and resume while the workflow waits for a window: the execution left behind by the pause must not
  place anything twice nor put the campaign in `error`;
- stop, then finish: nothing more is placed, the whole reservation comes back;
- finish while an attempt is in flight is `campaign_in_flight`; once the results are in it finishes;
- an action the status does not allow is `action_not_allowed` and changes nothing.

The driver here (`_drive`) finds a campaign's executions through Step Functions itself, not through the
campaign item's `execution_arn` (one execution per campaign: a schedule's, or a stale one left behind by
a pause, would be missed), and moves the frozen clock only when every running execution of the campaign
sits in its Wait state with nothing in flight.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import cache, partial
from typing import Any

import boto3
import pytest

from jarchi.clock import LocalClock
from jarchi.connectors.simulator import SimulatorConfig, SmsRates
from jarchi.store import ledger
from jarchi.store.campaigns import CampaignItem
from local.runtime import LocalRuntime
from tests.api import Api, assert_error
from tests.campaign_harness import (
    Customer,
    RecordingConnector,
    assert_ledger_exact,
    assert_reconciled,
    create,
    new_customer,
    recipients_of,
    recording_connector,
    run_to_end,
)

DEADLINE_SECONDS = 30.0
POLL_SECONDS = 0.05
FIRING_SECONDS = 5.0  # the scheduler loop looks every 0.1 s
FAST = 360_000
NUMBERS = [f"+98912{i:07d}" for i in range(1, 7)]
ALL_DELIVERED = SmsRates(DELIVRD=1, UNDELIV=0, EXPIRED=0, REJECTD=0, NOREPORT=0, FAILED=0)
# At 10:00 (Tehran, the fixture's clock) this window is shut; it opens in an hour.
LATER_WINDOW = [{"start": "11:00", "end": "13:00"}]
LATENCY_SECONDS = 60


@pytest.fixture
def shop(admin: Api, platform: LocalRuntime) -> Customer:
    return new_customer(admin, "Shop")


def _body(customer: Customer, recipients: list[str] = NUMBERS, **extra: Any) -> dict[str, Any]:
    """A service SMS (open 07:00-23:00), naming its sender as R-SMS-1 wants."""
    return {
        "name": "Order ready",
        "channel": "sms",
        "category": "service",
        "sms_text": f"{customer.sender}: your order is ready",
        "recipients": recipients,
        "speed_per_hour": FAST,
        **extra,
    }


def _get(customer: Customer, campaign_id: str) -> dict[str, Any]:
    response = customer.api.get(f"/v1/campaigns/{campaign_id}")
    assert response.status == 200, response.body
    campaign: dict[str, Any] = response.json()
    return campaign


def _act(customer: Customer, campaign_id: str, action: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    response = customer.api.post(f"/v1/campaigns/{campaign_id}/{action}", body)
    assert response.status == 200, (action, response.status, response.body)
    campaign: dict[str, Any] = response.json()
    return campaign


def _statuses(campaign: dict[str, Any]) -> list[str]:
    return [h["status"] for h in campaign["history"]]


def _poll(what: str, check: Callable[[], Any], deadline_seconds: float = DEADLINE_SECONDS) -> Any:
    """Poll `check` until it answers something truthy; fail naming `what` at the deadline."""
    deadline = time.monotonic() + deadline_seconds
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(POLL_SECONDS)
    raise AssertionError(f"{what} did not happen within {deadline_seconds} s (last: {last!r})")


def _light(campaign_id: str) -> CampaignItem:
    return CampaignItem.get(
        campaign_id,
        consistent_read=True,
        attributes_to_get=["id", "status", "in_flight", "reconciled", "next_seq", "execution_arn"],
    )


def _campaign_ledger(customer: Customer, campaign_id: str) -> list[tuple[str, int, str | None]]:
    return sorted(
        (e.type.value, e.amount, e.reference)
        for e in ledger.all_entries(customer.account_id)
        if e.campaign_id == campaign_id
    )


# --- the campaign's workflow executions, found through Step Functions -------------------------------------


@cache
def _sfn(region: str) -> Any:
    return boto3.client("stepfunctions", region_name=region)


def _executions(platform: LocalRuntime, campaign_id: str, status: str | None = None) -> list[str]:
    """ARNs of the campaign's executions (optionally only those in `status`), however they were started."""
    client = _sfn(platform.settings.region)
    kwargs: dict[str, Any] = {"stateMachineArn": platform.state_machine_arn}
    if status is not None:
        kwargs["statusFilter"] = status
    arns = [
        e["executionArn"]
        for page in client.get_paginator("list_executions").paginate(**kwargs)
        for e in page["executions"]
    ]
    found = []
    for arn in arns:
        # not cached: an ARN is not unique across tests (the scheduler's executions are all named "None")
        described = client.describe_execution(executionArn=arn)
        if json.loads(described.get("input") or "{}").get("campaign_id") == campaign_id:
            found.append(arn)
    return found


def _waiting_until(platform: LocalRuntime, execution_arn: str) -> datetime | None:
    """The instant the execution waits for, if it sits in its Wait state now (else None)."""
    events = _sfn(platform.settings.region).get_execution_history(executionArn=execution_arn)["events"]
    if not events:
        return None
    last = max(events, key=lambda event: event["id"])
    if last["type"] != "WaitStateEntered":
        return None
    return datetime.fromisoformat(json.loads(last["stateEnteredEventDetails"]["input"])["resume_at"])


def _all_waiting(platform: LocalRuntime, campaign_id: str) -> datetime | None:
    """The earliest resume_at when every running execution of the campaign waits with nothing in flight."""
    if int(_light(campaign_id).in_flight) != 0:
        return None
    running = _executions(platform, campaign_id, "RUNNING")
    resumes = [_waiting_until(platform, arn) for arn in running]
    if not running or any(r is None for r in resumes):
        return None
    return min(r for r in resumes if r is not None)


def _drive(platform: LocalRuntime, clock: LocalClock, campaign_id: str) -> CampaignItem:
    """Until the campaign is reconciled: whenever all its executions wait with nothing in flight, move the
    clock straight to the earliest resume_at. Fails at once if it lands in `error`."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        state = _light(campaign_id)
        assert state.status != "error", f"campaign {campaign_id} is in error"
        if state.reconciled:
            return CampaignItem.get(campaign_id, consistent_read=True)
        resume_at = _all_waiting(platform, campaign_id)
        if resume_at is not None:
            clock.advance(max(0.0, (resume_at - clock.now()).total_seconds()))
        time.sleep(POLL_SECONDS)
    state = _light(campaign_id)
    raise AssertionError(f"campaign {campaign_id} did not finish: {state.status}, in flight {state.in_flight}")


def _executions_settle(platform: LocalRuntime, clock: LocalClock, campaign_id: str) -> None:
    """Every execution of the campaign has ended (the clock moved on to any Wait they sit in), and none
    of them failed."""

    def ended() -> bool:
        running = _executions(platform, campaign_id, "RUNNING")
        resumes = [_waiting_until(platform, arn) for arn in running]
        if running and all(r is not None for r in resumes):
            latest = max(r for r in resumes if r is not None)
            clock.advance(max(0.0, (latest - clock.now()).total_seconds()))
        return not running

    _poll(f"the executions of {campaign_id} ending", ended)
    assert _executions(platform, campaign_id, "FAILED") == []


def _failed_tasks(platform: LocalRuntime, campaign_id: str) -> dict[str, int]:
    """Per execution of the campaign, how many of its task attempts failed (retried or not)."""
    client = _sfn(platform.settings.region)
    failed = {}
    for arn in _executions(platform, campaign_id):
        events = client.get_execution_history(executionArn=arn)["events"]
        count = sum(1 for event in events if event["type"] in ("TaskFailed", "LambdaFunctionFailed"))
        if count:
            failed[arn.rsplit(":", 1)[-1]] = count
    return failed


def _schedules(platform: LocalRuntime) -> list[str]:
    client = boto3.client("scheduler", region_name=platform.settings.region)
    pages = client.get_paginator("list_schedules").paginate(GroupName=platform.settings.scheduler_group)
    return [s["Name"] for page in pages for s in page["Schedules"]]


def _waiting_for_window(platform: LocalRuntime, customer: Customer, campaign_id: str) -> dict[str, Any]:
    """The campaign is `waiting_window` and its workflow sits in the Wait for the opening."""
    _poll("the campaign waiting for its window", lambda: _get(customer, campaign_id)["status"] == "waiting_window")
    _poll("the workflow waiting", lambda: _all_waiting(platform, campaign_id))
    return _get(customer, campaign_id)


# --- R-CMP-2: scheduled starts --------------------------------------------------------------------------


def test_r_cmp_2_a_scheduled_campaign_starts_by_itself_at_its_time(
    shop: Customer, platform: LocalRuntime, clock: LocalClock
) -> None:
    # GIVEN a campaign created at 10:00 to start at 11:00
    start_at = clock.now() + timedelta(hours=1)
    with recording_connector(SimulatorConfig(seed=1)) as connector:
        created = create(shop, _body(shop, start_at=start_at.isoformat()))
        campaign_id = created["id"]
        assert created["status"] == "scheduled"
        assert _statuses(created) == ["accepted", "scheduled"]
        assert created["cost"]["reserved"] == created["cost"]["estimated"] > 0
        assert _schedules(platform) == [f"start-{campaign_id}"]

        # WHEN the clock moves on, but not to start_at
        clock.advance(59 * 60)
        # THEN a scheduler pass fires nothing, no workflow runs and nothing is placed
        assert platform.scheduler is not None
        assert platform.scheduler.fire_due_schedules() == 0
        assert _executions(platform, campaign_id) == []
        assert connector.placed == []
        assert _get(shop, campaign_id)["status"] == "scheduled"

        # WHEN the clock passes start_at: the scheduler loop (nobody calls it) starts the campaign
        clock.advance(2 * 60)
        _poll("the schedule firing", partial(_executions, platform, campaign_id), FIRING_SECONDS)
        item = _drive(platform, clock, campaign_id)

    # THEN it ran to the end and reconciled exactly, everything placed after start_at, each once
    assert_reconciled(item)
    assert_ledger_exact([shop.account_id])
    assert sorted(p.number for p in connector.placed) == sorted(NUMBERS)
    assert all(p.placed_at >= start_at for p in connector.placed)
    assert set(connector.placements_per_attempt().values()) == {1}
    done = _get(shop, campaign_id)
    assert _statuses(done) == ["accepted", "scheduled", "running", "finished"]
    assert [h["actor"] for h in done["history"][2:]] == ["system", "system"]
    # the one-time schedule deleted itself after firing; exactly one execution ran, and it succeeded
    assert _schedules(platform) == []
    _executions_settle(platform, clock, campaign_id)
    assert len(_executions(platform, campaign_id)) == 1
    # the campaign knows the execution the scheduler started (what run_to_end and ops follow)
    assert item.execution_arn == _executions(platform, campaign_id)[0], "a scheduled start left no execution_arn"


def test_r_cmp_2_two_campaigns_scheduled_for_the_same_time_both_start(
    shop: Customer, platform: LocalRuntime, clock: LocalClock
) -> None:
    """Each schedule's execution has its own name (moto's ASL engine names an unnamed one "None", so a
    second scheduled start used to collide with the first and its campaign stayed `scheduled`)."""
    # GIVEN two campaigns scheduled for 11:00 and one for 11:30
    start_at = clock.now() + timedelta(hours=1)
    with recording_connector(SimulatorConfig(seed=8)) as connector:
        ids = [
            create(shop, _body(shop, NUMBERS[:2], start_at=start_at.isoformat()))["id"],
            create(shop, _body(shop, NUMBERS[2:4], start_at=start_at.isoformat()))["id"],
            create(shop, _body(shop, NUMBERS[4:], start_at=(start_at + timedelta(minutes=30)).isoformat()))["id"],
        ]
        # WHEN the clock passes both times
        clock.advance(2 * 3600)
        # THEN each of them starts by itself and runs to the end
        for campaign_id in ids:
            _poll(f"the schedule of {campaign_id} firing", partial(_executions, platform, campaign_id), FIRING_SECONDS)
            assert_reconciled(_drive(platform, clock, campaign_id))
    assert sorted(p.number for p in connector.placed) == sorted(NUMBERS)
    assert_ledger_exact([shop.account_id])


def _scheduled_in_an_hour(shop: Customer, clock: LocalClock) -> dict[str, Any]:
    """A campaign created now (10:00) to start at 11:00, with its schedule waiting."""
    return create(shop, _body(shop, start_at=(clock.now() + timedelta(hours=1)).isoformat()))


def test_r_cmp_4_starting_a_scheduled_campaign_by_hand_drops_its_schedule(
    shop: Customer, platform: LocalRuntime, clock: LocalClock
) -> None:
    # GIVEN a campaign scheduled for 11:00, started by its owner at 10:00
    with recording_connector(SimulatorConfig(seed=2)) as connector:
        created = _scheduled_in_an_hour(shop, clock)
        started = _act(shop, created["id"], "start")
        assert _statuses(started)[-1] in ("running", "finished")
        assert started["history"][2]["actor"] == f"account:{shop.account_id}"
        item = _drive(platform, clock, created["id"])
        assert_reconciled(item)
        # THEN its schedule is gone ...
        assert _schedules(platform) == [], "the schedule of a campaign started by hand was not deleted"
        # ... and when 11:00 comes nothing starts it again
        clock.advance(2 * 3600)
        assert platform.scheduler is not None
        assert platform.scheduler.fire_due_schedules() == 0
        _executions_settle(platform, clock, created["id"])
    assert len(_executions(platform, created["id"])) == 1
    assert set(connector.placements_per_attempt().values()) == {1} and len(connector.placed) == len(NUMBERS)
    assert _get(shop, created["id"])["status"] == "finished"


def test_r_cmp_4_stopping_a_scheduled_campaign_drops_its_schedule_and_finish_refunds(
    shop: Customer, platform: LocalRuntime, clock: LocalClock
) -> None:
    # GIVEN a campaign scheduled for 11:00, stopped by its owner at 10:00
    with recording_connector(SimulatorConfig(seed=7)) as connector:
        created = _scheduled_in_an_hour(shop, clock)
        stopped = _act(shop, created["id"], "stop")
        assert stopped["status"] == "stopped"
        # THEN its schedule is gone, and when 11:00 comes nothing runs or is placed
        assert _schedules(platform) == [], "the schedule of a stopped campaign was not deleted"
        clock.advance(2 * 3600)
        assert platform.scheduler is not None
        assert platform.scheduler.fire_due_schedules() == 0
        assert _executions(platform, created["id"]) == []
        assert connector.placed == []
        # AND finishing it gives the whole reservation back
        finished = _act(shop, created["id"], "finish")
    assert _statuses(finished) == ["accepted", "scheduled", "stopped", "finished"]
    assert finished["cost"]["charged"] == 0 and finished["cost"]["refunded"] == created["cost"]["reserved"]
    assert_ledger_exact([shop.account_id])


# --- R-CMP-4: start -----------------------------------------------------------------------------------------


def test_r_cmp_4_a_campaign_without_auto_start_waits_for_its_owner(
    shop: Customer, platform: LocalRuntime, clock: LocalClock
) -> None:
    with recording_connector(SimulatorConfig(seed=3)) as connector:
        # GIVEN a campaign created with auto_start false
        created = create(shop, _body(shop, auto_start=False))
        campaign_id = created["id"]
        assert created["status"] == "accepted" and _statuses(created) == ["accepted"]
        assert created["cost"]["reserved"] == created["cost"]["estimated"] > 0
        # WHEN time passes
        clock.advance(3600)
        assert platform.scheduler is not None
        assert platform.scheduler.fire_due_schedules() == 0
        # THEN nothing runs it
        assert _executions(platform, campaign_id) == []
        assert connector.placed == []
        assert _get(shop, campaign_id)["status"] == "accepted"

        # WHEN its owner starts it
        started = _act(shop, campaign_id, "start")
        assert started["history"][1]["status"] == "running"
        assert started["history"][1]["actor"] == f"account:{shop.account_id}"
        item = _drive(platform, clock, campaign_id)

    # THEN it runs to the end and reconciles exactly
    assert_reconciled(item)
    assert_ledger_exact([shop.account_id])
    assert sorted(p.number for p in connector.placed) == sorted(NUMBERS)
    assert set(connector.placements_per_attempt().values()) == {1}
    assert _statuses(_get(shop, campaign_id)) == ["accepted", "running", "finished"]
    _executions_settle(platform, clock, campaign_id)


# --- R-CMP-3/4: pause and resume ------------------------------------------------------------------------


def test_r_cmp_4_pause_and_resume_while_waiting_for_the_window_places_each_recipient_once(
    shop: Customer, platform: LocalRuntime, clock: LocalClock
) -> None:
    with recording_connector(SimulatorConfig(seed=4, sms=ALL_DELIVERED)) as connector:
        # GIVEN at 10:00 a campaign whose only window opens at 11:00: its workflow waits for it
        created = create(shop, _body(shop, windows=LATER_WINDOW))
        campaign_id = created["id"]
        waiting = _waiting_for_window(platform, shop, campaign_id)
        assert waiting["stats"]["pending"] == len(NUMBERS)
        assert len(_executions(platform, campaign_id, "RUNNING")) == 1

        # WHEN its owner pauses it
        paused = _act(shop, campaign_id, "pause")
        # THEN it is paused, and the history says who did it
        assert paused["status"] == "paused"
        change = paused["history"][-1]
        assert change["status"] == "paused" and change["actor"] == f"account:{shop.account_id}"
        assert "reason" in change and change["at"]

        # WHEN it is resumed while the first execution still waits for the window
        resumed = _act(shop, campaign_id, "resume")
        assert resumed["status"] in ("running", "waiting_window")
        assert resumed["history"][-1]["actor"] == f"account:{shop.account_id}"
        # THEN the new run finds the window closed and waits too
        _waiting_for_window(platform, shop, campaign_id)
        assert connector.placed == []

        # the paused run's execution may still be waiting beside the new one: the case this test is about
        assert 1 <= len(_executions(platform, campaign_id, "RUNNING")) <= 2

        # WHEN the window opens (both the old and the new execution wake up)
        item = _drive(platform, clock, campaign_id)
        _executions_settle(platform, clock, campaign_id)
        # the execution left behind by the pause did not compete with the new one: no task of either
        # failed (a lost race for the admission pointer is a failed, retried task; twice is `error`)
        assert _failed_tasks(platform, campaign_id) == {}

    # THEN every recipient was placed exactly once, inside the window, and the campaign reconciled exactly
    assert sorted(p.number for p in connector.placed) == sorted(NUMBERS)
    assert set(connector.placements_per_attempt().values()) == {1}
    opening = datetime.fromisoformat("2026-03-02T11:00:00+03:30")
    assert all(p.placed_at >= opening for p in connector.placed)
    item = CampaignItem.get(campaign_id, consistent_read=True)
    assert item.status == "finished", item.status
    assert_reconciled(item)
    assert all(int(r.attempts) == 1 for r in recipients_of(item))
    assert_ledger_exact([shop.account_id])
    history = _statuses(_get(shop, campaign_id))
    assert history[:3] == ["accepted", "running", "waiting_window"]
    assert history[3:5] == ["paused", "running"]
    assert history[-1] == "finished" and history.count("finished") == 1 and "error" not in history


def test_r_cmp_3_owner_actions_are_recorded_with_their_reason(
    shop: Customer, platform: LocalRuntime, clock: LocalClock
) -> None:
    """R-CMP-3: every transition is recorded with time, actor and reason; the owner may give the reason."""
    created = create(shop, _body(shop, windows=LATER_WINDOW))
    _waiting_for_window(platform, shop, created["id"])
    paused = _act(shop, created["id"], "pause", {"reason": "price list changed"})
    stopped = _act(shop, created["id"], "stop")
    for change in (paused["history"][-1], stopped["history"][-1]):
        assert change["at"] and change["actor"] == f"account:{shop.account_id}"
    assert paused["history"][-1]["reason"] == "price list changed"
    assert stopped["history"][-1]["reason"] == "owner_request"  # none given
    # a reason is text of 1..500 characters, and nothing else may ride along
    for bad in ({"reason": ""}, {"reason": "x" * 501}, {"why": "no"}):
        refused = shop.api.post(f"/v1/campaigns/{created['id']}/finish", bad)
        assert refused.status == 422 and refused.json()["error"]["code"] == "validation_error", bad
    assert _get(shop, created["id"])["status"] == "stopped"


# --- R-CMP-4: stop, then finish ---------------------------------------------------------------------------


def test_r_cmp_4_a_stopped_campaign_places_nothing_more_and_finish_refunds_the_reservation(
    shop: Customer, platform: LocalRuntime, clock: LocalClock
) -> None:
    balance_before = ledger.get_balance(shop.account_id)
    with recording_connector(SimulatorConfig(seed=5)) as connector:
        # GIVEN a campaign waiting for its 11:00 window
        created = create(shop, _body(shop, windows=LATER_WINDOW))
        campaign_id = created["id"]
        reserved = created["cost"]["reserved"]
        assert reserved > 0
        _waiting_for_window(platform, shop, campaign_id)

        # WHEN its owner stops it
        stopped = _act(shop, campaign_id, "stop")
        assert stopped["status"] == "stopped"
        assert stopped["history"][-1]["actor"] == f"account:{shop.account_id}"
        # AND the window opens: the waiting workflow wakes, sees the stop and ends
        clock.advance(90 * 60)
        _executions_settle(platform, clock, campaign_id)
        # THEN nothing was placed, and the reservation is still held
        assert connector.placed == []
        still = _get(shop, campaign_id)
        assert still["status"] == "stopped" and still["stats"]["pending"] == len(NUMBERS)
        assert ledger.get_balance(shop.account_id).reserved == reserved

        # WHEN its owner finishes it
        finished = _act(shop, campaign_id, "finish")

    # THEN it is finished and the whole reservation came back, once
    assert finished["status"] == "finished"
    assert _statuses(finished)[-2:] == ["stopped", "finished"]
    assert finished["history"][-1]["actor"] == f"account:{shop.account_id}"
    cost = finished["cost"]
    assert cost["charged"] == 0 and cost["released"] == 0 and cost["refunded"] == reserved
    assert [(kind, amount) for kind, amount, _ in _campaign_ledger(shop, campaign_id)] == [
        ("refund", reserved),
        ("reservation", reserved),
    ]
    assert_ledger_exact([shop.account_id])
    balance = ledger.get_balance(shop.account_id)
    assert balance.balance == balance_before.balance and balance.reserved == 0
    # finishing again changes nothing (reconciled exactly once)
    again = _act(shop, campaign_id, "finish")
    assert again["cost"] == cost and _statuses(again) == _statuses(finished)
    assert_ledger_exact([shop.account_id])
    assert connector.placed == []


# --- R-CMP-4: finish needs nothing in flight ---------------------------------------------------------------

# Every SMS is delivered, its report LATENCY_SECONDS (local clock) after it was placed.
SLOW_REPORTS = SimulatorConfig(seed=6, sms=ALL_DELIVERED, sms_latency_seconds=(LATENCY_SECONDS, LATENCY_SECONDS))


def _in_flight(customer: Customer, campaign_id: str, connector: RecordingConnector, count: int) -> dict[str, Any]:
    """The campaign is running with `count` attempts admitted and placed, and their results not in yet."""

    def check() -> dict[str, Any] | None:
        placed = [p for p in connector.placed if p.campaign_id == campaign_id]
        campaign = _get(customer, campaign_id)
        return campaign if campaign["stats"]["in_progress"] == len(placed) == count else None

    campaign: dict[str, Any] = _poll(f"{count} attempts placed and in flight", check)
    assert campaign["status"] == "running"
    return campaign


def _unchanged(customer: Customer, campaign_id: str, before: dict[str, Any]) -> None:
    after = _get(customer, campaign_id)
    for key in ("status", "history", "cost"):
        assert after[key] == before[key], (key, before[key], after[key])


def test_r_cmp_4_finish_while_attempts_are_in_flight_is_refused_until_their_results_arrive(
    shop: Customer, platform: LocalRuntime, clock: LocalClock
) -> None:
    numbers = NUMBERS[:3]
    with recording_connector(SLOW_REPORTS) as connector:
        # GIVEN a running campaign whose three SMS are placed, their reports a minute away
        created = create(shop, _body(shop, numbers))
        campaign_id = created["id"]
        held = _in_flight(shop, campaign_id, connector, len(numbers))
        assert len(connector.placed) == len(numbers)
        money_before = _campaign_ledger(shop, campaign_id)

        # WHEN its owner asks to finish it
        error = assert_error(shop.api.post(f"/v1/campaigns/{campaign_id}/finish"), 409, "campaign_in_flight")
        # THEN it is refused, naming how many are in flight, and nothing changed
        assert error.get("in_flight") == len(numbers), error
        _unchanged(shop, campaign_id, held)
        assert _campaign_ledger(shop, campaign_id) == money_before
        assert not _light(campaign_id).reconciled

        # WHEN the reports are due and applied
        clock.advance(2 * LATENCY_SECONDS)
        _poll("the results applied", lambda: int(_light(campaign_id).in_flight) == 0)
        # THEN finish works (or the workflow completed it first: finish then answers the finished campaign)
        finished = _act(shop, campaign_id, "finish")

    assert finished["status"] == "finished"
    assert _statuses(finished).count("finished") == 1
    assert finished["history"][-1]["actor"] in (f"account:{shop.account_id}", "system")
    item = CampaignItem.get(campaign_id, consistent_read=True)
    assert_reconciled(item)
    assert int(item.charged) > 0 and int(item.n_delivered) == len(numbers)
    assert set(connector.placements_per_attempt().values()) == {1} and len(connector.placed) == len(numbers)
    assert_ledger_exact([shop.account_id])


# --- R-CMP-3/4: transitions the status does not allow -----------------------------------------------------


def _refused(customer: Customer, campaign_id: str, action: str, status: str) -> None:
    before = _get(customer, campaign_id)
    money = _campaign_ledger(customer, campaign_id)
    error = assert_error(customer.api.post(f"/v1/campaigns/{campaign_id}/{action}"), 409, "action_not_allowed")
    assert (error.get("status"), error.get("action")) == (status, action), error
    assert action not in error.get("allowed", []), error
    _unchanged(customer, campaign_id, before)
    assert _campaign_ledger(customer, campaign_id) == money


def test_r_cmp_4_an_action_the_status_does_not_allow_is_action_not_allowed_and_changes_nothing(
    shop: Customer, platform: LocalRuntime, clock: LocalClock
) -> None:
    with recording_connector(SLOW_REPORTS) as connector:
        # GIVEN a campaign waiting for its owner: it cannot be resumed, paused or finished
        waiting = create(shop, _body(shop, NUMBERS[:2], auto_start=False))
        for action in ("resume", "pause", "finish"):
            _refused(shop, waiting["id"], action, "accepted")
        # GIVEN a running campaign (its reports in flight): it cannot be resumed or started again
        running = create(shop, _body(shop, NUMBERS[2:4]))
        _in_flight(shop, running["id"], connector, 2)
        for action in ("resume", "start", "archive"):
            _refused(shop, running["id"], action, "running")
        placed = len(connector.placed)
        # GIVEN the same campaign finished: it cannot be resumed, paused, stopped or started
        clock.advance(2 * LATENCY_SECONDS)
        item = _drive(platform, clock, running["id"])
        assert_reconciled(item)
        for action in ("resume", "pause", "stop", "start"):
            _refused(shop, running["id"], action, "finished")
        # an unknown action is a 400 naming the valid ones
        error = assert_error(shop.api.post(f"/v1/campaigns/{running['id']}/explode"), 400, "unknown_action")
        assert "resume" in error.get("actions", []), error
    # THEN nothing more was placed, and the waiting campaign is as created
    assert len(connector.placed) == placed == 2
    assert set(connector.placements_per_attempt().values()) == {1}
    assert _get(shop, waiting["id"])["status"] == "accepted"
    assert _executions(platform, waiting["id"]) == []


# --- R-DSP-2: pacing ---------------------------------------------------------------------------------------


def test_r_dsp_2_a_campaign_keeps_to_its_speed_limit(shop: Customer, platform: LocalRuntime, clock: LocalClock) -> None:
    # GIVEN a campaign of 30 at 600 an hour: batches of 10 (a minute's worth), one a minute
    speed, numbers = 600, [f"+98935{i:07d}" for i in range(30)]
    started = clock.now()
    with recording_connector(SimulatorConfig(seed=2, sms=ALL_DELIVERED)) as connector:
        created = create(shop, _body(shop, numbers, speed_per_hour=speed))
        (item,) = run_to_end(clock, [created["id"]], region=platform.settings.region)
    assert_reconciled(item)
    # THEN in any span of d seconds at most one batch plus speed × d / 3600 attempts were placed
    instants = sorted(p.placed_at for p in connector.placed)
    assert len(instants) == len(numbers)
    batch = speed * 60 // 3600
    for first, opened in enumerate(instants):
        for last in range(first, len(instants)):
            span = (instants[last] - opened).total_seconds()
            assert last - first + 1 <= batch + speed * span / 3600, (first, last, span)
    # AND it took the two minutes the limit asks for, not more than a few seconds over
    assert 120 <= (instants[-1] - started).total_seconds() <= 125
