"""The local platform keeps its data (issue 15): a write-ahead journal of the emulated services' changes,
snapshots that bound it, and the data folder they live in (`.jarchi/` by default, `JARCHI_DATA_DIR`).

Every request that changes DynamoDB, S3, SQS or EventBridge Scheduler passes `local.emulator`'s serialising
lock; inside it, once moto has applied the request, `Journal.observe` appends what changed to the journal, in
the order moto applied it. So any prefix of the journal is the state the emulated AWS was in at one instant:
a crash rewinds the platform to a moment it really passed through, which is what the pipeline's idempotency
is built to resume from (a Lambda that died mid-batch, in the cloud).

Each record is written to the file as it is appended, so a `kill -9` loses nothing that was done: a poller's
finished batch, a placement's records. A syncer thread fsyncs the journal in groups: at once when someone
waits for it (`wait_durable`: an API answer, which must survive even a power cut; a placement with a real
provider), else every `SYNC_EVERY_SECONDS`, so an OS crash or a power cut rewinds at most that far, to a
consistent past state. The simulated provider keeps its own ledger of what it placed
(`PlacementLedger`: it honours the attempts' idempotency keys across a restart), fsync'd with the journal.

What a record holds, by service:
- DynamoDB, S3, Scheduler: the HTTP request itself, replayed through moto on start (these services are
  deterministic given the same prior state: conditions, counters and transactions come out the same);
- SQS: what changed, not the request, because moto draws message ids and receipt handles at random: the
  messages sent (as moto holds them), each receive's new receipt handle, receive count and visibility, the
  messages a receive moved to a DLQ, deletes by receipt handle, visibility changes;
- the local clock's distance from real time (or its frozen instant), whenever it moves.

Step Functions executions and deployed functions are not journaled: the functions and the state machine are
deployed again on each start, and `local.recovery` starts the workflow again for every campaign that should
have one (its position lives in the campaign item, not in the engine).

A snapshot (pickle of the DynamoDB, S3 and Scheduler backends and of every queue's messages) is written on a
clean stop, on a start whose journal is long, and while running whenever the journal is long
(`Journal.snapshot_due`: longer than the last snapshot, within `SNAPSHOT_MIN_BYTES`..`SNAPSHOT_AFTER_BYTES`;
replaying a record through moto costs far more than pickling its bytes' worth of state, so a restart replays
at most about one snapshot's worth); the journal then starts empty. A periodic one is written by a forked
child (`Journal.snapshot_in_background`), so the platform does not stop while it is pickled. Each record
carries its sequence number, and the snapshot the last one it covers, so a crash between the two writes
replays nothing twice. A torn record at the journal's end (the kill came mid-write) ends the replay there and
is cut off.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import pickle
import shutil
import struct
import threading
import time
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any, Final

import moto
from botocore.awsrequest import AWSPreparedRequest
from botocore.compat import HTTPHeaders
from moto.backends import get_backend
from moto.core.models import DEFAULT_ACCOUNT_ID, botocore_stubber
from moto.core.utils import unix_time_millis
from moto.sqs.exceptions import ReceiptHandleIsInvalid

from jarchi.attempts import Attempt, Placement
from jarchi.clock import LocalClock
from jarchi.connectors.simulator import SimulatorConnector
from jarchi.ports import Connector
from jarchi.resources import ALL_BUCKETS, ALL_QUEUES
from jarchi.store.tables import ALL_TABLES
from local.emulator import emulator_lock, observe_requests

LOG = logging.getLogger(__name__)

DATA_DIR_ENV: Final = "JARCHI_DATA_DIR"
DEFAULT_DATA_DIR: Final = Path(__file__).resolve().parent.parent / ".jarchi"
# Bump when what the folder holds changes meaning; moto's version and the resources' definitions count too.
FORMAT: Final = 1
FORMAT_FILE: Final = "format.json"
JOURNAL_FILE: Final = "journal.log"
OLDER_JOURNAL_FILE: Final = "journal.older.log"  # the records a snapshot being written covers
SNAPSHOT_FILE: Final = "snapshot.pickle"
LOCK_FILE: Final = "lock"
PLACEMENTS_FILE: Final = "simulator-placements.log"
_FRAME: Final = struct.Struct("<II")  # payload length, crc32
# A journal longer than the last snapshot (but at least the first, at most the second) folds into a new one,
# while running and at a start (a clean stop always does).
SNAPSHOT_MIN_BYTES: Final = 4 * 1024 * 1024
SNAPSHOT_AFTER_BYTES: Final = 64 * 1024 * 1024
# How far the journal's fsync may lag behind its writes when nobody waits for it (group commit).
SYNC_EVERY_SECONDS: Final = 0.1

_DYNAMODB_WRITES: Final = frozenset(
    {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems", "ExecuteStatement"}
)
_SQS_CHANGES: Final = frozenset(
    {
        "SendMessage",
        "SendMessageBatch",
        "ReceiveMessage",
        "DeleteMessage",
        "DeleteMessageBatch",
        "ChangeMessageVisibility",
        "ChangeMessageVisibilityBatch",
        "PurgeQueue",
    }
)
_HTTP_WRITES: Final = frozenset({"PUT", "POST", "DELETE"})


class DataFolderError(Exception):
    """The data folder cannot be used (another version wrote it, or another process holds it)."""


def data_dir_from_env() -> Path:
    return Path(os.environ.get(DATA_DIR_ENV) or DEFAULT_DATA_DIR).expanduser().resolve()


def fingerprint() -> dict[str, Any]:
    """What a data folder must match to be read: the journal's format, moto's version (snapshots are its
    objects), and the tables, queues and buckets it was written against."""
    resources = repr((ALL_TABLES, ALL_QUEUES, ALL_BUCKETS)).encode()
    return {"format": FORMAT, "moto": moto.__version__, "resources": hashlib.sha256(resources).hexdigest()[:16]}


class DataFolder:
    """The folder, its format file and its lock (one process at a time)."""

    def __init__(self, path: Path, journal: Journal | None = None) -> None:
        self.path = path
        self._journal = journal
        self._lock: IO[str] | None = None

    @property
    def journal_path(self) -> Path:
        return self.path / JOURNAL_FILE

    @property
    def older_journal_path(self) -> Path:
        return self.path / OLDER_JOURNAL_FILE

    @property
    def snapshot_path(self) -> Path:
        return self.path / SNAPSHOT_FILE

    @property
    def placements_path(self) -> Path:
        return self.path / PLACEMENTS_FILE

    @property
    def fresh(self) -> bool:
        return not (self.path / FORMAT_FILE).exists()

    def lock(self) -> None:
        """Hold the folder's lock for this process's life (one platform per folder)."""
        self.path.mkdir(parents=True, exist_ok=True)
        lock = (self.path / LOCK_FILE).open("a")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            raise DataFolderError(f"{self.path} is in use by a running Jarchi (stop it first)") from None
        self._lock = lock

    def open(self) -> DataFolder:
        """Create it if needed, take its lock, and check that this version can read it."""
        self.lock()
        if not self.fresh:
            self.check_format()
        return self

    def check_format(self) -> None:
        try:
            found = json.loads((self.path / FORMAT_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            found = None
        wanted = fingerprint()
        if found != wanted:
            raise DataFolderError(
                f"the data folder {self.path} was written by an incompatible version of Jarchi "
                f"(it holds {found}, this version needs {wanted}). There is no migration between these "
                "versions: keep the folder with an older checkout, or start empty with `make reset-data` "
                "(which deletes it)."
            )

    def mark_format(self) -> None:
        _write_atomically(self.path / FORMAT_FILE, json.dumps(fingerprint()).encode())

    def close(self) -> None:
        if self._lock is not None:
            fcntl.flock(self._lock, fcntl.LOCK_UN)
            self._lock.close()
            self._lock = None


def reset_data(path: Path) -> bool:
    """Delete the data folder (refused while a platform runs on it); answer whether there was one."""
    if not path.exists():
        return False
    folder = DataFolder(path)
    folder.lock()
    try:
        shutil.rmtree(path)
    finally:
        folder.close()
    return True


def _write_atomically(path: Path, data: bytes) -> None:
    temporary = path.with_suffix(path.suffix + ".tmp")
    with temporary.open("wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)
    _fsync_directory(path.parent)


def _fsync_directory(path: Path) -> None:
    directory = os.open(path, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


# --- the emulated services' state ---------------------------------------------------------------------


def _backend(service: str, region: str) -> Any:
    partition = "aws" if service == "s3" else region
    return get_backend(service)[DEFAULT_ACCOUNT_ID][partition]  # type: ignore[call-overload]


def _queue(region: str, name: str) -> Any:
    return _backend("sqs", region).get_queue(name)


def _queue_name(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


@dataclass(frozen=True, slots=True)
class ClockState:
    """The local clock as it persists: its distance from real time while it ticks, or the frozen instant."""

    ticking: bool
    skew_seconds: float = 0.0
    frozen_at: datetime | None = None

    @classmethod
    def of(cls, clock: LocalClock) -> ClockState:
        if clock.ticking:
            return cls(True, skew_seconds=(clock.now() - datetime.now(UTC)).total_seconds())
        return cls(False, frozen_at=clock.now())

    def clock(self) -> LocalClock:
        if self.ticking:
            return LocalClock(datetime.now(UTC) + timedelta(seconds=self.skew_seconds))
        assert self.frozen_at is not None
        return LocalClock(self.frozen_at, ticking=False)


def capture_state(region: str, clock: ClockState | None) -> bytes:
    sqs = _backend("sqs", region)
    state = {
        "dynamodb": _backend("dynamodb", region),
        "s3": _backend("s3", region),
        "scheduler": _backend("scheduler", region),
        "sqs": {name: queue._messages for name, queue in sqs.queues.items()},
        "clock": clock,
    }
    return pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL)


def restore_state(region: str, data: bytes) -> ClockState | None:
    state = pickle.loads(data)  # our own file, in our own data folder
    for service in ("dynamodb", "s3", "scheduler"):
        _backend(service, region).__dict__.update(state[service].__dict__)
    sqs = _backend("sqs", region)
    for name, messages in state["sqs"].items():
        if name in sqs.queues:
            sqs.queues[name]._messages = messages
    clock: ClockState | None = state["clock"]
    return clock


# --- the journal --------------------------------------------------------------------------------------


@dataclass
class JournalStats:
    """What the journal did (the campaign benchmark prints it)."""

    records: int = 0
    bytes: int = 0
    append_cpu_seconds: float = 0.0  # framing records, on the threads that made the changes
    fsyncs: int = 0
    waits: int = 0  # wait_durable() calls that had to wait for the disk
    wait_seconds: float = 0.0
    snapshots: int = 0
    snapshot_seconds: float = 0.0  # the emulator's lock held for them

    def __str__(self) -> str:
        return (
            f"{self.records:,} records, {self.bytes / 1e6:,.1f} MB, {self.append_cpu_seconds:.2f} CPU s framing them; "
            f"{self.fsyncs:,} fsyncs; {self.waits:,} waits for the disk, {self.wait_seconds:.1f} s in all; "
            f"{self.snapshots} snapshots, {self.snapshot_seconds:.1f} s"
        )


class Journal:
    """Append-only. Each record is written to the file as it is appended (in the operating system from then on:
    a `kill -9` loses none of it), and fsync'd in groups by a syncer thread, at once for a `wait_durable()`
    caller, else every `SYNC_EVERY_SECONDS` (what a power cut or an OS crash may cost: a consistent prefix of
    the journal survives it)."""

    def __init__(self, folder: DataFolder, region: str, *, first_seq: int = 0) -> None:
        self.folder = folder
        self.region = region
        self.recording = False
        self._seq = first_seq
        self._synced = first_seq
        self._waiting = 0
        self._condition = threading.Condition()
        self._file = folder.journal_path.open("ab", buffering=0)
        self._companions: list[int] = []  # other files' descriptors fsync'd with the journal (the ledger)
        self._companion_lock = threading.Lock()
        self._closed = False
        self._snapshotting = False
        self._background: threading.Thread | None = None
        self._background_lock = threading.Lock()  # deciding to start the snapshot thread, and finding it
        self._file_lock = threading.Lock()
        self.stats = JournalStats()
        self._thread = threading.Thread(target=self._sync_loop, name="journal-syncer", daemon=True)
        self._thread.start()
        self.clock_state: ClockState | None = None

    @property
    def seq(self) -> int:
        return self._seq

    def size(self) -> int:
        return self.folder.journal_path.stat().st_size

    def sync_with(self, fileno: int) -> None:
        """fsync this file too whenever the journal is: what was written to it before a journal record is on
        disk once that record is."""
        with self._companion_lock:
            self._companions.append(fileno)

    def stop_syncing(self, fileno: int) -> None:
        """Before the file is closed: the syncer never touches its descriptor again."""
        with self._companion_lock:
            self._companions.remove(fileno)

    def append(self, record: tuple[Any, ...]) -> int:
        """Frame a record now (its objects may change right after) and write it to the file."""
        started = time.thread_time()
        with self._condition:
            self._seq += 1
            payload = pickle.dumps((self._seq, record), protocol=pickle.HIGHEST_PROTOCOL)
            frame = _FRAME.pack(len(payload), zlib.crc32(payload)) + payload
            _write_all(self._file.fileno(), frame)
            self.stats.records += 1
            self.stats.bytes += len(frame)
            self.stats.append_cpu_seconds += time.thread_time() - started
            return self._seq

    def wait_durable(self, seq: int | None = None) -> None:
        """Return once every record appended before the call (or up to `seq`) is fsync'd."""
        started = time.perf_counter()
        with self._condition:
            target = self._seq if seq is None else seq
            if self._synced >= target:
                return
            self._waiting += 1
            self._condition.notify_all()
            self._condition.wait_for(lambda: self._synced >= target or self._closed)
            self._waiting -= 1
            self.stats.waits += 1
            self.stats.wait_seconds += time.perf_counter() - started

    def _sync_loop(self) -> None:
        while True:
            with self._condition:
                self._condition.wait_for(
                    lambda: self._closed or (self._waiting > 0 and self._seq > self._synced), SYNC_EVERY_SECONDS
                )
                upto = self._seq
                closed = self._closed
            if upto > self._synced:
                with self._file_lock:  # (a background snapshot may swap the file)
                    os.fdatasync(self._file.fileno())
                with self._companion_lock:
                    for fileno in self._companions:
                        os.fdatasync(fileno)
                with self._condition:
                    self._synced = max(self._synced, upto)
                    self._condition.notify_all()
                    self.stats.fsyncs += 1
                self._snapshot_when_long()
            if closed:
                return

    def close(self) -> None:
        with self._condition:
            self._closed = True
            self._condition.notify_all()
        self._thread.join(10)
        self._file.close()

    # --- what each request changed (called by local.emulator under its lock) ---

    def observe(self, request: Any, call: Callable[[], Any]) -> Any:
        if not self.recording:
            return call()
        host = request.url.split("://", 1)[-1].split("/", 1)[0]
        service = _service_of(host)
        if service == "sqs":
            return self._observe_sqs(request, call)
        if service is None or not _is_write(service, request):
            return call()
        body = request.body
        if hasattr(body, "read"):  # a streamed S3 upload: keep its bytes for the journal and for moto
            body = body.read()
            request.body = body
        response = call()
        if response is not None and response.status_code < 300:
            headers = [(key, value) for key, value in request.headers.items()]
            self.append(("http", request.method, request.url, headers, _bytes(body)))
        return response

    def _observe_sqs(self, request: Any, call: Callable[[], Any]) -> Any:
        action = _target(request).removeprefix("AmazonSQS.")
        if action not in _SQS_CHANGES:
            return call()
        arguments = json.loads(_bytes(request.body) or b"{}")
        name = _queue_name(arguments.get("QueueUrl", ""))
        queue = _queue(self.region, name)
        dlq = queue.dead_letter_queue
        dlq_before = len(dlq._messages) if dlq is not None else 0
        if action in ("DeleteMessage", "DeleteMessageBatch"):
            handles = _receipt_handles(arguments, action)
        response = call()
        if response is None or response.status_code >= 300:
            return response
        answer = json.loads(response.content or b"{}")
        if action in ("SendMessage", "SendMessageBatch"):
            ids = {answer["MessageId"]} if "MessageId" in answer else {e["MessageId"] for e in answer["Successful"]}
            self.append(("sqs.send", name, [m for m in queue._messages if m.id in ids]))
        elif action == "ReceiveMessage":
            ids = {m["MessageId"] for m in answer.get("Messages", [])}
            received = [_receive_state(m) for m in queue._messages if m.id in ids]
            moved = [m.id for m in dlq._messages[dlq_before:]] if dlq is not None else []
            if received or moved:
                self.append(("sqs.receive", name, received, moved, dlq.name if dlq is not None else None))
        elif action in ("DeleteMessage", "DeleteMessageBatch"):
            self.append(("sqs.delete", name, handles))
        elif action.startswith("ChangeMessageVisibility"):
            handles = _receipt_handles(arguments, action)
            changed = [(m.id, m.visible_at) for m in queue._messages if any(m.had_receipt_handle(h) for h in handles)]
            self.append(("sqs.visibility", name, changed))
        elif action == "PurgeQueue":
            self.append(("sqs.purge", name))
        return response

    def record_clock(self, clock: LocalClock) -> None:
        with emulator_lock():  # in order with the services' changes, and never during a snapshot
            self.clock_state = ClockState.of(clock)
            if self.recording:
                self.append(("clock", self.clock_state))

    # --- snapshot and replay ---

    def snapshot(self) -> None:
        """Write a snapshot of everything journaled so far, then empty the journal. The emulator's lock is held
        throughout (nothing changes meanwhile: one pause, of about the pickle's time). A crash before the
        snapshot's rename leaves the old snapshot and the whole journal; after it, the records the snapshot
        covers are skipped by their sequence numbers."""
        self._wait_for_background_snapshot()
        started = time.perf_counter()
        with emulator_lock():
            seq = self._seq
            data = capture_state(self.region, self.clock_state)
            _write_atomically(self.folder.snapshot_path, struct.pack("<Q", seq) + data)
            with self._condition:
                self._file.truncate(0)
                os.fsync(self._file.fileno())
                self._synced = max(self._synced, seq)
            self.folder.older_journal_path.unlink(missing_ok=True)
        self.stats.snapshots += 1
        self.stats.snapshot_seconds += time.perf_counter() - started

    def snapshot_in_background(self) -> None:
        """The same, without stopping the platform for the pickle (Redis's BGSAVE): under the emulator's lock
        the journal so far becomes the older journal (fsync'd) and a new one starts, and the process forks;
        the child, holding a copy-on-write image of the state at that instant, writes the snapshot and exits,
        while the parent goes on at once. Once the child is done the older journal is deleted; if it fails,
        or the platform dies first, a start replays the older journal, then the new one."""
        started = time.perf_counter()
        with emulator_lock():
            with self._condition, self._file_lock:
                seq = self._seq
                os.fsync(self._file.fileno())
                os.replace(self.folder.journal_path, self.folder.older_journal_path)
                self._file.close()
                self._file = self.folder.journal_path.open("ab", buffering=0)
                _fsync_directory(self.folder.path)
            clock = self.clock_state
            child = os.fork()
            if child == 0:  # the child: only this thread exists here; write, and leave without any cleanup
                code = 1
                try:
                    data = capture_state(self.region, clock)
                    _write_atomically(self.folder.snapshot_path, struct.pack("<Q", seq) + data)
                    code = 0
                finally:
                    os._exit(code)
        paused = time.perf_counter() - started
        _, status = os.waitpid(child, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            LOG.error("the background snapshot failed; a start replays the older journal too")
            return
        self.folder.older_journal_path.unlink(missing_ok=True)
        self.stats.snapshots += 1
        self.stats.snapshot_seconds += paused

    def _wait_for_background_snapshot(self) -> None:
        with self._background_lock:  # a thread is only ever seen here once started
            background = self._background
        if background is not None and background is not threading.current_thread():
            background.join()

    def snapshot_due(self) -> bool:
        """The journal is longer than the last snapshot (within the bounds): a restart would replay more than
        it takes to write a new one (on a loaded machine, a 4 MB journal took 16 s to replay through moto,
        a 5.6 MB snapshot under 1.5 s to write)."""
        snapshot = self.folder.snapshot_path
        last = snapshot.stat().st_size if snapshot.exists() else 0
        return self.size() >= min(SNAPSHOT_AFTER_BYTES, max(SNAPSHOT_MIN_BYTES, last))

    def _snapshot_when_long(self) -> None:
        """Called by the syncer: a long journal folds into a snapshot (in a thread of its own). Whether to start
        one is decided under the lock a final snapshot takes to find it: once `recording` is off, either the
        thread is already started (and is joined) or none starts."""
        with self._background_lock:
            if self._snapshotting or not self.recording or not self.snapshot_due():
                return
            self._snapshotting = True
            self._background = threading.Thread(target=self._periodic_snapshot, name="journal-snapshot", daemon=True)
            self._background.start()

    def _periodic_snapshot(self) -> None:
        try:
            if self.folder.older_journal_path.exists():  # an earlier one failed: fold everything, here
                self.snapshot()
            else:
                self.snapshot_in_background()
        except Exception:
            LOG.exception("the periodic snapshot failed; the journal goes on growing")
        finally:
            with self._background_lock:  # the finished thread stays as _background: joining it returns at once
                self._snapshotting = False


def _write_all(fileno: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fileno, view) :]


