"""The ledger in memory, with the DynamoDB ledger's conditions: all or nothing, available and reserved never
below zero, a `once_key` (or an entry id) posted once."""

from __future__ import annotations

import threading
from collections import defaultdict

from jarchi.billing.ledger import (
    ALL_ENTRIES,
    AlreadyPosted,
    Balance,
    EntryFilter,
    LedgerEntry,
    Posting,
    ReservationExceeded,
)
from jarchi.errors import InsufficientCredit
from tests.fakes._paging import page


class FakeLedger:
    def __init__(self) -> None:
        # Reentrant: the campaign fake checks and books a posting inside its own atomic step.
        self.lock = threading.RLock()
        self._entries: dict[str, list[LedgerEntry]] = defaultdict(list)
        self._entry_ids: set[tuple[str, str]] = set()
        self._once: set[tuple[str, str]] = set()
        self._totals: dict[str, Balance] = {}
        self.posts = 0  # postings written (not refused)

    def check(self, posting: Posting) -> None:
        """Raise what `post` would refuse with; write nothing."""
        once = (posting.entries[0].account_id, posting.once_key) if posting.once_key is not None else None
        if (once is not None and once in self._once) or any(
            (e.account_id, e.id) in self._entry_ids for e in posting.entries
        ):
            raise AlreadyPosted()
        for account_id, effect in posting.effects.items():
            current = self.balance(account_id)
            short_available = effect.available < 0 and current.available < -effect.available
            short_reserved = effect.reserved < 0 and current.reserved < -effect.reserved
            if short_available:
                raise InsufficientCredit(required=-effect.available, available=current.available)
            if short_reserved:
                raise ReservationExceeded(account_id, current.reserved)

    def book(self, posting: Posting) -> None:
        """Write a posting `check` accepted (call both under `lock`)."""
        if posting.once_key is not None:
            self._once.add((posting.entries[0].account_id, posting.once_key))
        for entry in posting.entries:
            self._entries[entry.account_id].append(entry)
            self._entry_ids.add((entry.account_id, entry.id))
        for account_id, effect in posting.effects.items():
            current = self.balance(account_id)
            self._totals[account_id] = Balance(current.balance + effect.balance, current.reserved + effect.reserved)
        self.posts += 1

    def post(self, posting: Posting) -> None:
        with self.lock:
            self.check(posting)
            self.book(posting)

    def balance(self, account_id: str) -> Balance:
        return self._totals.get(account_id, Balance())

    def entries(
        self,
        account_id: str,
        campaign_id: str | None,
        limit: int,
        cursor: str | None,
        filters: EntryFilter = ALL_ENTRIES,
    ) -> tuple[list[LedgerEntry], str | None]:
        rows = [
            e
            for e in self._entries[account_id]
            if (campaign_id is None or e.campaign_id == campaign_id) and filters.matches(e)
        ]
        return page(sorted(rows, key=lambda e: e.id, reverse=True), limit, cursor)

    def all_entries(self, account_id: str) -> list[LedgerEntry]:
        return sorted(self._entries[account_id], key=lambda e: e.id)
