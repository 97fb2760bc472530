"""R-REP-1: the list's search form and which index a filter reads (pure)."""

from __future__ import annotations

import pytest

from jarchi.campaigns.listing import CampaignFilter, ListingIndex, fold
from jarchi.campaigns.statuses import CampaignStatus


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("SALE", "Yalda sale"),
        ("كيك", "کیک"),  # Arabic kaf and yeh find Persian ones
        ("می خواهم", "می‌خواهم"),  # a space finds the half-space
        ("مُحَمَّد", "محمد"),  # harakat ignored
        ("ЁЛКА", "елка"),
        ("straße", "STRASSE"),
        ("ｓａｌｅ", "sale"),  # full-width letters
    ],
)
def test_r_rep_1_fold_makes_the_written_variants_one(typed: str, stored: str) -> None:
    assert fold(typed) in fold(stored)


def test_r_rep_1_each_filter_reads_one_index() -> None:
    assert CampaignFilter().listing_index is ListingIndex.LIVE
    assert CampaignFilter(archived=True).listing_index is ListingIndex.ARCHIVED
    assert CampaignFilter(status=CampaignStatus.RUNNING).listing_index is ListingIndex.BY_STATUS
    assert CampaignFilter(status=CampaignStatus.ARCHIVED).listing_index is ListingIndex.BY_STATUS
    assert CampaignFilter(status=CampaignStatus.RUNNING, archived=True).empty
    assert not CampaignFilter(status=CampaignStatus.ARCHIVED).empty
