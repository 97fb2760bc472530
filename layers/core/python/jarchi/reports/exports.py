"""Campaign exports (R-REP-3, SPEC §14 `GET /v1/campaigns/{id}/export?format=csv|xlsx`).

Up to `SYNC_EXPORT_ROWS` rows the API answers the file itself; a larger export becomes a record and a message
on the exports queue, whose function writes the file to a temporary file row by row (constant memory), streams
it to the exports bucket and marks the record ready; `GET /v1/exports/{id}` then answers a presigned URL.
The rows are the recipient list's (`GET /v1/campaigns/{id}/recipients`), every part in order, with the part."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import IO, Final

from jarchi import clock
from jarchi.accounts.models import Caller
from jarchi.campaigns.models import Campaign
from jarchi.campaigns.ports import CampaignPorts
from jarchi.campaigns.service import every_recipient, visible_campaign
from jarchi.errors import NotFound
from jarchi.ids import new_id
from jarchi.ports import MessageQueue, resolve
from jarchi.reports.files import Cell, FileFormat, write_table
from jarchi.reports.ports import ExportFiles, ExportRecord, ExportRepository, ExportStatus
from jarchi.resources import EXPORTS_QUEUE

SYNC_EXPORT_ROWS: Final = 10_000
DOWNLOAD_URL_SECONDS: Final = 15 * 60
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

    @classmethod
    def wired(cls) -> ExportPorts:
        return cls(resolve(ExportRepository), resolve(ExportFiles), resolve(MessageQueue), CampaignPorts.wired())


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


def filename(campaign_id: str, file_format: FileFormat) -> str:
    return f"{campaign_id}-recipients.{file_format.value}"


def write_campaign(campaign: Campaign, file_format: FileFormat, out: IO[bytes], ports: CampaignPorts) -> int:
    return write_table(file_format, RECIPIENT_COLUMNS, recipient_rows(campaign, ports), out, title="recipients")


def export_campaign(
    caller: Caller, campaign_id: str, file_format: FileFormat, *, ports: ExportPorts | None = None
) -> ExportFile | ExportRecord:
    """The file (up to `SYNC_EXPORT_ROWS` rows), else the queued background export."""
    ports = ports or ExportPorts.wired()
    campaign = visible_campaign(caller, campaign_id, ports=ports.campaigns)
    if export_rows(campaign) <= SYNC_EXPORT_ROWS:
        with tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES) as out:
            write_campaign(campaign, file_format, out, ports.campaigns)
            out.seek(0)
            return ExportFile(filename(campaign.id, file_format), file_format.content_type, out.read())
    record = ExportRecord(
        id=new_id("exp"),
        account_id=campaign.account_id,
        campaign_id=campaign.id,
        format=file_format,
        status=ExportStatus.QUEUED,
        created_at=clock.now(),
    )
    ports.exports.create(record)
    ports.queue.send(EXPORTS_QUEUE, [{"export_id": record.id}])
    return record


def run_export(export_id: str, *, ports: ExportPorts | None = None) -> ExportRecord:
    """The exports queue's work: write the file, upload it, mark the record (a redelivered message after
    `ready` does nothing)."""
    ports = ports or ExportPorts.wired()
    record = ports.exports.get(export_id)
    if record is None:
        raise NotFound.of("export", export_id)
    if record.status is ExportStatus.READY:
        return record
    campaign = ports.campaigns.campaigns.get(record.campaign_id)
    if campaign is None:
        failed = replace(record, status=ExportStatus.FAILED, error="campaign_not_found", finished_at=clock.now())
        ports.exports.mark(failed)
        return failed
    ports.exports.mark(replace(record, status=ExportStatus.RUNNING))
    key = ports.files.key(record.account_id, record.id, record.format)
    with tempfile.TemporaryFile() as out:
        rows = write_campaign(campaign, record.format, out, ports.campaigns)
        out.seek(0)
        ports.files.upload(key, out, record.format.content_type, filename(campaign.id, record.format))
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
        visible_campaign(caller, record.campaign_id, ports=ports.campaigns)
    except NotFound as hidden:  # another tenant's export is not there either
        raise NotFound.of("export", export_id) from hidden
    url = ports.files.download_url(record.key, DOWNLOAD_URL_SECONDS) if record.key else None
    return record, url
