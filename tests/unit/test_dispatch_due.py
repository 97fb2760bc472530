"""R-DSP-4: a result is applied when the platform clock reaches its completed_at; the due/not-yet-due split
is deterministic, so each result is applied under one batch id however often its message is handled."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jarchi.attempts import AttemptResult, DeliveryStatus, Outcome
from jarchi.results.due import (
    MAX_WINDOWS,
    MIN_WINDOW_SECONDS,
    delay_seconds,
    due_windows,
    first_delivery_delay,
    results_message,
    split_due,
    window_batch_id,
    window_seconds_for,
)

PLACED = datetime(2026, 3, 2, 6, 30, tzinfo=UTC)


def result(i: int, latency: float) -> AttemptResult:
    return AttemptResult(
        attempt_id=f"cmp_1.{i}.1",
        campaign_id="cmp_1",
        number=f"+98912{i:07d}",
        outcome=Outcome.DELIVERED,
        completed_at=PLACED + timedelta(seconds=latency),
        connector="simulator",
        delivery_status=DeliveryStatus.DELIVRD,
    )


def batch(latencies: Sequence[float]) -> list[AttemptResult]:
    return [result(i, latency) for i, latency in enumerate(latencies)]


def at(seconds: float) -> datetime:
    return PLACED + timedelta(seconds=seconds)


def ids(results: Sequence[AttemptResult]) -> list[str]:
    return [r.attempt_id for r in results]


def test_window_batch_ids_count_from_the_root() -> None:
    assert window_batch_id("B", 0) == "B"
    assert window_batch_id("B", 2) == "B~2"
    assert window_batch_id("B~2", 0) == "B~2"
    assert window_batch_id("B~2", 3) == "B~5"


def test_results_without_latency_are_one_window_under_the_batch_id() -> None:
    results = batch([0, 0, 0])
    split = split_due("B", results, PLACED)
    assert [w.batch_id for w in split.due] == ["B"] and split.later is None
    assert sorted(ids(split.due[0].results)) == sorted(ids(results))
    assert first_delivery_delay(results, PLACED) == 0


def test_windows_are_greedy_from_the_earliest_result_whatever_the_order() -> None:
    results = batch([30, 0, 5.5, 2, 11, 5])
    windows = due_windows("B", results, window_seconds=5)
    assert [[r.completed_at - PLACED for r in w.results] for w in windows] == [
        [timedelta(seconds=s) for s in group] for group in ([0, 2, 5], [5.5], [11], [30])
    ]
    assert [w.batch_id for w in windows] == ["B", "B~1", "B~2", "B~3"]
    assert due_windows("B", list(reversed(results)), window_seconds=5) == windows


def test_the_window_spans_a_quarter_of_the_spread_and_at_least_five_seconds() -> None:
    assert window_seconds_for([]) == MIN_WINDOW_SECONDS == 5
    assert window_seconds_for(batch([0, 0])) == 5
    assert window_seconds_for(batch([1, 10])) == 5
    assert window_seconds_for(batch([5, 85])) == 20
    assert window_seconds_for(batch([0, 90])) == 23
    assert len(due_windows("B", batch(range(0, 91)), window_seconds=23)) == MAX_WINDOWS


def test_nothing_due_goes_back_whole_under_the_same_batch_id() -> None:
    results = batch([30, 30])
    split = split_due("B", results, at(10))
    assert split.due == ()
    assert split.later is not None and split.later.batch_id == "B"
    assert sorted(ids(split.later.results)) == sorted(ids(results))
    assert split.later.delay_seconds == 20


def test_due_windows_are_applied_and_the_rest_waits_for_its_first_window() -> None:
    # GIVEN windows at 0..2 (B), 8 (B~1) and 20..21 (B~2)
    results = batch([0, 2, 8, 20, 21])
    # WHEN it is 9 s after placing
    split = split_due("B", results, at(9), window_seconds=5)
    # THEN the first two windows are due, the rest goes back as B~2 until its last result is due (21 s)
    assert [(w.batch_id, len(w.results)) for w in split.due] == [("B", 2), ("B~1", 1)]
    assert split.later is not None
    assert split.later.batch_id == "B~2" and len(split.later.results) == 2
    assert split.later.delay_seconds == 12 and split.later.window_seconds == 5


def test_a_window_waits_for_its_last_result() -> None:
    split = split_due("B", batch([0, 4]), at(3), window_seconds=5)
    assert split.due == () and split.later is not None and split.later.delay_seconds == 1


def test_delay_is_whole_seconds_at_least_one_and_capped() -> None:
    assert delay_seconds(at(10), at(10)) == 0
    assert delay_seconds(at(10), at(11)) == 0
    assert delay_seconds(at(10), at(9.9)) == 1
    assert delay_seconds(at(10), at(8.5)) == 2
    assert delay_seconds(at(3600), at(0)) == 900
    assert delay_seconds(at(3600), at(0), cap=1) == 1
    with pytest.raises(ValueError):
        delay_seconds(at(10), at(0), cap=0)
    with pytest.raises(ValueError):
        delay_seconds(at(10), at(0), cap=901)


def test_first_delivery_waits_for_the_first_window_within_the_cap() -> None:
    results = batch([30, 30, 31])
    assert first_delivery_delay(results, PLACED) == 31
    assert first_delivery_delay(results, PLACED, cap=1) == 1
    assert first_delivery_delay(results, at(40)) == 0
    assert first_delivery_delay([], PLACED) == 0


def test_results_message_round_trips() -> None:
    results = batch([1, 2])
    body = results_message("B", "cmp_1", results)
    assert body.keys() == {"batch_id", "campaign_id", "results"}
    assert [AttemptResult.from_message(r) for r in body["results"]] == results
    assert results_message("B~1", "cmp_1", results, window_seconds=7)["window_seconds"] == 7


@settings(max_examples=300, deadline=None)
@given(
    latencies=st.lists(st.floats(min_value=0, max_value=300, allow_nan=False), min_size=1, max_size=40),
    moments=st.lists(st.floats(min_value=0, max_value=320, allow_nan=False), min_size=1, max_size=6),
)
def test_r_dsp_4_every_result_is_applied_under_one_batch_id_however_often_it_is_handled(
    latencies: list[float], moments: list[float]
) -> None:
    # GIVEN one results message; at each moment, every message ever sent is handled again (the worst case of
    # SQS redelivery), and what is sent back joins them
    results = {r.attempt_id: r for r in batch(latencies)}
    sent: dict[str, tuple[frozenset[str], int | None]] = {"B": (frozenset(results), None)}
    applied: dict[str, frozenset[str]] = {}
    for moment in [*sorted(moments), max(latencies)]:
        now = at(moment)
        for batch_id, (members, window_seconds) in list(sent.items()):
            split = split_due(batch_id, [results[a] for a in members], now, window_seconds=window_seconds)
            for window in split.due:
                window_members = frozenset(ids(window.results))
                # THEN a batch id always stands for the same results, and none of them is applied early
                assert applied.setdefault(window.batch_id, window_members) == window_members
                assert all(r.completed_at <= now for r in window.results)
            if split.later is not None:
                later = (frozenset(ids(split.later.results)), split.later.window_seconds)
                before = sent.get(split.later.batch_id)
                # THEN a message sent back under a batch id always carries the same results and width
                assert before is None or (before[0] == later[0] and before[1] in (None, later[1]))
                sent[split.later.batch_id] = later
                assert split.later.delay_seconds >= 1
    # THEN in the end every result was applied, under exactly one batch id, in at most MAX_WINDOWS of them
    everyone = [attempt for members in applied.values() for attempt in members]
    assert sorted(everyone) == sorted(results)
    assert len(applied) <= MAX_WINDOWS
