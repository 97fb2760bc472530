"""Dispatch: hand a batch of admitted attempts to the connector, send what it reports to the results queue.

A results message waits on the queue (SQS `DelaySeconds`) until its first results are due, i.e. until the
platform clock reaches their `completed_at` (R-DSP-4; see `jarchi.results.due`)."""

from __future__ import annotations

from typing import Any

from jarchi import clock
from jarchi.attempts import Attempt, AttemptResult, PlacementStatus
from jarchi.ports import Connector, MessageQueue, resolve
from jarchi.resources import RESULTS_QUEUE
from jarchi.results.due import first_delivery_delay, results_message
from jarchi.settings import get_settings


def get_connector() -> Connector:
    """The deployment's connector (chosen by `jarchi.wiring` from the settings)."""
    return resolve(Connector)


class PlacementRetry(Exception):
    """Some attempts must be tried again: the message goes back to the queue."""


def place_batch(message: dict[str, Any], connector: Connector | None = None) -> dict[str, Any] | None:
    """Place every attempt of one dispatch message; the results message to send on (None: nothing known yet).

    This is the step the dispatch handler makes idempotent per batch id, with its answer stored: sending the
    results is a separate step, so a failed send is retried from the stored answer, never by placing again."""
    attempts = [Attempt.from_message(a) for a in message["attempts"]]
    placements = (connector or get_connector()).place(attempts)
    if any(p.status is PlacementStatus.RETRY for p in placements):
        raise PlacementRetry(f"{message['batch_id']}: the connector asked to retry")
    results = [p.result for p in placements if p.result is not None]
    return results_message(message["batch_id"], message["campaign_id"], results) if results else None


def forward_results(body: dict[str, Any] | None, queue: MessageQueue | None = None) -> int:
    """Send a placed batch's results on, held back until the first of them is due; how many were sent."""
    if body is None:
        return 0
    results = [AttemptResult.from_message(r) for r in body["results"]]
    delay = first_delivery_delay(results, clock.now(), cap=get_settings().result_delay_cap())
    (queue or resolve(MessageQueue)).send(RESULTS_QUEUE, [body], delay_seconds=delay)
    return len(results)
