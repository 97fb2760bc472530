"""Applying one due window of results to its campaign, exactly once (R-DSP-1, R-BIL-3, R-CPL-2/3).

The recipients' final states are written first (BatchWriteItem, no reads: each result carries its number
and units; rewriting the same values is harmless), then one conditional write on the campaign adds the batch
id to its applied set and moves the counters and the running charge. A duplicate delivery fails that
condition and changes nothing. Per result: the charge (`jarchi.billing.charges`), giving back the ad cap of
an attempt that never reached the network and the ad opt-out of a vote 11 (`jarchi.compliance.adcap`).

Follow-up SMS (R-OUT-3, `jarchi.results.follow_ups`): the calls' results fire the campaign's rules; the SMS
attempts go to the dispatch queue before the batch is recorded (a redelivery sends the same messages again,
which dispatch places once), and the same write counts them in flight. A follow-up's own result is kept beside
its recipient (not over the call's state), charged at the SMS tariff and counted in `follow_ups_sent`. A voice
batch also adds to the quality gate's counters, and the gate is judged after the batch that reaches its
checkpoint (`jarchi.results.gate`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import reduce

from jarchi import clock
from jarchi.attempts import (
    VOTE_AD_OPT_OUT,
    AttemptResult,
    Outcome,
    is_final,
    is_lead,
    recipient_status,
    result_stat_key,
    vote_key,
)
from jarchi.billing.charges import attempt_charge
from jarchi.campaigns.models import RecipientState
from jarchi.campaigns.ports import CampaignPorts, CampaignPricing, FollowUpCounts
from jarchi.campaigns.routes import parse_slot
from jarchi.channels import Channel
from jarchi.clock import iso
from jarchi.compliance.adcap import SuppressionList, cap_applies, opts_out_of_ads, releases_ad_cap
from jarchi.compliance.quality import SHORT_CALL_SECONDS, QualityCounters
from jarchi.errors import NotFound
from jarchi.results.callbacks import reached_by_call
from jarchi.results.follow_ups import (
    counts_as_sent,
    follow_up_state,
    is_follow_up,
    plan_follow_ups,
    send_follow_ups,
)
from jarchi.results.gate import judge_quality


@dataclass(frozen=True)
class BatchOutcome:
    applied: int
    charged: int
    duplicate: bool
    follow_ups: int = 0  # follow-up SMS this batch's results fired (sent to dispatch)


def _seq_and_attempt(attempt_id: str) -> tuple[int, int]:
    _campaign, seq, attempt = attempt_id.rsplit(".", 2)
    return int(seq), int(attempt)


def _time(times: Mapping[str, str] | None, key: str) -> datetime | None:
    value = (times or {}).get(key)
    return datetime.fromisoformat(value) if value else None


def quality_counters(results: Sequence[AttemptResult], message_seconds: int) -> QualityCounters:
    """What one batch adds to the quality gate's counters (R-CPL-5): calls placed, answered people (machines
    are placed calls, not listeners), their listened and message seconds, short calls (under 6 s, or under the
    whole of a shorter message) and opt-outs."""
    placed = answered = listened = short = opted_out = 0
    for result in results:
        if not is_final(result.outcome):
            continue
        placed += 1
        if result.outcome is not Outcome.ANSWERED or result.answering_machine:
            continue
        answered += 1
        listened += min(result.listened_seconds, message_seconds) if message_seconds else result.listened_seconds
        short += result.listened_seconds < min(SHORT_CALL_SECONDS, message_seconds or SHORT_CALL_SECONDS)
        opted_out += result.vote == VOTE_AD_OPT_OUT
    return QualityCounters(placed, answered, listened, answered * message_seconds, short, opted_out)


def _give_back_route_slots(
    ports: CampaignPorts, campaign_id: str, calls: Sequence[AttemptResult], now: datetime
) -> None:
    """The fixed lines' calls ended: their route slots are free for any campaign (R-DSP-3)."""
    if ports.routes is None:
        return
    for slot, count in Counter(r.route_slot for r in calls if r.route_slot).items():
        route, shard = parse_slot(slot)
        ports.routes.give_back(route, shard, campaign_id, count, now)


