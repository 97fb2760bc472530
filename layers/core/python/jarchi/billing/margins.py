"""Reseller tariffs and margins (R-ACC-3, R-BIL-4).

- An account's **tariff** is the price per unit (voice pulse, SMS segment) its parent reseller (or admin) set
  for it with `PUT /v1/accounts/{id}/tariff`, else its type's default (`jarchi.billing.tariffs`). A reseller's
  own tariff is its **cost**: what it pays for every unit its customers send.
- A tariff is never below the parent reseller's cost (422 `tariff_below_cost`), whoever sets it. Only the
  account's own parent reseller, or admin, sets it (403 `tariff_not_allowed`; a level-1 reseller does not set
  the tariff of its level-2 reseller's customers, the level-2 does).
- **Margins are frozen with the campaign** (`margins_for`, at creation, as its own tariff is): walking up from
  the customer, each reseller earns, per unit charged, what reaches it from below minus its cost. Up a
  two-level chain both levels earn: customer 1,000, reseller_2 850, reseller_1 700 → 150 and 150 a pulse.
  If a parent later raised a reseller's cost above what that reseller charges a customer, that level earns 0
  (never a negative margin) and passes up only what the customer pays, so the platform still gets its cost.
- At each settlement of the customer's campaign (part) the margins are `margin` entries on the resellers'
  ledgers, in the same transaction as the customer's charge (`jarchi.billing.credit.settlement`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from jarchi.accounts.models import Account, AccountChanges, Caller
from jarchi.accounts.ports import AccountRepository
from jarchi.accounts.service import visible_account
from jarchi.billing.tariffs import Tariff, tariff_for, validate_customer_tariff
from jarchi.errors import Forbidden, NotFound
from jarchi.ports import resolve

PULSE = "pulse"
SEGMENT = "segment"


@dataclass(frozen=True, slots=True)
class ResellerMargin:
    """What one reseller earns per unit its customer's campaign is charged."""

    account_id: str
    per_unit: int


@dataclass(frozen=True, slots=True)
class AccountTariff:
    account_id: str
    tariff: Tariff
    custom: bool  # set by its reseller or admin (else its type's default)


def account_tariff(account: Account) -> Tariff:
    if account.voice_pulse_price is not None and account.sms_segment_price is not None:
        return Tariff(voice_per_pulse=account.voice_pulse_price, sms_per_segment=account.sms_segment_price)
    return tariff_for(account.type.value)


def price_per(tariff: Tariff, unit: str) -> int:
    return tariff.voice_per_pulse if unit == PULSE else tariff.sms_per_segment


def margins_for(account: Account, unit: str, resellers: Sequence[Account]) -> tuple[ResellerMargin, ...]:
    """The margins per unit up the chain; `resellers` nearest first (the account's parent, then its parent)."""
    reaching = price_per(account_tariff(account), unit)
    margins = []
    for reseller in resellers:
        cost = price_per(account_tariff(reseller), unit)
        if reaching > cost:
            margins.append(ResellerMargin(reseller.id, reaching - cost))
        reaching = min(reaching, cost)
    return tuple(margins)


def margin_amounts(charged: Sequence[tuple[int, Sequence[ResellerMargin]]]) -> list[tuple[str, int]]:
    """(reseller, amount) for units charged at per-unit margins, one amount per reseller, nearest first."""
    amounts: dict[str, int] = {}
    for units, margins in charged:
        for margin in margins:
            amounts[margin.account_id] = amounts.get(margin.account_id, 0) + units * margin.per_unit
    return [(account_id, amount) for account_id, amount in amounts.items() if amount > 0]


def _repository(accounts: AccountRepository | None) -> AccountRepository:
    return accounts or resolve(AccountRepository)


def resellers_above(account: Account, *, accounts: AccountRepository | None = None) -> list[Account]:
    """The reseller accounts above `account`, nearest first."""
    repository = _repository(accounts)
    found = (repository.get(ancestor) for ancestor in reversed(account.ancestors))
    return [a for a in found if a is not None and a.type.is_reseller]


def reseller_margins(
    account: Account, unit: str, *, accounts: AccountRepository | None = None
) -> tuple[ResellerMargin, ...]:
    if not account.ancestors:
        return ()
    return margins_for(account, unit, resellers_above(account, accounts=accounts))


def tariff_of(caller: Caller, account_id: str, *, accounts: AccountRepository | None = None) -> AccountTariff:
    account = visible_account(caller, account_id, accounts=accounts)
    return AccountTariff(account.id, account_tariff(account), account.voice_pulse_price is not None)


def set_tariff(
    caller: Caller, account_id: str, tariff: Tariff, *, accounts: AccountRepository | None = None
) -> AccountTariff:
    """`PUT /v1/accounts/{id}/tariff` by the account's parent reseller or admin; never below the parent's cost.
    Campaigns already created keep the tariff (and margins) they were created with."""
    repository = _repository(accounts)
    target = visible_account(caller, account_id, accounts=repository)
    if not (caller.account.is_admin or target.parent_id == caller.account_id):
        raise Forbidden("tariff_not_allowed", "an account's tariff is set by its own reseller, or by admin")
    parent = repository.get(target.parent_id) if target.parent_id else None
    if parent is not None and parent.type.is_reseller:
        validate_customer_tariff(tariff, account_tariff(parent))
    changes = AccountChanges(voice_pulse_price=tariff.voice_per_pulse, sms_segment_price=tariff.sms_per_segment)
    updated = repository.update(target.id, changes)
    if updated is None:
        raise NotFound.of("account", account_id)
    return AccountTariff(updated.id, account_tariff(updated), True)
