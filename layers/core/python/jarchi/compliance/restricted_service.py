"""Restricted periods as the admin keeps them (R-CPL-1): `POST /v1/restricted-periods` and
`GET /v1/restricted-periods` (those not over yet)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from jarchi import clock
from jarchi.accounts.access import require_admin
from jarchi.accounts.models import Caller
from jarchi.channels import Category
from jarchi.compliance.ports import RestrictedPeriods
from jarchi.compliance.restricted import RestrictedPeriod
from jarchi.errors import NotFound, Unprocessable
from jarchi.ids import new_id
from jarchi.ports import resolve


def add_period(
    caller: Caller,
    *,
    country: str,
    start: datetime,
    end: datetime,
    categories: Sequence[Category],
    reason: str,
    periods: RestrictedPeriods | None = None,
) -> RestrictedPeriod:
    """Admin only; `start` before `end`, both with an offset; at least one category."""
    require_admin(caller)
    if start.tzinfo is None or end.tzinfo is None:
        raise Unprocessable("invalid_period", "start and end need a time zone offset")
    if not start < end:
        raise Unprocessable("invalid_period", "a restricted period ends after it starts")
    if not categories:
        raise Unprocessable("invalid_period", "name at least one category")
    period = RestrictedPeriod(
        id=new_id("rsp"),
        country=country.upper(),
        start=start,
        end=end,
        categories=tuple(dict.fromkeys(categories)),
        reason=reason,
        created_at=clock.now(),
    )
    (periods or resolve(RestrictedPeriods)).add(period)
    return period


def current_periods(
    caller: Caller, limit: int, cursor: str | None, *, periods: RestrictedPeriods | None = None
) -> tuple[list[RestrictedPeriod], str | None]:
    """Admin only: the periods not over yet, earliest end first, a page at a time."""
    require_admin(caller)
    return (periods or resolve(RestrictedPeriods)).page(clock.now(), limit, cursor)


def delete_period(caller: Caller, period_id: str, *, periods: RestrictedPeriods | None = None) -> None:
    """Admin only: a period entered by mistake, or lifted early, is removed; campaigns waiting on it are
    admitted at their next look (admission reads the periods each time)."""
    require_admin(caller)
    if not (periods or resolve(RestrictedPeriods)).delete(period_id):
        raise NotFound.of("restricted_period", period_id)
