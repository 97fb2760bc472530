"""R-CPL-2: the ad-cap claim on moto: one holder per number for 24 h, a retried claim keeps it, a lapsed
claim can be taken, only the holder releases it."""

from __future__ import annotations

from datetime import datetime, timedelta

from jarchi.settings import Settings
from jarchi.store.adcap import AdCapItem, DynamoAdCap

claim_ad_cap = DynamoAdCap().claim
release_ad_cap = DynamoAdCap().release

NOW = datetime.fromisoformat("2026-03-02T10:00:00+03:30")
NUMBER = "+989120000001"


def test_r_cpl_2_one_holder_per_number_for_24_hours(aws: Settings) -> None:
    assert claim_ad_cap(NUMBER, attempt_id="a.0.1", campaign_id="a", now=NOW)
    assert claim_ad_cap(NUMBER, attempt_id="a.0.1", campaign_id="a", now=NOW + timedelta(minutes=1))  # retried
    assert not claim_ad_cap(NUMBER, attempt_id="b.0.1", campaign_id="b", now=NOW + timedelta(hours=23))
    assert AdCapItem.get(NUMBER).attempt_id == "a.0.1"
    assert claim_ad_cap(NUMBER, attempt_id="b.0.1", campaign_id="b", now=NOW + timedelta(hours=24))
    assert AdCapItem.get(NUMBER).campaign_id == "b"


def test_r_cpl_2_only_the_holder_gives_the_cap_back(aws: Settings) -> None:
    assert claim_ad_cap(NUMBER, attempt_id="a.0.1", campaign_id="a", now=NOW)
    release_ad_cap(NUMBER, "b.0.1")
    assert not claim_ad_cap(NUMBER, attempt_id="b.0.1", campaign_id="b", now=NOW)
    release_ad_cap(NUMBER, "a.0.1")
    assert claim_ad_cap(NUMBER, attempt_id="b.0.1", campaign_id="b", now=NOW)
