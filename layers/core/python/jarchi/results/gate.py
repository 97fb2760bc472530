"""The voice quality gate at its checkpoint (R-CPL-5): judged once, from the counters the results batches add
(no scan), right after the batch that reaches the checkpoint. A pass is kept as the campaign's `quality`; a
stop moves the campaign to `stopped` by the system (reason `low_quality: ACD 23.5% (poor)` or a circuit
breaker's, see `jarchi.compliance.quality`), with a system comment, and gives back at once the reservation of
the recipients not placed yet (a `release`), all in one transaction. In-flight calls still end and are charged;
the rest is refunded when the owner finishes it."""

from __future__ import annotations

from datetime import datetime
from fractions import Fraction
from typing import Final

from jarchi import clock
from jarchi.billing import credit
from jarchi.campaigns.models import SYSTEM, Campaign, Comment
from jarchi.campaigns.ports import CampaignChanged, CampaignPorts
from jarchi.campaigns.statuses import SYSTEM_ACTOR, SystemEvent, apply, can_transition
from jarchi.compliance.quality import QualityCheck, QualityCounters, QualityLimits, judge
from jarchi.settings import get_settings

STOP_TRIES: Final = 5  # reads of a campaign whose admission keeps moving while it is being stopped


def quality_limits() -> QualityLimits:
    settings = get_settings()
    return QualityLimits(
        min_answered=settings.quality_min_answered,
        min_answer_rate=Fraction(settings.quality_min_answer_rate_percent, 100),
        max_short_share=Fraction(settings.quality_max_short_call_percent, 100),
        max_opt_out_share=Fraction(settings.quality_max_opt_out_percent, 100),
    )


def unplaced_reservation(campaign: Campaign) -> int:
    """What the recipients not admitted yet hold of the reservation (voice: the same pulses each, or the
    voicemail's when longer), never more than is still held."""
    pulses = max(campaign.content.pulses or 0, campaign.content.voicemail_pulses)
    held = campaign.money.unspent
    return min(held, campaign.progress.waiting * pulses * campaign.money.tariff)


def judge_quality(
    campaign_id: str, counters: QualityCounters, recipients: int, *, ports: CampaignPorts
) -> QualityCheck | None:
    """Judge the gate if its checkpoint is reached; the verdict kept (None: not due, or judged already)."""
    verdict = judge(counters, recipients, quality_limits())
    if not verdict.due:
        return None
    now = clock.now()
    check = verdict.checked(now)
    for _ in range(STOP_TRIES):
        campaign = ports.campaigns.get(campaign_id) if verdict.stop else None
        stoppable = campaign is not None and can_transition(campaign.status, SystemEvent.LOW_QUALITY)
        if campaign is None or campaign.quality is not None or not stoppable:
            # A pass, or a stop of a campaign no longer sending (finished, stopped): the verdict only.
            return check if ports.campaigns.record_quality(campaign_id, check) else None
        try:
            _stop(ports, campaign, check, now)
        except CampaignChanged:
            continue  # admission moved the pointer meanwhile: what is unplaced changed, read again
        return check
    return None


def _stop(ports: CampaignPorts, campaign: Campaign, check: QualityCheck, now: datetime) -> None:
    change = apply(campaign.status, SystemEvent.LOW_QUALITY, at=now, actor=SYSTEM_ACTOR, reason=check.reason)
    comment = Comment(at=now, author=SYSTEM, text=f"{change.status.value}: {check.reason}")
    amount = unplaced_reservation(campaign)
    release = credit.release(campaign.account_id, campaign.id, amount, "low_quality") if amount > 0 else None
    ports.campaigns.stop_for_quality(campaign, change, comment, check, release)
