"""The foreign number ranges the platform has sent to (`jarchi.compliance.ports.DestinationHistory`), kept
in the `suppression` table under the list id `seen_range`: one small item per range (a few thousand at
most), read with BatchGetItem like the lists beside it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from jarchi.store.suppression import SuppressionItem

SEEN_RANGE = "seen_range"


class DynamoDestinations:
    def known(self, prefixes: Iterable[str]) -> set[str]:
        keys = [(SEEN_RANGE, prefix) for prefix in set(prefixes)]
        return {item.number for item in SuppressionItem.batch_get(keys)} if keys else set()

    def remember(self, prefixes: Iterable[str], at: datetime) -> None:
        with SuppressionItem.batch_write() as batch:
            for prefix in set(prefixes):
                batch.save(SuppressionItem(SEEN_RANGE, prefix, added_at=at.isoformat()))
