"""Routes and concurrent calls (R-DSP-3), as pure rules.

- A fixed line is called over the route of its area code (`route_of`: `+98-21` for Tehran); a route carries at
  most `route_max_concurrent_calls` calls at once (seed: 2,000), shared by every campaign of the platform.
  Mobile numbers (and every other type: toll-free, VoIP, `fixed_line_or_mobile`…) are not route-limited.
- No hot item: a route's capacity is split over `ROUTE_SHARDS` items (`shard_capacity`), each holding the calls
  of each campaign on it (`Hold`: how many, until when). Admission takes slots for its batch (a conditional,
  versioned write per shard it takes from, starting at a shard picked by the campaign's id), each admitted call
  carries its slot (`route#shard`), and the results that end those calls give them back. A hold expires
  `HOLD_SECONDS` after the campaign last took on that shard, so a lost result (a message in the DLQ, a crash
  between applying results and giving back) holds capacity for at most that long once the campaign stops
  taking: it never leaks for ever.
- A call only reaches the network after its slot was taken, and gives it back only once its result is applied
  (after it ended): calls on a route at any instant ≤ slots held ≤ the limit.
- When a route is full, admission stops its walk at the first recipient on it (like a closed window, so the
  order of the audience is kept) and looks again `ROUTE_WAIT` later; slots taken for recipients behind that
  point are given back at once.
- The per-account limit (`account_max_concurrent_calls`) counts the calls in flight of the account's sending
  campaigns (their own `in_flight` counters, read once per admission batch): exact when one campaign admits at a
  time, and two of one account admitting in the same instant may pass it by at most one batch each (an account
  limit protects the account's own budget and the operator's fairness, not the network; the route limit is the
  hard one).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

ROUTE_SHARDS: Final = 8
HOLD_SECONDS: Final = 900
ROUTE_WAIT: Final = timedelta(seconds=10)


def route_of(number: str, number_type: str | None) -> str | None:
    """The route of a fixed line: its country code and geographic area code (None: not route-limited)."""
    # Imported here: the number rules (phonenumbers) are for placing calls, not for wiring the capacity port.
    import phonenumbers

    from jarchi.audiences.numbers import NumberType

    if number_type != NumberType.FIXED_LINE.value:
        return None
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return None
    area = phonenumbers.national_significant_number(parsed)[: phonenumbers.length_of_geographical_area_code(parsed)]
    return f"+{parsed.country_code}-{area}" if area else f"+{parsed.country_code}"


def shard_capacity(limit: int, shard: int, shards: int = ROUTE_SHARDS) -> int:
    """The calls shard `shard` of a route may carry: the limit split evenly, the remainder on the first shards."""
    return limit // shards + (1 if shard < limit % shards else 0)


def first_shard(route: str, holder: str, shards: int = ROUTE_SHARDS) -> int:
    """Where a campaign starts taking on a route: spread, so campaigns do not all write the same shard first."""
    digest = hashlib.blake2b(f"{route}|{holder}".encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big") % shards


def slot_name(route: str, shard: int) -> str:
    return f"{route}#{shard}"


def parse_slot(slot: str) -> tuple[str, int]:
    route, _, shard = slot.rpartition("#")
    return route, int(shard)


@dataclass(frozen=True, slots=True)
class Hold:
    """A campaign's calls on one shard of a route, held until `until` unless given back before."""

    count: int
    until: datetime


def live_holds(holds: Mapping[str, Hold], now: datetime) -> dict[str, Hold]:
    return {holder: hold for holder, hold in holds.items() if hold.count > 0 and hold.until > now}


def used(holds: Mapping[str, Hold], now: datetime) -> int:
    return sum(hold.count for hold in live_holds(holds, now).values())