def _receive_state(message: Any) -> tuple[str, str, int, float, int | None]:
    return (
        message.id,
        message.receipt_handle,
        message.approximate_receive_count,
        message.visible_at,
        message.approximate_first_receive_timestamp,
    )


def _service_of(host: str) -> str | None:
    if host.startswith("dynamodb."):
        return "dynamodb"
    if host.startswith("sqs."):
        return "sqs"
    if host.startswith("s3.") or ".s3." in host:
        return "s3"
    if host.startswith("scheduler."):
        return "scheduler"
    return None


def _target(request: Any) -> str:
    target = request.headers.get("X-Amz-Target", b"")
    return target.decode() if isinstance(target, bytes) else str(target)


def _is_write(service: str, request: Any) -> bool:
    if service == "dynamodb":
        return _target(request).rsplit(".", 1)[-1] in _DYNAMODB_WRITES
    return str(request.method).upper() in _HTTP_WRITES


def _bytes(body: Any) -> bytes:
    if body is None:
        return b""
    return body.encode() if isinstance(body, str) else bytes(body)


def _receipt_handles(arguments: dict[str, Any], action: str) -> list[str]:
    if action.endswith("Batch"):
        return [entry["ReceiptHandle"] for entry in arguments.get("Entries", [])]
    return [arguments["ReceiptHandle"]]


