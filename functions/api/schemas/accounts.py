from __future__ import annotations

from typing import Annotated

from pydantic import Field

from functions.api.schemas.common import Request, Shape, Timestamp
from functions.api.schemas.fields import Name, ShortName
from jarchi.accounts.models import Account, AccountChanges, AccountStatus, AccountType, Token
from jarchi.accounts.policy import demo_expires_at
from jarchi.accounts.service import DEFAULT_REGION, DEFAULT_TIMEZONE, MAX_RECIPIENT_LIMIT, IssuedToken
from jarchi.billing.margins import AccountTariff
from jarchi.billing.tariffs import Tariff

Timezone = Annotated[str, Field(max_length=64)]
Region = Annotated[str, Field(min_length=2, max_length=3)]


class AccountCreate(Request):
    name: Name
    type: AccountType
    timezone: Timezone = DEFAULT_TIMEZONE
    default_region: Region = DEFAULT_REGION


class AccountPatch(Request):
    """The owner's settings; admin's also (24 h permission, recipient limit, flagged, status)."""

    name: Name | None = None
    timezone: Timezone | None = None
    default_region: Region | None = None
    allow_24h: bool | None = None
    recipient_limit: Annotated[int, Field(ge=1, le=MAX_RECIPIENT_LIMIT)] | None = None
    flagged: bool | None = None
    allowed_countries: Annotated[list[Region], Field(min_length=1, max_length=300)] | None = None
    status: AccountStatus | None = None
    # Where callbacks of campaigns with `callback_bridge` are connected (R-OUT-4), E.164; "" removes it.
    callback_number: Annotated[str, Field(max_length=32, examples=["+982188001234"])] | None = None

    def changes(self) -> AccountChanges:
        given = self.model_dump(exclude_none=True)
        if self.allowed_countries is not None:
            given["allowed_countries"] = tuple(region.upper() for region in self.allowed_countries)
        return AccountChanges(**given)


class AccountOut(Shape):
    id: str
    name: str
    type: AccountType
    parent_id: str | None
    timezone: str
    default_region: str
    created_at: Timestamp
    allow_24h: bool
    recipient_limit: int
    flagged: bool
    status: AccountStatus
    demo_expires_at: Timestamp | None = None
    allowed_countries: list[str]
    callback_number: str | None  # callbacks of campaigns with `callback_bridge` are connected to it (R-OUT-4)

    @classmethod
    def of(cls, account: Account) -> AccountOut:
        return cls(
            id=account.id,
            name=account.name,
            type=account.type,
            parent_id=account.parent_id,
            timezone=account.timezone,
            default_region=account.default_region,
            created_at=account.created_at,
            allow_24h=account.allow_24h,
            recipient_limit=account.recipient_limit,
            flagged=account.flagged,
            status=account.status,
            demo_expires_at=demo_expires_at(account),
            allowed_countries=sorted(account.reachable_countries),
            callback_number=account.callback_number or None,
        )


class AccountPage(Shape):
    items: list[AccountOut]
    next_cursor: str | None


class TokenCreate(Request):
    name: ShortName = "default"


class TokenCreated(Shape):
    """The only response that ever contains the token itself."""

    id: str
    token: str
    prefix: str
    name: str
    created_at: Timestamp

    @classmethod
    def of(cls, issued: IssuedToken) -> TokenCreated:
        token = issued.token
        return cls(
            id=token.id,
            token=issued.secret,
            prefix=token.prefix,
            name=token.name,
            created_at=token.created_at,
        )


class TokenOut(Shape):
    id: str
    prefix: str
    name: str
    created_at: Timestamp
    last_used_at: Timestamp | None

    @classmethod
    def of(cls, token: Token) -> TokenOut:
        return cls(
            id=token.id,
            prefix=token.prefix,
            name=token.name,
            created_at=token.created_at,
            last_used_at=token.last_used_at,
        )


class TokenList(Shape):
    items: list[TokenOut]
    next_cursor: str | None = None


Price = Annotated[int, Field(ge=0, le=10**9)]


class TariffIn(Request):
    """Rials per voice pulse and per SMS segment (R-ACC-3)."""

    voice_pulse: Price
    sms_segment: Price

    def tariff(self) -> Tariff:
        return Tariff(voice_per_pulse=self.voice_pulse, sms_per_segment=self.sms_segment)


class TariffOut(Shape):
    account_id: str
    voice_pulse: int
    sms_segment: int
    currency: str
    custom: bool  # set by its reseller or admin; false: its account type's default

    @classmethod
    def of(cls, priced: AccountTariff) -> TariffOut:
        tariff = priced.tariff
        return cls(
            account_id=priced.account_id,
            voice_pulse=tariff.voice_per_pulse,
            sms_segment=tariff.sms_per_segment,
            currency=tariff.currency,
            custom=priced.custom,
        )
