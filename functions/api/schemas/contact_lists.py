"""Contact lists (R-LST)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from functions.api.schemas.audio import decode_base64
from functions.api.schemas.common import Request, Shape, Timestamp
from functions.api.schemas.fields import FileName, Id, Name, Numbers
from jarchi.audiences.editing import NumbersAdded, NumbersDropped, NumbersGiven, NumbersRemoved
from jarchi.audiences.parsing import InvalidLine
from jarchi.audiences.records import ContactList, RecipientView
from jarchi.audiences.service import ListUpload


class ContactListFile(Request):
    name: FileName
    content_base64: str


class ContactListCreate(Request):
    """Exactly one of `numbers` and `file`."""

    name: Name
    numbers: Numbers | None = None
    file: ContactListFile | None = None


class InvalidLineOut(Shape):
    line: int
    value: str
    reason: str


class ContactListOut(Shape):
    id: str
    account_id: str
    name: str
    status: str
    format: str | None
    file_name: str | None
    columns: list[str]
    read: int
    invalid: int
    duplicate: int
    kept: int
    not_allowed: int  # of `invalid`: outside the account's allowed countries or in a premium range
    invalid_lines: list[InvalidLineOut]
    invalid_lines_truncated: bool
    created_at: Timestamp
    version: int  # raised by every edit
    updated_at: Timestamp | None

    @classmethod
    def fields_of(cls, contact_list: ContactList) -> dict[str, object]:
        return {
            "id": contact_list.id,
            "account_id": contact_list.account_id,
            "name": contact_list.name,
            "status": contact_list.status.value,
            "format": contact_list.format,
            "file_name": contact_list.file_name,
            "columns": list(contact_list.columns),
            "read": contact_list.read,
            "invalid": contact_list.invalid,
            "duplicate": contact_list.duplicate,
            "kept": contact_list.kept,
            "not_allowed": contact_list.not_allowed,
            "invalid_lines": [
                InvalidLineOut(line=x.line, value=x.value, reason=x.reason) for x in contact_list.invalid_lines
            ],
            "invalid_lines_truncated": contact_list.invalid_lines_truncated,
            "created_at": contact_list.created_at,
            "version": contact_list.version,
            "updated_at": contact_list.updated_at,
        }

    @classmethod
    def of(cls, contact_list: ContactList) -> ContactListOut:
        return cls.model_validate(cls.fields_of(contact_list))


class ListNumberOut(Shape):
    number: str
    type: str
    region: str | None
    time_zones: list[str]
    time_zone: str
    values: dict[str, str]

    @classmethod
    def of(cls, view: RecipientView) -> ListNumberOut:
        return cls(
            number=view.number,
            type=view.type.value,
            region=view.region,
            time_zones=list(view.time_zones),
            time_zone=view.time_zone,
            values=view.values,
        )


class ListNumberPage(Shape):
    items: list[ListNumberOut]
    next_cursor: str | None


class ContactListDetail(ContactListOut):
    """A list with one page of its numbers (`limit`, `cursor`)."""

    recipients: ListNumberPage

    @classmethod
    def with_page(
        cls, contact_list: ContactList, views: list[RecipientView], next_cursor: str | None
    ) -> ContactListDetail:
        page = ListNumberPage(items=[ListNumberOut.of(v) for v in views], next_cursor=next_cursor)
        return cls.model_validate({**cls.fields_of(contact_list), "recipients": page})


class ContactListPage(Shape):
    items: list[ContactListOut]
    next_cursor: str | None


class UploadCreate(Request):
    name: Name
    file_name: FileName


class UploadOut(Shape):
    upload_id: str
    upload_url: str
    method: str = "PUT"
    expires_at: Timestamp

    @classmethod
    def of(cls, upload: ListUpload) -> UploadOut:
        return cls(upload_id=upload.upload_id, upload_url=upload.upload_url, expires_at=upload.expires_at)


# --- editing a list ----------------------------------------------------------------------------------


class ContactListRename(Request):
    name: Name


class ListNumbersBody(Request):
    """Exactly one of `numbers` and `file` (CSV, text or xlsx, read like an upload)."""

    numbers: Numbers | None = None
    file: ContactListFile | None = None

    def given(self) -> NumbersGiven:
        data = decode_base64(self.file.content_base64, "file.content_base64") if self.file is not None else None
        return NumbersGiven(numbers=self.numbers, data=data)


def _lines(lines: tuple[InvalidLine, ...]) -> list[InvalidLineOut]:
    return [InvalidLineOut(line=x.line, value=x.value, reason=x.reason) for x in lines]


class NumbersAddedOut(Shape):
    id: str
    read: int
    invalid: int
    duplicate: int  # already on the list, or repeated in the request
    added: int
    not_allowed: int
    kept: int  # numbers on the list now
    invalid_lines: list[InvalidLineOut]
    invalid_lines_truncated: bool

    @classmethod
    def of(cls, report: NumbersAdded) -> NumbersAddedOut:
        return cls(
            id=report.contact_list.id,
            read=report.read,
            invalid=report.invalid,
            duplicate=report.duplicate,
            added=report.added,
            not_allowed=report.not_allowed,
            kept=report.contact_list.kept,
            invalid_lines=_lines(report.invalid_lines),
            invalid_lines_truncated=report.invalid_lines_truncated,
        )


class NumbersRemovedOut(Shape):
    id: str
    read: int
    invalid: int
    removed: int
    not_listed: int
    kept: int
    invalid_lines: list[InvalidLineOut]
    invalid_lines_truncated: bool

    @classmethod
    def of(cls, report: NumbersRemoved) -> NumbersRemovedOut:
        return cls(
            id=report.contact_list.id,
            read=report.read,
            invalid=report.invalid,
            removed=report.removed,
            not_listed=report.not_listed,
            kept=report.contact_list.kept,
            invalid_lines=_lines(report.invalid_lines),
            invalid_lines_truncated=report.invalid_lines_truncated,
        )


Reason = Annotated[str, Field(min_length=1, max_length=64)]


class ContactListClean(Request):
    """`reasons`: the last results that take a number off (default invalid, undelivered, blacklisted,
    opted_out; also rejected, country_not_allowed, prefix_not_allowed)."""

    campaign_id: Id
    reasons: Annotated[list[Reason], Field(min_length=1, max_length=10)] | None = None


class CleanOut(Shape):
    id: str
    campaign_id: str
    dropped: int
    by_reason: dict[str, int]
    kept: int

    @classmethod
    def of(cls, campaign_id: str, report: NumbersDropped) -> CleanOut:
        return cls(
            id=report.contact_list.id,
            campaign_id=campaign_id,
            dropped=report.dropped,
            by_reason=report.by_reason,
            kept=report.contact_list.kept,
        )
