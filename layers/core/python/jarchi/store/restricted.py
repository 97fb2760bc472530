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
from jarchi.store.base import decode_cursor, encode_cursor, table_meta
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
        return [_period(item) for item in self._query(at)]

    def page(self, at: datetime, limit: int, cursor: str | None) -> tuple[list[RestrictedPeriod], str | None]:
        start = decode_cursor(cursor)
        if start is not None and start.get("pk", {}).get("S") != PARTITION:
            start = None
        result = self._query(at, limit=limit, last_evaluated_key=start)
        items = [_period(item) for item in result]
        return items, encode_cursor(result.last_evaluated_key)

    def delete(self, period_id: str) -> bool:
        # The table is one small partition of admin-defined dates: found by its id among them.
        for item in RestrictedPeriodItem.query(PARTITION, filter_condition=RestrictedPeriodItem.id == period_id):
            item.delete()
            return True
        return False

    @staticmethod
    def _query(at: datetime, **paging: Any) -> Any:
        # "<end>#<id>" with end == at sorts below "<at>#~": a period ending now is over.
        return RestrictedPeriodItem.query(PARTITION, RestrictedPeriodItem.sk > f"{iso(at)}#~", **paging)
