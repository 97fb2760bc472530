"""Restricted periods (R-CPL-1): dates an admin closes per country and category (a day of mourning: no
advertising). Admission treats a covering period as a closed window: the campaign waits (`waiting_window`)
and goes on when the period ends. Pure.

- A period covers `[start, end)` in absolute time (the admin gives offsets), for numbers of its `country`
  (the number's region, from libphonenumber) and the listed categories.
- Periods that touch or overlap chain: the wait lasts until the last of them ends."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from jarchi.channels import Category


@dataclass(frozen=True, slots=True)
class RestrictedPeriod:
    id: str
    country: str  # ISO 3166-1 alpha-2, like a number's region
    start: datetime
    end: datetime
    categories: tuple[Category, ...]
    reason: str
    created_at: datetime

    def covers(self, country: str | None, category: Category, at: datetime) -> bool:
        return self.country == country and category in self.categories and self.start <= at < self.end


def restricted_until(
    periods: Sequence[RestrictedPeriod], country: str | None, category: Category, at: datetime
) -> datetime | None:
    """When sending to this country and category may go on (None: not restricted now)."""
    until: datetime | None = None
    moment = at
    while True:
        covering = [p.end for p in periods if p.covers(country, category, moment)]
        if not covering:
            return until
        until = moment = max(covering)
