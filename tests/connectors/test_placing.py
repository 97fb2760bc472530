"""Placing a batch attempt by attempt, several at once, inside the budget (`jarchi.connectors.placing`)."""

from __future__ import annotations

import threading
import time

import pytest

from jarchi.attempts import Attempt, Outcome, PlacementStatus
from jarchi.channels import Category, Channel
from jarchi.connectors.placing import place_each
from jarchi.connectors.retrying import Budget, Verdict
from jarchi.ports import ConnectorError


class Refused(Exception):
    pass


class Broken(Exception):
    pass


class Busy(Exception):
    pass


def judge(error: Exception) -> Verdict:
    return {Refused: Verdict.REFUSED, Broken: Verdict.BROKEN, Busy: Verdict.RETRY}[type(error)]


def sms(seq: int) -> Attempt:
    return Attempt(f"c.{seq}.1", "c", "a", Channel.SMS, Category.SERVICE, f"+98912{seq:07d}", sms_text="x")


def test_two_hundred_attempts_are_placed_several_at_once_in_order() -> None:
    lock, running, most = threading.Lock(), [0], [0]

    def send(attempt: Attempt) -> str:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.005)  # long enough for the requests to overlap
        with lock:
            running[0] -= 1
        return f"ref-{attempt.attempt_id}"

    attempts = [sms(n) for n in range(200)]
    placements = place_each(
        attempts, connector="t", send=send, judge=judge, refusal=str, budget=Budget(10), in_flight=10
    )
    assert [p.reference for p in placements] == [f"ref-{a.attempt_id}" for a in attempts]
    assert 1 < most[0] <= 10  # several at once, never more than in_flight


def test_a_refusal_is_final_and_a_broken_connector_stops_the_batch() -> None:
    def send(attempt: Attempt) -> str:
        if attempt.attempt_id == "c.1.1":
            raise Refused("invalid number")
        if attempt.attempt_id == "c.3.1":
            raise Broken("credentials")
        return "ok"

    placements = place_each(
        [sms(n) for n in range(5)],
        connector="t",
        send=send,
        judge=judge,
        refusal=lambda e: f"refused:{e}",
        budget=Budget(1),
    )
    assert [p.status for p in placements] == [
        PlacementStatus.SUBMITTED,
        PlacementStatus.COMPLETED,
        PlacementStatus.SUBMITTED,
        PlacementStatus.RETRY,
        PlacementStatus.RETRY,
    ]
    assert placements[1].result is not None and placements[1].result.outcome is Outcome.REJECTED
    assert placements[1].result.detail == "refused:invalid number"


def test_nothing_placed_before_the_connector_broke_sends_the_whole_batch_back() -> None:
    def send(attempt: Attempt) -> str:
        raise Broken("no credentials")

    with pytest.raises(ConnectorError):
        place_each([sms(1), sms(2)], connector="t", send=send, judge=judge, refusal=str, budget=Budget(1), in_flight=4)


def test_throttled_past_the_budget_the_rest_is_retried_later() -> None:
    def send(attempt: Attempt) -> str:
        raise Busy("throttled")

    budget = Budget(0.05)
    placements = place_each(
        [sms(n) for n in range(20)], connector="t", send=send, judge=judge, refusal=str, budget=budget, in_flight=4
    )
    assert {p.status for p in placements} == {PlacementStatus.RETRY}
