"""The data folder's journal and snapshots, in-process (issue 15; R-RUN-5): what a restart brings back, a torn
journal tail, the clock, the admin token, and the folder a different version wrote."""

from __future__ import annotations

import json
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest

from jarchi.accounts.service import authenticate
from jarchi.attempts import Attempt
from jarchi.channels import Category, Channel
from jarchi.clock import LocalClock, use_clock
from jarchi.connectors.simulator import SimulatorConfig, SimulatorConnector
from jarchi.resources import DISPATCH_QUEUE
from jarchi.settings import Settings
from jarchi.store.adcap import DynamoAdCap
from jarchi.store.tables import ACCOUNTS
from local.__main__ import clock_warning
from local.durability import (
    PLACEMENT_MEMORY,
    PLACEMENTS_FILE,
    DataFolder,
    PlacementLedger,
    Resumed,
    durable_state,
    fingerprint,
    ledger_placements,
    release_in_flight,
    wait_durable,
)
from local.emulator import emulated_aws
from local.seed import find_admin, new_admin_token

START = datetime(2026, 3, 2, 6, 30, tzinfo=UTC)


class Crash(Exception):
    """Leaves `durable_state` the way a kill does: no snapshot on the way out."""


@contextmanager
def platform(folder_path: Path, settings: Settings, *, crash: bool = False) -> Iterator[Resumed]:
    """The emulated AWS on the folder, as `make run` opens it; `crash=True` ends it without the clean stop."""
    folder = DataFolder(folder_path).open()
    try:
        with emulated_aws(settings):
            try:
                with durable_state(folder, settings.region, START) as resumed:
                    use_clock(resumed.clock)
                    yield resumed
                    wait_durable()
                    if crash:
                        raise Crash
            except Crash:
                pass
    finally:
        folder.close()


def _queue_url(settings: Settings) -> str:
    sqs = boto3.client("sqs", region_name=settings.region)
    return sqs.get_queue_url(QueueName=settings.queue_name(DISPATCH_QUEUE.logical))["QueueUrl"]


@pytest.mark.parametrize("crash", [True, False], ids=["killed", "stopped"])
def test_R_RUN_5_a_restart_brings_back_items_files_queues_schedules_and_the_clock(
    tmp_path: Path, settings: Settings, crash: bool
) -> None:
    table = settings.table_name(ACCOUNTS.logical)
    bucket = ""
    with platform(tmp_path, settings, crash=crash) as first:
        assert first.fresh
        dynamodb = boto3.client("dynamodb", region_name=settings.region)
        dynamodb.put_item(TableName=table, Item={"pk": {"S": "a"}, "sk": {"S": "b"}, "n": {"N": "1"}})
        dynamodb.update_item(
            TableName=table,
            Key={"pk": {"S": "a"}, "sk": {"S": "b"}},
            UpdateExpression="ADD n :one",
            ExpressionAttributeValues={":one": {"N": "1"}},
        )
        s3 = boto3.client("s3", region_name=settings.region)
        buckets = [b["Name"] for b in s3.list_buckets()["Buckets"]]
        bucket = buckets[0]
        s3.put_object(Bucket=bucket, Key="greeting.txt", Body=b"hello")
        sqs = boto3.client("sqs", region_name=settings.region)
        url = _queue_url(settings)
        sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": f"m{i}"} for i in range(3)])
        received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1)["Messages"][0]
        deleted = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1)["Messages"][0]
        sqs.delete_message(QueueUrl=url, ReceiptHandle=deleted["ReceiptHandle"])
        scheduler = boto3.client("scheduler", region_name=settings.region)
        scheduler.create_schedule(
            Name="later",
            ScheduleExpression="at(2026-03-03T00:00:00)",
            FlexibleTimeWindow={"Mode": "OFF"},
            Target={"Arn": "arn:aws:sqs:eu-central-1:123456789012:x", "RoleArn": "arn:aws:iam::123456789012:role/r"},
        )
        first.clock.advance(3600)
        moved_to = first.clock.now()

    with platform(tmp_path, settings) as second:
        assert not second.fresh
        assert second.replayed > 0 if crash else second.replayed == 0  # a clean stop left a snapshot
        dynamodb = boto3.client("dynamodb", region_name=settings.region)
        item = dynamodb.get_item(TableName=table, Key={"pk": {"S": "a"}, "sk": {"S": "b"}})["Item"]
        assert item["n"] == {"N": "2"}
        s3 = boto3.client("s3", region_name=settings.region)
        assert s3.get_object(Bucket=bucket, Key="greeting.txt")["Body"].read() == b"hello"
        sqs = boto3.client("sqs", region_name=settings.region)
        url = _queue_url(settings)
        visible = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"])["Messages"]
        assert [m["Body"] for m in visible] == ["m2"]  # m0 is in flight, m1 was deleted
        assert release_in_flight(settings.region, 0) == 2  # m0, and m2 just received
        again = {
            m["Body"]: m
            for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"])["Messages"]
        }
        assert again["m0"]["MessageId"] == received["MessageId"]
        assert again["m0"]["Attributes"]["ApproximateReceiveCount"] == "2"  # its receive before the stop counts
        scheduler = boto3.client("scheduler", region_name=settings.region)
        assert scheduler.get_schedule(Name="later")["ScheduleExpression"] == "at(2026-03-03T00:00:00)"
        assert second.clock.now() - moved_to < timedelta(seconds=60)  # the advance survived; time ran on


