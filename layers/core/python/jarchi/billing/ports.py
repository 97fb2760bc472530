"""What billing needs from outside (R-BIL-1..3): the ledger. Its DynamoDB adapter is `DynamoLedger` (the store
package; the campaign repository also stages postings inside its own transactions); the in-memory fake is in
`tests/fakes`."""

from __future__ import annotations

from typing import Protocol

from jarchi.billing.ledger import ALL_ENTRIES, Balance, EntryFilter, LedgerEntry, Posting


class Ledger(Protocol):
    def post(self, posting: Posting) -> None:
        """Write the posting's entries and move each touched account's totals, all or nothing.

        Refused, nothing written: `InsufficientCredit` when an account's available credit would go below
        zero, `ReservationExceeded` when its reserved credit would, `AlreadyPosted` when the posting's
        `once_key` (or an entry id) was posted before."""
        ...

    def balance(self, account_id: str) -> Balance:
        """Consistently read; zeros for an account that never had an entry."""
        ...

    def entries(
        self,
        account_id: str,
        campaign_id: str | None,
        limit: int,
        cursor: str | None,
        filters: EntryFilter = ALL_ENTRIES,
    ) -> tuple[list[LedgerEntry], str | None]:
        """The account's entries (only the campaign's, when given) that `filters` match, newest first, a page
        at a time."""
        ...

    def all_entries(self, account_id: str) -> list[LedgerEntry]:
        """Every entry of the account (the ledger equality's check)."""
        ...
