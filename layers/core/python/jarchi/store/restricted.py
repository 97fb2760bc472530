"""The `restricted_periods` table (R-CPL-1): one partition (`pk = PERIOD`), sort key `<end>#<id>`, so the
periods not over yet are one query (`sk >= now`); the table stays small (admin-defined dates)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.attributes import ListAttribute, UnicodeAttribute
from pynamodb.models import Model

from jarchi.channels import Category
from jarchi.clock import iso
from jarchi.compliance.restricted import RestrictedPeriod
from jarchi.store.base import table_meta
from jarchi.store.tables import RESTRICTED_PERIODS

PARTITION = "PERIOD"


class RestrictedPeriodItem(Model):
    Meta = table_meta(RESTRICTED_PERIODS)
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)  # "<end, ISO UTC>#<id>"
    id = UnicodeAttribute()
    country = UnicodeAttribute()
    start = UnicodeAttribute()
    end = UnicodeAttribute()
    categories: ListAttribute[Any] = ListAttribute(default=list)
    reason = UnicodeAttribute()
    created_at = UnicodeAttribute()


def _period(item: RestrictedPeriodItem) -> RestrictedPeriod:
    return RestrictedPeriod(
        id=item.id,
        country=item.country,
        start=datetime.fromisoformat(item.start),
        end=datetime.fromisoformat(item.end),
        categories=tuple(Category(c) for c in item.categories),
        reason=item.reason,
        created_at=datetime.fromisoformat(item.created_at),
    )


class DynamoRestrictedPeriods:
    def add(self, period: RestrictedPeriod) -> None:
        RestrictedPeriodItem(
            PARTITION,
            f"{iso(period.end)}#{period.id}",
            id=period.id,
            country=period.country,
            start=iso(period.start),
            end=iso(period.end),
            categories=[c.value for c in period.categories],
            reason=period.reason,
            created_at=iso(period.created_at),
        ).save(RestrictedPeriodItem.sk.does_not_exist())

    def current(self, at: datetime) -> list[RestrictedPeriod]:
        # "<end>#<id>" with end == at sorts below "<at>#~": a period ending now is over.
        query = RestrictedPeriodItem.query(PARTITION, RestrictedPeriodItem.sk > f"{iso(at)}#~")
        return [_period(item) for item in query]
