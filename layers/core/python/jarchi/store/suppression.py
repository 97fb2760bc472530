"""The `suppression` table: the platform's ad opt-out list, the imported telecom blacklist and each
account's stop list (R-CPL-3). Key: (list_id, number)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from itertools import islice

from pynamodb.attributes import UnicodeAttribute
from pynamodb.exceptions import DeleteError
from pynamodb.models import Model

from jarchi.compliance.adcap import SuppressionList
from jarchi.compliance.ports import SuppressionEntry
from jarchi.store.base import decode_cursor, encode_cursor, table_meta
from jarchi.store.tables import SUPPRESSION

BATCH_WRITE = 25  # BatchWriteItem's limit; duplicates inside one request are refused by DynamoDB


class SuppressionItem(Model):
    Meta = table_meta(SUPPRESSION)
    list_id = UnicodeAttribute(hash_key=True)
    number = UnicodeAttribute(range_key=True)
    added_at = UnicodeAttribute()
    source = UnicodeAttribute(null=True)  # e.g. the campaign whose call was answered with 11


def list_id(kind: SuppressionList, account_id: str) -> str:
    return f"{kind.value}#{account_id}" if kind is SuppressionList.ACCOUNT_STOP_LIST else kind.value


def _chunks(numbers: Iterable[str], size: int) -> Iterator[set[str]]:
    """Sets of up to `size` distinct numbers, read lazily (a million-number import never sits in memory)."""
    iterator = iter(numbers)
    while chunk := set(islice(iterator, size)):
        yield chunk


def _entry(item: SuppressionItem) -> SuppressionEntry:
    return SuppressionEntry(item.number, datetime.fromisoformat(item.added_at), item.source)


class DynamoSuppression:
    """The suppression-lists port on the `suppression` table."""

    def add(
        self, kind: SuppressionList, number: str, *, account_id: str = "", added_at: str, source: str | None = None
    ) -> None:
        SuppressionItem(list_id(kind, account_id), number, added_at=added_at, source=source).save()

    def add_many(
        self, kind: SuppressionList, numbers: Iterable[str], *, account_id: str = "", added_at: str, source: str
    ) -> int:
        lid = list_id(kind, account_id)
        written = 0
        # pynamodb's batch writer sends 25 items a request and retries unprocessed items with backoff; each
        # chunk is flushed before the next is read, so a repeat never shares a request with itself.
        for chunk in _chunks(numbers, BATCH_WRITE):
            with SuppressionItem.batch_write() as batch:
                for number in chunk:
                    batch.save(SuppressionItem(lid, number, added_at=added_at, source=source))
            written += len(chunk)
        return written

    def remove(self, kind: SuppressionList, number: str, *, account_id: str = "") -> bool:
        try:
            SuppressionItem(list_id(kind, account_id), number).delete(condition=SuppressionItem.number.exists())
        except DeleteError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def entry(self, kind: SuppressionList, number: str, *, account_id: str = "") -> SuppressionEntry | None:
        try:
            return _entry(SuppressionItem.get(list_id(kind, account_id), number, consistent_read=True))
        except SuppressionItem.DoesNotExist:
            return None

    def entries(
        self, kind: SuppressionList, *, account_id: str = "", limit: int, cursor: str | None
    ) -> tuple[list[SuppressionEntry], str | None]:
        lid = list_id(kind, account_id)
        start = decode_cursor(cursor)
        if start is not None and start.get("list_id", {}).get("S") != lid:
            start = None
        result = SuppressionItem.query(lid, limit=limit, last_evaluated_key=start)
        items = [_entry(item) for item in result]
        return items, encode_cursor(result.last_evaluated_key)

    def memberships(
        self, numbers: Iterable[str], account_id: str, lists: Iterable[SuppressionList] | None = None
    ) -> dict[str, set[SuppressionList]]:
        """One BatchGetItem round per 100 keys (a key per number and list asked for), reads only."""
        wanted = {list_id(kind, account_id): kind for kind in (SuppressionList if lists is None else lists)}
        keys = [(lid, number) for number in set(numbers) for lid in wanted]
        found: dict[str, set[SuppressionList]] = {}
        for item in SuppressionItem.batch_get(keys):
            found.setdefault(item.number, set()).add(wanted[item.list_id])
        return found
