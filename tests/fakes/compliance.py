"""The ad cap and the suppression lists in memory."""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from jarchi.compliance.adcap import SuppressionList, cap_expiry
from jarchi.compliance.ports import SuppressionEntry
from jarchi.compliance.restricted import RestrictedPeriod


@dataclass(frozen=True, slots=True)
class CapClaim:
    attempt_id: str
    campaign_id: str
    claimed_at: datetime
    expires_at: int  # epoch seconds


class FakeAdCap:
    """One claim per number, across campaigns; a claim blocks until `cap_expiry` (compared by the claim
    itself, as in DynamoDB, whose TTL deletion is lazy)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.claims: dict[str, CapClaim] = {}
        self.releases: list[tuple[str, str]] = []  # every release asked for, held or not: (number, attempt id)

    def claim(self, number: str, *, attempt_id: str, campaign_id: str, now: datetime, reuse: bool = False) -> bool:
        with self._lock:
            current = self.claims.get(number)
            if current is not None and current.expires_at > int(now.timestamp()):
                return current.attempt_id == attempt_id or (reuse and current.campaign_id == campaign_id)
            self.claims[number] = CapClaim(attempt_id, campaign_id, now, int(cap_expiry(now).timestamp()))
            return True

    def release(self, number: str, attempt_id: str) -> None:
        with self._lock:
            self.releases.append((number, attempt_id))
            current = self.claims.get(number)
            if current is not None and current.attempt_id == attempt_id:
                del self.claims[number]


class FakeSuppression:
    def __init__(self) -> None:
        # (kind, account or "") → number → entry
        self.lists: dict[tuple[SuppressionList, str], dict[str, SuppressionEntry]] = defaultdict(dict)

    @staticmethod
    def _scope(kind: SuppressionList, account_id: str) -> tuple[SuppressionList, str]:
        return kind, account_id if kind is SuppressionList.ACCOUNT_STOP_LIST else ""

    def add(
        self, kind: SuppressionList, number: str, *, account_id: str = "", added_at: str, source: str | None = None
    ) -> None:
        self.lists[self._scope(kind, account_id)][number] = SuppressionEntry(
            number, datetime.fromisoformat(added_at), source
        )

    def add_many(
        self, kind: SuppressionList, numbers: Iterable[str], *, account_id: str = "", added_at: str, source: str
    ) -> int:
        written = 0
        for number in numbers:
            self.add(kind, number, account_id=account_id, added_at=added_at, source=source)
            written += 1
        return written

    def remove(self, kind: SuppressionList, number: str, *, account_id: str = "") -> bool:
        return self.lists[self._scope(kind, account_id)].pop(number, None) is not None

    def entry(self, kind: SuppressionList, number: str, *, account_id: str = "") -> SuppressionEntry | None:
        return self.lists[self._scope(kind, account_id)].get(number)

    def entries(
        self, kind: SuppressionList, *, account_id: str = "", limit: int, cursor: str | None
    ) -> tuple[list[SuppressionEntry], str | None]:
        ordered = sorted(self.lists[self._scope(kind, account_id)].values(), key=lambda e: e.number)
        after = [e for e in ordered if cursor is None or e.number > cursor]
        page = after[:limit]
        return page, page[-1].number if len(after) > limit else None

    def memberships(
        self, numbers: Iterable[str], account_id: str, lists: Iterable[SuppressionList] | None = None
    ) -> dict[str, set[SuppressionList]]:
        found: dict[str, set[SuppressionList]] = {}
        kinds = list(SuppressionList if lists is None else lists)
        for number in set(numbers):
            for kind in kinds:
                if number in self.lists.get(self._scope(kind, account_id), {}):
                    found.setdefault(number, set()).add(kind)
        return found


class FakeRestrictedPeriods:
    def __init__(self) -> None:
        self.periods: dict[str, RestrictedPeriod] = {}

    def add(self, period: RestrictedPeriod) -> None:
        if period.id in self.periods:
            raise KeyError(f"restricted period {period.id} exists")
        self.periods[period.id] = period

    def current(self, at: datetime) -> list[RestrictedPeriod]:
        return sorted((p for p in self.periods.values() if p.end > at), key=lambda p: (p.end, p.id))

    def page(self, at: datetime, limit: int, cursor: str | None) -> tuple[list[RestrictedPeriod], str | None]:
        periods = self.current(at)
        start = int(cursor or 0)
        return periods[start : start + limit], str(start + limit) if start + limit < len(periods) else None

    def delete(self, period_id: str) -> bool:
        return self.periods.pop(period_id, None) is not None


class FakeDestinations:
    def __init__(self) -> None:
        self.seen: set[str] = set()

    def known(self, prefixes: Iterable[str]) -> set[str]:
        return set(prefixes) & self.seen

    def remember(self, prefixes: Iterable[str], at: datetime) -> None:
        self.seen.update(prefixes)
