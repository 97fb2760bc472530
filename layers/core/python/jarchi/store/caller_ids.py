"""The `caller_ids` table (R-DSP-5): key = the number, so a conditional put gives it to one account at a time;
an account's numbers through `by_account`. The admin's list of every number is a scan of this small table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.attributes import UnicodeAttribute
from pynamodb.exceptions import DeleteError, PutError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from jarchi.campaigns.caller_ids import CallerId
from jarchi.clock import iso
from jarchi.store.base import decode_cursor, encode_cursor, table_meta
from jarchi.store.tables import CALLER_IDS

_CONDITION_FAILED = "ConditionalCheckFailedException"


class _ByAccount(GlobalSecondaryIndex["CallerIdItem"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "by_account"
        projection = AllProjection()

    account_id = UnicodeAttribute(hash_key=True)
    number = UnicodeAttribute(range_key=True)


class CallerIdItem(Model):
    Meta = table_meta(CALLER_IDS)
    number = UnicodeAttribute(hash_key=True)
    account_id = UnicodeAttribute()
    assigned_at = UnicodeAttribute()
    by_account = _ByAccount()


def _caller_id(item: CallerIdItem) -> CallerId:
    return CallerId(item.number, item.account_id, datetime.fromisoformat(item.assigned_at))


def _condition_failed(error: PutError | DeleteError) -> bool:
    return getattr(error, "cause_response_code", None) == _CONDITION_FAILED


class DynamoCallerIds:
    def assign(self, caller_id: CallerId) -> bool:
        item = CallerIdItem(caller_id.number, account_id=caller_id.account_id, assigned_at=iso(caller_id.assigned_at))
        try:
            item.save(CallerIdItem.number.does_not_exist())
        except PutError as error:
            if not _condition_failed(error):
                raise
            current = self.get(caller_id.number)
            return current is not None and current.account_id == caller_id.account_id
        return True

    def get(self, number: str) -> CallerId | None:
        try:
            return _caller_id(CallerIdItem.get(number, consistent_read=True))
        except CallerIdItem.DoesNotExist:
            return None

    def for_account(self, account_id: str) -> list[CallerId]:
        return [_caller_id(item) for item in CallerIdItem.by_account.query(account_id)]

    def page(self, account_id: str | None, limit: int, cursor: str | None) -> tuple[list[CallerId], str | None]:
        start = decode_cursor(cursor)
        result: Any
        if account_id is None:
            result = CallerIdItem.scan(limit=limit, last_evaluated_key=start)
        else:
            if start is not None and start.get("account_id", {}).get("S") != account_id:
                start = None
            result = CallerIdItem.by_account.query(account_id, limit=limit, last_evaluated_key=start)
        items = [_caller_id(item) for item in result]
        if account_id is None:
            items.sort(key=lambda c: c.number)
        return items, encode_cursor(result.last_evaluated_key)

    def release(self, number: str, account_id: str) -> bool:
        try:
            CallerIdItem(number).delete(CallerIdItem.account_id == account_id)
        except DeleteError as error:
            if _condition_failed(error):
                return False
            raise
        return True
