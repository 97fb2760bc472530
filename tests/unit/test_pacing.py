"""R-DSP-2: per-campaign speed limit (attempts per hour)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jarchi.campaigns.pacing import (
    DEFAULT_SPEED_PER_HOUR,
    PacingState,
    batch_size,
    give_back,
    plan_admission,
    validate_speed,
)
from jarchi.errors import Unprocessable

START = datetime(2026, 3, 2, 6, 30, tzinfo=UTC)


def test_r_dsp_2_default_speed_and_batch() -> None:
    assert DEFAULT_SPEED_PER_HOUR == 800
    assert batch_size(800) == 13
    assert batch_size(800, step_seconds=300) == 66
    assert batch_size(10) == 1  # slower than one a minute still admits one at a time
    assert batch_size(3600) == 60


def test_r_dsp_2_first_admission_is_a_full_batch_then_waits() -> None:
    first = plan_admission(None, START, waiting=1000)
    assert first.admit == 13
    # 13 more need 13 × 4.5 s.
    assert first.next_admission_at == START + timedelta(seconds=58.5)
    too_early = plan_admission(first.state, START + timedelta(seconds=30), waiting=987)
    assert too_early.admit == 6  # 30 s / 4.5 s = 6.67
    on_time = plan_admission(first.state, first.next_admission_at, waiting=987)
    assert on_time.admit == 13


def test_r_dsp_2_an_hour_of_steps_admits_the_speed() -> None:
    state: PacingState | None = None
    now = START
    admitted = 0
    while now < START + timedelta(hours=1):
        plan = plan_admission(state, now, waiting=100_000)
        admitted += plan.admit
        state = plan.state
        now = plan.next_admission_at
    assert 800 <= admitted <= 800 + 13


def test_r_dsp_2_waiting_does_not_build_a_burst() -> None:
    first = plan_admission(None, START, waiting=13)
    after_a_day = plan_admission(first.state, START + timedelta(days=1), waiting=10_000)
    assert after_a_day.admit == 13


def test_r_dsp_2_few_waiting_next_admission_for_the_rest() -> None:
    first = plan_admission(None, START, waiting=15)
    assert first.admit == 13
    assert first.next_admission_at == START + timedelta(seconds=9)  # two more: 2 × 4.5 s
    done = plan_admission(None, START, waiting=0)
    assert done.admit == 0 and done.next_admission_at == START


def test_r_dsp_2_give_back_unused_admissions() -> None:
    plan = plan_admission(None, START, waiting=100)
    state = give_back(plan.state, 5, 800)
    assert plan_admission(state, START, waiting=100).admit == 5
    assert give_back(state, 1000, 800).units == PacingState.full(800, START).units


def test_r_dsp_2_state_round_trip_and_clock_going_back() -> None:
    plan = plan_admission(None, START, waiting=100)
    assert PacingState.from_dict(plan.state.as_dict()) == plan.state
    back = plan_admission(plan.state, START - timedelta(minutes=5), waiting=100)
    assert back.admit == 0 and back.state.updated_at == START


@pytest.mark.parametrize("speed", [0, -1, 3_600_001, True])
def test_r_dsp_2_invalid_speed(speed: int) -> None:
    with pytest.raises(Unprocessable) as error:
        validate_speed(speed)
    assert error.value.code == "invalid_speed"


@settings(max_examples=100, deadline=None)
@given(
    speed=st.integers(1, 20_000),
    step=st.sampled_from([10, 30, 60, 300]),
    gaps=st.lists(st.integers(0, 600_000_000), min_size=1, max_size=60),
)
def test_r_dsp_2_property_never_faster_than_batch_plus_rate(speed: int, step: int, gaps: list[int]) -> None:
    """In any span of d seconds at most batch + speed × d / 3600 attempts are admitted."""
    state: PacingState | None = None
    now = START
    log: list[tuple[datetime, int]] = []
    for gap in gaps:
        now += timedelta(microseconds=gap)
        plan = plan_admission(state, now, waiting=10**6, speed_per_hour=speed, step_seconds=step)
        state = plan.state
        assert plan.next_admission_at >= now
        log.append((now, plan.admit))
    capacity = batch_size(speed, step)
    for i in range(len(log)):
        total = 0
        for j in range(i, len(log)):
            total += log[j][1]
            span = (log[j][0] - log[i][0]).total_seconds()
            assert total <= capacity + speed * span / 3600 + 1e-9
