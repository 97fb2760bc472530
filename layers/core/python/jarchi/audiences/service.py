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
from jarchi.accounts.models import Account, Caller
from jarchi.accounts.ports import AccountRepository
from jarchi.accounts.reach import blocked_prefixes, refusal
from jarchi.accounts.service import listed_account_id, require_owned
from jarchi.audiences.numbers import NumberType, number_info, recipient_time_zone
from jarchi.audiences.parsing import ContactImport, Reach, Recipient, parse_contact_file, parse_inline
from jarchi.audiences.ports import ContactListPorts
from jarchi.audiences.records import (
    MAX_STORED_INVALID_LINES,
    MAX_STORED_VALUE_CHARS,
    ContactList,
    ListStatus,
    RecipientView,
)
from jarchi.errors import BadRequest, Conflict, NotFound, PayloadTooLarge, Unprocessable
from jarchi.ids import new_id
from jarchi.ports import resolve
from jarchi.settings import get_settings


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


def list_owner(caller: Caller, contact_list: ContactList, accounts: AccountRepository | None) -> Account:
    """The account owning a list the caller may see (its time zone applies to the numbers)."""
    if contact_list.account_id == caller.account_id:
        return caller.account
    owner = (accounts or resolve(AccountRepository)).get(contact_list.account_id)
    if owner is None:
        raise NotFound.of("contact_list", contact_list.id)
    return owner


def clean_name(name: str) -> str:
    cleaned = name.strip()
    if not cleaned:
        raise Unprocessable("invalid_name", "a contact list needs a name")
    return cleaned


def reach_of(account: Account) -> Reach:
    """The import's check of where the account may send (a line report entry for any other number)."""
    allowed = account.reachable_countries
    blocked = blocked_prefixes()

    def refused(number: str, kind: NumberType) -> str | None:
        paid = kind in (NumberType.PREMIUM_RATE, NumberType.SHARED_COST)
        why = refusal(number, allowed, blocked=blocked, paid_to_receive=paid)
        return why.value if why else None

    return refused


def parse_file_for(account: Account, data: bytes, *, limited: bool = True) -> ContactImport:
    """A file read as the account's upload (`limited`: refused past its recipient limit)."""
    return parse_contact_file(
        data,
        account.default_region,
        max_bytes=get_settings().contact_file_max_bytes,
        recipient_limit=account.recipient_limit if limited else None,
        reach=reach_of(account),
    )


def parse_inline_for(account: Account, numbers: list[str], *, limited: bool = True) -> ContactImport:
    """Inline numbers read as the account's upload (`limited`: refused past its recipient limit)."""
    limit = account.recipient_limit if limited else None
    return parse_inline(numbers, account.default_region, recipient_limit=limit, reach=reach_of(account))


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
        not_allowed=parsed.not_allowed,
        invalid_lines=lines,
        upload_expires_at=None,
    )


def create_contact_list(
    caller: Caller, request: NewContactList, *, ports: ContactListPorts | None = None
) -> ContactList:
    """`POST /v1/contact-lists`: parse, then store the objects, then the item."""
    ports = ports or ContactListPorts.wired()
    account = caller.account
    name = clean_name(request.name)
    if (request.numbers is None) == (request.data is None):
        raise Unprocessable("contact_list_content_required", "give exactly one of numbers and file")
    if request.data is not None:
        parsed = parse_file_for(account, request.data)
    else:
        assert request.numbers is not None
        parsed = parse_inline_for(account, request.numbers)
    list_id = new_id("lst")
    base = ContactList(
        id=list_id,
        account_id=account.id,
        name=name,
        status=ListStatus.READY,
        created_at=clock.now(),
        recipients_key=ports.files.recipients_key(account.id, list_id),
        file_name=request.file_name,
    )
    if request.data is not None:
        original_key = ports.files.original_key(account.id, list_id)
        ports.files.put(original_key, request.data)
        base = replace(base, original_key=original_key)
    ports.lists.put_recipients(base.recipients_key, parsed.recipients)
    contact_list = _ready(base, parsed)
    ports.lists.put(contact_list)
    return contact_list


