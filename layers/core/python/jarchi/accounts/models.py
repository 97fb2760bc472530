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


class TokenRevocation(StrEnum):
    """What a revocation did (`AccountRepository.delete_token`)."""

    REVOKED = "revoked"
    NOT_FOUND = "not_found"
    LAST_TOKEN = "last_token"  # refused: it was the account's only token and the caller asked to keep one


class AccountStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"  # by admin: its tokens answer 403 `account_suspended`, its sending campaigns pause


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
    status: AccountStatus = AccountStatus.ACTIVE
    # R-ACC-3: the price per unit its parent reseller (or admin) set; None: its type's default tariff.
    voice_pulse_price: int | None = None
    sms_segment_price: int | None = None
    # Regions (ISO 3166 alpha-2) this account may send to; empty means its `default_region` alone.
    allowed_countries: tuple[str, ...] = ()
    # Where a campaign with `callback_bridge` connects the subscribers who call back (R-OUT-4), E.164; "": none.
    callback_number: str = ""

    @property
    def is_admin(self) -> bool:
        return self.type is AccountType.ADMIN

    @property
    def reachable_countries(self) -> frozenset[str]:
        """Where this account may send (its `allowed_countries`, by default its own region)."""
        return frozenset(self.allowed_countries or (self.default_region,))


@dataclass(frozen=True)
class AccountChanges:
    """What `PATCH /v1/accounts/{id}` (and `PUT .../tariff`) change; None leaves a field as it is."""

    name: str | None = None
    timezone: str | None = None
    default_region: str | None = None
    allow_24h: bool | None = None
    recipient_limit: int | None = None
    flagged: bool | None = None
    status: AccountStatus | None = None
    allowed_countries: tuple[str, ...] | None = None
    voice_pulse_price: int | None = None
    sms_segment_price: int | None = None
    callback_number: str | None = None  # "" removes it

    def given(self) -> dict[str, object]:
        """The fields this change sets."""
        return {name: value for name, value in vars(self).items() if value is not None}


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
