"""Contact lists (R-LST)."""

from __future__ import annotations

from pydantic import BaseModel

from functions.api.schemas.common import Request, Timestamp
from functions.api.schemas.fields import FileName, Name, Numbers
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


class InvalidLineOut(BaseModel):
    line: int
    value: str
    reason: str


class ContactListOut(BaseModel):
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
        }

    @classmethod
    def of(cls, contact_list: ContactList) -> ContactListOut:
        return cls.model_validate(cls.fields_of(contact_list))


class ListNumberOut(BaseModel):
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


class ListNumberPage(BaseModel):
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


class ContactListPage(BaseModel):
    items: list[ContactListOut]
    next_cursor: str | None


class UploadCreate(Request):
    name: Name
    file_name: FileName


class UploadOut(BaseModel):
    upload_id: str
    upload_url: str
    method: str = "PUT"
    expires_at: Timestamp

    @classmethod
    def of(cls, upload: ListUpload) -> UploadOut:
        return cls(upload_id=upload.upload_id, upload_url=upload.upload_url, expires_at=upload.expires_at)
