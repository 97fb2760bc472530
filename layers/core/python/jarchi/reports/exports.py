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
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from itertools import islice
from typing import IO, Final

from jarchi import clock
from jarchi.accounts.models import Caller
from jarchi.accounts.policy import require_not_demo
from jarchi.accounts.service import listed_account_id, visible_account
from jarchi.billing.ledger import EntryFilter, EntryType
from jarchi.billing.ports import Ledger
from jarchi.campaigns.models import Campaign
from jarchi.campaigns.ports import CampaignPorts
from jarchi.campaigns.service import every_recipient, visible_campaign
from jarchi.clock import iso
from jarchi.errors import NotFound
from jarchi.ids import new_id
from jarchi.ports import MessageQueue, resolve
from jarchi.reports.files import Cell, FileFormat, write_table
from jarchi.reports.ports import ExportFiles, ExportKind, ExportRecord, ExportRepository, ExportStatus
from jarchi.resources import EXPORTS_QUEUE

SYNC_EXPORT_ROWS: Final = 10_000
DOWNLOAD_URL_SECONDS: Final = 15 * 60
TRANSACTION_COLUMNS: Final = (
    "id",
    "type",
    "amount",
    "balance_delta",
    "reserved_delta",
    "campaign_id",
    "reference",
    "created_at",
)
RECIPIENT_COLUMNS: Final = (
    "number",
    "status",
    "attempts",
    "vote",
    "listened_seconds",
    "cost",
    "reason",
    "delivery_status",
    "part",
)
# Files up to this size stay in memory while they are written; beyond, the temporary file is on disk.
_SPOOL_BYTES: Final = 4 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class ExportFile:
    """A synchronous export: the file itself."""

    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True, slots=True)
class ExportPorts:
    exports: ExportRepository
    files: ExportFiles
    queue: MessageQueue
    campaigns: CampaignPorts
    ledger: Ledger

    @classmethod
    def wired(cls) -> ExportPorts:
        return cls(
            resolve(ExportRepository),
            resolve(ExportFiles),
            resolve(MessageQueue),
            CampaignPorts.wired(),
            resolve(Ledger),
        )


def export_rows(campaign: Campaign) -> int:
    return sum(part.total for part in campaign.all_parts())


def recipient_rows(campaign: Campaign, ports: CampaignPorts) -> Iterator[Sequence[Cell]]:
    for part, state in every_recipient(campaign, ports=ports):
        yield (
            state.number,
            state.status,
            state.attempts,
            state.vote,
            state.listened_seconds,
            state.cost,
            state.reason,
            state.delivery_status,
            part,
        )


def transaction_rows(
    account_id: str, campaign_id: str | None, filters: EntryFilter, ledger: Ledger, *, page: int = 1_000
) -> Iterator[Sequence[Cell]]:
    """The account's ledger entries the filters match, newest first, a page at a time."""
    cursor: str | None = None
    while True:
        entries, cursor = ledger.entries(account_id, campaign_id, page, cursor, filters)
        for entry in entries:
            effect = entry.effect
            yield (
                entry.id,
                entry.type.value,
                entry.amount,
                effect.balance,
                effect.reserved,
                entry.campaign_id,
                entry.reference,
                iso(entry.created_at),
            )
        if cursor is None or not entries:
            return


def _filters_query(campaign_id: str | None, filters: EntryFilter) -> dict[str, str]:
    query = {"campaign_id": campaign_id, "type": filters.type.value if filters.type else None}
    query |= {"created_from": iso(filters.created_from) if filters.created_from else None}
    query |= {"created_to": iso(filters.created_to) if filters.created_to else None}
    return {key: value for key, value in query.items() if value is not None}


def _query_filters(query: Mapping[str, str]) -> tuple[str | None, EntryFilter]:
    def moment(key: str) -> datetime | None:
        return datetime.fromisoformat(query[key]) if key in query else None

    kind = EntryType(query["type"]) if "type" in query else None
    return query.get("campaign_id"), EntryFilter(kind, moment("created_from"), moment("created_to"))


def filename(subject: str, kind: ExportKind, file_format: FileFormat) -> str:
    return f"{subject}-{kind.value}.{file_format.value}"


def write_campaign(campaign: Campaign, file_format: FileFormat, out: IO[bytes], ports: CampaignPorts) -> int:
    return write_table(file_format, RECIPIENT_COLUMNS, recipient_rows(campaign, ports), out, title="recipients")


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


def _write_record(record: ExportRecord, out: IO[bytes], ports: ExportPorts) -> tuple[int, str] | None:
    """Rows written and the file's name; None when its campaign is gone."""
    if record.kind is ExportKind.TRANSACTIONS:
        campaign_id, filters = _query_filters(record.query or {})
        rows = transaction_rows(record.account_id, campaign_id, filters, ports.ledger)
        written = write_table(record.format, TRANSACTION_COLUMNS, rows, out, title="transactions")
        return written, filename(record.account_id, record.kind, record.format)
    campaign = ports.campaigns.campaigns.get(record.campaign_id)
    if campaign is None:
        return None
    return write_campaign(campaign, record.format, out, ports.campaigns), filename(
        campaign.id, record.kind, record.format
    )


def run_export(export_id: str, *, delivery: int = 1, ports: ExportPorts | None = None) -> ExportRecord:
    """The exports queue's work: write the file, upload it, mark the record (a redelivered message after
    `ready` or `failed` does nothing). When the message's last delivery (SQS's ApproximateReceiveCount reaching
    the queue's `max_receive_count`) fails too, the export is marked `failed` with the error's name instead of
    staying `running` while its message goes to the dead-letter queue."""
    ports = ports or ExportPorts.wired()
    record = ports.exports.get(export_id)
    if record is None:
        raise NotFound.of("export", export_id)
    if record.status in (ExportStatus.READY, ExportStatus.FAILED):
        return record
    try:
        return _export(record, ports)
    except Exception as error:
        if delivery < EXPORTS_QUEUE.max_receive_count:
            raise  # SQS delivers it again
        failed = replace(record, status=ExportStatus.FAILED, error=type(error).__name__, finished_at=clock.now())
        ports.exports.mark(failed)
        return failed


def _export(record: ExportRecord, ports: ExportPorts) -> ExportRecord:
    ports.exports.mark(replace(record, status=ExportStatus.RUNNING))
    key = ports.files.key(record.account_id, record.id, record.format)
    with tempfile.TemporaryFile() as out:
        written = _write_record(record, out, ports)
        if written is None:
            failed = replace(record, status=ExportStatus.FAILED, error="campaign_not_found", finished_at=clock.now())
            ports.exports.mark(failed)
            return failed
        rows, name = written
        out.seek(0)
        ports.files.upload(key, out, record.format.content_type, name)
    ready = replace(record, status=ExportStatus.READY, rows=rows, key=key, finished_at=clock.now())
    ports.exports.mark(ready)
    return ready


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
