"""Exports (R-REP-3, SPEC §14 `GET /v1/campaigns/{id}/export?format=csv|xlsx`), and the account's ledger the
same way (`GET /v1/credit/transactions/export`). Demo accounts may not export (R-ACC-4).

Up to `SYNC_EXPORT_ROWS` rows the API answers the file itself; a larger export becomes a record and a message
on the exports queue, whose function writes the file to a temporary file row by row (constant memory), streams
it to the exports bucket and marks the record ready; `GET /v1/exports/{id}` then answers a presigned URL.
The rows are the recipient list's (`GET /v1/campaigns/{id}/recipients`), every part in order, with the part,
or the transaction list's (`GET /v1/credit/transactions`, its filters). A ledger's size is not known before it
is read: its export writes up to 10,001 rows and, past 10,000, queues the background export instead."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from itertools import islice
from typing import IO, Final

from jarchi import clock
from jarchi.accounts.models import Caller
from jarchi.accounts.policy import require_not_demo
from jarchi.accounts.service import listed_account_id, visible_account
from jarchi.billing.ledger import EntryFilter
from jarchi.campaigns.queries import visible_campaign
from jarchi.clock import iso
from jarchi.errors import NotFound
from jarchi.ids import new_id
from jarchi.reports.export_writing import (
    TRANSACTION_COLUMNS,
    ExportPorts,
    export_rows,
    filename,
    transaction_rows,
    write_campaign,
)
from jarchi.reports.files import FileFormat, write_table
from jarchi.reports.ports import ExportKind, ExportRecord, ExportStatus
from jarchi.resources import EXPORTS_QUEUE

SYNC_EXPORT_ROWS: Final = 10_000
DOWNLOAD_URL_SECONDS: Final = 15 * 60
# Files up to this size stay in memory while they are written; beyond, the temporary file is on disk.
_SPOOL_BYTES: Final = 4 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class ExportFile:
    """A synchronous export: the file itself."""

    filename: str
    content_type: str
    data: bytes


def _filters_query(campaign_id: str | None, filters: EntryFilter) -> dict[str, str]:
    query = {"campaign_id": campaign_id, "type": filters.type.value if filters.type else None}
    query |= {"created_from": iso(filters.created_from) if filters.created_from else None}
    query |= {"created_to": iso(filters.created_to) if filters.created_to else None}
    return {key: value for key, value in query.items() if value is not None}


def _read_back(out: IO[bytes], name: str, file_format: FileFormat) -> ExportFile:
    out.seek(0)
    return ExportFile(name, file_format.content_type, out.read())


def _queue(ports: ExportPorts, record: ExportRecord) -> ExportRecord:
    ports.exports.create(record)
    ports.queue.send(EXPORTS_QUEUE, [{"export_id": record.id}])
    return record


def export_campaign(
    caller: Caller, campaign_id: str, file_format: FileFormat, *, ports: ExportPorts | None = None
) -> ExportFile | ExportRecord:
    """The file (up to `SYNC_EXPORT_ROWS` rows), else the queued background export."""
    ports = ports or ExportPorts.wired()
    campaign = visible_campaign(caller, campaign_id, ports=ports.campaigns)
    require_not_demo(caller.account, "export")
    name = filename(campaign.id, ExportKind.RECIPIENTS, file_format)
    if export_rows(campaign) <= SYNC_EXPORT_ROWS:
        with tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES) as out:
            write_campaign(campaign, file_format, out, ports.campaigns)
            return _read_back(out, name, file_format)
    record = ExportRecord(
        new_id("exp"), campaign.account_id, campaign.id, file_format, ExportStatus.QUEUED, clock.now()
    )
    return _queue(ports, record)


def export_transactions(
    caller: Caller,
    account_id: str | None,
    campaign_id: str | None,
    filters: EntryFilter,
    file_format: FileFormat,
    *,
    ports: ExportPorts | None = None,
) -> ExportFile | ExportRecord:
    """The ledger entries as a file, or (past `SYNC_EXPORT_ROWS`, found while writing) the queued export."""
    ports = ports or ExportPorts.wired()
    owner = listed_account_id(caller, account_id)
    require_not_demo(caller.account, "export")
    rows = transaction_rows(owner, campaign_id, filters, ports.ledger)
    name = filename(owner, ExportKind.TRANSACTIONS, file_format)
    with tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES) as out:
        written = write_table(
            file_format, TRANSACTION_COLUMNS, islice(rows, SYNC_EXPORT_ROWS + 1), out, title="transactions"
        )
        if written <= SYNC_EXPORT_ROWS:
            return _read_back(out, name, file_format)
    record = ExportRecord(
        new_id("exp"),
        owner,
        "",
        file_format,
        ExportStatus.QUEUED,
        clock.now(),
        kind=ExportKind.TRANSACTIONS,
        query=_filters_query(campaign_id, filters),
    )
    return _queue(ports, record)


def export_status(
    caller: Caller, export_id: str, *, ports: ExportPorts | None = None
) -> tuple[ExportRecord, str | None]:
    """The record and, once ready, a presigned URL valid `DOWNLOAD_URL_SECONDS`."""
    ports = ports or ExportPorts.wired()
    record = ports.exports.get(export_id)
    try:
        if record is None:
            raise NotFound.of("export", export_id)
        if record.campaign_id:
            visible_campaign(caller, record.campaign_id, ports=ports.campaigns)
        else:
            visible_account(caller, record.account_id)
    except NotFound as hidden:  # another tenant's export is not there either
        raise NotFound.of("export", export_id) from hidden
    url = ports.files.download_url(record.key, DOWNLOAD_URL_SECONDS) if record.key else None
    return record, url
