"""Results arriving on the results queue (R-DSP-1, R-DSP-4): apply the windows that are due, each under its
own batch id exactly once, and send the rest back onto the queue to wait (see `jarchi.results.due`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from jarchi import clock
from jarchi.attempts import SMS_OUTCOMES, VOICE_OUTCOMES, AttemptResult, Outcome
from jarchi.campaigns.ports import CampaignPorts
from jarchi.channels import Channel
from jarchi.metrics import Count, Dimension, Metric
from jarchi.resources import RESULTS_QUEUE
from jarchi.results.applying import BatchOutcome, DueResults, apply_windows
from jarchi.results.due import Deferred, results_message, split_due
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


@dataclass
class _Message:
    campaign_id: str
    due: list[DueResults]
    later: Deferred | None
    times: Mapping[str, str] | None


def _split(message: Mapping[str, Any], now: datetime) -> _Message:
    results = [AttemptResult.from_message(r) for r in message["results"]]
    times: Mapping[str, str] | None = message.get("times")
    window_seconds: int | None = message.get("window_seconds")
    cap = get_settings().result_delay_cap()
    split = split_due(message["batch_id"], results, now, window_seconds=window_seconds, cap=cap)
    due = [DueResults(window.batch_id, window.results, times) for window in split.due]
    return _Message(message["campaign_id"], due, split.later, times)


def receive_many(messages: Sequence[Mapping[str, Any]], *, ports: CampaignPorts | None = None) -> list[Received]:
    """Apply the due part of each results message, then send the rest of each back with an SQS delay; what was
    done with each message, in order.

    The due windows of one campaign's messages are applied together (`apply_windows`: one campaign write for
    them all), before any rest is sent, so a failure leaves every message to be redelivered; every step is
    idempotent (the windows and their batch ids depend on each message only)."""
    ports = ports or CampaignPorts.wired()
    now = clock.now()
    split = [_split(message, now) for message in messages]
    by_campaign: dict[str, list[tuple[int, DueResults]]] = {}
    for index, message in enumerate(split):
        for window in message.due:
            by_campaign.setdefault(message.campaign_id, []).append((index, window))
    outcomes: list[list[tuple[DueResults, BatchOutcome]]] = [[] for _ in split]
    for campaign_id, windows in by_campaign.items():
        applied = apply_windows(campaign_id, [window for _, window in windows], ports=ports)
        for (index, window), outcome in zip(windows, applied, strict=True):
            outcomes[index].append((window, outcome))
    received: list[Received] = []
    for message, applied_windows in zip(split, outcomes, strict=True):
        fresh = [r for window, outcome in applied_windows if not outcome.duplicate for r in window.results]
        tallied, listened = _tally(fresh)
        later = message.later
        if later is not None:
            body = results_message(
                later.batch_id,
                message.campaign_id,
                later.results,
                window_seconds=later.window_seconds,
                times=message.times,
            )
            ports.queue.send(RESULTS_QUEUE, [body], delay_seconds=later.delay_seconds)
        received.append(
            Received(
                applied=sum(outcome.applied for _, outcome in applied_windows),
                duplicates=sum(outcome.duplicate for _, outcome in applied_windows),
                deferred=len(later.results) if later else 0,
                delay_seconds=later.delay_seconds if later else 0,
                outcomes=tallied,
                listened_seconds=listened,
                follow_ups=sum(outcome.follow_ups for _, outcome in applied_windows),
            )
        )
    return received


def receive_results(message: Mapping[str, Any], *, ports: CampaignPorts | None = None) -> Received:
    """Apply the due part of one results message, then send the rest back with an SQS delay (see
    `receive_many`)."""
    (received,) = receive_many([message], ports=ports)
    return received
