"""The `ledger` table: one BALANCE item per account plus its entries, changed only in transactions; the
ledger port (`jarchi.billing.ports.Ledger`) as `DynamoLedger`.

`stage_posting` and `explain_failure` stay module functions: the campaign repository books its reservation
and its settlement in its own transactions with them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.expressions.condition import Condition
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from jarchi.billing.ledger import (
    ALL_ENTRIES,
    AlreadyPosted,
    Balance,
    EntryFilter,
    EntryType,
    LedgerEntry,
    Posting,
    ReservationExceeded,
)
from jarchi.errors import InsufficientCredit
from jarchi.ids import id_floor
from jarchi.store.base import decode_cursor, encode_cursor, table_meta
from jarchi.store.tables import LEDGER
from jarchi.store.transactions import LabelledTransaction, TransactionFailed

BALANCE = "BALANCE"
ENTRY = "ENTRY#"
ENTRY_ID_PREFIX = "led"  # jarchi.billing.credit makes entry ids with it
ONCE = "ONCE#"


class _ByCampaign(GlobalSecondaryIndex["EntryItem"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "by_campaign"
        projection = AllProjection()

    campaign_id = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


class BalanceItem(Model):
    Meta = table_meta(LEDGER)
    account_id = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    balance = NumberAttribute(default=0)
    reserved = NumberAttribute(default=0)
    # Kept equal to balance - reserved so a condition can guard it (DynamoDB conditions have no arithmetic).
    available = NumberAttribute(default=0)
    updated_at = UnicodeAttribute(null=True)


class EntryItem(Model):
    Meta = table_meta(LEDGER)
    account_id = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    id = UnicodeAttribute()
    type = UnicodeAttribute()
    amount = NumberAttribute()
    balance_delta = NumberAttribute()
    reserved_delta = NumberAttribute()
    campaign_id = UnicodeAttribute(null=True)
    reference = UnicodeAttribute(null=True)
    actor = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    by_campaign = _ByCampaign()


class OnceItem(Model):
    Meta = table_meta(LEDGER)
    account_id = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    created_at = UnicodeAttribute()


def _entry_item(entry: LedgerEntry) -> EntryItem:
    effect = entry.effect
    return EntryItem(
        entry.account_id,
        f"{ENTRY}{entry.id}",
        id=entry.id,
        type=entry.type.value,
        amount=entry.amount,
        balance_delta=effect.balance,
        reserved_delta=effect.reserved,
        campaign_id=entry.campaign_id,
        reference=entry.reference,
        actor=entry.actor,
        created_at=entry.created_at.isoformat(),
    )


def _to_entry(item: EntryItem) -> LedgerEntry:
    return LedgerEntry(
        id=item.id,
        account_id=item.account_id,
        type=EntryType(item.type),
        amount=int(item.amount),
        created_at=datetime.fromisoformat(item.created_at),
        campaign_id=item.campaign_id,
        reference=item.reference,
        actor=item.actor,
    )


def stage_once(tx: LabelledTransaction, account_id: str, once_key: str, stamp: str) -> None:
    """A marker that lets the transaction it is in succeed at most once (its label is "once")."""
    tx.put("once", OnceItem(account_id, f"{ONCE}{once_key}", created_at=stamp), OnceItem.sk.does_not_exist())


def stage_posting(tx: LabelledTransaction, posting: Posting) -> None:
    """Add a posting's writes to a transaction (so callers can change a campaign in the same one)."""
    stamp = max(entry.created_at for entry in posting.entries).isoformat()
    if posting.once_key is not None:
        stage_once(tx, posting.entries[0].account_id, posting.once_key, stamp)
    for entry in posting.entries:
        tx.put(f"entry:{entry.id}", _entry_item(entry), EntryItem.sk.does_not_exist())
    for account_id, effect in posting.effects.items():
        condition: Condition | None = None
        if effect.available < 0:
            condition = BalanceItem.available >= -effect.available
        if effect.reserved < 0:
            guard = BalanceItem.reserved >= -effect.reserved
            condition = guard if condition is None else condition & guard
        tx.update(
            f"balance:{account_id}",
            BalanceItem(account_id, BALANCE),
            [
                BalanceItem.balance.add(effect.balance),
                BalanceItem.reserved.add(effect.reserved),
                BalanceItem.available.add(effect.available),
                BalanceItem.updated_at.set(stamp),
            ],
            condition,
        )


