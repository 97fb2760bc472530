"""Contact lists and the lists bucket in memory."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from datetime import timedelta

from jarchi import clock
from jarchi.audiences.parsing import Recipient
from jarchi.audiences.ports import PresignedUpload
from jarchi.audiences.records import ContactList, ListStatus
from tests.fakes._paging import page

UPLOAD_URL_SECONDS = 15 * 60


class FakeListFiles:
    """The lists bucket: key -> bytes. A client's PUT to a presigned URL is `put(key, data)`."""

    def __init__(self) -> None:
        self.objects: dict[str, tuple[bytes, str]] = {}
        self.chunk_bytes = 1 << 16

    def original_key(self, account_id: str, list_id: str) -> str:
        return f"lists/{account_id}/{list_id}/original"

    def recipients_key(self, account_id: str, list_id: str) -> str:
        return f"lists/{account_id}/{list_id}/recipients.jsonl"

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        self.objects[key] = (data, content_type)

    def get(self, key: str) -> bytes | None:
        stored = self.objects.get(key)
        return stored[0] if stored else None

    def size(self, key: str) -> int | None:
        stored = self.objects.get(key)
        return len(stored[0]) if stored else None

    def presign_upload(self, key: str) -> PresignedUpload:
        expires_at = clock.now() + timedelta(seconds=UPLOAD_URL_SECONDS)
        return PresignedUpload(url=f"https://lists.fake.invalid/{key}", key=key, expires_at=expires_at)

    def delete(self, key: str) -> None:
        self.objects.pop(key, None)

    def stream(self, key: str, start: int = 0) -> Iterator[bytes]:
        data = self.objects[key][0]
        for first in range(start, len(data), self.chunk_bytes):
            yield data[first : first + self.chunk_bytes]


class FakeContactLists:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.lists: dict[str, ContactList] = {}
        self.recipients: dict[str, list[Recipient]] = {}

    def put(self, contact_list: ContactList) -> None:
        with self._lock:
            if contact_list.id in self.lists:
                raise KeyError(f"contact list {contact_list.id} exists")
            self.lists[contact_list.id] = contact_list

    def complete(self, contact_list: ContactList) -> bool:
        with self._lock:
            current = self.lists.get(contact_list.id)
            if current is None or current.status is not ListStatus.AWAITING_UPLOAD:
                return False
            self.lists[contact_list.id] = contact_list
            return True

    def replace(self, contact_list: ContactList, read_version: int) -> bool:
        with self._lock:
            current = self.lists.get(contact_list.id)
            if current is None or current.status is not ListStatus.READY or current.version != read_version:
                return False
            self.lists[contact_list.id] = contact_list
            return True

    def delete(self, list_id: str) -> None:
        with self._lock:
            self.lists.pop(list_id, None)

    def get(self, list_id: str) -> ContactList | None:
        return self.lists.get(list_id)

    def list_for_account(self, account_id: str, limit: int, cursor: str | None) -> tuple[list[ContactList], str | None]:
        ready = [c for c in self.lists.values() if c.account_id == account_id and c.status is ListStatus.READY]
        return page(sorted(ready, key=lambda c: (c.created_at, c.id), reverse=True), limit, cursor)

    def put_recipients(self, key: str, recipients: Sequence[Recipient]) -> None:
        self.recipients[key] = list(recipients)

    def load_recipients(self, key: str) -> list[Recipient]:
        if key not in self.recipients:
            raise LookupError(f"the recipients object {key!r} is missing")
        return list(self.recipients[key])

    def recipients_slice(self, key: str, offset: int, limit: int) -> tuple[list[Recipient], bool]:
        everyone = self.load_recipients(key)
        return everyone[offset : offset + limit], offset + limit < len(everyone)
