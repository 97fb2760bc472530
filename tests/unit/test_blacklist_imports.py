"""R-CPL-3: a telecom blacklist file imported in invocation-sized slices from byte offset checkpoints
(`jarchi.lists.imports`), against fakes of its ports: resumed across invocations, after a crash, and never
counted twice when two workers hold one import."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import pytest

from jarchi.accounts.models import Account, AccountType, Caller
from jarchi.clock import now
from jarchi.compliance.adcap import SuppressionList
from jarchi.errors import Conflict, Forbidden
from jarchi.lists import imports
from jarchi.lists.imports import BlacklistImport, ImportMessage, ImportPorts, ImportStatus, run_import
from jarchi.resources import IMPORTS_QUEUE
from tests.fakes import FakeListFiles, FakeQueue, FakeSuppression
from tests.fakes.lists import FakeBlacklistImports

VALID = 1_203


def admin() -> Caller:
    account = Account("acc_admin", "Admin", AccountType.ADMIN, None, (), "Asia/Tehran", "IR", now())
    return Caller(account, "tok_1")


def blacklist_file() -> tuple[bytes, set[str]]:
    """A BOM, CRLF line ends, CSV rows (number first), blank lines, an invalid line every 100th."""
    lines, expected = [], set()
    for i in range(VALID):
        number = f"0912{i:07d}"
        expected.add(f"+98912{i:07d}")
        lines.append(f"{number},operator x" if i % 3 == 0 else number)
        if i % 100 == 50:
            lines.append(f"bad-{i}")
        if i % 250 == 0:
            lines.append("")
    return b"\xef\xbb\xbf" + "\r\n".join(lines).encode(), expected


@pytest.fixture
def ports(monkeypatch: pytest.MonkeyPatch) -> ImportPorts:
    monkeypatch.setattr(imports, "CHECKPOINT_NUMBERS", 100)
    files = FakeListFiles()
    files.chunk_bytes = 7  # lines cross chunk boundaries
    return ImportPorts(FakeBlacklistImports(), files, FakeSuppression(), FakeQueue())


def uploaded(ports: ImportPorts, data: bytes) -> BlacklistImport:
    upload = imports.create_import(admin(), ports=ports)
    assert upload.record.status is ImportStatus.AWAITING_UPLOAD
    with pytest.raises(Conflict, match="no file was uploaded"):
        imports.start_import(admin(), upload.record.id, ports=ports)
    ports.files.put(upload.record.key, data)
    started = imports.start_import(admin(), upload.record.id, ports=ports)
    assert (started.status, started.size_bytes) == (ImportStatus.QUEUED, len(data))
    return started


def drain(ports: ImportPorts, **kwargs: Any) -> int:
    """Run the imports function on every message until none is left; answers the messages taken."""
    assert isinstance(ports.queue, FakeQueue)
    invocations = 0
    while messages := ports.queue.take(IMPORTS_QUEUE):
        for message in messages:
            invocations += 1
            run_import(ImportMessage(message["import_id"], message["generation"]), ports=ports, **kwargs)
    return invocations


def blacklisted(ports: ImportPorts) -> set[str]:
    assert isinstance(ports.lists, FakeSuppression)
    return set(ports.lists.lists[(SuppressionList.TELECOM_BLACKLIST, "")])


def test_r_cpl_3_an_import_resumes_from_its_checkpoint_in_each_next_invocation(ports: ImportPorts) -> None:
    data, expected = blacklist_file()
    started = uploaded(ports, data)

    # WHEN every invocation's time runs out after one checkpoint
    invocations = drain(ports, time_left=lambda: False)

    # THEN the import took 13 invocations of 100 numbers, each from where the last stopped, and read it all once
    done = imports.import_status(admin(), started.id, ports=ports)
    assert (done.status, done.offset, done.invocations, invocations) == (ImportStatus.DONE, len(data), 13, 13)
    assert (done.read, done.invalid, done.added) == (VALID + 12, 12, VALID)
    assert blacklisted(ports) == expected
    lines = [x.line for x in done.invalid_lines]
    assert len(lines) == 12 and all(x.value.startswith("bad-") for x in done.invalid_lines)
    assert data.split(b"\r\n")[lines[0] - 1].startswith(b"bad-")  # line numbers as an editor shows them


def test_r_cpl_3_a_crashed_invocation_is_redone_from_the_last_checkpoint(ports: ImportPorts) -> None:
    data, expected = blacklist_file()
    started = uploaded(ports, data)
    real = ports.lists
    calls = {"n": 0}

    class Crashing(FakeSuppression):
        def add_many(self, kind: SuppressionList, numbers: Iterable[str], **kw: Any) -> int:
            calls["n"] += 1
            if calls["n"] == 4:
                raise RuntimeError("throttled")
            return real.add_many(kind, numbers, **kw)

    crashing = ImportPorts(ports.imports, ports.files, Crashing(), ports.queue)
    assert isinstance(ports.queue, FakeQueue)
    ports.queue.take(IMPORTS_QUEUE)
    with pytest.raises(RuntimeError):
        run_import(started.id, ports=crashing, time_left=lambda: True)
    halfway = imports.import_status(admin(), started.id, ports=ports)
    assert (halfway.status, halfway.added) == (ImportStatus.RUNNING, 300)

    # SQS delivers the message again: the import goes on from the third checkpoint
    done = run_import(started.id, ports=ports, time_left=lambda: True)
    assert done is not None
    assert (done.status, done.read, done.added, done.invocations) == (ImportStatus.DONE, VALID + 12, VALID, 2)
    assert blacklisted(ports) == expected


def test_r_cpl_3_a_start_whose_message_was_lost_is_completed_by_starting_again(ports: ImportPorts) -> None:
    data, expected = blacklist_file()
    started = uploaded(ports, data)
    assert isinstance(ports.queue, FakeQueue)
    assert ports.queue.take(IMPORTS_QUEUE) == [{"import_id": started.id, "generation": 0}]  # lost

    # WHEN the admin starts it again: the message is sent again, once per start
    again = imports.start_import(admin(), started.id, ports=ports)
    assert again.status is ImportStatus.QUEUED
    imports.start_import(admin(), started.id, ports=ports)

    # THEN the first message's worker takes it; the duplicate, arriving while that worker's hand-over waits in
    # the queue, is dropped (no second worker reading alongside)
    first, duplicate = ports.queue.take(IMPORTS_QUEUE)
    taken = run_import(ImportMessage(started.id, first["generation"]), ports=ports, time_left=lambda: False)
    assert taken is not None and taken.invocations == 1
    dropped = run_import(ImportMessage(started.id, duplicate["generation"]), ports=ports, time_left=lambda: False)
    assert dropped == taken
    assert ports.queue.messages[IMPORTS_QUEUE.logical] == [({"import_id": started.id, "generation": 1}, 0)]

    # and the hand-overs run the import's 13 invocations of 100 numbers; a start after that is refused
    assert drain(ports, time_left=lambda: False) == 12
    done = imports.import_status(admin(), started.id, ports=ports)
    assert (done.status, done.invocations, done.added) == (ImportStatus.DONE, 13, VALID)
    assert blacklisted(ports) == expected
    with pytest.raises(Conflict, match="is done"):
        imports.start_import(admin(), started.id, ports=ports)


def test_r_cpl_3_a_start_whose_message_cannot_be_sent_leaves_the_import_awaiting_its_start(
    ports: ImportPorts,
) -> None:
    upload = imports.create_import(admin(), ports=ports)
    ports.files.put(upload.record.key, b"09120000001\n")

    class Down(FakeQueue):
        def send(self, *args: Any, **kwargs: Any) -> None:
            raise ConnectionError("SQS unavailable")

    with pytest.raises(ConnectionError):
        imports.start_import(
            admin(), upload.record.id, ports=ImportPorts(ports.imports, ports.files, ports.lists, Down())
        )
    assert imports.import_status(admin(), upload.record.id, ports=ports).status is ImportStatus.AWAITING_UPLOAD
    assert imports.start_import(admin(), upload.record.id, ports=ports).status is ImportStatus.QUEUED


def test_r_cpl_3_an_import_failing_on_its_messages_last_delivery_is_marked_failed(ports: ImportPorts) -> None:
    data, _ = blacklist_file()
    started = uploaded(ports, data)
    real = ports.lists

    class Broken(FakeSuppression):
        def add_many(self, kind: SuppressionList, numbers: Iterable[str], **kw: Any) -> int:
            if len(real.lists[(SuppressionList.TELECOM_BLACKLIST, "")]) >= 200:
                raise RuntimeError("throttled")
            return real.add_many(kind, numbers, **kw)

    broken = ImportPorts(ports.imports, ports.files, Broken(), ports.queue)
    # every delivery but the last raises, so SQS delivers the message again
    for delivery in range(1, IMPORTS_QUEUE.max_receive_count):
        with pytest.raises(RuntimeError):
            run_import(ImportMessage(started.id, 0, delivery), ports=broken, time_left=lambda: True)
        assert imports.import_status(admin(), started.id, ports=ports).status is ImportStatus.RUNNING

    # the last one marks the import failed, keeping what it imported, and returns (the message is done with)
    last = run_import(
        ImportMessage(started.id, 0, IMPORTS_QUEUE.max_receive_count), ports=broken, time_left=lambda: True
    )
    assert last is not None
    assert (last.status, last.error, last.added) == (ImportStatus.FAILED, "RuntimeError", 200)
    assert last.finished_at is not None
    assert len(blacklisted(ports)) == 200
    with pytest.raises(Conflict, match="is failed"):
        imports.start_import(admin(), started.id, ports=ports)


def test_r_cpl_3_of_two_workers_on_one_import_the_late_one_stops_at_its_checkpoint(ports: ImportPorts) -> None:
    data, _ = blacklist_file()
    started = uploaded(ports, data)
    store = ports.imports
    other = {"ran": False}

    class Racing(FakeBlacklistImports):
        """The first worker's first checkpoint comes after a redelivered message's worker did everything."""

        def get(self, import_id: str) -> BlacklistImport | None:
            return store.get(import_id)

        def save_if(self, record: BlacklistImport, *, status: ImportStatus, offset: int) -> bool:
            if record.offset > 0 and not other["ran"]:
                other["ran"] = True
                assert run_import(started.id, ports=ports, time_left=lambda: True) is not None
            return store.save_if(record, status=status, offset=offset)

    late = run_import(
        started.id, ports=ImportPorts(Racing(), ports.files, ports.lists, ports.queue), time_left=lambda: True
    )
    assert late is not None and late.status is ImportStatus.DONE
    assert (late.read, late.added, late.invocations) == (VALID + 12, VALID, 2)


def test_r_cpl_3_imports_are_the_admins() -> None:
    customer = Account("acc_c", "Shop", AccountType.CUSTOMER, None, (), "Asia/Tehran", "IR", now())
    fakes = ImportPorts(FakeBlacklistImports(), FakeListFiles(), FakeSuppression(), FakeQueue())
    with pytest.raises(Forbidden):
        imports.create_import(Caller(customer, "tok_2"), ports=fakes)


def chunks_of(data: bytes, size: int) -> Iterator[bytes]:
    return (data[i : i + size] for i in range(0, len(data), size))


@pytest.mark.parametrize("size", [1, 3, 64])
def test_lines_carry_the_offset_past_them_whatever_the_chunks(size: int) -> None:
    data = b"ab\ncd\r\n\nlast"
    found = list(imports._lines(chunks_of(data[2:], size), 2))
    assert found == [(3, b""), (7, b"cd\r"), (8, b""), (12, b"last")]
