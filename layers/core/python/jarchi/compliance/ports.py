"""What compliance needs from outside: the ad cap's atomic claims (R-CPL-2) and the suppression lists
(R-CPL-3). DynamoDB adapters: `store/adcap.py`, `store/suppression.py`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from jarchi.compliance.adcap import SuppressionList
from jarchi.compliance.restricted import RestrictedPeriod


class AdCap(Protocol):
    def claim(self, number: str, *, attempt_id: str, campaign_id: str, now: datetime, reuse: bool = False) -> bool:
        """True if this attempt now holds the number's cap (also when it already did: a retried claim).
        Of two attempts racing for one number, exactly one wins. With `reuse` (a smart retry part), a live
        claim of the same campaign counts as this attempt's: the retry is not a second ad."""
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

    def page(self, at: datetime, limit: int, cursor: str | None) -> tuple[list[RestrictedPeriod], str | None]:
        """`current`, `limit` at a time; the cursor of the next page (None: the last)."""
        ...

    def delete(self, period_id: str) -> bool:
        """Remove a period (over or not); False when there is none with that id."""
        ...


@dataclass(frozen=True, slots=True)
class SuppressionEntry:
    """A number on a list, when it was put there and why (`source`: a campaign whose call was answered with
    11, `import`, `api`, …)."""

    number: str
    added_at: datetime
    source: str | None = None


class SuppressionLists(Protocol):
    def memberships(
        self, numbers: Iterable[str], account_id: str, lists: Iterable[SuppressionList] | None = None
    ) -> dict[str, set[SuppressionList]]:
        """For each listed number, the lists it is on (the account's stop list, the platform's), among `lists`
        (None: every list). Admission asks only for the lists its campaign's category is checked against
        (`jarchi.compliance.adcap.lists_to_check`): a service campaign's numbers are one key each, not three."""
        ...

    def add(
        self, kind: SuppressionList, number: str, *, account_id: str = "", added_at: str, source: str | None = None
    ) -> None: ...

    def add_many(
        self, kind: SuppressionList, numbers: Iterable[str], *, account_id: str = "", added_at: str, source: str
    ) -> int:
        """Put every number on the list (batch writes, streaming: `numbers` may be a generator of millions);
        a number already there is written again. How many were written."""
        ...

    def remove(self, kind: SuppressionList, number: str, *, account_id: str = "") -> bool:
        """False when the number was not on the list."""
        ...

    def entry(self, kind: SuppressionList, number: str, *, account_id: str = "") -> SuppressionEntry | None: ...

    def entries(
        self, kind: SuppressionList, *, account_id: str = "", limit: int, cursor: str | None
    ) -> tuple[list[SuppressionEntry], str | None]:
        """A page of the list, by number."""
        ...


class DestinationHistory(Protocol):
    """The foreign number ranges the platform has sent to (the pumping guard's "never seen", R-CPL;
    `jarchi.compliance.pumping`). DynamoDB adapter: `store/destinations.py`."""

    def known(self, prefixes: Iterable[str]) -> set[str]:
        """Those of `prefixes` already sent to (one BatchGetItem per 100)."""
        ...

    def remember(self, prefixes: Iterable[str], at: datetime) -> None: ...