@dataclass
class _Window:
    """One due window, made ready to be recorded: its recipients are saved, its follow-ups sent."""

    batch_id: str
    applied: int
    charged: int
    finals: Counter[str]
    follow_ups: FollowUpCounts
    leads: int
    votes: Counter[str]
    quality: QualityCounters | None
    at: datetime
    calls: list[AttemptResult]
    fired: int  # follow-up SMS sent for it


@dataclass(frozen=True, slots=True)
class DueResults:
    """One window of a campaign's results to apply under `batch_id` (`times`: its dispatch batch's
    `admitted_at` and `placed_at`)."""

    batch_id: str
    results: Sequence[AttemptResult]
    times: Mapping[str, str] | None = None


def _prepare(
    ports: CampaignPorts, pricing: CampaignPricing, campaign_id: str, window: DueResults, now: datetime
) -> _Window:
    """Everything of a window before the campaign write, each step idempotent: the recipients' final states
    saved, the ad cap given back, the ad opt-outs added, the follow-ups sent."""
    capped = cap_applies(pricing.category)  # only a capped category's attempts hold a claim to give back
    finals: Counter[str] = Counter()
    charged = 0
    leads = 0
    writes: list[RecipientState] = []
    follow_ups_reported = follow_ups_sent = follow_ups_charged = 0
    calls: list[AttemptResult] = []
    times, results = window.times, window.results
    admitted_at, placed_at = (_time(times, key) for key in ("admitted_at", "placed_at"))
    for result in results:
        if not is_final(result.outcome):
            continue
        if is_follow_up(result):
            state, cost = follow_up_state(pricing, result, now)
            writes.append(state)
            charged += cost
            follow_ups_charged += cost
            follow_ups_reported += 1
            follow_ups_sent += counts_as_sent(result)
            continue
        calls.append(result)
        seq, attempt = _seq_and_attempt(result.attempt_id)
        cost = attempt_charge(pricing.channel, result.outcome, units=result.units, tariff=pricing.tariff)
        writes.append(
            RecipientState(
                campaign_id,
                seq,
                number=result.number,
                units=result.units,
                status=recipient_status(result.outcome, result.answering_machine),
                attempts=attempt,
                attempt_id=result.attempt_id,
                vote=result.vote,
                listened_seconds=result.listened_seconds,
                cost=cost,
                updated_at=now,
                delivery_status=result.delivery_status.value if result.delivery_status else None,
                called_at=result.completed_at if reached_by_call(pricing.channel, result.outcome) else None,
                admitted_at=admitted_at,
                placed_at=placed_at,
                caller_id=result.caller_id,
                recording=result.recording_key,
                recording_seconds=result.recording_seconds if result.recording_key else None,
            )
        )
        finals[result_stat_key(result.outcome, result.answering_machine)] += 1
        charged += cost
        leads += is_lead(result.outcome, result.vote)
        if capped and releases_ad_cap(result.outcome):
            ports.ad_cap.release(result.number, result.attempt_id)
        if opts_out_of_ads(pricing.category, result.vote):
            ports.suppression.add(SuppressionList.AD_OPT_OUT, result.number, added_at=iso(now), source=campaign_id)
    plan = plan_follow_ups(pricing, calls, now, ports=ports) if pricing.follow_ups else None
    ports.recipients.save_all(writes + (plan.refused if plan else []))
    if plan and plan.attempts:
        send_follow_ups(window.batch_id, pricing, plan.attempts, ports=ports)
    return _Window(
        batch_id=window.batch_id,
        applied=sum(finals.values()),
        charged=charged,
        finals=finals,
        follow_ups=FollowUpCounts(
            in_flight=(len(plan.attempts) if plan else 0) - follow_ups_reported,
            sent=follow_ups_sent,
            charged=follow_ups_charged,
        ),
        leads=leads,
        votes=Counter(key for r in calls if (key := vote_key(r.outcome, r.vote, r.answering_machine)) is not None),
        quality=quality_counters(calls, pricing.message_seconds) if pricing.channel is Channel.VOICE else None,
        at=max((r.completed_at for r in results), default=now),
        calls=calls,
        fired=len(plan.attempts) if plan else 0,
    )