def read_journal(path: Path) -> Iterator[tuple[int, tuple[Any, ...], int]]:
    """The journal's records in order, each with the offset where it ends, up to the first torn or damaged
    one (the kill came mid-write)."""
    if not path.exists():
        return
    with path.open("rb") as file:
        while True:
            header = file.read(_FRAME.size)
            if len(header) < _FRAME.size:
                return
            length, crc = _FRAME.unpack(header)
            payload = file.read(length)
            if len(payload) < length or zlib.crc32(payload) != crc:
                LOG.warning("the journal ends with a torn record (a crash mid-write): replayed up to it")
                return
            seq, record = pickle.loads(payload)  # our own file
            yield seq, record, file.tell()


def apply_record(region: str, record: tuple[Any, ...]) -> ClockState | None:
    """Apply one journal record to the running moto; a clock record answers the clock's state."""
    kind = record[0]
    if kind == "http":
        _, method, url, headers, body = record
        http_headers = HTTPHeaders()
        for key, value in headers:
            http_headers[key] = value
        botocore_stubber.process_request(
            AWSPreparedRequest(method=method, url=url, headers=http_headers, body=body, stream_output=False)
        )
    elif kind == "clock":
        state: ClockState = record[1]
        return state
    else:
        _apply_sqs(region, record)
    return None


