"""The `ad_cap` table (R-CPL-2): one item per number while it has received an advertising attempt in the
last 24 hours, across all campaigns and accounts. Claimed with one conditional write, so of two racing
campaigns exactly one wins. DynamoDB's TTL deletion is lazy (and moto never deletes), so the claim's
condition compares `expires_at` itself."""

from __future__ import annotations

from datetime import datetime

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DeleteError, PutError
from pynamodb.models import Model

from jarchi.compliance.adcap import cap_expiry
from jarchi.store.base import table_meta
from jarchi.store.tables import AD_CAP


class AdCapItem(Model):
    Meta = table_meta(AD_CAP)
    number = UnicodeAttribute(hash_key=True)
    attempt_id = UnicodeAttribute()
    campaign_id = UnicodeAttribute()
    claimed_at = UnicodeAttribute()
    expires_at = NumberAttribute()  # epoch seconds; also the table's TTL attribute


def claim_ad_cap(number: str, *, attempt_id: str, campaign_id: str, now: datetime) -> bool:
    """True if this attempt now holds the number's cap (also when it already held it: a retried claim)."""
    item = AdCapItem(
        number,
        attempt_id=attempt_id,
        campaign_id=campaign_id,
        claimed_at=now.isoformat(),
        expires_at=int(cap_expiry(now).timestamp()),
    )
    free = (
        AdCapItem.number.does_not_exist()
        | (AdCapItem.expires_at <= int(now.timestamp()))
        | (AdCapItem.attempt_id == attempt_id)
    )
    try:
        item.save(condition=free)
    except PutError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def release_ad_cap(number: str, attempt_id: str) -> None:
    """Give the number back when the attempt never reached the network; only the holder can."""
    try:
        AdCapItem(number).delete(condition=AdCapItem.attempt_id == attempt_id)
    except DeleteError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
