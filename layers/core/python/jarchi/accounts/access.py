"""Who may see and manage which account (R-ACC-2, R-ACC-3)."""

from __future__ import annotations

from jarchi.accounts.models import Account, AccountType, Caller
from jarchi.errors import Forbidden, NotFound


def can_see(caller: Caller, account: Account) -> bool:
    """Admin sees all; an account sees itself; a reseller sees the accounts below it."""
    return caller.account.is_admin or account.id == caller.account_id or caller.account_id in account.ancestors


def require_visible(caller: Caller, account: Account | None, account_id: str) -> Account:
    """Another tenant's account answers exactly like a missing one (404, never 403)."""
    if account is None or not can_see(caller, account):
        raise NotFound.of("account", account_id)
    return account


def creatable_types(caller: Caller) -> frozenset[AccountType]:
    if caller.account.is_admin:
        return frozenset(AccountType)
    if caller.account.type is AccountType.RESELLER_1:
        # A level-2 reseller is itself the customer of a level-1 (R-ACC-3).
        return frozenset({AccountType.CUSTOMER, AccountType.DEMO, AccountType.RESELLER_2})
    if caller.account.type is AccountType.RESELLER_2:
        return frozenset({AccountType.CUSTOMER, AccountType.DEMO})
    return frozenset()


def require_can_create(caller: Caller, account_type: AccountType) -> None:
    allowed = creatable_types(caller)
    if not allowed:
        raise Forbidden("account_creation_not_allowed", "only admin and resellers create accounts")
    if account_type not in allowed:
        raise Forbidden(
            "account_type_not_allowed",
            f"a {caller.account.type} account may create only: {', '.join(sorted(allowed))}",
        )


def require_admin(caller: Caller) -> None:
    if not caller.account.is_admin:
        raise Forbidden("admin_only", "only the platform admin may do this")
