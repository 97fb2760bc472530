"""The local platform's full collections: frozen after its start, run when the API is quiet (local.collector)."""

from __future__ import annotations

import gc
import threading
import time

import pytest

from local.collector import ApiActivity, QuietCollector, due

EVERY, AT_MOST, QUIET = 30.0, 120.0, 0.2


def decide(since_last: float, quiet_for: float, promoted: bool = True) -> bool:
    return due(since_last=since_last, quiet_for=quiet_for, promoted=promoted, every=EVERY, at_most=AT_MOST, quiet=QUIET)


@pytest.mark.parametrize(
    ("since_last", "quiet_for", "promoted", "expected"),
    [
        (10.0, 5.0, True, False),  # quiet, but one ran 10 s ago
        (31.0, 0.0, True, False),  # a request in flight: wait for a pause
        (31.0, 0.1, True, False),  # not quiet long enough
        (31.0, 0.3, True, True),  # quiet after EVERY
        (121.0, 0.0, True, True),  # a load that never pauses: at the latest after AT_MOST
        (500.0, 9.0, False, False),  # nothing reached the old generation since the last one
    ],
)
def test_a_full_collection_waits_for_a_quiet_api(
    since_last: float, quiet_for: float, promoted: bool, expected: bool
) -> None:
    assert decide(since_last, quiet_for, promoted) is expected


def test_api_activity_is_quiet_only_once_every_request_ended() -> None:
    activity = ApiActivity()
    entered, release = threading.Event(), threading.Event()

    def serve() -> None:
        with activity.serving():
            entered.set()
            release.wait(5)

    threads = [threading.Thread(target=serve) for _ in range(2)]
    for thread in threads:
        thread.start()
    entered.wait(5)
    time.sleep(0.05)
    assert activity.quiet_for() == 0.0
    release.set()
    for thread in threads:
        thread.join(5)
    time.sleep(0.05)
    assert activity.quiet_for() >= 0.05


def test_start_freezes_and_turns_automatic_full_collections_off_until_stop() -> None:
    thresholds = gc.get_threshold()
    frozen_before = gc.get_freeze_count()
    collector = QuietCollector(ApiActivity(), every_seconds=0.0, quiet_seconds=0.01).start(warm=False)
    try:
        assert collector.frozen.wait(10)
        assert gc.get_freeze_count() > frozen_before
        assert gc.get_threshold()[:2] == thresholds[:2]
        assert gc.get_threshold()[2] > 10**6
        garbage: list[object] = []
        garbage.append(garbage)  # a cycle, which only a collection frees
        del garbage
        kept = [[] for _ in range(4 * thresholds[0] * thresholds[1])]  # young collections move them to the old one
        del kept
        deadline = time.monotonic() + 5
        while collector.collections == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert collector.collections >= 1  # the API is quiet: the thread ran one
    finally:
        collector.stop()
    assert gc.get_threshold() == thresholds
    assert gc.get_freeze_count() == 0
