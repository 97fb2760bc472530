"""The local platform's first account: `admin`, with a token shown once on start."""

from __future__ import annotations

from jarchi.accounts.models import AccountType
from jarchi.accounts.service import IssuedToken, NewAccount, issue_token, seed_account


def seed_admin() -> IssuedToken:
    return issue_token(seed_account(NewAccount(name="admin", type=AccountType.ADMIN)), name="seed")
