"""Results arriving on the results queue (R-DSP-1, R-DSP-4): apply the windows that are due, each under its
own batch id exactly once, and send the rest back onto the queue to wait (see `jarchi.results.due`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from jarchi import clock
from jarchi.attempts import SMS_OUTCOMES, VOICE_OUTCOMES, AttemptResult, Outcome
from jarchi.campaigns.ports import CampaignPorts
from jarchi.channels import Channel
from jarchi.metrics import Count, Dimension, Metric
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
    # What the results applied now say, for the ops metrics: (channel, outcome) → results; seconds heard.
    outcomes: Counter[tuple[Channel, Outcome]] = field(default_factory=Counter)
    listened_seconds: int = 0
    follow_ups: int = 0  # follow-up SMS the results applied now fired

    def counts(self) -> list[Count]:
        """The ops metrics of this delivery (R-OPS): results applied, duplicates, deferred; per channel and
        outcome; follow-ups fired; seconds heard."""
        counts = [
            Count(Metric.RESULTS_APPLIED, self.applied),
            Count(Metric.RESULT_DUPLICATES, self.duplicates),
            Count(Metric.RESULTS_DEFERRED, self.deferred),
        ]
        for (channel, outcome), results in self.outcomes.items():
            counts.append(Count(Metric.ATTEMPT_RESULTS, results, {Dimension.CHANNEL: channel}))
            counts.append(
                Count(Metric.ATTEMPT_RESULTS, results, {Dimension.CHANNEL: channel, Dimension.OUTCOME: outcome})
            )
        if self.follow_ups:
            counts.append(Count(Metric.FOLLOW_UPS, self.follow_ups))
        if self.listened_seconds:
            counts.append(Count(Metric.LISTENED_SECONDS, self.listened_seconds, {Dimension.CHANNEL: Channel.VOICE}))
        return counts


def result_channel(result: AttemptResult) -> Channel:
    """A result's channel: SMS when it carries a delivery status or an outcome only SMS has."""
    sms_only = result.outcome in SMS_OUTCOMES - VOICE_OUTCOMES
    return Channel.SMS if result.delivery_status is not None or sms_only else Channel.VOICE


def _tally(results: Iterable[AttemptResult]) -> tuple[Counter[tuple[Channel, Outcome]], int]:
    outcomes: Counter[tuple[Channel, Outcome]] = Counter()
    listened = 0
    for result in results:
        outcomes[(result_channel(result), result.outcome)] += 1
        listened += result.listened_seconds if result.outcome is Outcome.ANSWERED else 0
    return outcomes, listened


def receive_results(message: Mapping[str, Any], *, ports: CampaignPorts | None = None) -> Received:
    """Apply the due part of one results message, then send the rest back with an SQS delay.

    The due windows are applied before the rest is sent, so a failure leaves the whole message to be
    redelivered; both steps are idempotent (the windows and their batch ids depend on the message only)."""
    ports = ports or CampaignPorts.wired()
    campaign_id: str = message["campaign_id"]
    results = [AttemptResult.from_message(r) for r in message["results"]]
    window_seconds: int | None = message.get("window_seconds")
    times: Mapping[str, str] | None = message.get("times")
    cap = get_settings().result_delay_cap()
    split = split_due(message["batch_id"], results, clock.now(), window_seconds=window_seconds, cap=cap)
    applied = duplicates = follow_ups = 0
    fresh: list[AttemptResult] = []
    for window in split.due:
        outcome = apply_results(window.batch_id, campaign_id, window.results, times=times, ports=ports)
        duplicates += outcome.duplicate
        applied += outcome.applied
        follow_ups += outcome.follow_ups
        if not outcome.duplicate:
            fresh.extend(window.results)
    outcomes, listened = _tally(fresh)
    if split.later is None:
        return Received(
            applied,
            duplicates,
            deferred=0,
            delay_seconds=0,
            outcomes=outcomes,
            listened_seconds=listened,
            follow_ups=follow_ups,
        )
    later = split.later
    body = results_message(later.batch_id, campaign_id, later.results, window_seconds=later.window_seconds, times=times)
    ports.queue.send(RESULTS_QUEUE, [body], delay_seconds=later.delay_seconds)
    return Received(
        applied,
        duplicates,
        deferred=len(later.results),
        delay_seconds=later.delay_seconds,
        outcomes=outcomes,
        listened_seconds=listened,
        follow_ups=follow_ups,
    )