def _sqs_send(region: str, queue: Any, messages: list[Any]) -> None:
    queue._messages.extend(messages)


def _sqs_receive(
    region: str, queue: Any, received: list[tuple[str, str, int, float, int | None]], moved: list[str], dlq: str | None
) -> None:
    by_id = {m.id: m for m in queue._messages}
    for message_id, handle, receives, visible_at, first_received in received:
        message = by_id.get(message_id)
        if message is not None:
            message._old_receipt_handles.append(message.receipt_handle)
            message.receipt_handle = handle
            message.approximate_receive_count = receives
            message.visible_at = visible_at
            message.approximate_first_receive_timestamp = first_received
    if moved and dlq is not None:  # the receive found these past maxReceiveCount: SQS moved them to the DLQ
        gone = set(moved)
        _queue(region, dlq)._messages.extend(m for m in queue._messages if m.id in gone)
        queue._messages = [m for m in queue._messages if m.id not in gone]


def _sqs_delete(region: str, queue: Any, handles: list[str]) -> None:
    for handle in handles:
        with contextlib.suppress(ReceiptHandleIsInvalid):  # deleted already, as the live request found it
            queue.delete_message(handle)


def _sqs_visibility(region: str, queue: Any, changed: list[tuple[str, float]]) -> None:
    visible = dict(changed)
    for message in queue._messages:
        if message.id in visible:
            message.visible_at = visible[message.id]


