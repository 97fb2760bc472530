"""Results arriving on the results queue (R-DSP-1, R-DSP-4): apply the windows that are due, each under its
own batch id exactly once, and send the rest back onto the queue to wait (see `jarchi.results.due`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jarchi import clock
from jarchi.attempts import AttemptResult
from jarchi.campaigns.ports import CampaignPorts
from jarchi.resources import RESULTS_QUEUE
from jarchi.results.applying import apply_results
from jarchi.results.due import results_message, split_due
from jarchi.settings import get_settings


@dataclass(frozen=True, slots=True)
class Received:
    applied: int  # results applied now (not counting windows already applied by an earlier delivery)
    duplicates: int  # due windows an earlier delivery had applied
    deferred: int  # results sent back to wait
    delay_seconds: int  # how long they wait before they are looked at again


def receive_results(message: Mapping[str, Any], *, ports: CampaignPorts | None = None) -> Received:
    """Apply the due part of one results message, then send the rest back with an SQS delay.

    The due windows are applied before the rest is sent, so a failure leaves the whole message to be
    redelivered; both steps are idempotent (the windows and their batch ids depend on the message only)."""
    ports = ports or CampaignPorts.wired()
    campaign_id: str = message["campaign_id"]
    results = [AttemptResult.from_message(r) for r in message["results"]]
    window_seconds: int | None = message.get("window_seconds")
    cap = get_settings().result_delay_cap()
    split = split_due(message["batch_id"], results, clock.now(), window_seconds=window_seconds, cap=cap)
    applied = duplicates = 0
    for window in split.due:
        outcome = apply_results(window.batch_id, campaign_id, window.results, ports=ports)
        duplicates += outcome.duplicate
        applied += outcome.applied
    if split.later is None:
        return Received(applied=applied, duplicates=duplicates, deferred=0, delay_seconds=0)
    later = split.later
    body = results_message(later.batch_id, campaign_id, later.results, window_seconds=later.window_seconds)
    ports.queue.send(RESULTS_QUEUE, [body], delay_seconds=later.delay_seconds)
    return Received(
        applied=applied, duplicates=duplicates, deferred=len(later.results), delay_seconds=later.delay_seconds
    )
