"""What the campaign view shows beyond the raw counters (R-REP-2, SPEC §14): the seed pages' statistics, the
quality (ACD and its band), speed configured vs achieved and the units sent. Pure: the API maps the result.

- `not_answered` = no answer + busy; `stop_listed` = blacklisted (the account's stop list and the telecom
  blacklist); `capped` = frequency capped; `leads` = answered with a vote other than 11, over every part.
- `follow_ups_sent`: the follow-up SMS the operator accepted (R-OUT-3), `callbacks` the callbacks connected
  (R-OUT-4), both every part. `machine` counts the calls answering machines took.
- `votes`: the vote histogram (answered people by vote code, `VOTE_KEYS`) over every part, and per part.
- ACD and its band: running, from the quality gate's counters (every part); once the gate has judged, the view
  shows its verdict instead (`Campaign.quality`).
- Per part: its counts, leads (from its votes), units and money (what it reserved, charged, released and
  refunded: the difference of the money totals kept when each part started).
- achieved speed: the current part's final outcomes per hour, from the part's start to now (or to the last
  status change once the campaign no longer sends).
- units sent: what was charged over the tariff (segments for SMS, pulses for voice; only successes are charged).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final
from zoneinfo import ZoneInfo

from jarchi.accounts.models import Caller
from jarchi.accounts.service import visible_account
from jarchi.attempts import VOTE_AD_OPT_OUT, VOTE_NONE, VOTE_NOT_ANSWERED, Outcome
from jarchi.campaigns.models import (
    IN_PROGRESS,
    PART_STRIDE,
    PENDING,
    Campaign,
    CampaignPart,
    FollowUpSent,
    MoneyTotals,
    RecipientState,
)
from jarchi.campaigns.ports import CampaignPorts
from jarchi.campaigns.queries import visible_campaign
from jarchi.campaigns.reading import part_states
from jarchi.campaigns.statuses import CampaignStatus
from jarchi.errors import NotFound

_SENDING: Final = frozenset({CampaignStatus.RUNNING, CampaignStatus.WAITING_WINDOW})


@dataclass(frozen=True, slots=True)
class PartReport:
    part: CampaignPart
    stats: dict[str, int]  # the part's counts and its leads
    votes: dict[str, int]
    money: MoneyTotals | None  # None: not known (a part recorded before the totals were kept)
    units_sent: int | None


@dataclass(frozen=True, slots=True)
class CampaignReport:
    stats: dict[str, int]
    votes: dict[str, int]
    acd_percent: float | None
    band: str | None
    checked_at: datetime | None
    configured_per_hour: int
    achieved_per_hour: int
    units_sent: int
    parts: list[PartReport]


def owner_zone(caller: Caller, campaign: Campaign) -> ZoneInfo:
    """The time zone of the campaign's account (`?tz=account`)."""
    return ZoneInfo(visible_account(caller, campaign.account_id).timezone)


def achieved_per_hour(campaign: Campaign, now: datetime) -> int:
    started = campaign.all_parts()[-1].started_at
    running = [h.at for h in campaign.history if h.status is CampaignStatus.RUNNING and h.at >= started]
    if running:
        started = running[0]
    end = now if campaign.status in _SENDING else campaign.history[-1].at
    hours = (end - started).total_seconds() / 3600
    done = sum(campaign.counts.values())
    return round(done / hours) if hours > 0 and done else 0


def campaign_report(campaign: Campaign, now: datetime) -> CampaignReport:
    stats = {"total": campaign.progress.total, **campaign.stats()}
    stats |= {
        "leads": campaign.leads,
        "not_answered": stats["no_answer"] + stats["busy"],
        "stop_listed": stats["blacklisted"],
        "capped": stats["frequency_capped"],
        "machine": stats["machine"],
        "follow_ups_sent": campaign.follow_ups_sent,
        "callbacks": campaign.callbacks,
    }
    acd_percent, band = campaign.quality_counters.running_acd()
    return CampaignReport(
        stats=stats,
        votes=campaign.vote_histogram(),
        acd_percent=acd_percent,
        band=band.value if band is not None else None,
        checked_at=None,
        configured_per_hour=campaign.settings.speed_per_hour,
        achieved_per_hour=achieved_per_hour(campaign, now),
        units_sent=_units(campaign, campaign.money.charged),
        parts=[part_report(campaign, part) for part in campaign.all_parts()],
    )


