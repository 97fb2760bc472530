"""Retrying a provider call inside the invocation's time budget (R-DSP-4), shared by the cloud connectors.

A throttled or transiently failing request is tried again after a jittered exponential backoff ("full
jitter": a uniform draw in [0, min(cap, base * 2**n)]), as long as the next try can still start before the
budget's deadline. When the budget is spent the attempt is answered `retry`: the dispatch message goes back
to SQS, whose redelivery (and, after the redrive limit, the DLQ) is the slower backoff above this one.

What counts as throttling or transient is the connector's to say (`Verdict`); this module only times.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final, TypeVar

T = TypeVar("T")

BASE_DELAY_SECONDS: Final = 0.1
MAX_DELAY_SECONDS: Final = 2.0


class Verdict(StrEnum):
    """What a failed request means."""

    RETRY = "retry"  # throttled or transient: try again while the budget lasts
    REFUSED = "refused"  # permanent refusal of this attempt (invalid number, opted out): a final, free result
    BROKEN = "broken"  # the whole connector is unusable (credentials, configuration): the batch goes back


@dataclass
class Budget:
    """The seconds this invocation may spend placing, from its start (monotonic clock)."""

    seconds: float
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        self._deadline = self.clock() + self.seconds

    @property
    def remaining(self) -> float:
        return self._deadline - self.clock()

    def backoff(self, retry: int) -> bool:
        """Sleep before retry number `retry` (0-based) if the budget allows it; False when it does not."""
        delay = self.rng.uniform(0, min(MAX_DELAY_SECONDS, BASE_DELAY_SECONDS * 2**retry))
        if delay >= self.remaining:
            return False
        self.sleep(delay)
        return True


class BudgetSpent(Exception):
    """Still throttled (or failing transiently) when the budget ran out; `cause` is the last error."""

    def __init__(self, cause: Exception) -> None:
        super().__init__(str(cause))
        self.cause = cause


def with_retries(call: Callable[[], T], judge: Callable[[Exception], Verdict], budget: Budget) -> T:
    """`call()`, tried again after a backoff while `judge` says RETRY and the budget lasts.

    Raises the error itself when `judge` says REFUSED or BROKEN (the caller maps it), `BudgetSpent` when the
    budget ran out first."""
    retry = 0
    while True:
        try:
            return call()
        except Exception as error:
            if judge(error) is not Verdict.RETRY:
                raise
            if not budget.backoff(retry):
                raise BudgetSpent(error) from error
            retry += 1
