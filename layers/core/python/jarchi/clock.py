"""Where "now" comes from: real time in the cloud, a movable clock locally (R-RUN-3)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class LocalClock:
    """Starts at a given instant and runs with real time; `advance` jumps it forward.

    `ticking=False` freezes it between advances, which tests use to make every instant exact.
    """

    def __init__(self, start: datetime, *, ticking: bool = True) -> None:
        if start.tzinfo is None:
            raise ValueError("the local clock needs an aware start time")
        self._lock = threading.Lock()
        self._start = start.astimezone(UTC)
        self._offset = timedelta()
        self._ticking = ticking
        self._started_at = time.monotonic()

    @property
    def ticking(self) -> bool:
        return self._ticking

    def now(self) -> datetime:
        with self._lock:
            elapsed = timedelta(seconds=time.monotonic() - self._started_at) if self._ticking else timedelta()
            return self._start + self._offset + elapsed

    def advance(self, seconds: float) -> datetime:
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._offset += timedelta(seconds=seconds)
        return self.now()


_override: list[Clock] = []


def use_clock(clock: Clock) -> None:
    """Install the process clock (the local runtime and tests call this)."""
    _override[:] = [clock]


@cache
def _system_clock() -> Clock:
    return SystemClock()


def get_clock() -> Clock:
    return _override[0] if _override else _system_clock()


def now() -> datetime:
    return get_clock().now()


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")
