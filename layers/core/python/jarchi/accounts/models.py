"""Accounts (tenants), their API tokens, and the caller of a request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class AccountType(StrEnum):
    CUSTOMER = "customer"
    RESELLER_1 = "reseller_1"
    RESELLER_2 = "reseller_2"
    DEMO = "demo"
    ADMIN = "admin"

    @property
    def is_reseller(self) -> bool:
        return self in (AccountType.RESELLER_1, AccountType.RESELLER_2)


@dataclass(frozen=True)
class Account:
    id: str
    name: str
    type: AccountType
    parent_id: str | None
    # Every account above this one (its reseller, that reseller's reseller…): who may see it (R-ACC-2).
    ancestors: tuple[str, ...]
    timezone: str
    default_region: str
    created_at: datetime
    allow_24h: bool = False  # R-ACC-5: granted by admin, only for otp and service messages
    recipient_limit: int = 60_000  # R-LST-4
    flagged: bool = False  # R-CPL-4: set by admin; its campaigns go through moderation

    @property
    def is_admin(self) -> bool:
        return self.type is AccountType.ADMIN


@dataclass(frozen=True)
class Token:
    id: str
    account_id: str
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None


@dataclass(frozen=True)
class Caller:
    """Who is making this request: the token's account."""

    account: Account
    token_id: str

    @property
    def account_id(self) -> str:
        return self.account.id
