"""What compliance needs from outside: the ad cap's atomic claims (R-CPL-2) and the suppression lists
(R-CPL-3). DynamoDB adapters: `store/adcap.py`, `store/suppression.py`."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

from jarchi.compliance.adcap import SuppressionList
from jarchi.compliance.restricted import RestrictedPeriod


class AdCap(Protocol):
    def claim(self, number: str, *, attempt_id: str, campaign_id: str, now: datetime) -> bool:
        """True if this attempt now holds the number's cap (also when it already did: a retried claim).
        Of two attempts racing for one number, exactly one wins."""
        ...

    def release(self, number: str, attempt_id: str) -> None:
        """Give the number back; only the holder can."""
        ...


class RestrictedPeriods(Protocol):
    """Admin-defined restricted periods (R-CPL-1); DynamoDB adapter: `store/restricted.py`."""

    def add(self, period: RestrictedPeriod) -> None: ...

    def current(self, at: datetime) -> list[RestrictedPeriod]:
        """Every period not over at `at` (running or ahead), earliest end first."""
        ...


class SuppressionLists(Protocol):
    def memberships(self, numbers: Iterable[str], account_id: str) -> dict[str, set[SuppressionList]]:
        """For each listed number, the lists it is on (the account's stop list, the platform's)."""
        ...

    def add(
        self, kind: SuppressionList, number: str, *, account_id: str = "", added_at: str, source: str | None = None
    ) -> None: ...


class DestinationHistory(Protocol):
    """The foreign number ranges the platform has sent to (the pumping guard's "never seen", R-CPL;
    `jarchi.compliance.pumping`). DynamoDB adapter: `store/destinations.py`."""

    def known(self, prefixes: Iterable[str]) -> set[str]:
        """Those of `prefixes` already sent to (one BatchGetItem per 100)."""
        ...

    def remember(self, prefixes: Iterable[str], at: datetime) -> None: ...