def _units(campaign: Campaign, charged: int) -> int:
    tariff = campaign.money.tariff
    return charged // tariff if tariff else 0


def part_report(campaign: Campaign, part: CampaignPart) -> PartReport:
    """One part's figures: its counts (the running stats for the current part), leads, votes, units, money."""
    votes = dict(campaign.part_votes(part))
    leads = sum(n for key, n in votes.items() if key not in (str(VOTE_NONE), str(VOTE_AD_OPT_OUT)))
    if part.counts is None:
        stats = {"total": campaign.progress.total, **campaign.stats()}
    else:
        stats = {"total": part.total, **{key: int(n) for key, n in part.counts.items()}}
    stats["leads"] = leads
    money = campaign.part_money(part)
    units = _units(campaign, money.charged) if money is not None else None
    return PartReport(part, stats, votes, money, units)


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    event: str  # admitted | placed | <result status> (machine for an answering machine) | vote | dlr | charged
    # | follow_up_sms | callback
    at: datetime | None  # None: not known (a result a provider reported later carries no dispatch times)
    part: int
    detail: dict[str, str | int | None]


def recipient_timeline(
    caller: Caller, campaign_id: str, number: str, *, ports: CampaignPorts | None = None
) -> tuple[str, list[TimelineEvent]]:
    """One number's story in a campaign, every part in order (SPEC §14), derived from what the pipeline
    stores: its place in each part's audience (read in order from S3: no index, no scan of the table), the
    recipient item written with its result (which keeps the dispatch batch's admission and placing times),
    and the follow-up SMS and callbacks stored beside it. Nothing is written for the timeline's sake."""
    ports = ports or CampaignPorts.wired()
    campaign = visible_campaign(caller, campaign_id, ports=ports)
    events: list[TimelineEvent] = []
    status: str | None = None
    for record in campaign.all_parts():
        base = record.part * PART_STRIDE
        entries = ports.recipients.read_audience(record.audience_key, base, record.total)
        seqs = [entry.seq - base for entry in entries if entry.number == number]
        for seq in seqs:
            state = part_states(campaign, record.part, seq, 1, ports=ports)[0]
            status = state.status
            events += _state_events(record.part, state)
    if status is None:
        raise NotFound("recipient_not_found", f"{number!r} is not a recipient of campaign {campaign.id}")
    return status, events


def _state_events(part: int, state: RecipientState) -> list[TimelineEvent]:
    if state.status == PENDING:
        return []
    at = state.updated_at
    placed = not state.pre_dial and state.status != Outcome.EXPIRED.value  # an expired SMS never reached the network
    events: list[TimelineEvent] = []
    if not state.pre_dial:
        events.append(TimelineEvent("admitted", state.admitted_at, part, {"attempt_id": state.attempt_id}))
    if state.status == IN_PROGRESS:
        return events
    if placed:
        events.append(TimelineEvent("placed", state.placed_at, part, {"attempts": state.attempts}))
    outcome: dict[str, str | int | None] = {"reason": state.reason, "listened_seconds": state.listened_seconds}
    events.append(TimelineEvent(state.status, at, part, outcome))
    if state.vote is not None and state.vote != VOTE_NOT_ANSWERED:
        events.append(TimelineEvent("vote", at, part, {"vote": state.vote}))
    if state.delivery_status is not None:
        # The providers report a message once, all its parts in (R-SMS-5): one receipt for its `parts`.
        events.append(TimelineEvent("dlr", at, part, {"delivery_status": state.delivery_status, "parts": state.units}))
    if state.cost:
        events.append(TimelineEvent("charged", at, part, {"amount": state.cost}))
    events += [_follow_up_event(part, sent) for sent in state.follow_ups]
    if state.callbacks or state.callbacks_refused:
        counts: dict[str, str | int | None] = {"connected": state.callbacks, "refused": state.callbacks_refused}
        events.append(TimelineEvent("callback", state.callback_at, part, counts))
    return events  # in the order they happen


def _follow_up_event(part: int, sent: FollowUpSent) -> TimelineEvent:
    detail: dict[str, str | int | None] = {
        "rule": sent.rule,
        "on": sent.on,
        "status": sent.status,
        "delivery_status": sent.delivery_status,
        "cost": sent.cost,
    }
    return TimelineEvent("follow_up_sms", sent.at, part, detail)
