"""Contact lists: the `contact_lists` table (metadata) and their recipients as JSON Lines in the list files
(S3), behind `jarchi.audiences.ports.ContactListRepository`.

`recipients.jsonl` holds one `{"number", "type", "values"}` object per line, `values` aligned with the
item's `columns`. It is written before the item, so an item never points to a missing object."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from pynamodb.attributes import JSONAttribute, ListAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from jarchi.audiences.numbers import NumberType
from jarchi.audiences.parsing import InvalidLine, Recipient
from jarchi.audiences.ports import ListFiles
from jarchi.audiences.records import ContactList, ListStatus
from jarchi.aws.media import S3ListFiles
from jarchi.store.base import decode_cursor, encode_cursor, table_meta
from jarchi.store.tables import CONTACT_LISTS

_CONDITION_FAILED = "ConditionalCheckFailedException"


class _ByAccount(GlobalSecondaryIndex["ContactListItem"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "by_account"
        projection = AllProjection()

    account_id = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class ContactListItem(Model):
    Meta = table_meta(CONTACT_LISTS)
    id = UnicodeAttribute(hash_key=True)
    account_id = UnicodeAttribute()
    created_at = UnicodeAttribute()
    name = UnicodeAttribute()
    status = UnicodeAttribute()
    recipients_key = UnicodeAttribute()
    original_key = UnicodeAttribute(null=True)
    file_name = UnicodeAttribute(null=True)
    format = UnicodeAttribute(null=True)
    columns: ListAttribute[str] = ListAttribute(default=list)
    read = NumberAttribute(default=0)
    invalid = NumberAttribute(default=0)
    duplicate = NumberAttribute(default=0)
    kept = NumberAttribute(default=0)
    not_allowed = NumberAttribute(default=0)
    invalid_lines = JSONAttribute(null=True)  # [[line, value, reason], …]
    upload_expires_at = UnicodeAttribute(null=True)
    version = NumberAttribute(default=0)
    updated_at = UnicodeAttribute(null=True)
    by_account = _ByAccount()


def _lines_out(lines: Iterable[InvalidLine]) -> list[list[Any]]:
    return [[x.line, x.value, x.reason] for x in lines]


def _lines_in(raw: Any) -> tuple[InvalidLine, ...]:
    return tuple(InvalidLine(int(line), str(value), str(reason)) for line, value, reason in raw or ())


def _to_list(item: ContactListItem) -> ContactList:
    return ContactList(
        id=item.id,
        account_id=item.account_id,
        name=item.name,
        status=ListStatus(item.status),
        created_at=datetime.fromisoformat(item.created_at),
        recipients_key=item.recipients_key,
        original_key=item.original_key,
        file_name=item.file_name,
        format=item.format,
        columns=tuple(item.columns or ()),
        read=int(item.read or 0),
        invalid=int(item.invalid or 0),
        duplicate=int(item.duplicate or 0),
        kept=int(item.kept or 0),
        not_allowed=int(item.not_allowed or 0),
        invalid_lines=_lines_in(item.invalid_lines),
        upload_expires_at=datetime.fromisoformat(item.upload_expires_at) if item.upload_expires_at else None,
        version=int(item.version or 0),
        updated_at=datetime.fromisoformat(item.updated_at) if item.updated_at else None,
    )


def _item(contact_list: ContactList) -> ContactListItem:
    return ContactListItem(
        contact_list.id,
        account_id=contact_list.account_id,
        created_at=contact_list.created_at.isoformat(),
        name=contact_list.name,
        status=contact_list.status.value,
        recipients_key=contact_list.recipients_key,
        original_key=contact_list.original_key,
        file_name=contact_list.file_name,
        format=contact_list.format,
        columns=list(contact_list.columns),
        read=contact_list.read,
        invalid=contact_list.invalid,
        duplicate=contact_list.duplicate,
        kept=contact_list.kept,
        not_allowed=contact_list.not_allowed,
        invalid_lines=_lines_out(contact_list.invalid_lines),
        upload_expires_at=contact_list.upload_expires_at.isoformat() if contact_list.upload_expires_at else None,
        version=contact_list.version,
        updated_at=contact_list.updated_at.isoformat() if contact_list.updated_at else None,
    )


# --- the recipients object -------------------------------------------------------------------------


def encode_recipients(recipients: Iterable[Recipient]) -> bytes:
    lines = (
        json.dumps({"number": r.number, "type": r.type.value, "values": list(r.values)}, ensure_ascii=False)
        for r in recipients
    )
    return "\n".join(lines).encode("utf-8")


def _decode_line(line: str) -> Recipient:
    row = json.loads(line)
    return Recipient(row["number"], NumberType(row["type"]), tuple(row["values"]))


class DynamoContactLists:
    """The contact-list repository: items in the `contact_lists` table, recipients through the list files."""

    def __init__(self, files: ListFiles | None = None) -> None:
        self._files: ListFiles = files or S3ListFiles()

    def put(self, contact_list: ContactList) -> None:
        """A new item (a ready list, or an upload awaiting its file)."""
        _item(contact_list).save(condition=ContactListItem.id.does_not_exist())

    def complete(self, contact_list: ContactList) -> bool:
        """Turn an awaiting upload into the ready list; False when it is no longer awaiting."""
        try:
            _item(contact_list).save(condition=ContactListItem.status == ListStatus.AWAITING_UPLOAD.value)
        except PutError as error:
            if error.cause_response_code == _CONDITION_FAILED:
                return False
            raise
        return True

    def replace(self, contact_list: ContactList, read_version: int) -> bool:
        """Write an edited ready list over the version it was read at; False, nothing written, when it changed
        (or was deleted) meanwhile."""
        unchanged = ContactListItem.version == read_version
        if read_version == 0:
            unchanged = ContactListItem.version.does_not_exist() | unchanged
        condition = (ContactListItem.status == ListStatus.READY.value) & unchanged
        try:
            _item(contact_list).save(condition=condition)
        except PutError as error:
            if error.cause_response_code == _CONDITION_FAILED:
                return False
            raise
        return True

    def delete(self, list_id: str) -> None:
        ContactListItem(list_id).delete()

    def get(self, list_id: str) -> ContactList | None:
        try:
            return _to_list(ContactListItem.get(list_id, consistent_read=True))
        except ContactListItem.DoesNotExist:
            return None

    def list_for_account(self, account_id: str, limit: int, cursor: str | None) -> tuple[list[ContactList], str | None]:
        """An account's ready lists, newest first (a page may hold fewer than `limit`: uploads are skipped)."""
        start = decode_cursor(cursor)
        if start is not None and start.get("account_id", {}).get("S") != account_id:
            start = None
        result = ContactListItem.by_account.query(
            account_id,
            filter_condition=ContactListItem.status == ListStatus.READY.value,
            limit=limit,
            last_evaluated_key=start,
            scan_index_forward=False,
        )
        return [_to_list(item) for item in result], encode_cursor(result.last_evaluated_key)

    def put_recipients(self, key: str, recipients: Sequence[Recipient]) -> None:
        self._files.put(key, encode_recipients(recipients), "application/x-ndjson")

    def _lines(self, key: str) -> list[str]:
        data = self._files.get(key)
        if data is None:
            raise LookupError(f"the recipients object {key!r} is missing")
        return [line for line in data.decode("utf-8").split("\n") if line]

    def load_recipients(self, key: str) -> list[Recipient]:
        return [_decode_line(line) for line in self._lines(key)]

    def recipients_slice(self, key: str, offset: int, limit: int) -> tuple[list[Recipient], bool]:
        """`limit` recipients from `offset`, and whether more follow."""
        lines = self._lines(key)
        return [_decode_line(line) for line in lines[offset : offset + limit]], offset + limit < len(lines)
