"""Contact lists of an account (R-LST-1..4): inline numbers, an uploaded file, or a presigned S3 upload.

Every list is parsed with the account's default region and recipient limit (jarchi.audiences.parsing);
the parsed, normalised list (`recipients.jsonl`) is what campaigns use, the original file is kept beside
it. Nothing is half stored: the S3 objects are written first and the item last, so an item never points to
a missing object (a failed item write leaves a harmless orphan object). A refused file stores nothing.

Big files: `create_upload` hands out a presigned PUT URL for `lists/{account}/{id}/original` and an item
`awaiting_upload`; `complete_upload` reads the object, parses it and turns the item into the ready list
(same id). An upload is not a list until completed: reading it answers `contact_list_not_found`."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from jarchi import clock
from jarchi.accounts import access
from jarchi.accounts.models import Account, Caller
from jarchi.audiences.numbers import number_info, recipient_time_zone
from jarchi.audiences.parsing import ContactImport, Recipient, parse_contact_file, parse_inline
from jarchi.audiences.records import (
    MAX_STORED_INVALID_LINES,
    MAX_STORED_VALUE_CHARS,
    ContactList,
    ListStatus,
    RecipientView,
)
from jarchi.aws import media
from jarchi.errors import BadRequest, Conflict, NotFound, PayloadTooLarge, Unprocessable
from jarchi.ids import new_id
from jarchi.settings import get_settings
from jarchi.store import accounts as account_store
from jarchi.store import contact_lists as store


@dataclass(frozen=True, slots=True)
class NewContactList:
    """Exactly one of `numbers` and `data` (the decoded file, named `file_name`)."""

    name: str
    numbers: list[str] | None = None
    file_name: str | None = None
    data: bytes | None = None


@dataclass(frozen=True, slots=True)
class ListUpload:
    upload_id: str
    upload_url: str
    expires_at: datetime


def _owner(caller: Caller, account_id: str) -> Account | None:
    """The account, when the caller may see it."""
    if account_id == caller.account_id:
        return caller.account
    owner = account_store.get_account(account_id)
    return owner if owner is not None and access.can_see(caller, owner) else None


def _clean_name(name: str) -> str:
    cleaned = name.strip()
    if not cleaned:
        raise Unprocessable("invalid_name", "a contact list needs a name")
    return cleaned


def _parse_file(account: Account, data: bytes) -> ContactImport:
    return parse_contact_file(
        data,
        account.default_region,
        max_bytes=get_settings().contact_file_max_bytes,
        recipient_limit=account.recipient_limit,
    )


def _ready(base: ContactList, parsed: ContactImport) -> ContactList:
    lines = tuple(
        replace(x, value=x.value[:MAX_STORED_VALUE_CHARS]) for x in parsed.invalid_lines[:MAX_STORED_INVALID_LINES]
    )
    return replace(
        base,
        status=ListStatus.READY,
        format=parsed.format.value,
        columns=parsed.columns,
        read=parsed.read,
        invalid=parsed.invalid,
        duplicate=parsed.duplicate,
        kept=parsed.kept,
        invalid_lines=lines,
        upload_expires_at=None,
    )


def create_contact_list(caller: Caller, request: NewContactList) -> ContactList:
    """`POST /v1/contact-lists`: parse, then store the objects, then the item."""
    account = caller.account
    name = _clean_name(request.name)
    if (request.numbers is None) == (request.data is None):
        raise Unprocessable("contact_list_content_required", "give exactly one of numbers and file")
    if request.data is not None:
        parsed = _parse_file(account, request.data)
    else:
        assert request.numbers is not None
        parsed = parse_inline(request.numbers, account.default_region, recipient_limit=account.recipient_limit)
    list_id = new_id("lst")
    base = ContactList(
        id=list_id,
        account_id=account.id,
        name=name,
        status=ListStatus.READY,
        created_at=clock.now(),
        recipients_key=media.list_recipients_key(account.id, list_id),
        file_name=request.file_name,
    )
    if request.data is not None:
        original_key = media.list_original_key(account.id, list_id)
        media.put_list_object(original_key, request.data)
        base = replace(base, original_key=original_key)
    store.put_recipients(base.recipients_key, parsed.recipients)
    contact_list = _ready(base, parsed)
    store.put_contact_list(contact_list)
    return contact_list


def create_upload(caller: Caller, name: str, file_name: str) -> ListUpload:
    """`POST /v1/contact-lists/uploads`: a presigned PUT URL for a big file."""
    account = caller.account
    list_id = new_id("lst")
    presigned = media.presign_list_upload(media.list_original_key(account.id, list_id))
    store.put_contact_list(
        ContactList(
            id=list_id,
            account_id=account.id,
            name=_clean_name(name),
            status=ListStatus.AWAITING_UPLOAD,
            created_at=clock.now(),
            recipients_key=media.list_recipients_key(account.id, list_id),
            original_key=presigned.key,
            file_name=file_name,
            upload_expires_at=presigned.expires_at,
        )
    )
    return ListUpload(list_id, presigned.url, presigned.expires_at)


def complete_upload(caller: Caller, upload_id: str) -> ContactList:
    """Read the uploaded object, parse it like an inline file, and make the list (same id)."""
    pending = store.get_contact_list(upload_id)
    if pending is None or pending.account_id != caller.account_id:
        raise NotFound.of("upload", upload_id)
    if pending.status is not ListStatus.AWAITING_UPLOAD:
        raise Conflict("upload_already_completed", f"upload {upload_id!r} is already the list {pending.id!r}")
    key = pending.original_key or media.list_original_key(pending.account_id, pending.id)
    size = media.list_object_size(key)
    if size is None:
        raise Conflict("upload_incomplete", "no file was uploaded to the upload URL yet", upload_id=upload_id)
    max_bytes = get_settings().contact_file_max_bytes
    if size > max_bytes:  # refuse before downloading it
        raise PayloadTooLarge(
            "list_too_large",
            f"the list is {size} bytes; at most {max_bytes} are allowed",
            size_bytes=size,
            max_bytes=max_bytes,
        )
    data = media.get_list_object(key)
    if data is None:
        raise Conflict("upload_incomplete", "no file was uploaded to the upload URL yet", upload_id=upload_id)
    parsed = _parse_file(caller.account, data)
    store.put_recipients(pending.recipients_key, parsed.recipients)
    contact_list = _ready(pending, parsed)
    if not store.complete_contact_list(contact_list):
        raise Conflict("upload_already_completed", f"upload {upload_id!r} was completed at the same time")
    return contact_list


def _visible_list(caller: Caller, list_id: str) -> tuple[ContactList, Account]:
    found = store.get_contact_list(list_id)
    owner = _owner(caller, found.account_id) if found is not None else None
    if found is None or owner is None or found.status is not ListStatus.READY:
        raise NotFound.of("contact_list", list_id)
    return found, owner


def get_contact_list(caller: Caller, list_id: str) -> ContactList:
    return _visible_list(caller, list_id)[0]


def list_contact_lists(
    caller: Caller, account_id: str | None, limit: int, cursor: str | None
) -> tuple[list[ContactList], str | None]:
    owner = account_id or caller.account_id
    if _owner(caller, owner) is None:
        raise NotFound.of("account", owner)
    return store.list_contact_lists(owner, limit, cursor)


def _offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    if not cursor.isdigit():
        raise BadRequest("invalid_cursor", "the cursor is not one this API returned")
    return int(cursor)


def _view(recipient: Recipient, columns: tuple[str, ...], account: Account) -> RecipientView:
    info = number_info(recipient.number)
    return RecipientView(
        number=recipient.number,
        type=recipient.type,
        region=info.region,
        time_zones=info.time_zones,
        time_zone=recipient_time_zone(info, account.timezone),
        values=dict(zip(columns, recipient.values, strict=False)),
    )


def recipients_page(
    caller: Caller, list_id: str, limit: int, cursor: str | None
) -> tuple[ContactList, list[RecipientView], str | None]:
    """A page of the list's numbers with type, region and time zone (R-LST-3); the cursor is an offset."""
    contact_list, owner = _visible_list(caller, list_id)
    offset = _offset(cursor)
    recipients, more = store.recipients_slice(contact_list.recipients_key, offset, limit)
    views = [_view(r, contact_list.columns, owner) for r in recipients]
    return contact_list, views, str(offset + limit) if more else None


def load_list_recipients(account_id: str, list_id: str) -> tuple[tuple[str, ...], list[Recipient]]:
    """The account's ready list for a campaign: its columns and recipients (404 for any other list)."""
    found = store.get_contact_list(list_id)
    if found is None or found.account_id != account_id or found.status is not ListStatus.READY:
        raise NotFound.of("contact_list", list_id)
    return found.columns, store.load_recipients(found.recipients_key)
