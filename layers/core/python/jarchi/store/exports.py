"""The `exports` table: one item per background export (R-REP-3)."""

from __future__ import annotations

import json
from datetime import datetime

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from jarchi.clock import iso
from jarchi.reports.files import FileFormat
from jarchi.reports.ports import ExportKind, ExportRecord, ExportStatus
from jarchi.store.base import table_meta
from jarchi.store.tables import EXPORTS


class ExportItem(Model):
    Meta = table_meta(EXPORTS)
    id = UnicodeAttribute(hash_key=True)
    account_id = UnicodeAttribute()
    campaign_id = UnicodeAttribute()
    format = UnicodeAttribute()
    status = UnicodeAttribute()
    created_at = UnicodeAttribute()
    rows = NumberAttribute(null=True)
    key = UnicodeAttribute(null=True)
    finished_at = UnicodeAttribute(null=True)
    error = UnicodeAttribute(null=True)
    kind = UnicodeAttribute(null=True)
    filters = UnicodeAttribute(null=True)  # the record's `query` as JSON


def _item(record: ExportRecord) -> ExportItem:
    return ExportItem(
        record.id,
        account_id=record.account_id,
        campaign_id=record.campaign_id,
        format=record.format.value,
        status=record.status.value,
        created_at=iso(record.created_at),
        rows=record.rows,
        key=record.key,
        finished_at=iso(record.finished_at) if record.finished_at else None,
        error=record.error,
        kind=record.kind.value,
        filters=json.dumps(dict(record.query)) if record.query is not None else None,
    )


def _record(item: ExportItem) -> ExportRecord:
    return ExportRecord(
        id=item.id,
        account_id=item.account_id,
        campaign_id=item.campaign_id,
        format=FileFormat(item.format),
        status=ExportStatus(item.status),
        created_at=datetime.fromisoformat(item.created_at),
        rows=None if item.rows is None else int(item.rows),
        key=item.key,
        finished_at=datetime.fromisoformat(item.finished_at) if item.finished_at else None,
        error=item.error,
        kind=ExportKind(item.kind or ExportKind.RECIPIENTS.value),
        query=json.loads(item.filters) if item.filters else None,
    )


class DynamoExports:
    def create(self, record: ExportRecord) -> None:
        _item(record).save(condition=ExportItem.id.does_not_exist())

    def get(self, export_id: str) -> ExportRecord | None:
        try:
            return _record(ExportItem.get(export_id, consistent_read=True))
        except ExportItem.DoesNotExist:
            return None

    def mark(self, record: ExportRecord) -> None:
        _item(record).save()
