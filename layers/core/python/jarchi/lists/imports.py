"""Importing a big telecom blacklist through the API (R-CPL-3): a million numbers (~13 MB) do not fit in a
request (bodies stop at 7 MB), so the admin uploads the file to S3 and a worker function imports it.

1. `POST /v1/blacklist/imports` (admin) → 201 `{"id", "upload_url", "method": "PUT", "expires_at", "status":
   "awaiting_upload"}`: a presigned PUT into the lists bucket (`blacklist-imports/<id>/original`).
2. `POST /v1/blacklist/imports/{id}/start` → 202 the import, `queued` (409 `upload_incomplete` while nothing was
   uploaded, `import_already_started` once a worker took it): one message on the imports queue. Starting a
   `queued` import again sends its message again, so a start whose message was lost is completed by retrying it;
   each message carries the import's invocation count when sent (its *generation*), and a worker drops a message
   another worker already acted on.
3. The imports function (`run_import`) streams the object from its **byte offset checkpoint** (a ranged GET),
   reads it line by line like `POST /v1/blacklist` (text or CSV, number first, the admin's region), and
   batch-writes the numbers (25 per BatchWriteItem). Every `CHECKPOINT_NUMBERS` numbers it records the offset
   of the next unread line and its counts with one conditional write (on the offset it started from): a second
   worker on the same import (an SQS redelivery) loses that write and stops. When its invocation's time is
   nearly spent it sends the import's message again and returns: the next invocation resumes at the offset.
   Numbers written after the last checkpoint by a worker that crashed are written again: the write is
   idempotent (a number is one item), only `added` counts them twice. When the message's last delivery
   (the queue's `max_receive_count`) fails too, the import is marked `failed` with the error's name, and the
   numbers written so far stay.
4. `GET /v1/blacklist/imports/{id}` → `{"id", "status": awaiting_upload | queued | running | done | failed,
   "size_bytes", "offset", "read", "invalid", "added", "invalid_lines", "invocations", …}`.

Memory is one S3 chunk, one line and one checkpoint's numbers, whatever the file's size; the time of one
invocation is bounded by its deadline, not by the file."""

from __future__ import annotations

import codecs
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Final, Protocol

from jarchi import clock
from jarchi.accounts.access import require_admin
from jarchi.accounts.models import Caller
from jarchi.audiences.numbers import normaliser_for
from jarchi.audiences.parsing import InvalidLine
from jarchi.audiences.ports import ListFiles
from jarchi.clock import iso
from jarchi.compliance.adcap import SuppressionList
from jarchi.compliance.ports import SuppressionLists
from jarchi.errors import Conflict, NotFound, PayloadTooLarge
from jarchi.ids import new_id
from jarchi.lists.suppression import MAX_REPORTED_INVALID, number_cell
from jarchi.ports import MessageQueue, resolve
from jarchi.resources import IMPORTS_QUEUE

CHECKPOINT_NUMBERS: Final = 5_000
MAX_IMPORT_BYTES: Final = 200 * 1024 * 1024  # ~15 million numbers
_BOM: Final = codecs.BOM_UTF8


class ImportStatus(StrEnum):
    AWAITING_UPLOAD = "awaiting_upload"
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class BlacklistImport:
    id: str
    status: ImportStatus
    key: str  # the uploaded file in the lists bucket
    created_at: datetime
    region: str  # numbers without a country code are read in the admin's region
    upload_expires_at: datetime | None = None
    size_bytes: int | None = None
    offset: int = 0  # the byte where the next unread line starts
    lines: int = 0  # lines read so far (the line report's numbering)
    read: int = 0
    invalid: int = 0
    added: int = 0
    invalid_lines: tuple[InvalidLine, ...] = field(default_factory=tuple)
    invocations: int = 0
    started_at: datetime | None = None
    updated_at: datetime | None = None
    finished_at: datetime | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class ImportUpload:
    record: BlacklistImport
    upload_url: str


class BlacklistImports(Protocol):
    """The import records."""

    def create(self, record: BlacklistImport) -> None: ...

    def get(self, import_id: str) -> BlacklistImport | None:
        """Consistently read."""
        ...

    def save_if(self, record: BlacklistImport, *, status: ImportStatus, offset: int) -> bool:
        """Write `record` if the stored one still has this status and offset; False, nothing written, else."""
        ...


@dataclass(frozen=True, slots=True)
class ImportPorts:
    imports: BlacklistImports
    files: ListFiles
    lists: SuppressionLists
    queue: MessageQueue

    @classmethod
    def wired(cls) -> ImportPorts:
        return cls(
            imports=resolve(BlacklistImports),
            files=resolve(ListFiles),
            lists=resolve(SuppressionLists),
            queue=resolve(MessageQueue),
        )


