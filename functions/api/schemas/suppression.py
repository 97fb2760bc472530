"""Suppression lists (R-CPL-3; SPEC §14)."""

from __future__ import annotations

from functions.api.schemas.audio import decode_base64
from functions.api.schemas.common import Request, Shape, Timestamp
from functions.api.schemas.contact_lists import ContactListFile, InvalidLineOut
from functions.api.schemas.fields import Numbers
from jarchi.audiences.parsing import InvalidLine
from jarchi.compliance.ports import SuppressionEntry
from jarchi.lists.imports import BlacklistImport, ImportUpload
from jarchi.lists.suppression import ImportReport, NumbersInput, RemovalReport


class NumbersBody(Request):
    """Exactly one of `numbers` and `file` (text, one number per line, or CSV with the number first)."""

    numbers: Numbers | None = None
    file: ContactListFile | None = None

    def given(self) -> NumbersInput:
        data = decode_base64(self.file.content_base64, "file.content_base64") if self.file is not None else None
        return NumbersInput(numbers=self.numbers, data=data)


def _lines(lines: tuple[InvalidLine, ...] | list[InvalidLine]) -> list[InvalidLineOut]:
    return [InvalidLineOut(line=x.line, value=x.value, reason=x.reason) for x in lines]


class ImportOut(Shape):
    read: int
    invalid: int
    added: int
    invalid_lines: list[InvalidLineOut]

    @classmethod
    def of(cls, report: ImportReport) -> ImportOut:
        return cls(
            read=report.read, invalid=report.invalid, added=report.added, invalid_lines=_lines(report.invalid_lines)
        )


class RemovalOut(Shape):
    removed: int
    not_listed: int
    invalid: int
    invalid_lines: list[InvalidLineOut]

    @classmethod
    def of(cls, report: RemovalReport) -> RemovalOut:
        return cls(
            removed=report.removed,
            not_listed=report.not_listed,
            invalid=report.invalid,
            invalid_lines=_lines(report.invalid_lines),
        )


class ListedNumberOut(Shape):
    number: str
    added_at: Timestamp
    reason: str | None  # how it got there: `api`, `import`, or the campaign whose call was answered with 11

    @classmethod
    def of(cls, entry: SuppressionEntry) -> ListedNumberOut:
        return cls(number=entry.number, added_at=entry.added_at, reason=entry.source)


class ListedNumberPage(Shape):
    items: list[ListedNumberOut]
    next_cursor: str | None


class BlacklistImportOut(Shape):
    """An import of an uploaded blacklist file: `offset` of `size_bytes` read so far."""

    id: str
    status: str
    size_bytes: int | None
    offset: int
    read: int
    invalid: int
    added: int
    invalid_lines: list[InvalidLineOut]
    invocations: int
    created_at: Timestamp
    started_at: Timestamp | None
    updated_at: Timestamp | None
    finished_at: Timestamp | None
    error: str | None  # why a `failed` import stopped: the error's name

    @classmethod
    def of(cls, record: BlacklistImport) -> BlacklistImportOut:
        return cls(
            id=record.id,
            status=record.status.value,
            size_bytes=record.size_bytes,
            offset=record.offset,
            read=record.read,
            invalid=record.invalid,
            added=record.added,
            invalid_lines=_lines(record.invalid_lines),
            invocations=record.invocations,
            created_at=record.created_at,
            started_at=record.started_at,
            updated_at=record.updated_at,
            finished_at=record.finished_at,
            error=record.error,
        )


class BlacklistUploadOut(Shape):
    id: str
    status: str
    upload_url: str
    method: str = "PUT"
    expires_at: Timestamp

    @classmethod
    def of(cls, upload: ImportUpload) -> BlacklistUploadOut:
        assert upload.record.upload_expires_at is not None
        return cls(
            id=upload.record.id,
            status=upload.record.status.value,
            upload_url=upload.upload_url,
            expires_at=upload.record.upload_expires_at,
        )
