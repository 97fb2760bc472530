"""What contact lists need from outside (R-LST-1..4): the list repository (metadata and the parsed
recipients) and the list files (the lists bucket: originals, presigned uploads). Adapters: `DynamoContactLists`
in the store package (the recipients as JSON Lines through the list files) and `S3ListFiles` in the AWS
package; in-memory fakes in `tests/fakes`."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from jarchi.audiences.parsing import Recipient
from jarchi.audiences.records import ContactList
from jarchi.ports import resolve


@dataclass(frozen=True, slots=True)
class PresignedUpload:
    url: str
    key: str
    expires_at: datetime


class ListFiles(Protocol):
    """The lists bucket. The files name the keys, so every writer and reader agrees."""

    def original_key(self, account_id: str, list_id: str) -> str:
        """Where the file as the client sent it is kept."""
        ...

    def recipients_key(self, account_id: str, list_id: str) -> str:
        """Where the parsed, normalised recipients are kept."""
        ...

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None: ...

    def get(self, key: str) -> bytes | None:
        """None when there is no such object."""
        ...

    def size(self, key: str) -> int | None:
        """The object's size in bytes, without reading it; None when there is no such object."""
        ...

    def presign_upload(self, key: str) -> PresignedUpload:
        """A URL the client PUTs the file to, and until when it works."""
        ...

    def delete(self, key: str) -> None:
        """Remove the object (nothing happens when there is none)."""
        ...

    def stream(self, key: str, start: int = 0) -> Iterator[bytes]:
        """The object's bytes from `start` (before its size), a chunk at a time."""
        ...


class ContactListRepository(Protocol):
    def put(self, contact_list: ContactList) -> None:
        """A new list (ready, or an upload awaiting its file); raises if the id is taken."""
        ...

    def complete(self, contact_list: ContactList) -> bool:
        """Replace an awaiting upload with the ready list; False, nothing written, when it is no longer
        awaiting its upload (completed meanwhile)."""
        ...

    def replace(self, contact_list: ContactList, read_version: int) -> bool:
        """Write an edited ready list over the version it was read at (`contact_list.version` is the next);
        False, nothing written, when it changed or was deleted meanwhile."""
        ...

    def delete(self, list_id: str) -> None:
        """Remove the item (its objects are the caller's to remove)."""
        ...

    def get(self, list_id: str) -> ContactList | None:
        """Consistently read, whatever its status."""
        ...

    def list_for_account(self, account_id: str, limit: int, cursor: str | None) -> tuple[list[ContactList], str | None]:
        """The account's ready lists, newest first (a page may hold fewer than `limit`)."""
        ...

    def put_recipients(self, key: str, recipients: Sequence[Recipient]) -> None:
        """Store the parsed recipients at `key` (before the list that points to them)."""
        ...

    def load_recipients(self, key: str) -> list[Recipient]:
        """All of them, in order; `LookupError` when they are missing."""
        ...

    def recipients_slice(self, key: str, offset: int, limit: int) -> tuple[list[Recipient], bool]:
        """`limit` recipients from `offset`, and whether more follow."""
        ...


@dataclass(frozen=True, slots=True)
class ContactListPorts:
    lists: ContactListRepository
    files: ListFiles

    @classmethod
    def wired(cls) -> ContactListPorts:
        return cls(lists=resolve(ContactListRepository), files=resolve(ListFiles))