def test_R_RUN_5_a_torn_last_record_is_cut_off_and_what_follows_is_kept(tmp_path: Path, settings: Settings) -> None:
    table = settings.table_name(ACCOUNTS.logical)
    with platform(tmp_path, settings, crash=True):
        dynamodb = boto3.client("dynamodb", region_name=settings.region)
        dynamodb.put_item(TableName=table, Item={"pk": {"S": "kept"}, "sk": {"S": "1"}})
    with (tmp_path / "journal.log").open("ab") as journal:
        journal.write(b"\x40\x00\x00\x00\x01\x02")  # a header promising 64 bytes, then the kill
    with platform(tmp_path, settings, crash=True):
        dynamodb = boto3.client("dynamodb", region_name=settings.region)
        dynamodb.put_item(TableName=table, Item={"pk": {"S": "after"}, "sk": {"S": "1"}})
    with platform(tmp_path, settings):
        dynamodb = boto3.client("dynamodb", region_name=settings.region)
        keys = {item["pk"]["S"] for item in dynamodb.scan(TableName=table)["Items"]}
        assert {"kept", "after"} <= keys


def test_R_RUN_5_admin_token_issues_another_that_works_with_the_first(tmp_path: Path, settings: Settings) -> None:
    with platform(tmp_path, settings):
        assert find_admin() is None
        first = new_admin_token()  # an empty platform: the admin is seeded
    with platform(tmp_path, settings, crash=True):
        second = new_admin_token()
    with platform(tmp_path, settings):
        assert find_admin() is not None
        assert authenticate(f"Bearer {first.secret}").account_id == authenticate(f"Bearer {second.secret}").account_id


