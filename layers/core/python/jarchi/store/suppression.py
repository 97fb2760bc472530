"""The `suppression` table: the platform's ad opt-out list, the imported telecom blacklist and each
account's stop list (R-CPL-3). Key: (list_id, number)."""

from __future__ import annotations

from collections.abc import Iterable

from pynamodb.attributes import UnicodeAttribute
from pynamodb.models import Model

from jarchi.compliance.adcap import SuppressionList
from jarchi.store.base import table_meta
from jarchi.store.tables import SUPPRESSION


class SuppressionItem(Model):
    Meta = table_meta(SUPPRESSION)
    list_id = UnicodeAttribute(hash_key=True)
    number = UnicodeAttribute(range_key=True)
    added_at = UnicodeAttribute()
    source = UnicodeAttribute(null=True)  # e.g. the campaign whose call was answered with 11


def list_id(kind: SuppressionList, account_id: str) -> str:
    return f"{kind.value}#{account_id}" if kind is SuppressionList.ACCOUNT_STOP_LIST else kind.value


class DynamoSuppression:
    """The suppression-lists port on the `suppression` table."""

    def add(
        self, kind: SuppressionList, number: str, *, account_id: str = "", added_at: str, source: str | None = None
    ) -> None:
        SuppressionItem(list_id(kind, account_id), number, added_at=added_at, source=source).save()

    def memberships(self, numbers: Iterable[str], account_id: str) -> dict[str, set[SuppressionList]]:
        """One BatchGetItem round per 100 keys, reads only."""
        wanted = {list_id(kind, account_id): kind for kind in SuppressionList}
        keys = [(lid, number) for number in set(numbers) for lid in wanted]
        found: dict[str, set[SuppressionList]] = {}
        for item in SuppressionItem.batch_get(keys):
            found.setdefault(item.number, set()).add(wanted[item.list_id])
        return found
