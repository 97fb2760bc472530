"""Suppression lists (R-CPL-3; SPEC §14)."""

from __future__ import annotations

from pydantic import BaseModel

from functions.api.schemas.audio import decode_base64
from functions.api.schemas.common import Request, Timestamp
from functions.api.schemas.contact_lists import ContactListFile, InvalidLineOut
from functions.api.schemas.fields import Numbers
from jarchi.audiences.parsing import InvalidLine
from jarchi.compliance.ports import SuppressionEntry
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


class ImportOut(BaseModel):
    read: int
    invalid: int
    added: int
    invalid_lines: list[InvalidLineOut]

    @classmethod
    def of(cls, report: ImportReport) -> ImportOut:
        return cls(
            read=report.read, invalid=report.invalid, added=report.added, invalid_lines=_lines(report.invalid_lines)
        )


class RemovalOut(BaseModel):
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


class ListedNumberOut(BaseModel):
    number: str
    added_at: Timestamp
    reason: str | None  # how it got there: `api`, `import`, or the campaign whose call was answered with 11

    @classmethod
    def of(cls, entry: SuppressionEntry) -> ListedNumberOut:
        return cls(number=entry.number, added_at=entry.added_at, reason=entry.source)


class ListedNumberPage(BaseModel):
    items: list[ListedNumberOut]
    next_cursor: str | None
