from __future__ import annotations

from typing import Annotated

from pydantic import Field, StrictInt

from functions.api.schemas.common import Request, Shape, Timestamp
from jarchi.billing.ledger import Balance, EntryType, LedgerEntry


class CreditAdd(Request):
    amount: StrictInt
    reference: Annotated[str, Field(max_length=200)] | None = None


class EntryOut(Shape):
    id: str
    type: EntryType
    amount: int
    balance_delta: int
    reserved_delta: int
    campaign_id: str | None
    reference: str | None
    created_at: Timestamp

    @classmethod
    def of(cls, entry: LedgerEntry) -> EntryOut:
        effect = entry.effect
        return cls(
            id=entry.id,
            type=entry.type,
            amount=entry.amount,
            balance_delta=effect.balance,
            reserved_delta=effect.reserved,
            campaign_id=entry.campaign_id,
            reference=entry.reference,
            created_at=entry.created_at,
        )


class CreditOut(Shape):
    balance: int
    reserved: int
    available: int

    @classmethod
    def of(cls, balance: Balance) -> CreditOut:
        return cls(balance=balance.balance, reserved=balance.reserved, available=balance.available)


class CreditAdded(Shape):
    entry: EntryOut
    balance: int
    reserved: int
    available: int


class EntryPage(Shape):
    items: list[EntryOut]
    next_cursor: str | None