def file_key(import_id: str) -> str:
    return f"blacklist-imports/{import_id}/original"


def create_import(caller: Caller, *, ports: ImportPorts | None = None) -> ImportUpload:
    """`POST /v1/blacklist/imports` (admin): an import awaiting its file, and where to PUT it."""
    require_admin(caller)
    ports = ports or ImportPorts.wired()
    import_id = new_id("imp")
    presigned = ports.files.presign_upload(file_key(import_id))
    record = BlacklistImport(
        id=import_id,
        status=ImportStatus.AWAITING_UPLOAD,
        key=presigned.key,
        created_at=clock.now(),
        region=caller.account.default_region,
        upload_expires_at=presigned.expires_at,
    )
    ports.imports.create(record)
    return ImportUpload(record, presigned.url)


def _visible(caller: Caller, import_id: str, ports: ImportPorts) -> BlacklistImport:
    require_admin(caller)
    found = ports.imports.get(import_id)
    if found is None:
        raise NotFound.of("import", import_id)
    return found


def import_status(caller: Caller, import_id: str, *, ports: ImportPorts | None = None) -> BlacklistImport:
    return _visible(caller, import_id, ports or ImportPorts.wired())


def start_import(caller: Caller, import_id: str, *, ports: ImportPorts | None = None) -> BlacklistImport:
    """`POST /v1/blacklist/imports/{id}/start`: queue the uploaded file for the imports function."""
    ports = ports or ImportPorts.wired()
    record = _visible(caller, import_id, ports)
    if record.status is not ImportStatus.AWAITING_UPLOAD:
        return _resend(record, ports)
    size = ports.files.size(record.key)
    if size is None:
        raise Conflict("upload_incomplete", "no file was uploaded to the upload URL yet", import_id=import_id)
    if size > MAX_IMPORT_BYTES:
        raise PayloadTooLarge(
            "list_too_large", f"the file is {size} bytes; at most {MAX_IMPORT_BYTES}", max_bytes=MAX_IMPORT_BYTES
        )
    queued = replace(record, status=ImportStatus.QUEUED, size_bytes=size, upload_expires_at=None)
    if not ports.imports.save_if(queued, status=ImportStatus.AWAITING_UPLOAD, offset=0):
        raise Conflict("import_already_started", f"import {import_id!r} was started at the same time")
    try:
        _hand_over(ports, queued)
    except Exception:
        # Not queued after all: the client's retry starts it afresh (a crash right here is what the resend of a
        # `queued` import's start is for).
        ports.imports.save_if(record, status=ImportStatus.QUEUED, offset=0)
        raise
    return queued


def _resend(record: BlacklistImport, ports: ImportPorts) -> BlacklistImport:
    """A second start of an import no worker has taken yet: its first message may have been lost."""
    if record.status is not ImportStatus.QUEUED or record.invocations > 0:
        raise Conflict("import_already_started", f"import {record.id!r} is {record.status.value}", status=record.status)
    _hand_over(ports, record)
    return record


def _hand_over(ports: ImportPorts, record: BlacklistImport) -> None:
    ports.queue.send(IMPORTS_QUEUE, [{"import_id": record.id, "generation": record.invocations}])


# --- the worker ------------------------------------------------------------------------------------------


def _lines(chunks: Iterable[bytes], start: int) -> Iterator[tuple[int, bytes]]:
    """Each line (without its newline) with the byte offset just past it."""
    pending = b""
    position = start
    for chunk in chunks:
        pending += chunk
        *complete, pending = pending.split(b"\n")
        for line in complete:
            position += len(line) + 1
            yield position, line
    if pending:
        yield position + len(pending), pending


@dataclass
class _Progress:
    record: BlacklistImport
    numbers: list[str] = field(default_factory=list)
    invalid_lines: list[InvalidLine] = field(default_factory=list)

    def take(self, raw: bytes, at_start: bool, check: Callable[[str], str | None]) -> None:
        record = self.record
        line_number = record.lines + 1
        self.record = replace(record, lines=line_number)
        if at_start:
            raw = raw.removeprefix(_BOM)
        text = number_cell(raw.decode("utf-8", errors="replace").rstrip("\r"))
        if not text:
            return
        e164 = check(text)
        if e164 is None:
            self.record = replace(self.record, read=self.record.read + 1, invalid=self.record.invalid + 1)
            if len(self.invalid_lines) < MAX_REPORTED_INVALID:
                self.invalid_lines.append(InvalidLine(line_number, text[:100], "invalid"))
            return
        self.record = replace(self.record, read=self.record.read + 1)
        self.numbers.append(e164)