def _sqs_purge(region: str, queue: Any) -> None:
    queue._messages = []


_SQS_REPLAY: Final[dict[str, Callable[..., None]]] = {
    "sqs.send": _sqs_send,
    "sqs.receive": _sqs_receive,
    "sqs.delete": _sqs_delete,
    "sqs.visibility": _sqs_visibility,
    "sqs.purge": _sqs_purge,
}


def _apply_sqs(region: str, record: tuple[Any, ...]) -> None:
    kind, name, *arguments = record
    _SQS_REPLAY[kind](region, _queue(region, name), *arguments)


def replay(folder: DataFolder, region: str) -> tuple[int, ClockState | None, int]:
    """Load the snapshot and apply the journal's records after it: (last seq, clock state, records applied).
    A torn tail is cut off, so the records appended from now on follow the last good one."""
    seq = 0
    clock: ClockState | None = None
    if folder.snapshot_path.exists():
        data = folder.snapshot_path.read_bytes()
        (seq,) = struct.unpack("<Q", data[:8])
        clock = restore_state(region, data[8:])
    applied = 0
    good_end = 0
    for path in (folder.older_journal_path, folder.journal_path):  # (the older one: a snapshot that never came)
        for record_seq, record, end in read_journal(path):
            good_end = end
            if record_seq <= seq:
                continue
            clock = apply_record(region, record) or clock
            seq = record_seq
            applied += 1
    if folder.journal_path.exists() and folder.journal_path.stat().st_size > good_end:
        with folder.journal_path.open("r+b") as file:
            file.truncate(good_end)
            os.fsync(file.fileno())
    return seq, clock, applied


