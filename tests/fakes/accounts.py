"""The account repository in memory."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import datetime

from jarchi.accounts.models import Account, AccountChanges, Token, TokenRevocation
from tests.fakes._paging import page


class FakeAccounts:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.accounts: dict[str, Account] = {}
        self.tokens: dict[tuple[str, str], tuple[Token, str]] = {}  # (account_id, token_id) -> token, hash

    def get(self, account_id: str) -> Account | None:
        return self.accounts.get(account_id)

    def create(self, account: Account) -> None:
        with self._lock:
            if account.id in self.accounts:
                raise KeyError(f"account {account.id} exists")
            self.accounts[account.id] = account

    def update(self, account_id: str, changes: AccountChanges) -> Account | None:
        with self._lock:
            account = self.accounts.get(account_id)
            if account is None:
                return None
            self.accounts[account_id] = replace(account, **changes.given())  # type: ignore[arg-type]
            return self.accounts[account_id]

    def _newest_first(self, accounts: list[Account]) -> list[Account]:
        return sorted(accounts, key=lambda a: (a.created_at, a.id), reverse=True)

    def list_children(self, parent_id: str, limit: int, cursor: str | None) -> tuple[list[Account], str | None]:
        children = [a for a in self.accounts.values() if a.parent_id == parent_id]
        return page(self._newest_first(children), limit, cursor)

    def list_all(self, limit: int, cursor: str | None) -> tuple[list[Account], str | None]:
        return page(self._newest_first(list(self.accounts.values())), limit, cursor)

    def put_token(self, token: Token, token_hash: str) -> None:
        with self._lock:
            key = (token.account_id, token.id)
            if key in self.tokens:
                raise KeyError(f"token {token.id} exists")
            self.tokens[key] = (token, token_hash)

    def find_token(self, token_hash: str) -> Token | None:
        for token, stored_hash in self.tokens.values():
            if stored_hash == token_hash:
                return token
        return None

    def find_token_with_account(self, token_hash: str) -> tuple[Token, Account | None] | None:
        token = self.find_token(token_hash)
        return None if token is None else (token, self.accounts.get(token.account_id))

    def touch_token(self, token: Token, at: datetime) -> None:
        with self._lock:
            key = (token.account_id, token.id)
            stored, stored_hash = self.tokens[key]  # a revoked token is not touched (KeyError)
            self.tokens[key] = (replace(stored, last_used_at=at), stored_hash)

    def list_tokens(self, account_id: str) -> list[Token]:
        return sorted((t for (owner, _), (t, _) in self.tokens.items() if owner == account_id), key=lambda t: t.id)

    def delete_token(self, account_id: str, token_id: str, *, keep_one: bool = False) -> TokenRevocation:
        with self._lock:
            if (account_id, token_id) not in self.tokens:
                return TokenRevocation.NOT_FOUND
            if keep_one and [owner for owner, _ in self.tokens].count(account_id) == 1:
                return TokenRevocation.LAST_TOKEN
            del self.tokens[(account_id, token_id)]
            return TokenRevocation.REVOKED
