"""Sending a campaign again, part by part, on the whole local platform (issue 12: R-CMP-4, R-BIL-2/3): reset,
retry-failed and resume-unfinished each start a new part with its own reservation, and after each the money
holds: reserved = charged + released + refunded for the campaign, every ledger movement booked once, the
account's balance the sum of its ledger. Two owners acting at once: exactly one wins, the other hears 409,
and no workflow run is left behind."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import pytest

from jarchi import ports
from jarchi.billing.ledger import totals_of
from jarchi.campaigns.models import Campaign
from jarchi.campaigns.ports import CampaignRepository
from jarchi.clock import LocalClock
from jarchi.connectors.simulator import SimulatorConfig, SmsRates
from jarchi.store import ledger
from jarchi.store.campaigns import CampaignItem, DynamoCampaigns, RecipientItem, to_state
from local.runtime import LocalRuntime
from tests.api import Api, assert_error
from tests.campaign_harness import Customer, create, new_customer, recording_connector, run_to_end

NUMBERS = [f"+98912{i:07d}" for i in range(31, 39)]
FAST = 360_000
ALL_DELIVERED = SmsRates(DELIVRD=1, UNDELIV=0, EXPIRED=0, REJECTD=0, NOREPORT=0, FAILED=0)
HALF_UNDELIVERED = SmsRates(DELIVRD=1, UNDELIV=1, EXPIRED=0, REJECTD=0, NOREPORT=0, FAILED=0)
LATER_WINDOW = [{"start": "11:00", "end": "13:00"}]  # shut at the fixture's 10:00 in Tehran


@pytest.fixture
def shop(admin: Api, platform: LocalRuntime) -> Customer:
    return new_customer(admin, "Shop")


def _body(customer: Customer, **extra: Any) -> dict[str, Any]:
    return {
        "name": "Order ready",
        "channel": "sms",
        "category": "service",
        "sms_text": f"{customer.sender}: your order is ready",
        "recipients": NUMBERS,
        "speed_per_hour": FAST,
        **extra,
    }


def _act(customer: Customer, campaign_id: str, action: str) -> dict[str, Any]:
    response = customer.api.post(f"/v1/campaigns/{campaign_id}/{action}")
    assert response.status == 200, (action, response.status, response.body)
    campaign: dict[str, Any] = response.json()
    return campaign


def _get(customer: Customer, campaign_id: str) -> dict[str, Any]:
    campaign: dict[str, Any] = customer.api.get(f"/v1/campaigns/{campaign_id}").json()
    return campaign


def _recipients(customer: Customer, campaign_id: str, part: int | None = None) -> list[dict[str, Any]]:
    response = customer.api.get(f"/v1/campaigns/{campaign_id}/recipients", limit=200, part=part)
    assert response.status == 200, response.body
    rows: list[dict[str, Any]] = response.json()["items"]
    return rows


def _settled(platform: LocalRuntime, clock: LocalClock, campaign_id: str) -> CampaignItem:
    (item,) = run_to_end(clock, [campaign_id], region=platform.settings.region)
    assert_money_exact(item)
    return item


def assert_money_exact(item: CampaignItem) -> None:
    """A reconciled campaign over all its parts: reserved = charged + released + refunded, the ledger holding
    the same amounts each booked once, charged = Σ recipient costs, balance = Σ ledger (R-BIL-3)."""
    assert item.status == "finished" and item.reconciled and int(item.in_flight) == 0, item.status
    reserved, charged, released, refunded = (
        int(item.reserved),
        int(item.charged),
        int(item.released),
        int(item.refunded),
    )
    assert reserved == charged + released + refunded, (reserved, charged, released, refunded)
    assert int(item.billed) == charged
    entries = [e for e in ledger.all_entries(item.account_id) if e.campaign_id == item.id]
    booked = Counter[str]()
    for entry in entries:
        booked[entry.type.value] += entry.amount
    expected = {"reservation": reserved, "charge": charged, "release": released, "refund": refunded}
    assert dict(booked) == {k: v for k, v in expected.items() if v}, [(e.type, e.amount, e.reference) for e in entries]
    keys = [(e.type, e.reference) for e in entries]
    assert len(keys) == len(set(keys)), keys
    assert sum(to_state(r).cost for r in RecipientItem.query(item.id, consistent_read=True)) == charged
    balance = ledger.get_balance(item.account_id)
    assert balance == totals_of(ledger.all_entries(item.account_id)) and balance.reserved == 0


def test_r_cmp_4_reset_sends_everyone_again_and_keeps_the_first_results(
    shop: Customer, platform: LocalRuntime, clock: LocalClock
) -> None:
    with recording_connector(SimulatorConfig(seed=3, sms=ALL_DELIVERED)) as connector:
        campaign = create(shop, _body(shop))
        first = _settled(platform, clock, campaign["id"])
        # WHEN the finished campaign is reset
        reset = _act(shop, campaign["id"], "reset")
        # THEN it runs again over everyone, reserved again, counted
        assert (reset["status"], reset["reset_count"], reset["part"]) == ("running", 1, 1)
        assert reset["cost"]["reserved"] == 2 * int(first.reserved)
        item = _settled(platform, clock, campaign["id"])
    assert int(item.charged) == 2 * int(first.charged)
    assert Counter(p.number for p in connector.placed) == Counter({n: 2 for n in NUMBERS})
    assert set(connector.placements_per_attempt().values()) == {1}
    done = _get(shop, campaign["id"])
    assert [(p["part"], p["kind"], p["stats"]["delivered"]) for p in done["parts"]] == [(0, "send", 8), (1, "reset", 8)]
    # the earlier results stay readable per run
    assert [r["attempts"] for r in _recipients(shop, campaign["id"], part=0)] == [1] * 8
    assert [r["attempts"] for r in _recipients(shop, campaign["id"])] == [2] * 8
    assert_error(shop.api.get(f"/v1/campaigns/{campaign['id']}/recipients", part=5), 404, "part_not_found")


def test_r_cmp_4_retry_failed_sends_only_to_the_undelivered_in_a_new_reserved_part(
    shop: Customer, platform: LocalRuntime, clock: LocalClock
) -> None:
    with recording_connector(SimulatorConfig(seed=11, sms=HALF_UNDELIVERED)) as connector:
        campaign = create(shop, _body(shop))
        first = _settled(platform, clock, campaign["id"])
        rows = _recipients(shop, campaign["id"])
        failed = {r["number"] for r in rows if r["status"] == "undelivered"}
        # the operator's raw report is kept per recipient (R-SMS-5)
        assert {r["delivery_status"] for r in rows} == {"DELIVRD", "UNDELIV"}
        assert 0 < len(failed) < len(NUMBERS), "the seed should fail some, not all"
        placed_before = len(connector.placed)
        # WHEN the owner retries the failed ones
        retry = _act(shop, campaign["id"], "retry_failed")
        assert (retry["part"], retry["stats"]["total"], retry["reset_count"]) == (1, len(failed), 0)
        per_segment = int(first.estimated) // len(NUMBERS)
        assert retry["cost"]["reserved"] == int(first.reserved) + len(failed) * per_segment
        _settled(platform, clock, campaign["id"])
    # THEN exactly the failed numbers were sent to again, once each
    assert {p.number for p in connector.placed[placed_before:]} == failed
    assert len(connector.placed) - placed_before == len(failed)
    assert {r["number"] for r in _recipients(shop, campaign["id"])} == failed


def test_r_cmp_4_resume_unfinished_sends_to_those_never_attempted_after_stop_and_finish(
    shop: Customer, platform: LocalRuntime, clock: LocalClock
) -> None:
    with recording_connector(SimulatorConfig(seed=5, sms=ALL_DELIVERED)) as connector:
        # GIVEN a campaign stopped before it sent anything, then finished (its reservation refunded)
        campaign = create(shop, _body(shop, auto_start=False))
        _act(shop, campaign["id"], "stop")
        finished = _act(shop, campaign["id"], "finish")
        assert finished["cost"]["refunded"] == finished["cost"]["reserved"]
        assert_error(shop.api.post(f"/v1/campaigns/{campaign['id']}/retry_failed"), 409, "nothing_to_send")
        # WHEN the owner resumes the unfinished recipients
        resumed = _act(shop, campaign["id"], "resume_unfinished")
        assert (resumed["part"], resumed["stats"]["total"]) == (1, len(NUMBERS))
        _settled(platform, clock, campaign["id"])
    assert sorted(p.number for p in connector.placed) == sorted(NUMBERS)


def test_r_bil_2_a_new_part_is_refused_without_credit_and_changes_nothing(
    admin: Api, platform: LocalRuntime, clock: LocalClock
) -> None:
    with recording_connector(SimulatorConfig(seed=3, sms=ALL_DELIVERED)):
        probe = new_customer(admin, "Probe")
        estimate = probe.api.post("/v1/estimates", {**_body(probe), "sender": probe.sender}).json()["estimated"]
        poor = new_customer(admin, "Poor", credit=estimate)
        campaign = create(poor, _body(poor))
        before = _settled(platform, clock, campaign["id"])
        error = assert_error(poor.api.post(f"/v1/campaigns/{campaign['id']}/reset"), 402, "insufficient_credit")
        assert error
    after = CampaignItem.get(campaign["id"], consistent_read=True)
    assert (after.status, int(after.reserved), int(after.part or 0), int(after.run)) == (
        "finished",
        int(before.reserved),
        0,
        int(before.run),
    )
    assert_money_exact(after)


# --- two owners at once ------------------------------------------------------------------------------------


class _StaleReads(DynamoCampaigns):
    """The repository as seen by an owner who read the campaign just before another owner acted: in this
    thread (the API request's; the workflow's threads read the truth), the first `reads` reads of the campaign
    answer `snapshot` (the request's reads before its write), later ones the truth."""

    def __init__(self, snapshot: Campaign, reads: int) -> None:
        self.snapshot, self.reads = snapshot, reads
        self.thread = threading.get_ident()

    def get(self, campaign_id: str) -> Campaign | None:
        if self.reads > 0 and campaign_id == self.snapshot.id and threading.get_ident() == self.thread:
            self.reads -= 1
            return self.snapshot
        return super().get(campaign_id)


@contextmanager
def _as_read_before(snapshot: Campaign, reads: int = 1) -> Iterator[None]:
    """Requests inside the block act on `snapshot`, read before the other owner's action."""
    with ports.override(CampaignRepository, _StaleReads(snapshot, reads)):
        yield


def _snapshot(campaign_id: str) -> Campaign:
    snapshot = DynamoCampaigns().get(campaign_id)
    assert snapshot is not None
    return snapshot


def _executions(platform: LocalRuntime, campaign_id: str) -> list[str]:
    sfn = boto3.client("stepfunctions", region_name=platform.settings.region)
    machine = sfn.list_state_machines()["stateMachines"][0]["stateMachineArn"]
    found = []
    for execution in sfn.list_executions(stateMachineArn=machine)["executions"]:
        described = sfn.describe_execution(executionArn=execution["executionArn"])
        if campaign_id in described.get("input", ""):
            found.append(execution["executionArn"])
    return found


@pytest.mark.parametrize("winner", ["reset", "archive"])
def test_r_cmp_4_reset_racing_archive_one_wins_the_other_409(
    winner: str, shop: Customer, platform: LocalRuntime, clock: LocalClock
) -> None:
    with recording_connector(SimulatorConfig(seed=3, sms=ALL_DELIVERED)):
        campaign = create(shop, _body(shop))
        first = _settled(platform, clock, campaign["id"])
        loser = "archive" if winner == "reset" else "reset"
        runs = _executions(platform, campaign["id"])
        # GIVEN the loser read the finished campaign just before the winner acted
        snapshot = _snapshot(campaign["id"])
        won = _act(shop, campaign["id"], winner)
        with _as_read_before(snapshot):
            lost = assert_error(shop.api.post(f"/v1/campaigns/{campaign['id']}/{loser}"), 409, "action_not_allowed")
        assert lost["status"] == won["status"] == ("running" if winner == "reset" else "archived")
        if winner == "reset":
            _settled(platform, clock, campaign["id"])
            assert len(_executions(platform, campaign["id"])) == len(runs) + 1
        else:
            # THEN no run was started by the loser, nothing more was reserved
            after = CampaignItem.get(campaign["id"], consistent_read=True)
            assert (int(after.run), int(after.reserved), after.status) == (
                int(first.run),
                int(first.reserved),
                "archived",
            )
            assert _executions(platform, campaign["id"]) == runs


@pytest.mark.parametrize("winner", ["pause", "finish"])
def test_r_cmp_4_pause_racing_finish_one_wins_the_other_409(
    winner: str, shop: Customer, platform: LocalRuntime, clock: LocalClock
) -> None:
    # GIVEN a campaign waiting for its window, nothing in flight
    campaign = create(shop, _body(shop, windows=LATER_WINDOW))
    _poll_status(shop, campaign["id"], "waiting_window")
    loser = "finish" if winner == "pause" else "pause"
    # (finish reads the campaign twice before its write: the owner's view, then settlement's own read)
    snapshot = _snapshot(campaign["id"])
    won = _act(shop, campaign["id"], winner)
    with _as_read_before(snapshot, reads=2 if loser == "finish" else 1):
        response = shop.api.post(f"/v1/campaigns/{campaign['id']}/{loser}")
    # THEN the loser is refused with 409 and the winner's status stays
    assert response.status == 409, response.body
    assert response.json()["error"]["code"] in ("action_not_allowed", "campaign_changed")
    assert _get(shop, campaign["id"])["status"] == won["status"] == ("paused" if winner == "pause" else "finished")
    item = CampaignItem.get(campaign["id"], consistent_read=True)
    assert [h["status"] for h in _get(shop, campaign["id"])["history"]][-1] == won["status"]
    if winner == "finish":
        assert_money_exact(item)
    else:
        # the paused campaign can still be finished by its owner, once, refunding everything
        _act(shop, campaign["id"], "finish")
        assert_money_exact(CampaignItem.get(campaign["id"], consistent_read=True))


def _poll_status(customer: Customer, campaign_id: str, status: str) -> None:
    import time

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if _get(customer, campaign_id)["status"] == status:
            return
        time.sleep(0.05)
    raise AssertionError(f"{campaign_id} never became {status}")
