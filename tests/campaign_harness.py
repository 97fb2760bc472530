"""Campaigns driven through the whole local platform, for the reliability and property tests.

- `new_customer`: an account with credit, a token and an approved SMS sender.
- `recording_connector`: the simulator connector behind the dispatch handler (the `Connector` port
  overridden), wrapped so every attempt it places is recorded with the local clock's instant (`Placed`).
  The simulator's latencies stay 0: results are due at once, which `run_to_end` relies on.
- `run_to_end`: waits until campaigns are finished. It moves the frozen local clock only when every
  unfinished campaign's workflow sits in its Wait state with nothing in flight, and then straight to the
  earliest `resume_at`: so an attempt is always placed at the instant it was admitted, and a campaign
  waiting for a window a day away finishes in a few real seconds.
- `assert_reconciled`: the money and status checks every finished campaign must pass (R-BIL-3, R-DSP-1).
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

import boto3

from jarchi.attempts import MACHINE, Attempt, Outcome, Placement, recipient_status
from jarchi.billing.ledger import EntryType, totals_of
from jarchi.campaigns.models import RecipientState
from jarchi.channels import Category, Channel
from jarchi.clock import LocalClock, now
from jarchi.connectors.simulator import SimulatorConfig, SimulatorConnector
from jarchi.ports import Connector, override
from jarchi.store import ledger
from jarchi.store.accounts import PROFILE, AccountItem
from jarchi.store.campaigns import CampaignItem, RecipientItem, to_campaign, to_state
from tests.api import Api

DEADLINE_SECONDS = 45.0
POLL_SECONDS = 0.05
FINAL_STATUSES = (frozenset(o.value for o in Outcome) - {Outcome.SENT.value}) | {MACHINE}


@dataclass(frozen=True)
class Customer:
    account_id: str
    api: Api
    sender: str


def new_customer(admin: Api, name: str, credit: int = 10_000_000) -> Customer:
    account = admin.new_account(name)
    admin.top_up(account["id"], credit)
    api = admin.as_(admin.new_token(account["id"]))
    sender = api.post("/v1/senders", {"name": name}).json()
    approved = admin.post(f"/v1/senders/{sender['id']}/moderation", {"decision": "approve"})
    assert approved.status == 200, approved.body
    return Customer(account["id"], api, name)


def allow_countries(account_id: str, *countries: str) -> None:
    """Let the account send to these regions (what an admin's `allowed_countries` sets), straight in the
    store so that tests of other rules need no admin route."""
    AccountItem(f"ACCOUNT#{account_id}", PROFILE).update(actions=[AccountItem.allowed_countries.set(list(countries))])


def create(customer: Customer, body: dict[str, Any]) -> dict[str, Any]:
    """POST /v1/campaigns (an SMS body gets the customer's sender); answers the created campaign."""
    if body.get("channel") == "sms":
        body = {"sender": customer.sender, **body}
    response = customer.api.post("/v1/campaigns", body)
    assert response.status == 201, response.body
    created: dict[str, Any] = response.json()
    return created


def finished_sms(customer: Customer, numbers: list[str], clock: LocalClock, region: str) -> dict[str, Any]:
    """A service SMS campaign to `numbers`, run to its reconciliation; the campaign as created."""
    campaign = create(
        customer,
        {
            "name": "Order ready",
            "channel": "sms",
            "category": "service",
            "sms_text": f"{customer.sender}: your order is ready",
            "recipients": numbers,
            "speed_per_hour": 360_000,
        },
    )
    run_to_end(clock, [campaign["id"]], region=region)
    return campaign


# --- the connector -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Placed:
    """One attempt the connector placed. `order` counts placements across the run."""

    order: int
    attempt_id: str
    campaign_id: str
    account_id: str
    number: str
    channel: Channel
    category: Category
    placed_at: datetime
    outcome: Outcome | None
    machine: bool = False  # an answering machine took the call
    caller_id: str | None = None  # the pool number it went out from (R-DSP-5)
    completed_at: datetime | None = None  # when the simulator says the call ended
    route_slot: str | None = None  # the route slot it held (R-DSP-3)

    @property
    def status(self) -> str | None:
        """The recipient status this placement's result gives (`machine` for a machine)."""
        return None if self.outcome is None else recipient_status(self.outcome, self.machine)


class RecordingConnector:
    """A `Connector` that records every attempt the wrapped one places."""

    def __init__(self, inner: Connector) -> None:
        self.inner = inner
        self.placed: list[Placed] = []
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return self.inner.name

    def place(self, attempts: Sequence[Attempt]) -> list[Placement]:
        placed_at = now()
        placements = self.inner.place(attempts)
        with self._lock:
            for attempt, placement in zip(attempts, placements, strict=True):
                result = placement.result
                self.placed.append(
                    Placed(
                        order=len(self.placed),
                        attempt_id=attempt.attempt_id,
                        campaign_id=attempt.campaign_id,
                        account_id=attempt.account_id,
                        number=attempt.number,
                        channel=Channel(attempt.channel),
                        category=Category(attempt.category),
                        placed_at=placed_at,
                        outcome=result.outcome if result is not None else None,
                        machine=result is not None and result.answering_machine,
                        caller_id=attempt.caller_id,
                        completed_at=result.completed_at if result is not None else None,
                        route_slot=attempt.route_slot,
                    )
                )
        return placements

    def placements_per_attempt(self) -> Counter[str]:
        with self._lock:
            return Counter(p.attempt_id for p in self.placed)


@contextmanager
def recording_connector(config: SimulatorConfig | None = None) -> Iterator[RecordingConnector]:
    """The dispatch handler places through a recording simulator (the `Connector` port is overridden; fault
    wrappers installed inside the block wrap it)."""
    connector = RecordingConnector(SimulatorConnector(config or SimulatorConfig()))
    with override(Connector, connector):
        yield connector


# --- driving campaigns to their end ------------------------------------------------------------------


@cache
def _stepfunctions(region: str) -> Any:
    return boto3.client("stepfunctions", region_name=region)  # creating a client costs more than a request


def _workflow_wait(execution_arn: str, region: str) -> datetime | None:
    """The instant the campaign's workflow waits for, if it is in its Wait state now."""
    events = _stepfunctions(region).get_execution_history(executionArn=execution_arn)["events"]
    if not events:
        return None  # moto's worker thread writes the first events after StartExecution has answered
    last = max(events, key=lambda event: event["id"])
    if last["type"] == "ExecutionFailed":
        raise AssertionError(f"the workflow failed: {last.get('executionFailedEventDetails')}")
    if last["type"] != "WaitStateEntered":
        return None
    state: dict[str, Any] = json.loads(last["stateEnteredEventDetails"]["input"])
    return datetime.fromisoformat(state["resume_at"])


# What the driver reads of a campaign on each poll (the whole item is much dearer to read in moto).
_DRIVER_ATTRIBUTES = ["id", "status", "in_flight", "follow_ups_in_flight", "reconciled", "execution_arn"]
_STOPPED = frozenset({"error", "stopped", "paused"})


def _light(ids: list[str]) -> list[CampaignItem]:
    return [CampaignItem.get(i, consistent_read=True, attributes_to_get=_DRIVER_ATTRIBUTES) for i in ids]


def _resume_at(states: list[CampaignItem], region: str) -> datetime | None:
    """When to move the clock to: the earliest resume_at, if every unfinished workflow waits with nothing in
    flight; else None."""
    waiting = [s for s in states if not s.reconciled]
    for state in waiting:
        assert state.status not in _STOPPED, (state.id, state.status)
        if int(state.in_flight) != 0 or int(state.follow_ups_in_flight or 0) != 0 or not state.execution_arn:
            return None
    resumes = []
    for state in waiting:
        resume_at = _workflow_wait(state.execution_arn, region)
        if resume_at is None:
            return None
        resumes.append(resume_at)
    return min(resumes)


def run_to_end(
    clock: LocalClock, campaign_ids: Iterable[str], *, region: str, deadline_seconds: float = DEADLINE_SECONDS
) -> list[CampaignItem]:
    """Wait until every campaign is reconciled; answer their items (see the module docstring)."""
    ids = list(campaign_ids)
    deadline = time.monotonic() + deadline_seconds
    while time.monotonic() < deadline:
        states = _light(ids)
        if all(state.reconciled for state in states):
            return [CampaignItem.get(campaign_id, consistent_read=True) for campaign_id in ids]
        resume_at = _resume_at(states, region)
        if resume_at is not None:
            clock.advance(max(0.0, (resume_at - clock.now()).total_seconds()))
        time.sleep(POLL_SECONDS)
    progress = {state.id: (state.status, int(state.in_flight)) for state in _light(ids)}
    raise AssertionError(f"campaigns did not finish within {deadline_seconds} s: {progress}")


# --- checks ----------------------------------------------------------------------------------------------


def most_at_once(calls: Iterable[Placed]) -> int:
    """The most calls in progress at one instant (placed, not yet ended), on the platform clock."""
    changes = sorted(
        [(c.placed_at, 1) for c in calls if c.completed_at is not None]
        + [(c.completed_at, -1) for c in calls if c.completed_at is not None]
    )  # an end and a start at the same instant: the end first (-1 sorts before 1)
    at_once = most = 0
    for _, change in changes:
        at_once += change
        most = max(most, at_once)
    return most


def recipients_of(item: CampaignItem) -> list[RecipientState]:
    """The stored recipient states of a campaign, in audience order (one per recipient admission decided
    about: a finished campaign has one per recipient), as the store decodes its items."""
    return [to_state(r) for r in RecipientItem.query(item.id, RecipientItem.seq >= 0, consistent_read=True)]


def follow_ups_of(item: CampaignItem) -> list[RecipientState]:
    """The follow-up SMS stored beside a campaign's recipients (negative sort keys, R-OUT-3)."""
    return [to_state(r) for r in RecipientItem.query(item.id, RecipientItem.seq < 0, consistent_read=True)]


def assert_reconciled(item: CampaignItem) -> None:
    """A finished campaign: every recipient final, counters consistent, money exact (R-BIL-3, R-DSP-1)."""
    assert item.status == "finished" and item.reconciled, (item.id, item.status)
    reserved, charged = int(item.reserved), int(item.charged)
    assert reserved == charged + int(item.released) + int(item.refunded), (item.id, item.attribute_values)
    assert int(item.in_flight) == 0
    rows = recipients_of(item)
    assert len(rows) == int(item.total)
    assert [r.status for r in rows if r.status not in FINAL_STATUSES] == []
    assert sum(int(r.cost) for r in rows) + sum(int(f.cost) for f in follow_ups_of(item)) == charged
    counts = to_campaign(item).stats()
    assert counts["pending"] == 0 and counts["in_progress"] == 0, counts
    assert sum(counts.values()) == int(item.total), counts
    # The ledger holds the same money as the campaign item, each movement booked once.
    entries = [e for e in ledger.all_entries(item.account_id) if e.campaign_id == item.id]
    booked = Counter[str]()
    for entry in entries:
        booked[entry.type.value] += entry.amount
    assert dict(booked) == {
        kind: amount
        for kind, amount in (
            (EntryType.RESERVATION.value, reserved),
            (EntryType.CHARGE.value, charged),
            (EntryType.RELEASE.value, int(item.released)),
            (EntryType.REFUND.value, int(item.refunded)),
        )
        if amount
    }, (item.id, [(e.type.value, e.amount, e.reference) for e in entries])
    keys = [(e.type, e.reference) for e in entries]
    assert len(keys) == len(set(keys)), f"money booked twice for {item.id}: {keys}"


def assert_ledger_exact(account_ids: Iterable[str]) -> None:
    """Each account's balance item is the sum of its ledger, with nothing left reserved (R-BIL-1)."""
    for account_id in account_ids:
        balance = ledger.get_balance(account_id)
        assert balance == totals_of(ledger.all_entries(account_id)), account_id
        assert balance.reserved == 0, (account_id, balance)