def release_in_flight(region: str, within_seconds: int | None) -> int:
    """Messages received by the process that died come back after `within_seconds` (or their own
    visibility timeout, if sooner); answer how many were in flight."""
    if within_seconds is None:
        return 0
    sqs = _backend("sqs", region)
    latest = unix_time_millis() + within_seconds * 1000
    released = 0
    for queue in sqs.queues.values():
        for message in queue._messages:
            if message.approximate_receive_count and message.visible_at > unix_time_millis():
                message.visible_at = min(message.visible_at, latest)
                released += 1
        queue.pending_messages.clear()
    return released


# --- the running platform's journal -------------------------------------------------------------------

_current: list[Journal] = []


def wait_durable() -> None:
    """Return once every change made so far is on disk (at once when the platform keeps no data)."""
    if _current:
        _current[0].wait_durable()


class JournaledClock(LocalClock):
    """The local clock, journaled whenever it is moved."""

    journal: Journal | None = None

    def advance(self, seconds: float) -> datetime:
        moment = super().advance(seconds)
        if self.journal is not None:
            self.journal.record_clock(self)
        return moment


@dataclass(frozen=True, slots=True)
class Resumed:
    fresh: bool
    replayed: int
    replay_seconds: float
    clock: JournaledClock
    journal: Journal


