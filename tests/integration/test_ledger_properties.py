"""Property tests of the ledger against moto's DynamoDB (R-BIL-1, R-BIL-3): whatever sequence of money
movements is tried, the balance item equals the sum of the entries, failed postings change nothing,
available credit never goes negative, and once a campaign is reconciled reserved = charged + refunded."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jarchi.billing import credit
from jarchi.billing.ledger import Balance, EntryType, totals_of
from jarchi.errors import Conflict, InsufficientCredit
from jarchi.settings import Settings
from jarchi.store import ledger

_accounts = itertools.count()

Op = tuple[str, int]
operations = st.lists(
    st.tuples(
        st.sampled_from(["top_up", "reserve", "charge", "charge_again", "release", "refund"]),
        st.integers(min_value=1, max_value=1_000),
    ),
    min_size=1,
    max_size=25,
)


@dataclass
class Model:
    balance: int = 0
    reserved: int = 0
    campaign_reserved: int = 0
    charged: int = 0
    given_back: int = 0
    reconciled: bool = False
    last_charge: str | None = None


def _apply(model: Model, account_id: str, campaign_id: str, op: Op, step: int) -> None:
    kind, amount = op
    if model.reconciled and kind != "top_up":
        return  # a reconciled campaign moves no more money (the campaign's status guards this)
    try:
        if kind == "top_up":
            ledger.post(credit.Posting((credit._entry(account_id, EntryType.TOP_UP, amount),)))
            model.balance += amount
        elif kind == "reserve":
            credit.post(credit.reservation(account_id, campaign_id, amount))
            assert amount <= model.balance - model.reserved
            model.reserved += amount
            model.campaign_reserved += amount
        elif kind in ("charge", "charge_again"):
            reference = model.last_charge if kind == "charge_again" and model.last_charge else f"batch-{step}"
            credit.post(credit.charge(account_id, campaign_id, amount, reference))
            assert reference != model.last_charge or kind == "charge", "a repeated charge must be refused"
            model.last_charge = reference
            model.balance -= amount
            model.reserved -= amount
            model.charged += amount
        elif kind == "release":
            credit.post(credit.release(account_id, campaign_id, amount, f"release-{step}"))
            model.reserved -= amount
            model.given_back += amount
        elif kind == "refund" and model.reserved > 0:
            remaining = model.campaign_reserved - model.charged - model.given_back
            if remaining > 0:
                credit.post(credit.refund(account_id, campaign_id, remaining))
                assert not model.reconciled, "a second reconciliation must be refused"
                model.reserved -= remaining
                model.given_back += remaining
                model.reconciled = True
    except InsufficientCredit:
        assert kind == "reserve" and amount > model.balance - model.reserved
    except ledger.AlreadyPosted:
        assert kind in ("charge_again", "refund")
    except Conflict as error:
        assert error.code == "reservation_exceeded" and amount > model.reserved


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations)
def test_r_bil_3_ledger_invariants_hold_for_any_sequence(aws: Settings, ops: list[Op]) -> None:
    account_id = f"acc_prop_{next(_accounts)}"
    campaign_id = f"cmp_prop_{next(_accounts)}"
    model = Model()
    for step, op in enumerate(ops):
        _apply(model, account_id, campaign_id, op, step)
        stored = ledger.get_balance(account_id)
        assert stored == Balance(model.balance, model.reserved)
        assert stored == totals_of(ledger.all_entries(account_id))
        assert stored.available >= 0 and stored.reserved >= 0

    entries, _ = ledger.list_entries(account_id, campaign_id, limit=200, cursor=None)
    by_type = {t: sum(e.amount for e in entries if e.type is t) for t in EntryType}
    assert by_type[EntryType.RESERVATION] == model.campaign_reserved
    assert by_type[EntryType.CHARGE] == model.charged
    assert by_type[EntryType.RELEASE] + by_type[EntryType.REFUND] == model.given_back
    if model.reconciled:
        assert by_type[EntryType.RESERVATION] == (
            by_type[EntryType.CHARGE] + by_type[EntryType.RELEASE] + by_type[EntryType.REFUND]
        )
