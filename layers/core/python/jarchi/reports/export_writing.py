"""The exports worker's side of exports (R-REP-3): write an export's rows to a file and upload it. The API's side
(`jarchi.reports.exports`: the synchronous answer, queueing, the status and its URL) writes its files with these
same functions; the exports function imports only this module (issue 10, cold start: no account rules, no campaign
service, no phonenumbers on its cold start)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import IO, Final

from jarchi import clock
from jarchi.billing.ledger import EntryFilter, EntryType
from jarchi.billing.ports import Ledger
from jarchi.campaigns.models import Campaign
from jarchi.campaigns.ports import CampaignPorts
from jarchi.campaigns.reading import every_recipient
from jarchi.clock import iso
from jarchi.errors import NotFound
from jarchi.ports import MessageQueue, resolve
from jarchi.reports.files import Cell, FileFormat, write_table
from jarchi.reports.ports import ExportFiles, ExportKind, ExportRecord, ExportRepository, ExportStatus
from jarchi.resources import EXPORTS_QUEUE

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


def _query_filters(query: Mapping[str, str]) -> tuple[str | None, EntryFilter]:
    def moment(key: str) -> datetime | None:
        return datetime.fromisoformat(query[key]) if key in query else None

    kind = EntryType(query["type"]) if "type" in query else None
    return query.get("campaign_id"), EntryFilter(kind, moment("created_from"), moment("created_to"))


def filename(subject: str, kind: ExportKind, file_format: FileFormat) -> str:
    return f"{subject}-{kind.value}.{file_format.value}"


def write_campaign(campaign: Campaign, file_format: FileFormat, out: IO[bytes], ports: CampaignPorts) -> int:
    return write_table(file_format, RECIPIENT_COLUMNS, recipient_rows(campaign, ports), out, title="recipients")


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
    # The record first: an unknown id, or a message delivered again after the export ended, needs no other port.
    record = (ports.exports if ports else resolve(ExportRepository)).get(export_id)
    if record is None:
        raise NotFound.of("export", export_id)
    if record.status in (ExportStatus.READY, ExportStatus.FAILED):
        return record
    ports = ports or ExportPorts.wired()
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