def create_upload(caller: Caller, name: str, file_name: str, *, ports: ContactListPorts | None = None) -> ListUpload:
    """`POST /v1/contact-lists/uploads`: a presigned PUT URL for a big file."""
    ports = ports or ContactListPorts.wired()
    account = caller.account
    list_id = new_id("lst")
    presigned = ports.files.presign_upload(ports.files.original_key(account.id, list_id))
    ports.lists.put(
        ContactList(
            id=list_id,
            account_id=account.id,
            name=clean_name(name),
            status=ListStatus.AWAITING_UPLOAD,
            created_at=clock.now(),
            recipients_key=ports.files.recipients_key(account.id, list_id),
            original_key=presigned.key,
            file_name=file_name,
            upload_expires_at=presigned.expires_at,
        )
    )
    return ListUpload(list_id, presigned.url, presigned.expires_at)


def complete_upload(caller: Caller, upload_id: str, *, ports: ContactListPorts | None = None) -> ContactList:
    """Read the uploaded object, parse it like an inline file, and make the list (same id)."""
    ports = ports or ContactListPorts.wired()
    pending = ports.lists.get(upload_id)
    if pending is None or pending.account_id != caller.account_id:
        raise NotFound.of("upload", upload_id)
    if pending.status is not ListStatus.AWAITING_UPLOAD:
        raise Conflict("upload_already_completed", f"upload {upload_id!r} is already the list {pending.id!r}")
    key = pending.original_key or ports.files.original_key(pending.account_id, pending.id)
    size = ports.files.size(key)
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
    data = ports.files.get(key)
    if data is None:
        raise Conflict("upload_incomplete", "no file was uploaded to the upload URL yet", upload_id=upload_id)
    parsed = parse_file_for(caller.account, data)
    ports.lists.put_recipients(pending.recipients_key, parsed.recipients)
    contact_list = _ready(pending, parsed)
    if not ports.lists.complete(contact_list):
        raise Conflict("upload_already_completed", f"upload {upload_id!r} was completed at the same time")
    return contact_list


def visible_list(
    caller: Caller, list_id: str, ports: ContactListPorts, accounts: AccountRepository | None
) -> ContactList:
    found = ports.lists.get(list_id)
    ready = found if found is not None and found.status is ListStatus.READY else None
    return require_owned(caller, ready, "contact_list", list_id, accounts=accounts)


def get_contact_list(
    caller: Caller, list_id: str, *, ports: ContactListPorts | None = None, accounts: AccountRepository | None = None
) -> ContactList:
    return visible_list(caller, list_id, ports or ContactListPorts.wired(), accounts)


def list_contact_lists(
    caller: Caller,
    account_id: str | None,
    limit: int,
    cursor: str | None,
    *,
    ports: ContactListPorts | None = None,
    accounts: AccountRepository | None = None,
) -> tuple[list[ContactList], str | None]:
    ports = ports or ContactListPorts.wired()
    owner = listed_account_id(caller, account_id, accounts=accounts)
    return ports.lists.list_for_account(owner, limit, cursor)


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
    caller: Caller,
    list_id: str,
    limit: int,
    cursor: str | None,
    *,
    ports: ContactListPorts | None = None,
    accounts: AccountRepository | None = None,
) -> tuple[ContactList, list[RecipientView], str | None]:
    """A page of the list's numbers with type, region and time zone (R-LST-3); the cursor is an offset."""
    ports = ports or ContactListPorts.wired()
    offset = _offset(cursor)
    for _ in range(3):
        contact_list = visible_list(caller, list_id, ports, accounts)
        try:
            recipients, more = ports.lists.recipients_slice(contact_list.recipients_key, offset, limit)
        except LookupError:
            continue  # edited or deleted since the read: read it again
        owner = list_owner(caller, contact_list, accounts)
        views = [_view(r, contact_list.columns, owner) for r in recipients]
        return contact_list, views, str(offset + limit) if more else None
    raise NotFound.of("contact_list", list_id)


def load_list_recipients(
    account_id: str, list_id: str, *, ports: ContactListPorts | None = None
) -> tuple[tuple[str, ...], list[Recipient]]:
    """The account's ready list for a campaign: its columns and recipients (404 for any other list)."""
    ports = ports or ContactListPorts.wired()
    for _ in range(3):
        found = ports.lists.get(list_id)
        if found is None or found.account_id != account_id or found.status is not ListStatus.READY:
            break
        try:
            return found.columns, ports.lists.load_recipients(found.recipients_key)
        except LookupError:
            continue  # edited (its previous recipients removed) or deleted since the read: read it again
    raise NotFound.of("contact_list", list_id)
