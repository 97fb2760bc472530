"""Finishing a campaign: the reconciliation (R-BIL-3).

The ledger sees a campaign's money once: the charge and the refund of the rest of the reservation in one
transaction with the campaign's move to `finished`, so `reserved = charged + released + refunded`. The
running charge itself is moved per results batch by `jarchi.results.applying`."""

from __future__ import annotations

from jarchi import clock
from jarchi.billing import credit
from jarchi.campaigns.models import Campaign
from jarchi.campaigns.ports import CampaignPorts, SettlementRefused
from jarchi.campaigns.statuses import CampaignStatus, Trigger, apply
from jarchi.errors import NotFound


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
    change = apply(campaign.status, event, at=now, actor=actor, reason=reason, in_flight=campaign.progress.in_flight)
    money = campaign.money
    posting = None
    if money.charged > 0 or money.unspent > 0:
        posting = credit.settlement(campaign.account_id, campaign_id, money.charged, money.unspent)
    try:
        ports.campaigns.settle(campaign, change, refunded=money.unspent, posting=posting)
    except SettlementRefused:
        current = ports.campaigns.get(campaign_id)
        if current is not None and current.progress.reconciled:
            return current
        if current is not None and current.progress.in_flight > 0:
            apply(current.status, event, at=now, actor=actor, in_flight=current.progress.in_flight)  # raises
        raise
    assert change.status is CampaignStatus.FINISHED
    settled = ports.campaigns.get(campaign_id)
    assert settled is not None
    return settled
