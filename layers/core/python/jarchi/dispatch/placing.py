"""Dispatch: hand a batch of admitted attempts to the connector, send what it reports to the results queue.

A results message waits on the queue (SQS `DelaySeconds`) until its first results are due, i.e. until the
platform clock reaches their `completed_at` (R-DSP-4; see `jarchi.results.due`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Final

from jarchi import clock
from jarchi.attempts import Attempt, AttemptResult, DeliveryStatus, Outcome, PlacementStatus
from jarchi.clock import iso
from jarchi.ports import Connector, MessageQueue, OncePerBatch, resolve
from jarchi.resources import DISPATCH_QUEUE, RESULTS_QUEUE
from jarchi.results.due import first_delivery_delay, results_message
from jarchi.settings import get_settings

RETRY_KEY: Final = "retry"  # in a placed batch's stored answer: the dispatch message of the attempts to retry
RETRY_SUFFIX: Final = "-again"  # its batch id: the batch's own, so a redelivery sends the same message again
RETRY_DELAY_SECONDS: Final = 30  # the backoff above the connector's own, inside its invocation


def get_connector() -> Connector:
    """The deployment's connector (chosen by `jarchi.wiring` from the settings)."""
    return resolve(Connector)


class PlacementRetry(Exception):
    """Some attempts must be tried again: the message goes back to the queue."""


def place_batch(message: dict[str, Any], connector: Connector | None = None) -> dict[str, Any] | None:
    """Place every attempt of one dispatch message; the results message to send on (None: nothing known yet).

    This is the step the dispatch handler makes idempotent per batch id, with its answer stored: sending the
    results is a separate step, so a failed send is retried from the stored answer, never by placing again.
    When the connector placed some attempts and asks to retry the others (throttled past its budget), only
    those go back, as a new dispatch message (`retry`, sent with the results): redelivering the whole message
    would place the others a second time. When it placed none, the message itself goes back."""
    attempts = [Attempt.from_message(a) for a in message["attempts"]]
    now = clock.now()
    expired = [expired_result(a, now) for a in attempts if has_expired(a, now)]
    live = [a for a in attempts if not has_expired(a, now)]
    placements = (connector or get_connector()).place(live) if live else []
    again = {p.attempt_id for p in placements if p.status is PlacementStatus.RETRY}
    if again and len(again) == len(placements) and not expired:
        raise PlacementRetry(f"{message['batch_id']}: the connector asked to retry")
    results = [*expired, *(p.result for p in placements if p.result is not None)]
    if not results and not again:
        return None
    times = {"placed_at": iso(now)} | ({"admitted_at": message["admitted_at"]} if "admitted_at" in message else {})
    body = results_message(message["batch_id"], message["campaign_id"], results, times=times)
    if again:
        retried = [a for a in message["attempts"] if a["attempt_id"] in again]
        body[RETRY_KEY] = {**message, "batch_id": f"{message['batch_id']}{RETRY_SUFFIX}", "attempts": retried}
    return body


def place_batch_once(
    message: dict[str, Any], on_placed: Callable[[Counter[str]], None] = lambda attempts: None
) -> dict[str, Any] | None:
    """`place_batch`, once per batch id: a redelivered message is answered with the stored answer, never placed
    again (SQS is at least once). `on_placed` gets the batch's attempts per channel, once, when it is placed."""

    def place(message: dict[str, Any]) -> dict[str, Any] | None:
        results = place_batch(message)
        on_placed(Counter(str(attempt["channel"]) for attempt in message["attempts"]))
        return results

    return resolve(OncePerBatch).run(place, message)


def expire_in_progress_with(context: Any) -> None:
    """A batch whose placement this Lambda invocation started counts as abandoned when the invocation's time is up
    (a redelivery may then place it)."""
    resolve(OncePerBatch).expire_with(context)


def has_expired(attempt: Attempt, now: datetime) -> bool:
    """An SMS whose validity ran out before it could be placed (R-SMS-5): it is not sent at all."""
    if attempt.validity_seconds is None or attempt.admitted_at is None:
        return False
    return now >= datetime.fromisoformat(attempt.admitted_at) + timedelta(seconds=attempt.validity_seconds)


def expired_result(attempt: Attempt, now: datetime) -> AttemptResult:
    """`expired`, free, its ad-cap claim given back (it never reached the network)."""
    return AttemptResult.of(
        attempt,
        Outcome.EXPIRED,
        completed_at=now,
        connector="dispatch",
        delivery_status=DeliveryStatus.EXPIRED,
        detail="validity ran out before the message could be placed",
    )


def forward_results(body: dict[str, Any] | None, queue: MessageQueue | None = None) -> int:
    """Send a placed batch's results on, held back until the first of them is due, and the attempts to retry
    back to the dispatch queue; how many results were sent."""
    if body is None:
        return 0
    queue = queue or resolve(MessageQueue)
    retry = body.get(RETRY_KEY)
    if retry is not None:
        queue.send(DISPATCH_QUEUE, [retry], delay_seconds=RETRY_DELAY_SECONDS)
    results = [AttemptResult.from_message(r) for r in body["results"]]
    if not results:
        return 0
    delay = first_delivery_delay(results, clock.now(), cap=get_settings().result_delay_cap())
    queue.send(RESULTS_QUEUE, [{k: v for k, v in body.items() if k != RETRY_KEY}], delay_seconds=delay)
    return len(results)