@contextmanager
def durable_state(folder: DataFolder, region: str, start: datetime) -> Iterator[Resumed]:
    """Inside a started `emulated_aws`: bring back the folder's state (or start it), journal every change
    while the block runs, and leave a snapshot on a clean exit. `start` is the clock of a fresh folder."""
    fresh = folder.fresh
    if fresh:  # a start that died before writing the format file may have left these
        for path in (folder.journal_path, folder.older_journal_path, folder.snapshot_path, folder.placements_path):
            path.unlink(missing_ok=True)
    started = time.monotonic()
    seq, clock_state, replayed = (0, None, 0) if fresh else replay(folder, region)
    replay_seconds = time.monotonic() - started
    clock = JournaledClock(start) if clock_state is None else _journaled(clock_state.clock())
    journal = Journal(folder, region, first_seq=seq)
    journal.clock_state = ClockState.of(clock)
    if fresh or journal.snapshot_due():
        journal.snapshot()  # a long journal folds into a snapshot: the next start replays less
    folder.mark_format()
    clock.journal = journal
    journal.recording = True
    observe_requests(journal.observe)
    _current[:] = [journal]
    clean = False
    try:
        yield Resumed(fresh=fresh, replayed=replayed, replay_seconds=replay_seconds, clock=clock, journal=journal)
        clean = True
    finally:
        _current.clear()
        observe_requests(None)
        journal.recording = False
        if clean:
            journal.clock_state = ClockState.of(clock)
            journal.snapshot()
        journal.close()


def _journaled(clock: LocalClock) -> JournaledClock:
    journaled = JournaledClock(clock.now(), ticking=clock.ticking)
    return journaled


PLACEMENT_MEMORY: Final = timedelta(hours=24)  # the dispatch idempotency records' life too


