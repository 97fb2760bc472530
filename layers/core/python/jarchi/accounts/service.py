"""Account and token operations (R-ACC-1..3)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from types import ModuleType
from typing import Protocol, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jarchi import clock
from jarchi.accounts import access, policy
from jarchi.accounts.models import (
    Account,
    AccountChanges,
    AccountStatus,
    AccountType,
    Caller,
    Token,
    TokenRevocation,
)
from jarchi.accounts.ports import AccountRepository
from jarchi.accounts.tokens import bearer_token, new_secret, token_hash, token_prefix
from jarchi.errors import Conflict, Forbidden, NotFound, Unauthorized, Unprocessable
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
    _check_profile(request.name, request.timezone, request.default_region)


def _check_profile(name: str | None, timezone: str | None, default_region: str | None) -> None:
    if name is not None and not name.strip():
        raise Unprocessable("invalid_name", "an account needs a name")
    if timezone is not None:
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise Unprocessable("invalid_timezone", f"unknown time zone {timezone!r}") from error
    if default_region is not None and default_region not in _phonenumbers().SUPPORTED_REGIONS:
        raise Unprocessable("invalid_region", f"unknown phone region {default_region!r}")


def _phonenumbers() -> ModuleType:
    """phonenumbers (its metadata: ~40 ms), for the profile checks that use it: not on the path of a request's token
    check, nor of the functions that read accounts (issue 10, cold start)."""
    import phonenumbers

    return phonenumbers


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
        allowed_countries=(request.default_region,),
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


def listed_account_id(caller: Caller, account_id: str | None, *, accounts: AccountRepository | None = None) -> str:
    """Whose resources a listing shows: the caller's own by default (no read: its account was read when the
    request was authenticated), else an account it may see (`visible_account`)."""
    if account_id is None or account_id == caller.account_id:
        return caller.account_id
    return visible_account(caller, account_id, accounts=accounts).id


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


# Set only by the platform admin (SPEC §14); the owner, and a reseller above it, set the rest.
ADMIN_FIELDS = frozenset({"allow_24h", "recipient_limit", "flagged", "status", "allowed_countries"})
MAX_RECIPIENT_LIMIT = 1_000_000


def _is_e164(number: str) -> bool:
    """A valid number written as E.164 (+, country code, number; nothing else)."""
    phonenumbers = _phonenumbers()
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return False
    valid: bool = phonenumbers.is_valid_number(parsed) and (
        phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) == number
    )
    return valid


def update_account(
    caller: Caller, account_id: str, changes: AccountChanges, *, accounts: AccountRepository | None = None
) -> Account:
    """`PATCH /v1/accounts/{id}`: the account itself, a reseller above it or admin changes its name, time zone
    and default region; only admin its 24 h permission, recipient limit, `flagged`, `allowed_countries` (phone
    regions, e.g. `["IR", "AE"]`) and `status` (403
    `admin_only` naming the fields). The admin's own account cannot be suspended (422
    `account_not_suspendable`). What suspending means for the account's campaigns is
    `jarchi.campaigns.suspension`'s."""
    target = visible_account(caller, account_id, accounts=accounts)
    admin_fields = sorted(ADMIN_FIELDS & changes.given().keys())
    if admin_fields and not caller.account.is_admin:
        raise Forbidden("admin_only", f"only the platform admin sets {', '.join(admin_fields)}", fields=admin_fields)
    _check_profile(changes.name, changes.timezone, changes.default_region)
    if changes.recipient_limit is not None and not 1 <= changes.recipient_limit <= MAX_RECIPIENT_LIMIT:
        raise Unprocessable("invalid_recipient_limit", f"recipient_limit is 1..{MAX_RECIPIENT_LIMIT}")
    if changes.status is AccountStatus.SUSPENDED and target.is_admin:
        raise Unprocessable("account_not_suspendable", "the platform admin's account cannot be suspended")
    if changes.allowed_countries is not None:
        for region in changes.allowed_countries:
            _check_profile(None, None, region)
        changes = replace(changes, allowed_countries=tuple(sorted(set(changes.allowed_countries))))
    if changes.name is not None:
        changes = replace(changes, name=changes.name.strip())
    if changes.callback_number and not _is_e164(changes.callback_number):
        raise Unprocessable(
            "invalid_callback_number", 'callback_number is an E.164 number (+ and the country code), or ""'
        )
    updated = _repository(accounts).update(target.id, changes)
    if updated is None:
        raise NotFound.of("account", account_id)
    return updated


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
    found = repository.find_token_with_account(token_hash(secret))
    if found is None:
        raise Unauthorized("this token is not valid or was revoked")
    token, account = found
    if account is None:
        raise Unauthorized("this token's account no longer exists")
    now = clock.now()
    policy.require_usable(account, now)
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
    """The platform admin keeps at least one token (409 `last_admin_token`): revoking its last would lock
    everyone out. The store refuses it atomically, so two concurrent revocations cannot both pass."""
    account = visible_account(caller, account_id, accounts=accounts)
    outcome = _repository(accounts).delete_token(account.id, token_id, keep_one=account.is_admin)
    if outcome is TokenRevocation.NOT_FOUND:
        raise NotFound.of("token", token_id)
    if outcome is TokenRevocation.LAST_TOKEN:
        raise Conflict("last_admin_token", "this is the admin's last token: create another one before revoking it")