def explain_failure(posting: Posting, failure: TransactionFailed) -> Exception:
    """Turn a failed posting's labels into the domain error a caller can act on."""
    if "once" in failure.failed or any(label.startswith("entry:") for label in failure.failed):
        return AlreadyPosted()
    for account_id, effect in posting.effects.items():
        if f"balance:{account_id}" in failure.failed:
            current = get_balance(account_id)
            if effect.available < 0 and current.available < -effect.available:
                return InsufficientCredit(required=-effect.available, available=current.available)
            return ReservationExceeded(account_id, current.reserved)
    return failure


def post(posting: Posting) -> None:
    tx = LabelledTransaction()
    stage_posting(tx, posting)
    try:
        tx.commit()
    except TransactionFailed as failure:
        raise explain_failure(posting, failure) from failure


def get_balance(account_id: str) -> Balance:
    try:
        item = BalanceItem.get(account_id, BALANCE, consistent_read=True)
    except BalanceItem.DoesNotExist:
        return Balance()
    return Balance(balance=int(item.balance), reserved=int(item.reserved))


def _entry_range(filters: EntryFilter) -> Any:
    """The sort-key range of the entries created in the filter's period: an entry id starts with the
    millisecond it was made in (`jarchi.ids`), so the period is a key range, exact to the millisecond."""
    low = ENTRY + (id_floor(ENTRY_ID_PREFIX, filters.created_from) if filters.created_from else "")
    high = ENTRY + (id_floor(ENTRY_ID_PREFIX, filters.created_to) if filters.created_to else "~")
    return EntryItem.sk.between(low, high)


def _entry_filter(filters: EntryFilter) -> Any:
    return EntryItem.type == filters.type.value if filters.type is not None else None


def list_entries(
    account_id: str, campaign_id: str | None, limit: int, cursor: str | None, filters: EntryFilter = ALL_ENTRIES
) -> tuple[list[LedgerEntry], str | None]:
    """Newest first; the period is the key range, the type a filter."""
    start = decode_cursor(cursor)
    if campaign_id is None:
        if start is not None and start.get("account_id", {}).get("S") != account_id:
            start = None
        result = EntryItem.query(
            account_id,
            _entry_range(filters),
            filter_condition=_entry_filter(filters),
            limit=limit,
            last_evaluated_key=start,
            scan_index_forward=False,
        )
    else:
        if start is not None and start.get("campaign_id", {}).get("S") != campaign_id:
            start = None
        mine = EntryItem.account_id == account_id
        extra = _entry_filter(filters)
        result = EntryItem.by_campaign.query(
            campaign_id,
            _entry_range(filters),
            filter_condition=mine if extra is None else mine & extra,
            limit=limit,
            last_evaluated_key=start,
            scan_index_forward=False,
        )
    items = [_to_entry(item) for item in result]
    return items, encode_cursor(result.last_evaluated_key)


def all_entries(account_id: str) -> list[LedgerEntry]:
    return [_to_entry(item) for item in EntryItem.query(account_id, EntryItem.sk.startswith(ENTRY))]


class DynamoLedger:
    """The ledger port on the `ledger` table."""

    def post(self, posting: Posting) -> None:
        post(posting)

    def balance(self, account_id: str) -> Balance:
        return get_balance(account_id)

    def entries(
        self,
        account_id: str,
        campaign_id: str | None,
        limit: int,
        cursor: str | None,
        filters: EntryFilter = ALL_ENTRIES,
    ) -> tuple[list[LedgerEntry], str | None]:
        return list_entries(account_id, campaign_id, limit, cursor, filters)

    def all_entries(self, account_id: str) -> list[LedgerEntry]:
        return all_entries(account_id)
