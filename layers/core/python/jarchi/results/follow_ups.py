"""Follow-up SMS (R-OUT-3) on the results side: which rules a batch of call results fires, which of them may
be sent (the account stop list, and for advertising the telecom blacklist and the ad opt-out, as for any SMS of
the campaign; the SMS window in the recipient's local time; one per rule and recipient), and their SMS
attempts, sent through the dispatch queue like any SMS attempt of the campaign. The rules themselves are in
`jarchi.campaigns.follow_ups`.

Decisions where the spec is silent:

- A follow-up goes out when the call ends, or not at all: if the SMS window is closed then (an advertising
  call ending after 21:00, when advertising SMS stop), it is recorded `window_closed`, free, and its reserve is
  returned at reconciliation. A "thank you for your vote" the next morning answers nothing, and holding the
  campaign open for hours would delay its settlement.
- Follow-ups of an advertising call ride the call's ad-cap claim: they are part of the same ad (no second
  claim, so they are never `frequency_capped` by their own call).
- The SMS window is the platform policy's for SMS of the campaign's category in the recipient's country (the
  account's 24-hour permission is not consulted; the campaign's own narrowed windows are for its calls).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from jarchi.attempts import VOTE_AD_OPT_OUT, Attempt, AttemptResult
from jarchi.audiences.numbers import number_info, recipient_time_zone
from jarchi.billing.charges import attempt_charge, is_billable
from jarchi.campaigns.follow_ups import fired, follow_up_attempt_id, follow_up_of, follow_up_seq
from jarchi.campaigns.models import PART_STRIDE, RecipientState
from jarchi.campaigns.ports import CampaignPorts, CampaignPricing, FollowUpClaims
from jarchi.channels import Category, Channel
from jarchi.clock import iso
from jarchi.compliance.adcap import RecipientChecks, SuppressionList, pre_dial_check
from jarchi.content.sms_types import validity_minutes_for
from jarchi.ports import resolve
from jarchi.resources import DISPATCH_QUEUE

WINDOW_CLOSED = "window_closed"
FALLBACK_TIME_ZONE = "Asia/Tehran"


@dataclass
class FollowUpPlan:
    """What one results batch does about follow-ups: SMS attempts to send, and refused follow-ups to store."""

    attempts: list[Attempt] = field(default_factory=list)
    refused: list[RecipientState] = field(default_factory=list)


def is_follow_up(result: AttemptResult) -> bool:
    return follow_up_of(result.attempt_id) is not None


def plan_follow_ups(
    pricing: CampaignPricing, calls: Sequence[AttemptResult], now: datetime, *, ports: CampaignPorts
) -> FollowUpPlan:
    """The follow-ups the calls' final results fire (see the module docstring for the checks)."""
    plan = FollowUpPlan()
    firing = [(result, rule) for result in calls for rule in fired(pricing.follow_ups, result)]
    if not firing:
        return plan
    lists = ports.suppression.memberships({result.number for result, _ in firing}, pricing.account_id)
    claims = ports.follow_up_claims or resolve(FollowUpClaims)
    for result, index in firing:
        rule = pricing.follow_ups[index]
        attempt_id = follow_up_attempt_id(result.attempt_id, index)
        seq = int(result.attempt_id.rsplit(".", 2)[1])
        on = lists.get(result.number, set())
        decision = pre_dial_check(
            pricing.category,
            RecipientChecks(
                on_account_stop_list=SuppressionList.ACCOUNT_STOP_LIST in on,
                on_telecom_blacklist=SuppressionList.TELECOM_BLACKLIST in on,
                ad_opted_out=SuppressionList.AD_OPT_OUT in on or result.vote == VOTE_AD_OPT_OUT,
                window_open=_sms_window_open(pricing, result.number, now),
            ),
        )
        refusal = decision.outcome.value if decision.outcome is not None else WINDOW_CLOSED if decision.wait else None
        if not claims.claim(pricing.id, result.number, index, attempt_id):
            continue  # this recipient's follow-up for this rule went out (or was refused) in another part
        if refusal is not None:
            plan.refused.append(
                RecipientState(
                    pricing.id,
                    follow_up_seq(seq, index),
                    number=result.number,
                    units=rule.units,
                    status=refusal,
                    attempt_id=attempt_id,
                    reason=rule.on.value,
                    updated_at=now,
                )
            )
            continue
        plan.attempts.append(
            Attempt(
                attempt_id=attempt_id,
                campaign_id=pricing.id,
                account_id=pricing.account_id,
                channel=Channel.SMS,
                category=pricing.category,
                number=result.number,
                sms_text=rule.sms_text,
                sender=rule.sender,
                units=rule.units,
                part=seq // PART_STRIDE,
                validity_seconds=60 * validity_minutes_for(result.number),
                admitted_at=iso(now),
            )
        )
    return plan


def _sms_window_open(pricing: CampaignPricing, number: str, now: datetime) -> bool:
    # Only campaigns with follow-ups get here: the results function's cold start does not load the window rules
    # (pydantic) and the admission module for the others (issue 10, cold start).
    from jarchi.compliance.windows import WindowPolicy

    info = number_info(number)
    zone = recipient_time_zone(info, pricing.time_zones[0] if pricing.time_zones else FALLBACK_TIME_ZONE)
    rule = WindowPolicy.default().rule_for(Channel.SMS, Category(pricing.category), country=info.region)
    return rule.is_open(now, zone)


def send_follow_ups(
    batch_id: str, pricing: CampaignPricing, attempts: Sequence[Attempt], *, ports: CampaignPorts
) -> None:
    """Onto the dispatch queue, under batch ids derived from the results batch's: a redelivered results batch
    sends the same messages, which the dispatch step places once."""
    from jarchi.campaigns.workflow import pack_attempts

    bodies: list[dict[str, Any]] = [
        {
            "batch_id": f"{batch_id}-fu{i}",
            "campaign_id": pricing.id,
            "account_id": pricing.account_id,
            "attempts": chunk,
        }
        for i, chunk in enumerate(pack_attempts(attempts))
    ]
    if bodies:
        ports.queue.send(DISPATCH_QUEUE, bodies)


def follow_up_state(pricing: CampaignPricing, result: AttemptResult, now: datetime) -> tuple[RecipientState, int]:
    """A follow-up SMS's reported state (kept beside its recipient) and its charge."""
    found = follow_up_of(result.attempt_id)
    assert found is not None
    seq, index = found
    cost = attempt_charge(Channel.SMS, result.outcome, units=result.units, tariff=pricing.follow_up_tariff)
    rule = pricing.follow_ups[index] if index < len(pricing.follow_ups) else None
    state = RecipientState(
        pricing.id,
        follow_up_seq(seq, index),
        number=result.number,
        units=result.units,
        status=result.outcome.value,
        attempts=1,
        attempt_id=result.attempt_id,
        cost=cost,
        reason=rule.on.value if rule is not None else None,
        updated_at=now,
        delivery_status=result.delivery_status.value if result.delivery_status else None,
    )
    return state, cost


def counts_as_sent(result: AttemptResult) -> bool:
    return is_billable(result.outcome)
