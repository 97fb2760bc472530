"""Pacing: a campaign's speed limit in attempts per hour (R-DSP-2; seed default 800/h).

The workflow loop admits in batches: Admit batch → Wait → Admit batch … Each admission asks
`plan_admission` how many attempts it may admit now and when the next batch will be ready, and persists the
returned `PacingState` with the campaign.

The rule is a token bucket, kept in exact integer arithmetic:

- it refills continuously at `speed_per_hour` attempts per hour (one attempt every 3600/speed seconds);
- it holds at most one batch: `batch_size = max(1, speed × step_seconds // 3600)` attempts (13 for 800/h
  and the default 60 s step), so a campaign that waited (window, pause) does not burst its backlog;
- a new campaign starts with a full batch, so its first attempts go out at once.

Guarantee: in any span of `d` seconds at most `batch_size + speed × d / 3600` attempts are admitted; over
a long run the rate is the speed (800/h: a batch of 13 every 58.5 s). `next_admission_at` is when the
bucket next holds a full batch (or all that is still waiting, if fewer): the workflow waits until then —
or until the next window opening, whichever is later. The same functions serve per-account and per-route
limits (one state each; admit the minimum the buckets allow).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from jarchi.errors import Unprocessable

DEFAULT_SPEED_PER_HOUR: Final = 800
# 1,000 per second: an SMS route's ceiling, and what one DynamoDB partition takes in writes per second.
MAX_SPEED_PER_HOUR: Final = 3_600_000
DEFAULT_STEP_SECONDS: Final = 60
# One attempt's worth of bucket units: the bucket gains `speed` units per microsecond.
_TOKEN: Final = 3600 * 1_000_000
_MICROSECOND: Final = timedelta(microseconds=1)


def validate_speed(speed_per_hour: int) -> int:
    """A campaign's `speed_per_hour`: 1..3,600,000, else Unprocessable `invalid_speed`."""
    if isinstance(speed_per_hour, bool) or not 1 <= speed_per_hour <= MAX_SPEED_PER_HOUR:
        raise Unprocessable(
            "invalid_speed",
            f"speed_per_hour must be between 1 and {MAX_SPEED_PER_HOUR}",
            speed_per_hour=speed_per_hour,
            max_speed=MAX_SPEED_PER_HOUR,
        )
    return speed_per_hour


def batch_size(speed_per_hour: int, step_seconds: int = DEFAULT_STEP_SECONDS) -> int:
    """The most attempts one admission step may admit (the bucket's capacity)."""
    if step_seconds <= 0:
        raise ValueError("the pacing step is a positive number of seconds")
    return max(1, speed_per_hour * step_seconds // 3600)


@dataclass(frozen=True, slots=True)
class PacingState:
    """What is persisted with the campaign: the bucket's content (in 1/3.6e9 attempts) and when."""

    units: int
    updated_at: datetime

    @classmethod
    def full(cls, speed_per_hour: int, at: datetime, step_seconds: int = DEFAULT_STEP_SECONDS) -> PacingState:
        return cls(units=batch_size(speed_per_hour, step_seconds) * _TOKEN, updated_at=at)

    def available(self, speed_per_hour: int, now: datetime, step_seconds: int = DEFAULT_STEP_SECONDS) -> int:
        """Attempts the bucket allows at `now`."""
        return _refilled(self, speed_per_hour, now, step_seconds) // _TOKEN

    def as_dict(self) -> dict[str, int | str]:
        return {"units": self.units, "updated_at": self.updated_at.isoformat()}

    @classmethod
    def from_dict(cls, value: dict[str, int | str]) -> PacingState:
        return cls(units=int(value["units"]), updated_at=datetime.fromisoformat(str(value["updated_at"])))


def _refilled(state: PacingState, speed_per_hour: int, now: datetime, step_seconds: int) -> int:
    elapsed = max(0, (now - state.updated_at) // _MICROSECOND)  # a clock going back refills nothing
    capacity = batch_size(speed_per_hour, step_seconds) * _TOKEN
    return min(capacity, state.units + elapsed * speed_per_hour)


@dataclass(frozen=True, slots=True)
class Admission:
    """`admit` attempts may go now; persist `state`; the next batch is ready at `next_admission_at`."""

    admit: int
    state: PacingState
    next_admission_at: datetime


def plan_admission(
    state: PacingState | None,
    now: datetime,
    waiting: int,
    speed_per_hour: int = DEFAULT_SPEED_PER_HOUR,
    step_seconds: int = DEFAULT_STEP_SECONDS,
) -> Admission:
    """How many of `waiting` attempts to admit at `now` (`state` None: the campaign's first admission).

    Admitting fewer than `admit` (a window closed for some recipients, the cap claimed elsewhere) is fine:
    call `give_back` with the unused count so the bucket is not charged for them.
    """
    validate_speed(speed_per_hour)
    if waiting < 0:
        raise ValueError("waiting is a count")
    if now.tzinfo is None:
        raise ValueError("pacing needs aware datetimes")
    state = state or PacingState.full(speed_per_hour, now, step_seconds)
    units = _refilled(state, speed_per_hour, now, step_seconds)
    admit = min(waiting, units // _TOKEN)
    units -= admit * _TOKEN
    at = max(now, state.updated_at)
    remaining = waiting - admit
    capacity = batch_size(speed_per_hour, step_seconds)
    wanted = min(capacity, remaining) if remaining else capacity
    deficit = wanted * _TOKEN - units
    wait = -(-deficit // speed_per_hour) if deficit > 0 else 0  # microseconds, rounded up
    return Admission(
        admit=admit,
        state=PacingState(units=units, updated_at=at),
        next_admission_at=at + wait * _MICROSECOND,
    )


def give_back(
    state: PacingState, unused: int, speed_per_hour: int, step_seconds: int = DEFAULT_STEP_SECONDS
) -> PacingState:
    """Return `unused` admissions to the bucket (never above one batch)."""
    if unused < 0:
        raise ValueError("unused is a count")
    capacity = batch_size(speed_per_hour, step_seconds) * _TOKEN
    return PacingState(units=min(capacity, state.units + unused * _TOKEN), updated_at=state.updated_at)
