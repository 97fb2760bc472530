"""Time-sortable identifiers (ULID layout: 48-bit milliseconds + 80 random bits, Crockford base32).

Monotonic within a process: ids made in the same millisecond (or while a frozen local clock stands
still) keep their creation order."""

from __future__ import annotations

import secrets
import threading
from datetime import datetime

from jarchi import clock

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_RANDOM_BITS = 80
_lock = threading.Lock()
_last: list[int] = [0, 0]  # millis, random part of the last id


def _encode(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        value, rem = divmod(value, 32)
        chars.append(_ALPHABET[rem])
    return "".join(reversed(chars))


def _next_parts(millis: int) -> tuple[int, int]:
    with _lock:
        last_millis, last_random = _last
        if millis <= last_millis and last_random + 1 < 2**_RANDOM_BITS:
            millis, random_part = last_millis, last_random + 1
        else:
            random_part = secrets.randbits(_RANDOM_BITS - 1)  # headroom for increments
        _last[:] = [millis, random_part]
        return millis, random_part


def restart_sequence() -> None:
    """Forget the last id made: a new platform clock starts (tests and the local platform set the clock back to
    its start; ids made after that sort by the new clock, not after the previous run's)."""
    with _lock:
        _last[:] = [0, 0]


def new_id(prefix: str, at: datetime | None = None) -> str:
    """`acc_01j…`: sorts by creation time on the platform clock."""
    millis, random_part = _next_parts(int((at or clock.now()).timestamp() * 1000))
    return f"{prefix}_{_encode(millis, 10)}{_encode(random_part, 16)}".lower()


def id_floor(prefix: str, at: datetime) -> str:
    """The smallest id `new_id(prefix)` can make at `at` or later: a key bound for a time range."""
    return f"{prefix}_{_encode(int(at.timestamp() * 1000), 10)}{'0' * 16}".lower()
