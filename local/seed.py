"""The local platform's first account: `admin`, with a token shown once on the first start (and on
`make admin-token`, which issues another)."""

from __future__ import annotations

from jarchi import wiring
from jarchi.accounts.models import Account, AccountType
from jarchi.accounts.service import IssuedToken, NewAccount, issue_token, seed_account


def seed_admin() -> IssuedToken:
    return issue_token(seed_account(NewAccount(name="admin", type=AccountType.ADMIN)), name="seed")


def find_admin() -> Account | None:
    """The seeded top-level admin account, if the platform has one."""
    accounts = wiring.accounts()
    cursor: str | None = None
    while True:
        page, cursor = accounts.list_all(100, cursor)
        for account in page:
            if account.type is AccountType.ADMIN and account.parent_id is None:
                return account
        if cursor is None:
            return None


def new_admin_token() -> IssuedToken:
    """Another token for the admin account (seeding it first on an empty platform)."""
    admin = find_admin()
    return seed_admin() if admin is None else issue_token(admin, name="admin-token")