def _record(ports: CampaignPorts, campaign_id: str, windows: Sequence[_Window]) -> bool:
    """The windows' counters and running charge in one write, with their batch ids: all or none."""
    first, *more = windows
    quality = [w.quality for w in windows if w.quality is not None]
    finals: Counter[str] = Counter()
    votes: Counter[str] = Counter()
    for w in windows:
        finals.update(w.finals)
        votes.update(w.votes)
    return ports.campaigns.record_results(
        campaign_id,
        first.batch_id,
        more_batch_ids=[w.batch_id for w in more],
        applied=sum(w.applied for w in windows),
        charged=sum(w.charged for w in windows),
        finals=finals,
        follow_ups=FollowUpCounts(
            in_flight=sum(w.follow_ups.in_flight for w in windows),
            sent=sum(w.follow_ups.sent for w in windows),
            charged=sum(w.follow_ups.charged for w in windows),
        ),
        leads=sum(w.leads for w in windows),
        votes=votes,
        quality=reduce(QualityCounters.plus, quality) if quality else None,
        at=max(w.at for w in windows),
    )


def apply_windows(
    campaign_id: str, windows: Sequence[DueResults], *, ports: CampaignPorts | None = None
) -> list[BatchOutcome]:
    """Apply one campaign's due windows (each once, see the module docstring), in order; one outcome each.

    Their campaign writes are one conditional write that adds every batch id: the campaign item is written
    once per results invocation, not once per window (issue 17: no item written more than once per 100
    attempts). If that write is refused (a window was applied before: a redelivery), each window is recorded
    alone under its own condition, as a single window always is, so each still counts exactly once."""
    ports = ports or CampaignPorts.wired()
    pricing = ports.campaigns.pricing(campaign_id)
    if pricing is None:
        raise NotFound.of("campaign", campaign_id)
    now = clock.now()
    outcomes: list[BatchOutcome | None] = [None] * len(windows)
    ready: list[tuple[int, _Window]] = []
    seen: set[str] = set()
    for index, window in enumerate(windows):
        if window.batch_id in seen:  # the same window twice in one call (a message delivered twice at once)
            outcomes[index] = BatchOutcome(applied=0, charged=0, duplicate=True)
            continue
        seen.add(window.batch_id)
        ready.append((index, _prepare(ports, pricing, campaign_id, window, now)))
    prepared = [w for _, w in ready]
    if len(prepared) > 1 and _record(ports, campaign_id, prepared):
        firsts = [True] * len(prepared)
    else:
        firsts = [_record(ports, campaign_id, [w]) for w in prepared]
    unjudged: QualityCounters | None = None
    for (index, done), first in zip(ready, firsts, strict=True):
        if not first:
            outcomes[index] = BatchOutcome(applied=0, charged=0, duplicate=True)
            continue
        _give_back_route_slots(ports, campaign_id, done.calls, now)
        if done.quality is not None:
            unjudged = done.quality if unjudged is None else unjudged.plus(done.quality)
        outcomes[index] = BatchOutcome(done.applied, done.charged, duplicate=False, follow_ups=done.fired)
    if unjudged is not None and pricing.unjudged is not None:
        judge_quality(campaign_id, pricing.unjudged.plus(unjudged), pricing.total, ports=ports)
    return [outcome for outcome in outcomes if outcome is not None]
