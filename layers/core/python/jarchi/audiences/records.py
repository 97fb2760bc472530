"""Stored contact lists (R-LST): the metadata; the recipients themselves are a JSON Lines object in S3."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from jarchi.audiences.numbers import NumberType
from jarchi.audiences.parsing import InvalidLine

MAX_STORED_INVALID_LINES = 100
MAX_STORED_VALUE_CHARS = 100


class ListStatus(StrEnum):
    AWAITING_UPLOAD = "awaiting_upload"  # a presigned upload was handed out, not completed yet
    READY = "ready"


@dataclass(frozen=True, slots=True)
class ContactList:
    id: str
    account_id: str
    name: str
    status: ListStatus
    created_at: datetime
    recipients_key: str
    original_key: str | None = None
    file_name: str | None = None
    format: str | None = None  # inline | text | xlsx (None while awaiting upload)
    columns: tuple[str, ...] = ()
    read: int = 0
    invalid: int = 0
    duplicate: int = 0
    kept: int = 0
    not_allowed: int = 0  # of `invalid`: numbers outside the account's reach (country, premium range)
    invalid_lines: tuple[InvalidLine, ...] = field(default_factory=tuple)  # the first ones
    upload_expires_at: datetime | None = None
    # Raised by every edit (rename, numbers added or removed, a clean): edits are written only over the version
    # they read; the recipients of version n > 0 are a new object (`recipients.v<n>.<id>.jsonl`).
    version: int = 0
    updated_at: datetime | None = None

    @property
    def invalid_lines_truncated(self) -> bool:
        return self.invalid > len(self.invalid_lines)


@dataclass(frozen=True, slots=True)
class RecipientView:
    """One number of a list with what libphonenumber tells about it (R-LST-3)."""

    number: str
    type: NumberType
    region: str | None
    time_zones: tuple[str, ...]
    time_zone: str  # the number's single zone, else the account's
    values: dict[str, str]
