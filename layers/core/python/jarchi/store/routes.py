"""The `route_capacity` table (R-DSP-3): one item per shard of a route, `holds` = {campaign: {"n", "until"}}.
Every change reads the shard, drops expired holds and writes it back under its version (optimistic
concurrency: two admitters racing for one shard cannot both fill it), so no transaction and no hot item."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from pynamodb.attributes import MapAttribute, UnicodeAttribute, VersionAttribute
from pynamodb.exceptions import PutError
from pynamodb.models import Model

from jarchi.campaigns.routes import (
    HOLD_SECONDS,
    ROUTE_SHARDS,
    Hold,
    first_shard,
    live_holds,
    shard_capacity,
    slot_name,
    used,
)
from jarchi.clock import iso
from jarchi.store.base import table_meta
from jarchi.store.tables import ROUTE_CAPACITY

_CONDITION_FAILED = "ConditionalCheckFailedException"
_TRIES = 8


class RouteShardItem(Model):
    Meta = table_meta(ROUTE_CAPACITY)
    slot = UnicodeAttribute(hash_key=True)
    holds: MapAttribute[str, Any] = MapAttribute(default=dict)  # type: ignore[no-untyped-call]
    version = VersionAttribute()


def shard_holds(item: RouteShardItem) -> dict[str, Hold]:
    raw: dict[str, Any] = (
        item.holds.as_dict() if isinstance(item.holds, MapAttribute) else dict(item.holds or {})  # type: ignore[no-untyped-call]
    )
    return {holder: Hold(int(value["n"]), datetime.fromisoformat(str(value["until"]))) for holder, value in raw.items()}


def _read(slot: str) -> RouteShardItem:
    try:
        return RouteShardItem.get(slot, consistent_read=True)
    except RouteShardItem.DoesNotExist:
        return RouteShardItem(slot)


def _change(slot: str, now: datetime, change: Callable[[dict[str, Hold]], dict[str, Hold] | None]) -> bool:
    """Read the shard, let `change` compute its holds (None: nothing to write), write them under the version
    read; read again when another writer came first. False: gave up after `_TRIES` lost races."""
    for _ in range(_TRIES):
        item = _read(slot)
        holds = change(live_holds(shard_holds(item), now))
        if holds is None:
            return True
        item.holds = {h: {"n": hold.count, "until": iso(hold.until)} for h, hold in holds.items()}
        try:
            item.save()
        except PutError as error:
            if getattr(error, "cause_response_code", None) == _CONDITION_FAILED:
                continue
            raise
        return True
    return False


def _claim(slot: str, holder: str, wanted: int, capacity: int, until: datetime, now: datetime) -> int:
    """Take up to `wanted` of the shard's free slots for `holder`: how many it got."""
    taken = 0

    def claim(holds: dict[str, Hold]) -> dict[str, Hold] | None:
        nonlocal taken
        taken = max(0, min(capacity - used(holds, now), wanted))
        if taken == 0:
            return None
        mine = holds.get(holder)
        holds[holder] = Hold((mine.count if mine else 0) + taken, until)
        return holds

    return taken if _change(slot, now, claim) else 0


class DynamoRouteCapacity:
    def take(self, route: str, holder: str, wanted: int, limit: int, now: datetime) -> list[int]:
        granted: list[int] = []
        start = first_shard(route, holder)
        until = now + timedelta(seconds=HOLD_SECONDS)
        for offset in range(ROUTE_SHARDS):
            if len(granted) >= wanted:
                break
            shard = (start + offset) % ROUTE_SHARDS
            taken = _claim(
                slot_name(route, shard), holder, wanted - len(granted), shard_capacity(limit, shard), until, now
            )
            granted += [shard] * taken
        return granted

    def give_back(self, route: str, shard: int, holder: str, count: int, now: datetime) -> None:
        def release(holds: dict[str, Hold]) -> dict[str, Hold] | None:
            mine = holds.get(holder)
            if mine is None:
                return None  # expired meanwhile: nothing held any more
            left = mine.count - count
            if left > 0:
                holds[holder] = Hold(left, mine.until)
            else:
                del holds[holder]
            return holds

        _change(slot_name(route, shard), now, release)

    def in_use(self, route: str, now: datetime) -> int:
        return sum(used(shard_holds(_read(slot_name(route, shard))), now) for shard in range(ROUTE_SHARDS))
