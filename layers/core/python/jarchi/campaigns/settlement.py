"""Finishing a campaign: the reconciliation (R-BIL-3).

The ledger sees a campaign's money once: the charge and the refund of the rest of the reservation in one
transaction with the campaign's move to `finished`, so `reserved = charged + released + refunded`. A campaign
sent again (reset, retry-failed, resume-unfinished: a new part with its own reservation) is reconciled once per
part: the charge not yet booked (`unbilled`) and what is still held (`unspent`), once-key per part. The
running charge itself is moved per results batch by `jarchi.results.applying`."""

from __future__ import annotations

from jarchi import clock
from jarchi.billing import credit
from jarchi.billing.ledger import Posting
from jarchi.campaigns.models import Campaign
from jarchi.campaigns.ports import CampaignChanged, CampaignPorts, SettlementRefused
from jarchi.campaigns.statuses import CampaignStatus, Trigger, apply
from jarchi.errors import NotFound


def money_posting(campaign: Campaign) -> Posting | None:
    """What settling the current part books: the charge not yet booked with each reseller's margin on it, and
    what the part still holds refunded (None: nothing to book)."""
    money = campaign.money
    if money.unbilled <= 0 and money.unspent <= 0:
        return None
    return credit.settlement(
        campaign.account_id,
        campaign.id,
        money.unbilled,
        money.unspent,
        campaign.progress.part,
        margins=money.unbilled_margins(),
    )


def settle_campaign(
    campaign_id: str, *, actor: str, event: Trigger, reason: str | None = None, ports: CampaignPorts | None = None
) -> Campaign:
    """Finish a campaign and give back what it reserved and did not spend, in one transaction, once.

    Refuses while attempts are in flight (`campaign_in_flight`)."""
    ports = ports or CampaignPorts.wired()
    campaign = ports.campaigns.get(campaign_id)
    if campaign is None:
        raise NotFound.of("campaign", campaign_id)
    if campaign.progress.reconciled:
        return campaign
    now = clock.now()
    change = apply(campaign.status, event, at=now, actor=actor, reason=reason, in_flight=campaign.progress.outstanding)
    money = campaign.money
    posting = money_posting(campaign)
    try:
        ports.campaigns.settle(campaign, change, refunded=money.refunded + money.unspent, posting=posting)
    except SettlementRefused:
        current = ports.campaigns.get(campaign_id)
        if current is not None and current.progress.reconciled:
            return current
        if current is not None and current.status is not campaign.status:
            raise CampaignChanged(campaign_id) from None  # another actor moved it first (an owner's pause)
        if current is not None and current.progress.outstanding > 0:
            apply(current.status, event, at=now, actor=actor, in_flight=current.progress.outstanding)  # raises
        raise
    assert change.status in (CampaignStatus.FINISHED, CampaignStatus.REJECTED)
    settled = ports.campaigns.get(campaign_id)
    assert settled is not None
    return settled
