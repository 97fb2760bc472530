"""Domain objects the store's contract and read tests start from."""

from __future__ import annotations

from jarchi import clock as platform_clock
from jarchi.campaigns.models import Campaign, CampaignContent, CampaignMoney, CampaignProgress, CampaignSettings
from jarchi.campaigns.statuses import CampaignStatus, StatusChange
from jarchi.channels import Category, Channel
from jarchi.ids import new_id


def running_sms_campaign(account_id: str, *, reserved: int, total: int = 3, name: str = "Contract") -> Campaign:
    """A running service SMS campaign of `total` recipients with `reserved` units of credit reserved, created now."""
    now = platform_clock.now()
    created = StatusChange(at=now, status=CampaignStatus.RUNNING, actor="system", reason="created")
    return Campaign(
        id=new_id("cmp"),
        account_id=account_id,
        created_at=now,
        name=name,
        channel=Channel.SMS,
        category=Category.SERVICE,
        status=CampaignStatus.RUNNING,
        history=(created,),
        content=CampaignContent(sms_text="Shop: hi", sender="Shop"),
        settings=CampaignSettings(time_zones=("Asia/Tehran",)),
        money=CampaignMoney(unit="segment", tariff=100, estimated=reserved, reserved=reserved),
        progress=CampaignProgress(total=total, run=1),
        audience_key=f"campaigns/{account_id}/audience/",
    )
