"""A batch the connector placed only in part (R-DSP-1): the attempts it asked to retry go back alone, as a new
dispatch message, so the attempts it placed are never placed a second time."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from jarchi.attempts import Attempt, AttemptResult, Outcome, Placement, PlacementStatus
from jarchi.channels import Category, Channel
from jarchi.dispatch.placing import RETRY_DELAY_SECONDS, PlacementRetry, forward_results, place_batch
from tests.fakes.connectors import RecordingQueue

AT = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)


def attempt(seq: int) -> Attempt:
    return Attempt(f"c.{seq}.1", "c", "a", Channel.SMS, Category.SERVICE, f"+98912{seq:07d}", sms_text="x")


class Scripted:
    """Answers each attempt with the status scripted for it."""

    name = "scripted"

    def __init__(self, *statuses: PlacementStatus) -> None:
        self.statuses = statuses
        self.placed: list[str] = []

    def place(self, attempts: Sequence[Attempt]) -> list[Placement]:
        placements = []
        for attempt, status in zip(attempts, self.statuses, strict=True):
            self.placed.append(attempt.attempt_id)
            result = None
            if status is PlacementStatus.COMPLETED:
                result = AttemptResult.of(attempt, Outcome.DELIVERED, completed_at=AT, connector=self.name)
            placements.append(Placement(attempt.attempt_id, status, result=result))
        return placements


def message(count: int) -> dict[str, object]:
    attempts = [attempt(n).to_message() for n in range(count)]
    return {"batch_id": "c.0.1-3", "campaign_id": "c", "account_id": "a", "attempts": attempts}


def test_r_dsp_1_only_the_attempts_to_retry_go_back() -> None:
    connector = Scripted(PlacementStatus.COMPLETED, PlacementStatus.SUBMITTED, PlacementStatus.RETRY)
    body = place_batch(message(3), connector=connector)
    queue = RecordingQueue()
    assert forward_results(body, queue=queue) == 1
    (dispatch, again), (results, delivered) = queue.sent
    assert (dispatch, results) == ("dispatch", "results")
    assert queue.delays[0] == RETRY_DELAY_SECONDS  # a backoff before it is placed again
    assert again["batch_id"] == "c.0.1-3-again" and again["account_id"] == "a"
    assert [a["attempt_id"] for a in again["attempts"]] == ["c.2.1"]
    assert [r["attempt_id"] for r in delivered["results"]] == ["c.0.1"] and "retry" not in delivered
    # the retried message places only that attempt
    connector = Scripted(PlacementStatus.SUBMITTED)
    assert place_batch(again, connector=connector) is None and connector.placed == ["c.2.1"]


def test_nothing_known_yet_but_something_to_retry_sends_only_the_retry() -> None:
    body = place_batch(message(2), connector=Scripted(PlacementStatus.SUBMITTED, PlacementStatus.RETRY))
    queue = RecordingQueue()
    assert forward_results(body, queue=queue) == 0
    assert [q for q, _ in queue.sent] == ["dispatch"]


def test_nothing_placed_sends_the_message_itself_back() -> None:
    with pytest.raises(PlacementRetry):
        place_batch(message(2), connector=Scripted(PlacementStatus.RETRY, PlacementStatus.RETRY))
