"""Account and token operations (R-ACC-1..3)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers

from jarchi import clock
from jarchi.accounts import access
from jarchi.accounts.models import Account, AccountType, Caller, Token
from jarchi.accounts.ports import AccountRepository
from jarchi.accounts.tokens import bearer_token, new_secret, token_hash, token_prefix
from jarchi.errors import NotFound, Unauthorized, Unprocessable
from jarchi.ids import new_id
from jarchi.ports import resolve
from jarchi.settings import get_settings

DEFAULT_TIMEZONE = "Asia/Tehran"
DEFAULT_REGION = "IR"
# last_used_at is a convenience, not an audit log: refresh it at most this often per token.
TOUCH_INTERVAL = timedelta(seconds=60)


@dataclass(frozen=True)
class NewAccount:
    name: str
    type: AccountType
    timezone: str = DEFAULT_TIMEZONE
    default_region: str = DEFAULT_REGION


@dataclass(frozen=True)
class IssuedToken:
    token: Token
    secret: str


def _validate(request: NewAccount) -> None:
    if not request.name.strip():
        raise Unprocessable("invalid_name", "an account needs a name")
    try:
        ZoneInfo(request.timezone)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise Unprocessable("invalid_timezone", f"unknown time zone {request.timezone!r}") from error
    if request.default_region not in phonenumbers.SUPPORTED_REGIONS:
        raise Unprocessable("invalid_region", f"unknown phone region {request.default_region!r}")


def _new_account(request: NewAccount, parent: Account | None) -> Account:
    return Account(
        id=new_id("acc"),
        name=request.name.strip(),
        type=request.type,
        parent_id=parent.id if parent else None,
        ancestors=(*parent.ancestors, parent.id) if parent else (),
        timezone=request.timezone,
        default_region=request.default_region,
        created_at=clock.now(),
        recipient_limit=get_settings().default_recipient_limit,
    )


def _repository(accounts: AccountRepository | None) -> AccountRepository:
    return accounts or resolve(AccountRepository)


def create_account(caller: Caller, request: NewAccount, *, accounts: AccountRepository | None = None) -> Account:
    access.require_can_create(caller, request.type)
    _validate(request)
    # A reseller's new account is its own customer; admin's accounts stand at the top.
    parent = caller.account if caller.account.type.is_reseller else None
    account = _new_account(request, parent)
    _repository(accounts).create(account)
    return account


def seed_account(request: NewAccount, *, accounts: AccountRepository | None = None) -> Account:
    """Create a top-level account without a caller (the local seed of `admin`)."""
    _validate(request)
    account = _new_account(request, None)
    _repository(accounts).create(account)
    return account


def visible_account(caller: Caller, account_id: str, *, accounts: AccountRepository | None = None) -> Account:
    """The account, if the caller may see it (R-ACC-2); else `account_not_found`, as if it did not exist."""
    return access.require_visible(caller, _repository(accounts).get(account_id), account_id)


class Owned(Protocol):
    @property
    def account_id(self) -> str: ...


OwnedT = TypeVar("OwnedT", bound=Owned)


@dataclass(frozen=True, slots=True)
class AccountScope:
    """An account's resources as a whole (a listing of its audio, senders…): owned by the account itself, so
    `require_owned(caller, AccountScope(account_id), "account", account_id)` lets the caller list them."""

    account_id: str


def require_owned(
    caller: Caller, resource: OwnedT | None, kind: str, resource_id: str, *, accounts: AccountRepository | None = None
) -> OwnedT:
    """The one tenant check (R-ACC-2): the resource, if the caller may see the account that owns it (admin,
    the owner itself, a reseller above it); else `<kind>_not_found`, exactly as if it did not exist."""
    if resource is None:
        raise NotFound.of(kind, resource_id)
    if caller.account.is_admin or resource.account_id == caller.account_id:
        return resource
    owner = _repository(accounts).get(resource.account_id)
    if owner is None or not access.can_see(caller, owner):
        raise NotFound.of(kind, resource_id)
    return resource


def list_accounts(
    caller: Caller, limit: int, cursor: str | None, *, accounts: AccountRepository | None = None
) -> tuple[list[Account], str | None]:
    """Admin: every account; a reseller: its customers; others: nothing below them."""
    repository = _repository(accounts)
    if caller.account.is_admin:
        return repository.list_all(limit, cursor)
    return repository.list_children(caller.account_id, limit, cursor)


def authenticate(authorization: str | None, *, accounts: AccountRepository | None = None) -> Caller:
    secret = bearer_token(authorization)
    if secret is None:
        raise Unauthorized()
    repository = _repository(accounts)
    token = repository.find_token(token_hash(secret))
    if token is None:
        raise Unauthorized("this token is not valid or was revoked")
    account = repository.get(token.account_id)
    if account is None:
        raise Unauthorized("this token's account no longer exists")
    now = clock.now()
    if token.last_used_at is None or now - token.last_used_at >= TOUCH_INTERVAL:
        repository.touch_token(token, now)
    return Caller(account=account, token_id=token.id)


def issue_token(account: Account, name: str, *, accounts: AccountRepository | None = None) -> IssuedToken:
    secret = new_secret()
    token = Token(
        id=new_id("tok"),
        account_id=account.id,
        name=name,
        prefix=token_prefix(secret),
        created_at=clock.now(),
        last_used_at=None,
    )
    _repository(accounts).put_token(token, token_hash(secret))
    return IssuedToken(token=token, secret=secret)


def create_token(
    caller: Caller, account_id: str, name: str, *, accounts: AccountRepository | None = None
) -> IssuedToken:
    return issue_token(visible_account(caller, account_id, accounts=accounts), name, accounts=accounts)


def list_tokens(caller: Caller, account_id: str, *, accounts: AccountRepository | None = None) -> list[Token]:
    return _repository(accounts).list_tokens(visible_account(caller, account_id, accounts=accounts).id)


def revoke_token(caller: Caller, account_id: str, token_id: str, *, accounts: AccountRepository | None = None) -> None:
    account = visible_account(caller, account_id, accounts=accounts)
    if not _repository(accounts).delete_token(account.id, token_id):
        raise NotFound.of("token", token_id)
