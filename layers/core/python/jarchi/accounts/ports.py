"""What accounts need from outside (R-ACC-1..3): the account and token repository. Its DynamoDB adapter is
`DynamoAccounts` (the store package, on the `accounts` table); the in-memory fake is in `tests/fakes`."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from jarchi.accounts.models import Account, AccountChanges, Token, TokenRevocation


class AccountRepository(Protocol):
    def get(self, account_id: str) -> Account | None:
        """Consistently read."""
        ...

    def create(self, account: Account) -> None:
        """A new account; raises if the id is taken (nothing is overwritten)."""
        ...

    def update(self, account_id: str, changes: AccountChanges) -> Account | None:
        """Set the fields `changes` gives, in one write; the account as it is now (None: no such account)."""
        ...

    def list_children(self, parent_id: str, limit: int, cursor: str | None) -> tuple[list[Account], str | None]:
        """The accounts directly below `parent_id`, newest first."""
        ...

    def list_all(self, limit: int, cursor: str | None) -> tuple[list[Account], str | None]:
        """Every account (admin listing, not a hot path)."""
        ...

    def put_token(self, token: Token, token_hash: str) -> None:
        """A new token stored by its hash only; raises if the id is taken."""
        ...

    def find_token(self, token_hash: str) -> Token | None:
        """The token with this hash, unless revoked (a revocation is seen at once)."""
        ...

    def find_token_with_account(self, token_hash: str) -> tuple[Token, Account | None] | None:
        """The token with this hash, unless revoked, and its account (None: the account is gone), both read
        consistently in one request to the store: what authenticates every API request."""
        ...

    def touch_token(self, token: Token, at: datetime) -> None:
        """Record the token's last use."""
        ...

    def list_tokens(self, account_id: str) -> list[Token]: ...

    def delete_token(self, account_id: str, token_id: str, *, keep_one: bool = False) -> TokenRevocation:
        """Revoke. With `keep_one`, refused (LAST_TOKEN) when it is the account's only token, atomically:
        of two concurrent revocations of an account's last two tokens, one is refused."""
        ...
