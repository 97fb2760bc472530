"""The credit ledger (R-BIL-1): every change of money is an entry, and an account's balance and reserved
amounts are exactly the sums of its entries' effects. Integer minor units only.

Effects of each entry type on (balance, reserved); available = balance - reserved:

| type        | balance | reserved | meaning                                                       |
|-------------|---------|----------|---------------------------------------------------------------|
| top_up      | +a      |          | money paid in (admin, or a reseller's transfer to a customer) |
| adjustment  | ±a      |          | an operator's correction                                      |
| transfer    | ±a      |          | a reseller's side of a top-up of its customer (negative)      |
| margin      | +a      |          | a reseller's earning on its customer's charge (R-BIL-4)       |
| reservation |         | +a       | a campaign's estimate held at create/start (R-BIL-2)          |
| charge      | -a      | -a       | a successful attempt paid out of the reservation (R-BIL-3)    |
| release     |         | -a       | part of a reservation given back before the campaign ends     |
| refund      |         | -a       | the unused reservation given back at reconciliation           |

So for every campaign: reserved = charged + released + refunded once it is reconciled.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Final

from jarchi.errors import Conflict, Unprocessable


class EntryType(StrEnum):
    TOP_UP = "top_up"
    RESERVATION = "reservation"
    CHARGE = "charge"
    REFUND = "refund"
    RELEASE = "release"
    ADJUSTMENT = "adjustment"
    TRANSFER = "transfer"
    MARGIN = "margin"


# (balance factor, reserved factor) applied to the entry's amount.
_EFFECTS: dict[EntryType, tuple[int, int]] = {
    EntryType.TOP_UP: (1, 0),
    EntryType.ADJUSTMENT: (1, 0),
    EntryType.TRANSFER: (1, 0),
    EntryType.MARGIN: (1, 0),
    EntryType.RESERVATION: (0, 1),
    EntryType.CHARGE: (-1, -1),
    EntryType.RELEASE: (0, -1),
    EntryType.REFUND: (0, -1),
}
_SIGNED = {EntryType.ADJUSTMENT, EntryType.TRANSFER}


@dataclass(frozen=True)
class Effect:
    balance: int = 0
    reserved: int = 0

    @property
    def available(self) -> int:
        return self.balance - self.reserved

    def __add__(self, other: Effect) -> Effect:
        return Effect(self.balance + other.balance, self.reserved + other.reserved)


@dataclass(frozen=True)
class LedgerEntry:
    id: str
    account_id: str
    type: EntryType
    amount: int
    created_at: datetime
    campaign_id: str | None = None
    reference: str | None = None
    actor: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.amount, bool) or not isinstance(self.amount, int):
            raise Unprocessable("invalid_amount", "amounts are integers in minor units")
        if self.type in _SIGNED:
            if self.amount == 0:
                raise Unprocessable("invalid_amount", f"a {self.type} amount cannot be zero")
        elif self.amount <= 0:
            raise Unprocessable("invalid_amount", f"a {self.type} amount must be positive")

    @property
    def effect(self) -> Effect:
        balance_factor, reserved_factor = _EFFECTS[self.type]
        return Effect(self.amount * balance_factor, self.amount * reserved_factor)


@dataclass(frozen=True)
class Balance:
    balance: int = 0
    reserved: int = 0

    @property
    def available(self) -> int:
        return self.balance - self.reserved


@dataclass(frozen=True)
class Posting:
    """Entries written together, all or none, with each touched account's totals moved in the same
    transaction. An account's available credit may not go below zero, nor its reserved credit."""

    entries: tuple[LedgerEntry, ...]
    # A reference that makes the posting happen at most once (e.g. a campaign's reconciliation).
    once_key: str | None = None
    effects: dict[str, Effect] = field(init=False)

    def __post_init__(self) -> None:
        if not self.entries:
            raise ValueError("a posting needs at least one entry")
        totals: dict[str, Effect] = defaultdict(Effect)
        for entry in self.entries:
            totals[entry.account_id] = totals[entry.account_id] + entry.effect
        object.__setattr__(self, "effects", dict(totals))


class AlreadyPosted(Conflict):
    """A posting with this `once_key` (or an entry with this id) was already made: nothing was written."""

    def __init__(self) -> None:
        super().__init__("already_posted", "this posting was already made")


class ReservationExceeded(Conflict):
    """A posting would take back more than the account has reserved: nothing was written."""

    def __init__(self, account_id: str, reserved: int) -> None:
        super().__init__(
            "reservation_exceeded",
            f"account {account_id} has {reserved} reserved, less than this posting takes back",
        )


def totals_of(entries: list[LedgerEntry]) -> Balance:
    """What the balance item must hold for these entries (the ledger equality, R-BIL-1/3)."""
    effect = sum((entry.effect for entry in entries), Effect())
    return Balance(effect.balance, effect.reserved)


@dataclass(frozen=True, slots=True)
class EntryFilter:
    """`GET /v1/credit/transactions?type=&created_from=&created_to=` (from inclusive, to exclusive)."""

    type: EntryType | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None

    def matches(self, entry: LedgerEntry) -> bool:
        if self.type is not None and entry.type is not self.type:
            return False
        if self.created_from is not None and entry.created_at < self.created_from:
            return False
        return self.created_to is None or entry.created_at < self.created_to


ALL_ENTRIES: Final = EntryFilter()