def test_R_RUN_5_a_folder_another_version_wrote_is_refused_naming_reset_data(
    tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "format.json").write_text(json.dumps({**fingerprint(), "format": 0}))
    monkeypatch.setenv("JARCHI_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(sys, "argv", ["python -m local", "--port", "1"])
    from local.__main__ import main

    assert main() == 2
    error = capsys.readouterr().err
    assert "incompatible version" in error and "make reset-data" in error

    monkeypatch.setattr(sys, "argv", ["python -m local", "reset-data"])
    assert main() == 0
    assert not tmp_path.exists()


def test_R_RUN_5_a_folder_in_use_is_refused(tmp_path: Path) -> None:
    holder = DataFolder(tmp_path).open()
    try:
        with pytest.raises(Exception, match="in use"):
            DataFolder(tmp_path).open()
    finally:
        holder.close()


def _put_padded(settings: Settings, table: str, count: int, *, durably: bool) -> None:
    """`count` items of ~300 bytes each (each waited for on disk when `durably`)."""
    dynamodb = boto3.client("dynamodb", region_name=settings.region)
    for index in range(count):
        dynamodb.put_item(TableName=table, Item={"pk": {"S": f"k{index}"}, "sk": {"S": "1"}, "pad": {"S": "x" * 200}})
        if durably:
            wait_durable()


def test_R_RUN_5_a_long_journal_folds_into_a_snapshot_while_running(
    tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("local.durability.SNAPSHOT_AFTER_BYTES", 20_000)
    table = settings.table_name(ACCOUNTS.logical)
    with platform(tmp_path, settings, crash=True) as first:
        _put_padded(settings, table, 200, durably=True)
        # ~60 KB journaled: folded at least once on the way (however late a loaded machine lets the fork finish)
        deadline = time.monotonic() + 60
        while first.journal.stats.snapshots == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert first.journal.stats.snapshots >= 1
    with platform(tmp_path, settings) as resumed:
        assert resumed.replayed < 200
        dynamodb = boto3.client("dynamodb", region_name=settings.region)
        assert dynamodb.scan(TableName=table, Select="COUNT")["Count"] == 200


def _sms(campaign_id: str, seq: int) -> Attempt:
    return Attempt(
        attempt_id=f"{campaign_id}.{seq}.1",
        campaign_id=campaign_id,
        account_id="acc",
        channel=Channel.SMS,
        category=Category.SERVICE,
        number=f"+98912{seq:07d}",
        sms_text="hello",
    )


def test_R_DSP_1_a_batch_placed_again_after_a_crash_places_only_what_the_crash_cut_short(tmp_path: Path) -> None:
    """The simulated provider honours idempotency keys across a restart: its ledger in the data folder."""
    config = SimulatorConfig(sms_latency_seconds=(1, 10))
    simulator = SimulatorConnector(config, LocalClock(START, ticking=False))
    batch = [_sms("cmp", seq) for seq in range(6)]
    first = simulator.remembering(PlacementLedger(tmp_path / PLACEMENTS_FILE)).place(batch[:4])
    with (tmp_path / PLACEMENTS_FILE).open("a") as ledger:
        ledger.write(f"{START.isoformat()} cmp.9")  # torn by the kill, mid-line
    later = START + timedelta(minutes=5)  # the restart
    again = SimulatorConnector(config, LocalClock(later, ticking=False), PlacementLedger(tmp_path / PLACEMENTS_FILE))
    second = again.place(batch)
    assert second[:4] == first  # answered as the first time, not drawn again at the restart's instant
    assert [p.result.completed_at >= later for p in second[4:] if p.result] == [True, True]
    placed = ledger_placements(tmp_path / PLACEMENTS_FILE)
    assert [key for key, _ in placed] == [a.attempt_id for a in batch]  # each placed once, the torn line gone
    assert Counter(number for _, number in placed).most_common(1)[0][1] == 1


def test_R_DSP_1_the_ledger_forgets_a_day_before_its_newest_placement_not_before_the_restart(tmp_path: Path) -> None:
    path = tmp_path / PLACEMENTS_FILE
    ledger = PlacementLedger(path)
    ledger.place_once([_sms("old", 1)], START)
    ledger.place_once([_sms("new", 1)], START + PLACEMENT_MEMORY + timedelta(seconds=1))
    assert len(ledger) == 1
    ledger.close()
    reopened = PlacementLedger(path)  # days later: what it knew when it stopped, it still knows
    assert [key for key, _ in ledger_placements(path)] == ["new.1.1"]
    assert reopened.place_once([_sms("new", 1)], START + timedelta(days=9)) == {
        "new.1.1": START + PLACEMENT_MEMORY + timedelta(seconds=1)
    }


def test_R_CPL_2_R_RUN_5_ad_cap_claims_keep_their_expiry_on_the_local_clock_and_jarchi_now_is_ignored_said(
    tmp_path: Path, settings: Settings
) -> None:
    number = "+989120000001"
    with platform(tmp_path, settings, crash=True) as first:
        assert clock_warning(START, first, tmp_path) is None  # a fresh folder starts at JARCHI_NOW
        assert DynamoAdCap().claim(number, attempt_id="a.1.1", campaign_id="a", now=first.clock.now())
        first.clock.advance(3600)  # a claim an hour old when the platform dies
    with platform(tmp_path, settings) as second:
        assert clock_warning(None, second, tmp_path) is None
        warning = clock_warning(START - timedelta(days=30), second, tmp_path)  # the folder's clock wins, said
        assert warning is not None and "JARCHI_NOW" in warning and "ignored" in warning
        assert "make reset-data" in warning and second.clock.now().isoformat()[:16] in warning
        cap = DynamoAdCap()
        assert not cap.claim(number, attempt_id="b.1.1", campaign_id="b", now=second.clock.now())
        second.clock.advance(23 * 3600 - 120)
        assert not cap.claim(number, attempt_id="b.1.1", campaign_id="b", now=second.clock.now())
        second.clock.advance(180)  # 24 h after the claim, on the clock it was made on
        assert cap.claim(number, attempt_id="b.1.1", campaign_id="b", now=second.clock.now())


class _SlowToStart(threading.Thread):
    """A snapshot thread that takes a moment between being made and running: the window in which a clean stop
    once found it made but not started (CI, stop 23: "cannot join thread before it is started")."""

    making = threading.Event()
    go = threading.Event()

    def start(self) -> None:
        if self.name == "journal-snapshot":
            _SlowToStart.making.set()
            _SlowToStart.go.wait(10)
        super().start()


def test_R_RUN_5_a_clean_stop_while_a_periodic_snapshot_is_starting_waits_for_it(
    tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("local.durability.SNAPSHOT_AFTER_BYTES", 2_000)
    monkeypatch.setattr("local.durability.threading.Thread", _SlowToStart)
    _SlowToStart.making.clear()
    _SlowToStart.go.clear()
    table = settings.table_name(ACCOUNTS.logical)
    with platform(tmp_path, settings, crash=True) as first:
        _put_padded(settings, table, 40, durably=False)
        # the syncer's fsync is what starts a periodic snapshot, and it may stay in start() until `go`
        threading.Thread(target=first.journal.wait_durable, daemon=True).start()
        assert _SlowToStart.making.wait(10)  # the syncer is between making the thread and starting it
        first.journal.recording = False  # what a clean stop does first
        threading.Timer(0.3, _SlowToStart.go.set).start()
        first.journal.snapshot()  # the clean stop's snapshot: waits for the periodic one, then writes its own
        assert (tmp_path / "journal.log").stat().st_size == 0
    with platform(tmp_path, settings) as second:
        assert second.replayed == 0
        assert (
            boto3.client("dynamodb", region_name=settings.region).scan(TableName=table, Select="COUNT")["Count"] == 40
        )


def test_R_RUN_5_a_background_snapshot_that_fails_leaves_its_journal_to_replay(
    tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = settings.table_name(ACCOUNTS.logical)

    def put(key: str) -> None:
        boto3.client("dynamodb", region_name=settings.region).put_item(
            TableName=table, Item={"pk": {"S": key}, "sk": {"S": "1"}}
        )

    with platform(tmp_path, settings, crash=True) as first:
        put("before")
        first.journal.snapshot_in_background()  # forks; the child writes the snapshot
        assert not (tmp_path / "journal.older.log").exists() and (tmp_path / "journal.log").stat().st_size == 0
        put("between")
        with monkeypatch.context() as broken:
            broken.setattr("local.durability.capture_state", lambda *_: 1 / 0)  # the child dies
            first.journal.snapshot_in_background()
        assert (tmp_path / "journal.older.log").exists()
        put("after")
    with platform(tmp_path, settings) as second:
        assert second.replayed >= 2  # the older journal, then the new one, over the first snapshot
        keys = {
            item["pk"]["S"]
            for item in boto3.client("dynamodb", region_name=settings.region).scan(TableName=table)["Items"]
        }
        assert {"before", "between", "after"} <= keys
    assert not (tmp_path / "journal.older.log").exists()  # the clean stop's snapshot folded it
