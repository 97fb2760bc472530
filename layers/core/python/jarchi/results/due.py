"""When a result is due (R-DSP-4): pure rules, no AWS.

A connector's result carries `completed_at`, the instant the platform clock must reach before it is applied
(the simulator's latency). A results message whose results are not all due goes back onto the results queue
with an SQS delay, and is looked at again when it comes back.

Idempotence drives the shape. The results side applies each batch id exactly once, and SQS delivers at
least once, so a result must be applied under the same batch id, together with the same other results,
however late or often its message is handled. A split at "now" would not be: a redelivered message is
handled at a later now and would cut elsewhere. So a message's results are cut into *due windows* that
depend on the results alone:

- the window width is fixed once per message family: `window_seconds` from the message, else (a message
  fresh from the connector) `max(MIN_WINDOW_SECONDS, ceil(spread / MAX_WINDOWS))` where spread is its
  latest minus its earliest `completed_at`; messages sent back carry it, so it never changes;
- sorted by (`completed_at`, `attempt_id`), a window starts at the first result not yet in a window and
  takes every result completed at most the width after it. Greedy, so the windows of a message's tail are
  exactly the tail of its windows; at most `MAX_WINDOWS` of them; only the gaps between `completed_at`s
  matter, not the instant of placing;
- a window is due when its last result is (`completed_at <= now`); the due windows are a prefix;
- window k of a message with batch id `B~n` (or `B`, n = 0) is applied under `B~(n+k)` (`B` for k = n = 0,
  so results without latency are one window under the dispatch batch's own id, as before); the windows
  not yet due go back as one message with batch id `B~(n+j)`, j the first of them.

So a result is never applied before its `completed_at`, and at most one width after it (plus the poll);
a message of results costs at most `MAX_WINDOWS` batch ids. The SQS delay is `ceil(due - now)` seconds, at
least 1, at most the cap (SQS's 900 s in the cloud; 1 s locally, where the clock can jump ahead but a
pending SQS delay cannot shrink).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from jarchi.attempts import AttemptResult

MIN_WINDOW_SECONDS: Final = 5
MAX_WINDOWS: Final = 4
MAX_DELAY_SECONDS: Final = 900  # SQS's limit on DelaySeconds
WINDOW_SEPARATOR: Final = "~"  # dispatch batch ids never contain it


@dataclass(frozen=True, slots=True)
class DueWindow:
    """Results applied together, under `batch_id`, once `due_at` (their latest `completed_at`) has passed."""

    batch_id: str
    results: tuple[AttemptResult, ...]

    @property
    def due_at(self) -> datetime:
        return self.results[-1].completed_at


@dataclass(frozen=True, slots=True)
class Deferred:
    """The results not due yet, sent back as one message with `batch_id` (and the family's
    `window_seconds`), held back `delay_seconds`."""

    batch_id: str
    results: tuple[AttemptResult, ...]
    window_seconds: int
    delay_seconds: int


@dataclass(frozen=True, slots=True)
class DueSplit:
    """What to do with one results message now: apply the `due` windows (in order), then send `later`
    back (None when everything is due)."""

    due: tuple[DueWindow, ...]
    later: Deferred | None


def window_batch_id(batch_id: str, offset: int) -> str:
    """The batch id of the window `offset` places after the first window of message `batch_id`."""
    root, _, index = batch_id.partition(WINDOW_SEPARATOR)
    position = (int(index) if index else 0) + offset
    return root if position == 0 else f"{root}{WINDOW_SEPARATOR}{position}"


def window_seconds_for(results: Sequence[AttemptResult]) -> int:
    """The window width for a message fresh from the connector: its spread in `MAX_WINDOWS` steps, at
    least `MIN_WINDOW_SECONDS`."""
    if not results:
        return MIN_WINDOW_SECONDS
    times = [result.completed_at for result in results]
    spread = (max(times) - min(times)).total_seconds()
    return max(MIN_WINDOW_SECONDS, math.ceil(spread / MAX_WINDOWS))


def due_windows(batch_id: str, results: Sequence[AttemptResult], *, window_seconds: int) -> list[DueWindow]:
    """Cut a message's results into windows (see the module docstring), earliest first."""
    if window_seconds < 0:
        raise ValueError("a window cannot be negative")
    width = timedelta(seconds=window_seconds)
    ordered = sorted(results, key=lambda result: (result.completed_at, result.attempt_id))
    groups: list[list[AttemptResult]] = []
    for result in ordered:
        if groups and result.completed_at <= groups[-1][0].completed_at + width:
            groups[-1].append(result)
        else:
            groups.append([result])
    return [DueWindow(window_batch_id(batch_id, k), tuple(group)) for k, group in enumerate(groups)]


def delay_seconds(due_at: datetime, now: datetime, *, cap: int = MAX_DELAY_SECONDS) -> int:
    """Whole seconds to hold a message back so that it comes back at `due_at` or later: 0 if already due,
    else `ceil(due_at - now)`, at least 1 and at most `cap`."""
    if not 1 <= cap <= MAX_DELAY_SECONDS:
        raise ValueError(f"the delay cap is 1..{MAX_DELAY_SECONDS} seconds, not {cap}")
    wait = (due_at - now).total_seconds()
    if wait <= 0:
        return 0
    return min(cap, max(1, math.ceil(wait)))


def split_due(
    batch_id: str,
    results: Sequence[AttemptResult],
    now: datetime,
    *,
    window_seconds: int | None = None,
    cap: int = MAX_DELAY_SECONDS,
) -> DueSplit:
    """The windows of a message that are due at `now`, and the rest as one message to send back later.
    `window_seconds`: the message's own (None for a message fresh from the connector)."""
    width = window_seconds_for(results) if window_seconds is None else window_seconds
    windows = due_windows(batch_id, results, window_seconds=width)
    ready = 0
    while ready < len(windows) and windows[ready].due_at <= now:
        ready += 1
    if ready == len(windows):
        return DueSplit(due=tuple(windows), later=None)
    rest = windows[ready:]
    later = Deferred(
        batch_id=rest[0].batch_id,
        results=tuple(result for window in rest for result in window.results),
        window_seconds=width,
        delay_seconds=delay_seconds(rest[0].due_at, now, cap=cap),
    )
    return DueSplit(due=tuple(windows[:ready]), later=later)


def first_delivery_delay(results: Sequence[AttemptResult], now: datetime, *, cap: int = MAX_DELAY_SECONDS) -> int:
    """How long a message fresh from the connector waits before its first delivery: until its first
    window is due (0 when it already is)."""
    windows = due_windows("", results, window_seconds=window_seconds_for(results))
    return delay_seconds(windows[0].due_at, now, cap=cap) if windows else 0


def results_message(
    batch_id: str,
    campaign_id: str,
    results: Sequence[AttemptResult],
    *,
    window_seconds: int | None = None,
    times: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The body of a results-queue message; `window_seconds` only on messages sent back to wait; `times`: the
    dispatch batch's `admitted_at` and `placed_at` (ISO), for every result of the message."""
    body: dict[str, Any] = {
        "batch_id": batch_id,
        "campaign_id": campaign_id,
        "results": [result.to_message() for result in results],
    }
    if window_seconds is not None:
        body["window_seconds"] = window_seconds
    if times:
        body["times"] = dict(times)
    return body
