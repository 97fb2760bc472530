"""The `ad_cap` table (R-CPL-2): one item per number while it has received an advertising attempt in the
last 24 hours, across all campaigns and accounts. Claimed with one conditional write, so of two racing
campaigns exactly one wins. DynamoDB's TTL deletion is lazy (and moto never deletes), so the claim's
condition compares `expires_at` itself."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

import boto3
from botocore.exceptions import ClientError
from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DeleteError
from pynamodb.models import Model

from jarchi.compliance.adcap import cap_expiry
from jarchi.settings import get_settings
from jarchi.store.base import table_meta
from jarchi.store.tables import AD_CAP


class AdCapItem(Model):
    Meta = table_meta(AD_CAP)
    number = UnicodeAttribute(hash_key=True)
    attempt_id = UnicodeAttribute()
    campaign_id = UnicodeAttribute()
    claimed_at = UnicodeAttribute()
    expires_at = NumberAttribute()  # epoch seconds; also the table's TTL attribute


@cache
def _dynamodb(region: str) -> Any:
    return boto3.client("dynamodb", region_name=region)


class DynamoAdCap:
    """The ad-cap port on the `ad_cap` table."""

    def claim(self, number: str, *, attempt_id: str, campaign_id: str, now: datetime, reuse: bool = False) -> bool:
        """True if this attempt now holds the number's cap (also when it already held it: a retried claim).

        The hottest write of the campaign path (one per advertising attempt), so it is one plain PutItem with
        the shortest condition; a refused claim's current holder comes back with the refusal."""
        moment = int(now.timestamp())
        try:
            _dynamodb(get_settings().region).put_item(
                TableName=AdCapItem.Meta.table_name,
                Item={
                    "number": {"S": number},
                    "attempt_id": {"S": attempt_id},
                    "campaign_id": {"S": campaign_id},
                    "claimed_at": {"S": now.isoformat()},
                    "expires_at": {"N": str(int(cap_expiry(now).timestamp()))},
                },
                ConditionExpression="attribute_not_exists(#number) OR expires_at <= :now",
                ExpressionAttributeNames={"#number": "number"},
                ExpressionAttributeValues={":now": {"N": str(moment)}},
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            current: dict[str, Any] = dict(error.response.get("Item") or {})  # type: ignore[call-overload]
            if reuse and current.get("campaign_id", {}).get("S") == campaign_id:
                return True  # a retry part of the campaign that holds the claim: not a second ad
            return bool(current.get("attempt_id", {}).get("S") == attempt_id)
        return True

    def release(self, number: str, attempt_id: str) -> None:
        """Give the number back when the attempt never reached the network; only the holder can."""
        try:
            AdCapItem(number).delete(condition=AdCapItem.attempt_id == attempt_id)
        except DeleteError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise
