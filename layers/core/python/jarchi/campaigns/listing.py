"""Which campaigns the list shows (R-REP-1, R-CMP-4, SPEC §14 `GET /v1/campaigns?q=&status=&tag=&created_from=
&created_to=&archived=`). Pure: the fakes filter with `matches`, the DynamoDB adapter turns the same fields
into its index, key and filter conditions (`store/campaigns.py`), and a contract test holds them together.

- `q` matches the campaign's id exactly or a part of its name, whatever the case and the writing variants
  (`fold`: Latin and Cyrillic case, Arabic vs Persian yeh and kaf, diacritics, tatweel, ZWNJ vs space);
- `status` one status; `tag` one derived tag (`Campaign.tags`);
- `created_from` inclusive, `created_to` exclusive;
- archived campaigns are hidden unless `archived=true` (then only they are shown) or `status=archived`
  asks for them by name; `archived=false` is the default.

Which index answers which query is `listing_index` (decision log: "The campaign list's indexes")."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final

from jarchi.campaigns.models import Campaign
from jarchi.campaigns.statuses import CampaignStatus

# Letters written two ways in Persian text (an Arabic keyboard's yeh and kaf, alef maksura, teh marbuta,
# hamza seats) and Cyrillic yo: a search finds either.
_VARIANTS: Final = str.maketrans(
    {
        "\u064a": "\u06cc",  # ARABIC YEH -> FARSI YEH
        "\u0649": "\u06cc",  # ALEF MAKSURA -> FARSI YEH
        "\u0643": "\u06a9",  # ARABIC KAF -> KEHEH
        "\u0629": "\u0647",  # TEH MARBUTA -> HEH
        "\u0623": "\u0627",  # ALEF WITH HAMZA ABOVE -> ALEF
        "\u0625": "\u0627",  # ALEF WITH HAMZA BELOW -> ALEF
        "\u0622": "\u0627",  # ALEF WITH MADDA -> ALEF
        "\u0640": None,  # TATWEEL (stretching) is not a letter
        "\u200c": " ",  # ZWNJ (half-space): people type a space or nothing
        "\u0451": "\u0435",  # ё -> е
    }
)


def fold(text: str) -> str:
    """The form names are stored and searched in: compatibility-normalised, case-folded, written variants
    unified, combining marks (Arabic harakat, accents) dropped, runs of spaces made one."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_VARIANTS))
    kept = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(unicodedata.normalize("NFC", kept).translate(_VARIANTS).split())


class ListingIndex(StrEnum):
    """The index a list query reads: the account's campaigns of one status, or those not archived (the
    default list), or the archived ones."""

    BY_STATUS = "by_status"
    LIVE = "live"
    ARCHIVED = "archived"


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

    @property
    def folded_q(self) -> str:
        return fold(self.q) if self.q else ""

    @property
    def listing_index(self) -> ListingIndex:
        if self.status is not None:
            return ListingIndex.BY_STATUS
        return ListingIndex.ARCHIVED if self.shows_archived else ListingIndex.LIVE

    @property
    def empty(self) -> bool:
        """Nothing can match (a status that contradicts `archived`)."""
        return self.status is not None and (self.status is CampaignStatus.ARCHIVED) is not self.shows_archived

    def matches_name(self, campaign_id: str, name: str) -> bool:
        return not self.q or campaign_id == self.q or self.folded_q in fold(name)

    def matches(self, campaign: Campaign) -> bool:
        if self.empty or campaign.archived is not self.shows_archived:
            return False
        if self.status is not None and campaign.status is not self.status:
            return False
        if not self.matches_name(campaign.id, campaign.name):
            return False
        if self.tag is not None and self.tag not in campaign.tags:
            return False
        if self.created_from is not None and campaign.created_at < self.created_from:
            return False
        return not (self.created_to is not None and campaign.created_at >= self.created_to)


DEFAULT_FILTER: Final = CampaignFilter()  # the default list: every campaign but the archived ones
