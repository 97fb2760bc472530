"""What exports need from outside: their records (DynamoDB `exports`, `store/exports.py`) and where the
finished files go (the exports bucket, `aws/media.py`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import IO, Protocol

from jarchi.reports.files import FileFormat


class ExportStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    READY = "ready"
    FAILED = "failed"


class ExportKind(StrEnum):
    RECIPIENTS = "recipients"  # a campaign's recipients (`campaign_id`)
    TRANSACTIONS = "transactions"  # the account's ledger entries (`query`: the list's filters)


@dataclass(frozen=True, slots=True)
class ExportRecord:
    """A background export: what, in which format, for whom, and how far."""

    id: str
    account_id: str
    campaign_id: str  # "" for transactions
    format: FileFormat
    status: ExportStatus
    created_at: datetime
    rows: int | None = None
    key: str | None = None
    finished_at: datetime | None = None
    error: str | None = None
    kind: ExportKind = ExportKind.RECIPIENTS
    query: Mapping[str, str] | None = None


class ExportRepository(Protocol):
    def create(self, record: ExportRecord) -> None: ...

    def get(self, export_id: str) -> ExportRecord | None: ...

    def mark(self, record: ExportRecord) -> None:
        """Write the record's status, rows, key, end and error."""
        ...


class ExportFiles(Protocol):
    def key(self, account_id: str, export_id: str, file_format: FileFormat) -> str: ...

    def upload(self, key: str, source: IO[bytes], content_type: str, filename: str) -> None:
        """Stream `source` (a file positioned at its start) to the object, in parts."""
        ...

    def download_url(self, key: str, seconds: int) -> str:
        """A presigned GET of the object."""
        ...


@dataclass(frozen=True, slots=True)
class Webhook:
    id: str
    account_id: str
    url: str
    events: tuple[str, ...]
    secret: str
    created_at: datetime


class DeliveryStatus(StrEnum):
    DELIVERED = "delivered"
    RETRYING = "retrying"
    DEAD_LETTERED = "dead_lettered"  # gave up after 24 h of retries


@dataclass(frozen=True, slots=True)
class Delivery:
    """One event's delivery to one webhook, as it stands after its latest attempt."""

    webhook_id: str
    event_id: str
    event_type: str
    status: DeliveryStatus
    attempts: int
    first_at: datetime
    last_at: datetime
    response_status: int | None = None
    error: str | None = None
    next_at: datetime | None = None


class WebhookRepository(Protocol):
    def create(self, webhook: Webhook) -> None: ...

    def list_for_account(self, account_id: str) -> list[Webhook]: ...

    def get(self, account_id: str, webhook_id: str) -> Webhook | None: ...

    def delete(self, account_id: str, webhook_id: str) -> bool: ...

    def record_delivery(self, account_id: str, delivery: Delivery) -> None: ...

    def deliveries(
        self, account_id: str, webhook_id: str, limit: int, cursor: str | None
    ) -> tuple[list[Delivery], str | None]:
        """Newest event first."""
        ...


class WebhookRefused(Exception):
    """The endpoint could not be reached or may not be (a private address in the cloud)."""


class WebhookSender(Protocol):
    def check(self, url: str) -> None:
        """Raise `WebhookRefused` for a URL we may not call (scheme, private, loopback or link-local addresses
        where that is not allowed)."""
        ...

    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> int:
        """The HTTP status answered (redirects are not followed); `WebhookRefused` when none came."""
        ...
