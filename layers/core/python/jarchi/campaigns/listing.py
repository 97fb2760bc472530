"""Which campaigns the list shows (R-REP-1, R-CMP-4, SPEC §14 `GET /v1/campaigns?q=&status=&tag=&created_from=
&created_to=&archived=`). Pure: the fakes filter with `matches`, the DynamoDB adapter turns the same fields
into its query's key and filter conditions (`store/campaigns.py`), and a contract test holds them together.

- `q` matches the campaign's id exactly or a part of its name (case as typed: DynamoDB's `contains`);
- `status` one status; `tag` one derived tag (`Campaign.tags`);
- `created_from` inclusive, `created_to` exclusive;
- archived campaigns are hidden unless `archived=true` (then only they are shown) or `status=archived`
  asks for them by name; `archived=false` is the default."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from jarchi.campaigns.models import Campaign
from jarchi.campaigns.statuses import CampaignStatus


@dataclass(frozen=True, slots=True)
class CampaignFilter:
    q: str | None = None
    status: CampaignStatus | None = None
    tag: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    archived: bool | None = None

    @property
    def shows_archived(self) -> bool:
        """Only archived campaigns (True) or only the others (False)."""
        if self.archived is not None:
            return self.archived
        return self.status is CampaignStatus.ARCHIVED

    def matches(self, campaign: Campaign) -> bool:
        if campaign.archived is not self.shows_archived:
            return False
        if self.status is not None and campaign.status is not self.status:
            return False
        if self.q and not (campaign.id == self.q or self.q in campaign.name):
            return False
        if self.tag is not None and self.tag not in campaign.tags:
            return False
        if self.created_from is not None and campaign.created_at < self.created_from:
            return False
        return not (self.created_to is not None and campaign.created_at >= self.created_to)


DEFAULT_FILTER: Final = CampaignFilter()  # the default list: every campaign but the archived ones