class PlacementLedger:
    """The simulated provider's memory of what it placed (`jarchi.connectors.simulator.PlacedAttempts`), in
    the data folder: one line per placement, `<placed at> <idempotency key> <number>`, written before the
    simulator answers, as a provider commits a request before acknowledging it (fsync'd with the journal,
    `Journal.sync_with`, so what the journal keeps of a power cut, the ledger keeps too). A restart reads it
    back, so a dispatch batch placed again after a crash mid-placement (its idempotency record said "in
    progress", the answer died with the process) places only the attempts the crash cut short, and answers
    the others as the first time. It is also the record tests count placements in.

    Keys are kept for `PLACEMENT_MEMORY` before the newest placement (the local clock), so a platform that was
    down for days still knows the batches it was placing when it stopped; older lines are dropped at a start."""

    def __init__(self, path: Path, journal: Journal | None = None) -> None:
        self.path = path
        self._journal = journal
        self._placed: OrderedDict[str, datetime] = OrderedDict()
        self._lock = threading.Lock()
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        lines = text.splitlines()
        for line in lines:
            placed_at, key, _ = _ledger_fields(line)
            if placed_at is not None:
                self._placed.setdefault(key, placed_at)
        if self._placed:
            self._forget_before(max(self._placed.values()) - PLACEMENT_MEMORY)
        if len(self._placed) < len(lines) or (not text.endswith("\n") and text):  # forgotten lines, a torn one
            kept = [line for line in lines if _ledger_fields(line)[1] in self._placed]
            _write_atomically(path, "".join(f"{line}\n" for line in kept).encode())
        self._file = path.open("a", encoding="utf-8")
        if journal is not None:
            journal.sync_with(self._file.fileno())

    def __len__(self) -> int:
        return len(self._placed)

    def place_once(self, attempts: Sequence[Attempt], at: datetime) -> dict[str, datetime]:
        with self._lock:
            first: dict[str, datetime] = {}
            new: list[str] = []
            for attempt in attempts:
                key = attempt.idempotency_key
                if key not in first:
                    placed_at = self._placed.get(key)
                    if placed_at is None:
                        new.append(f"{at.isoformat()} {key} {attempt.number}\n")
                    first[key] = placed_at or at
            if new:
                self._file.write("".join(new))
                self._file.flush()  # in the operating system: a kill -9 from here on loses none of it
                self._placed.update((key, placed_at) for key, placed_at in first.items() if key not in self._placed)
            self._forget_before(at - PLACEMENT_MEMORY)
            return first

    def _forget_before(self, cutoff: datetime) -> None:
        while self._placed and next(iter(self._placed.values())) < cutoff:
            self._placed.popitem(last=False)

    def close(self) -> None:
        if self._journal is not None:
            self._journal.stop_syncing(self._file.fileno())
        os.fdatasync(self._file.fileno())
        self._file.close()


def _ledger_fields(line: str) -> tuple[datetime | None, str, str]:
    """A ledger line's (placed at, key, number); (None, …) for a line torn by a crash mid-write."""
    parts = line.split(" ")
    if len(parts) != 3 or not parts[2]:
        return None, "", ""
    try:
        return datetime.fromisoformat(parts[0]), parts[1], parts[2]
    except ValueError:
        return None, "", ""


def ledger_placements(path: Path) -> list[tuple[str, str]]:
    """Every placement the ledger holds, in order, as (idempotency key, number)."""
    if not path.exists():
        return []
    fields = (_ledger_fields(line) for line in path.read_text(encoding="utf-8").splitlines())
    return [(key, number) for placed_at, key, number in fields if placed_at is not None]


class DurablePlacements:
    """A connector to a real provider, placing only once the journal is on disk: the idempotency record that
    says a batch is being placed survives even a power cut that follows, so a restart knows the batch may be
    partly placed and places it again with the same idempotency keys (a provider honouring `Idempotency-Key`
    places nothing twice)."""

    def __init__(self, connector: Connector) -> None:
        self._connector = connector

    @property
    def name(self) -> str:
        return self._connector.name

    def place(self, attempts: Sequence[Attempt]) -> list[Placement]:
        wait_durable()
        return self._connector.place(attempts)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connector, name)


@contextmanager
def durable_connector(connector: Connector, journal: Journal) -> Iterator[Connector]:
    """`make run`'s connector while the block runs. The simulator remembers its placements in the folder's
    ledger (its idempotency keys honoured across a crash; the ledger is its own state, kept in step with the
    journal, so it need not wait for the disk); any other connector places once the journal is on disk."""
    if not isinstance(connector, SimulatorConnector):
        yield DurablePlacements(connector)
        return
    ledger = PlacementLedger(journal.folder.placements_path, journal)
    try:
        yield connector.remembering(ledger)
    finally:
        ledger.close()
