"""Provider-report claims and group messages (`jarchi.connectors.callbacks.ReportClaims`) on the
`idempotency` table, beside the Powertools records (ids `report#…` and `group#…`, which Powertools never
writes). Items expire with the table's TTL after `RETENTION`: longer than SQS keeps a message, so a
redelivered report always finds its claim."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any, Final

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError
from pynamodb.models import Model

from jarchi import clock
from jarchi.store.base import table_meta
from jarchi.store.tables import IDEMPOTENCY

RETENTION: Final = timedelta(days=15)  # SQS keeps a message 14 days at most


class ClaimItem(Model):
    Meta = table_meta(IDEMPOTENCY)
    id = UnicodeAttribute(hash_key=True)
    expiration = NumberAttribute()
    batch = UnicodeAttribute(null=True)
    body = UnicodeAttribute(null=True)


def _expiration() -> int:
    return int((clock.now() + RETENTION).timestamp())


def _conditional_failure(error: PutError) -> bool:
    return error.cause_response_code == "ConditionalCheckFailedException"


class DynamoReportClaims:
    """One conditional put per report; one put per group message."""

    def claim(self, event_id: str, batch_id: str) -> str:
        item = ClaimItem(f"report#{event_id}", expiration=_expiration(), batch=batch_id)
        try:
            item.save(condition=ClaimItem.id.does_not_exist() | (ClaimItem.batch == batch_id))
        except PutError as error:
            if not _conditional_failure(error):
                raise
            held = ClaimItem.get(f"report#{event_id}", consistent_read=True)
            return str(held.batch)
        return batch_id

    def reclaim(self, event_id: str, held_by: str, batch_id: str) -> bool:
        item = ClaimItem(f"report#{event_id}", expiration=_expiration(), batch=batch_id)
        try:
            item.save(condition=ClaimItem.batch == held_by)
        except PutError as error:
            if not _conditional_failure(error):
                raise
            return False
        return True

    def store_message(self, batch_id: str, body: Any) -> None:
        ClaimItem(f"group#{batch_id}", expiration=_expiration(), body=json.dumps(body, separators=(",", ":"))).save()

    def stored_message(self, batch_id: str) -> dict[str, Any] | None:
        try:
            item = ClaimItem.get(f"group#{batch_id}", consistent_read=True)
        except ClaimItem.DoesNotExist:
            return None
        stored: dict[str, Any] = json.loads(item.body or "{}")
        return stored
