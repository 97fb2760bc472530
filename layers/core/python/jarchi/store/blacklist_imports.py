"""Telecom blacklist import records (`jarchi.lists.imports.BlacklistImports`), in the `suppression` table
beside the lists they feed: list id `blacklist_import`, the import id as the sort key (never read by
admission, which asks for numbers under the list ids it knows)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError
from pynamodb.models import Model

from jarchi.audiences.parsing import InvalidLine
from jarchi.lists.imports import BlacklistImport, ImportStatus
from jarchi.store.base import table_meta
from jarchi.store.tables import SUPPRESSION

IMPORTS_LIST_ID = "blacklist_import"
_CONDITION_FAILED = "ConditionalCheckFailedException"


class BlacklistImportItem(Model):
    Meta = table_meta(SUPPRESSION)
    list_id = UnicodeAttribute(hash_key=True)
    number = UnicodeAttribute(range_key=True)  # the import id
    added_at = UnicodeAttribute()  # created (the attribute every suppression item has)
    status = UnicodeAttribute()
    key = UnicodeAttribute()
    region = UnicodeAttribute()
    upload_expires_at = UnicodeAttribute(null=True)
    size_bytes = NumberAttribute(null=True)
    offset = NumberAttribute(default=0)
    lines = NumberAttribute(default=0)
    read = NumberAttribute(default=0)
    invalid = NumberAttribute(default=0)
    added = NumberAttribute(default=0)
    invalid_lines = JSONAttribute(null=True)  # [[line, value, reason], …]
    invocations = NumberAttribute(default=0)
    started_at = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)
    finished_at = UnicodeAttribute(null=True)
    error = UnicodeAttribute(null=True)


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _record(item: BlacklistImportItem) -> BlacklistImport:
    lines: Any = item.invalid_lines or []
    return BlacklistImport(
        id=item.number,
        status=ImportStatus(item.status),
        key=item.key,
        created_at=datetime.fromisoformat(item.added_at),
        region=item.region,
        upload_expires_at=_time(item.upload_expires_at),
        size_bytes=int(item.size_bytes) if item.size_bytes is not None else None,
        offset=int(item.offset or 0),
        lines=int(item.lines or 0),
        read=int(item.read or 0),
        invalid=int(item.invalid or 0),
        added=int(item.added or 0),
        invalid_lines=tuple(InvalidLine(int(n), str(v), str(r)) for n, v, r in lines),
        invocations=int(item.invocations or 0),
        started_at=_time(item.started_at),
        updated_at=_time(item.updated_at),
        finished_at=_time(item.finished_at),
        error=item.error,
    )


def _item(record: BlacklistImport) -> BlacklistImportItem:
    return BlacklistImportItem(
        IMPORTS_LIST_ID,
        record.id,
        added_at=record.created_at.isoformat(),
        status=record.status.value,
        key=record.key,
        region=record.region,
        upload_expires_at=_iso(record.upload_expires_at),
        size_bytes=record.size_bytes,
        offset=record.offset,
        lines=record.lines,
        read=record.read,
        invalid=record.invalid,
        added=record.added,
        invalid_lines=[[x.line, x.value, x.reason] for x in record.invalid_lines],
        invocations=record.invocations,
        started_at=_iso(record.started_at),
        updated_at=_iso(record.updated_at),
        finished_at=_iso(record.finished_at),
        error=record.error,
    )


class DynamoBlacklistImports:
    def create(self, record: BlacklistImport) -> None:
        _item(record).save(condition=BlacklistImportItem.number.does_not_exist())

    def get(self, import_id: str) -> BlacklistImport | None:
        try:
            return _record(BlacklistImportItem.get(IMPORTS_LIST_ID, import_id, consistent_read=True))
        except BlacklistImportItem.DoesNotExist:
            return None

    def save_if(self, record: BlacklistImport, *, status: ImportStatus, offset: int) -> bool:
        condition = (BlacklistImportItem.status == status.value) & (BlacklistImportItem.offset == offset)
        try:
            _item(record).save(condition=condition)
        except PutError as error:
            if error.cause_response_code == _CONDITION_FAILED:
                return False
            raise
        return True
