"""Placing a batch with a provider that answers each attempt on its own: up to `in_flight` requests at once
(a dispatch message carries up to 200 attempts, and one request takes tens of milliseconds), each retried
inside the shared budget (`jarchi.connectors.retrying`).

- accepted → `submitted`, with the provider's reference;
- refused for good (`Verdict.REFUSED`) → a final free result (`jarchi.connectors.placements.refused`);
- still throttled when the budget ran out, or not started because the batch stopped → `retry`;
- the connector itself is unusable (`Verdict.BROKEN`): nothing more is started; if nothing of the batch was
  placed, `ConnectorError` (the whole message goes back), else the rest is `retry`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Final

from jarchi.attempts import Attempt, Placement, PlacementStatus
from jarchi.connectors.placements import refused, retry, submitted
from jarchi.connectors.retrying import Budget, BudgetSpent, Verdict, with_retries
from jarchi.ports import ConnectorError

CHANNEL_NOT_SUPPORTED: Final = "channel_not_supported"


def place_each(
    attempts: Sequence[Attempt],
    *,
    connector: str,
    send: Callable[[Attempt], str | None],
    judge: Callable[[Exception], Verdict],
    refusal: Callable[[Exception], str],
    budget: Budget,
    in_flight: int = 1,
    unsupported: Callable[[Attempt], str | None] = lambda _: None,
) -> list[Placement]:
    """One placement per attempt, in order. `send` places one attempt and answers its reference; `refusal`
    says why the provider refused one (the result's `detail`); `unsupported` names why this connector cannot
    carry an attempt at all (another channel, content it cannot play), which is refused without a request."""
    stop = threading.Event()
    broken: list[Exception] = []

    def one(attempt: Attempt) -> Placement:
        reason = unsupported(attempt)
        if reason is not None:
            return refused(attempt, connector, reason)
        if stop.is_set():
            return retry(attempt, "not started: the batch stopped")
        try:
            return submitted(attempt, with_retries(lambda: send(attempt), judge, budget))
        except BudgetSpent as spent:
            stop.set()
            return retry(attempt, f"still failing when the budget ran out: {spent.cause}")
        except Exception as error:
            verdict = judge(error)
            if verdict is Verdict.REFUSED:
                return refused(attempt, connector, refusal(error))
            if verdict is Verdict.BROKEN:
                stop.set()
                broken.append(error)
                return retry(attempt, str(error))
            raise  # pragma: no cover - with_retries only lets RETRY through as BudgetSpent

    if in_flight <= 1:
        placements = [one(attempt) for attempt in attempts]
    else:
        with ThreadPoolExecutor(max_workers=in_flight, thread_name_prefix=f"{connector}-place") as pool:
            placements = list(pool.map(one, attempts))
    placed = any(p.status is not PlacementStatus.RETRY for p in placements)
    if broken and not placed:
        raise ConnectorError(f"{connector} cannot place this batch: {broken[0]}", retryable=True) from broken[0]
    return placements
