"""Credit operations: top-ups by admin and resellers (R-BIL-1, R-ACC-3) and the campaign money
movements the campaign path uses: reserve, charge, release, refund (R-BIL-2, R-BIL-3)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from jarchi import clock
from jarchi.accounts.models import Caller
from jarchi.accounts.ports import AccountRepository
from jarchi.accounts.service import listed_account_id, visible_account
from jarchi.billing.ledger import ALL_ENTRIES, Balance, EntryFilter, EntryType, LedgerEntry, Posting
from jarchi.billing.ports import Ledger
from jarchi.errors import Forbidden, Unprocessable
from jarchi.ids import new_id
from jarchi.ports import resolve

MAX_SINGLE_AMOUNT = 10**15  # keeps every sum far inside DynamoDB's number precision


@dataclass(frozen=True)
class CreditResult:
    entry: LedgerEntry
    balance: Balance


def _entry(
    account_id: str,
    type_: EntryType,
    amount: int,
    *,
    campaign_id: str | None = None,
    reference: str | None = None,
    actor: str | None = None,
) -> LedgerEntry:
    return LedgerEntry(
        id=new_id("led"),
        account_id=account_id,
        type=type_,
        amount=amount,
        created_at=clock.now(),
        campaign_id=campaign_id,
        reference=reference,
        actor=actor,
    )


def _check_amount(amount: int) -> None:
    if isinstance(amount, bool) or not isinstance(amount, int) or abs(amount) > MAX_SINGLE_AMOUNT:
        raise Unprocessable("invalid_amount", f"amounts are integers in minor units up to {MAX_SINGLE_AMOUNT}")


def _ledger(ledger: Ledger | None) -> Ledger:
    return ledger or resolve(Ledger)


def add_credit(
    caller: Caller,
    account_id: str,
    amount: int,
    reference: str | None,
    *,
    ledger: Ledger | None = None,
    accounts: AccountRepository | None = None,
) -> CreditResult:
    """Admin: a top-up (positive) or an adjustment (negative). A reseller: a top-up of its own customer,
    paid from its own available credit in the same transaction."""
    _check_amount(amount)
    target = visible_account(caller, account_id, accounts=accounts)
    actor = caller.account_id
    if caller.account.is_admin:
        kind = EntryType.TOP_UP if amount > 0 else EntryType.ADJUSTMENT
        entry = _entry(target.id, kind, amount, reference=reference, actor=actor)
        posting = Posting((entry,))
    elif caller.account.type.is_reseller and target.id != caller.account_id:
        if amount <= 0:
            raise Unprocessable("invalid_amount", "a reseller tops up with a positive amount")
        entry = _entry(target.id, EntryType.TOP_UP, amount, reference=reference, actor=actor)
        paid = _entry(caller.account_id, EntryType.TRANSFER, -amount, reference=f"top_up:{target.id}", actor=actor)
        posting = Posting((entry, paid))
    else:
        raise Forbidden("credit_not_allowed", "credit is added by admin, or by a reseller for its customers")
    book = _ledger(ledger)
    book.post(posting)
    return CreditResult(entry=entry, balance=book.balance(target.id))


def credit_of(
    caller: Caller,
    account_id: str | None = None,
    *,
    ledger: Ledger | None = None,
    accounts: AccountRepository | None = None,
) -> Balance:
    return _ledger(ledger).balance(listed_account_id(caller, account_id, accounts=accounts))


def transactions(
    caller: Caller,
    account_id: str | None,
    campaign_id: str | None,
    limit: int,
    cursor: str | None,
    filters: EntryFilter = ALL_ENTRIES,
    *,
    ledger: Ledger | None = None,
    accounts: AccountRepository | None = None,
) -> tuple[list[LedgerEntry], str | None]:
    owner = listed_account_id(caller, account_id, accounts=accounts)
    return _ledger(ledger).entries(owner, campaign_id, limit, cursor, filters)


# The campaign path's money movements. Each returns a Posting so that the caller can write it in the
# same transaction as the campaign change it pays for (the campaign repository's create and settle), or
# post it alone.


def reservation(account_id: str, campaign_id: str, amount: int, reference: str | None = None) -> Posting:
    """The estimate held for a campaign; a later one (an edit's growth, a new run or part) names its
    `reference` and is booked at most once."""
    entry = _entry(account_id, EntryType.RESERVATION, amount, campaign_id=campaign_id, reference=reference)
    return Posting((entry,), once_key=f"reserve:{campaign_id}:{reference}" if reference else None)


def charge(account_id: str, campaign_id: str, amount: int, reference: str) -> Posting:
    """A charge identified by its reference (e.g. a batch of results): posting it twice is refused."""
    entry = _entry(account_id, EntryType.CHARGE, amount, campaign_id=campaign_id, reference=reference)
    return Posting((entry,), once_key=f"charge:{campaign_id}:{reference}")


def callback_charge(account_id: str, campaign_id: str, amount: int, reference: str) -> Posting:
    """A callback's cost (R-OUT-4), reserved and charged at once: it may come after its campaign settled, so it
    is not paid out of the campaign's reservation. Posted at most once per `reference` (the inbound call)."""
    entries = (
        _entry(account_id, EntryType.RESERVATION, amount, campaign_id=campaign_id, reference=f"callback:{reference}"),
        _entry(account_id, EntryType.CHARGE, amount, campaign_id=campaign_id, reference=f"callback:{reference}"),
    )
    return Posting(entries, once_key=f"callback:{reference}")


def release(account_id: str, campaign_id: str, amount: int, reference: str) -> Posting:
    entry = _entry(account_id, EntryType.RELEASE, amount, campaign_id=campaign_id, reference=reference)
    return Posting((entry,), once_key=f"release:{campaign_id}:{reference}")


def settlement(
    account_id: str,
    campaign_id: str,
    charged: int,
    refunded: int,
    part: int = 0,
    *,
    margins: Sequence[tuple[str, int]] = (),
) -> Posting:
    """A finished campaign's (or a finished part's) money, at most once per part: what its successful attempts
    cost, and the rest of the reservation returned (either may be zero, not both); and with the charge, each
    reseller's margin on it (`margins`: reseller, amount; `CampaignMoney.unbilled_margins`) on the reseller's
    own ledger (R-BIL-4). The customer's entries come first: the once-marker is the customer's."""
    suffix = f":{part}" if part else ""
    entries = []
    if charged > 0:
        reference = f"campaign{suffix}"
        entries.append(_entry(account_id, EntryType.CHARGE, charged, campaign_id=campaign_id, reference=reference))
    if refunded > 0:
        reference = f"reconciliation{suffix}"
        entries.append(_entry(account_id, EntryType.REFUND, refunded, campaign_id=campaign_id, reference=reference))
    if charged > 0:
        reference = f"margin:{account_id}{suffix}"
        for reseller_id, amount in margins:
            entries.append(_entry(reseller_id, EntryType.MARGIN, amount, campaign_id=campaign_id, reference=reference))
    return Posting(tuple(entries), once_key=f"reconcile:{campaign_id}{suffix}")


def refund(account_id: str, campaign_id: str, amount: int) -> Posting:
    """The unused reservation returned at reconciliation: at most once per campaign."""
    entry = _entry(account_id, EntryType.REFUND, amount, campaign_id=campaign_id, reference="reconciliation")
    return Posting((entry,), once_key=f"reconcile:{campaign_id}")


def post(posting: Posting, *, ledger: Ledger | None = None) -> None:
    _ledger(ledger).post(posting)