@dataclass(frozen=True, slots=True)
class ImportMessage:
    """One delivery of an imports-queue message."""

    import_id: str
    generation: int | None = None  # the import's invocations when sent; None: a message from before generations
    delivery: int = 1  # SQS's ApproximateReceiveCount

    @property
    def last_delivery(self) -> bool:
        return self.delivery >= IMPORTS_QUEUE.max_receive_count

    def acted_on(self, record: BlacklistImport) -> bool:
        """Another worker has already acted on this message's generation (a duplicate start or hand-over).
        Each earlier delivery of this very message may have counted an invocation before it failed."""
        if self.generation is None:
            return False
        return record.invocations > self.generation + self.delivery - 1


def run_import(
    import_id: str | ImportMessage, *, time_left: Callable[[], bool], ports: ImportPorts | None = None
) -> BlacklistImport | None:
    """One invocation's share of an import (see the module doc). `time_left()` says whether another
    checkpoint's worth may still be read. Answers the import as this invocation left it (None: unknown id)."""
    message = import_id if isinstance(import_id, ImportMessage) else ImportMessage(import_id)
    ports = ports or ImportPorts.wired()
    try:
        return _run_import(message, time_left, ports)
    except Exception as error:
        if not message.last_delivery:
            raise  # SQS delivers it again: the next worker resumes from the last checkpoint
        return _fail(ports, message.import_id, type(error).__name__)


def _fail(ports: ImportPorts, import_id: str, reason: str) -> BlacklistImport | None:
    record = ports.imports.get(import_id)
    if record is None or record.status not in (ImportStatus.QUEUED, ImportStatus.RUNNING):
        return record
    now = clock.now()
    failed = replace(record, status=ImportStatus.FAILED, error=reason, updated_at=now, finished_at=now)
    ports.imports.save_if(failed, status=record.status, offset=record.offset)
    return ports.imports.get(import_id)


def _run_import(message: ImportMessage, time_left: Callable[[], bool], ports: ImportPorts) -> BlacklistImport | None:
    import_id = message.import_id
    record = ports.imports.get(import_id)
    if record is None or record.status not in (ImportStatus.QUEUED, ImportStatus.RUNNING) or message.acted_on(record):
        return record
    started = replace(
        record,
        status=ImportStatus.RUNNING,
        invocations=record.invocations + 1,
        started_at=record.started_at or clock.now(),
        updated_at=clock.now(),
    )
    if not ports.imports.save_if(started, status=record.status, offset=record.offset):
        return ports.imports.get(import_id)  # another worker has it
    size = started.size_bytes or 0
    check = normaliser_for(started.region.upper()).check
    progress = _Progress(started, invalid_lines=list(started.invalid_lines))
    stored = started
    offset = started.offset
    chunks = ports.files.stream(started.key, offset) if offset < size else iter(())
    for end, raw in _lines(chunks, offset):
        progress.take(raw, at_start=offset == 0, check=lambda text: check(text).e164)
        offset = end
        if len(progress.numbers) >= CHECKPOINT_NUMBERS:
            if not _checkpoint(ports, progress, stored, offset, ImportStatus.RUNNING):
                return ports.imports.get(import_id)
            stored = progress.record
            if not time_left():
                _hand_over(ports, stored)  # the next invocation resumes
                return stored
    if not _checkpoint(ports, progress, stored, offset, ImportStatus.DONE):
        return ports.imports.get(import_id)
    return progress.record


def _checkpoint(
    ports: ImportPorts, progress: _Progress, stored: BlacklistImport, offset: int, status: ImportStatus
) -> bool:
    """Write the numbers read since the last checkpoint, then the checkpoint, conditioned on the stored one
    (`stored`): False when another worker moved the import on meanwhile (this one stops)."""
    read_so_far = progress.record
    added = 0
    if progress.numbers:
        added = ports.lists.add_many(
            SuppressionList.TELECOM_BLACKLIST,
            progress.numbers,
            added_at=iso(clock.now()),
            source=read_so_far.id,
        )
    now = clock.now()
    checkpoint = replace(
        read_so_far,
        status=status,
        offset=offset,
        added=read_so_far.added + added,
        invalid_lines=tuple(progress.invalid_lines),
        updated_at=now,
        finished_at=now if status is ImportStatus.DONE else None,
    )
    progress.numbers = []
    progress.record = checkpoint
    return ports.imports.save_if(checkpoint, status=stored.status, offset=stored.offset)
