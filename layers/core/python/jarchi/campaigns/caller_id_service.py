"""Caller IDs as the admin assigns them and accounts use them (R-DSP-5, SPEC §14): `POST /v1/caller-ids`
(admin), `GET /v1/caller-ids`, `POST /v1/caller-ids/{id}/release`; and the pool a new campaign freezes. The
rules are in `jarchi.campaigns.caller_ids`."""

from __future__ import annotations

from collections.abc import Sequence

from jarchi import clock
from jarchi.accounts.access import require_admin
from jarchi.accounts.models import Caller
from jarchi.accounts.ports import AccountRepository
from jarchi.accounts.service import AccountScope, require_owned, visible_account
from jarchi.audiences.numbers import check_number
from jarchi.campaigns.caller_ids import (
    MAX_NUMBERS_PER_REQUEST,
    STATUSES_USING_POOL,
    CallerId,
    number_of,
)
from jarchi.campaigns.listing import CampaignFilter
from jarchi.campaigns.ports import CallerIdRepository, CampaignRepository
from jarchi.errors import Conflict, NotFound, Unprocessable
from jarchi.ports import resolve

POOL_TAG = "caller_id_pool"


def _repository(caller_ids: CallerIdRepository | None) -> CallerIdRepository:
    return caller_ids or resolve(CallerIdRepository)


def assign_caller_ids(
    caller: Caller,
    account_id: str,
    numbers: Sequence[str],
    *,
    caller_ids: CallerIdRepository | None = None,
    accounts: AccountRepository | None = None,
) -> list[CallerId]:
    """Admin only. Every number must be E.164 (`invalid_caller_id`, 422, naming them) and free or already the
    account's; one held by another account refuses the request before anything is assigned
    (`caller_id_taken`, 409). Assigning a number again to its account changes nothing (idempotent)."""
    require_admin(caller)
    account = visible_account(caller, account_id, accounts=accounts)
    if not numbers or len(numbers) > MAX_NUMBERS_PER_REQUEST:
        raise Unprocessable("invalid_caller_id", f"give 1 to {MAX_NUMBERS_PER_REQUEST} numbers")
    checked = {raw: check_number(raw, account.default_region).e164 for raw in numbers}
    invalid = [raw for raw, e164 in checked.items() if e164 is None or raw.strip() != e164]
    if invalid:
        raise Unprocessable("invalid_caller_id", "caller IDs are E.164 numbers (+ and digits)", numbers=invalid[:20])
    repository = _repository(caller_ids)
    wanted = sorted({e164 for e164 in checked.values() if e164 is not None})
    taken = [n for n in wanted if (held := repository.get(n)) is not None and held.account_id != account.id]
    if taken:
        raise Conflict("caller_id_taken", "these numbers are another account's caller IDs", numbers=taken[:20])
    now = clock.now()
    assigned = []
    for number in wanted:
        if not repository.assign(CallerId(number, account.id, now)):
            raise Conflict("caller_id_taken", f"{number} was just given to another account", numbers=[number])
        assigned.append(repository.get(number) or CallerId(number, account.id, now))
    return assigned


def list_caller_ids(
    caller: Caller,
    account_id: str | None,
    limit: int,
    cursor: str | None,
    *,
    caller_ids: CallerIdRepository | None = None,
    accounts: AccountRepository | None = None,
) -> tuple[list[CallerId], str | None]:
    """The caller's own numbers (or those of an account it may see); the admin without `account_id`: every
    assigned number."""
    if account_id is None and caller.account.is_admin:
        return _repository(caller_ids).page(None, limit, cursor)
    owner = account_id or caller.account_id
    require_owned(caller, AccountScope(owner), "account", owner, accounts=accounts)
    return _repository(caller_ids).page(owner, limit, cursor)


def release_caller_id(
    caller: Caller,
    caller_id: str,
    *,
    caller_ids: CallerIdRepository | None = None,
    campaigns: CampaignRepository | None = None,
    accounts: AccountRepository | None = None,
) -> CallerId:
    """The number goes back to the platform (the admin, its account or a reseller above it may release it),
    unless a campaign that may still call uses it in its pool (`caller_id_in_use`, 409, naming it)."""
    number = number_of(caller_id)
    repository = _repository(caller_ids)
    held = repository.get(number) if number is not None else None
    held = require_owned(caller, held, "caller_id", caller_id, accounts=accounts)
    user = campaign_using(held, campaigns=campaigns)
    if user is not None:
        raise Conflict("caller_id_in_use", f"campaign {user} may still call from {held.number}", campaign_id=user)
    if not repository.release(held.number, held.account_id):
        raise NotFound.of("caller_id", caller_id)
    return held


def campaign_using(held: CallerId, *, campaigns: CampaignRepository | None = None) -> str | None:
    """A campaign of the number's account, in a status that may still call, with the number in its pool."""
    repository = campaigns or resolve(CampaignRepository)
    for status in sorted(STATUSES_USING_POOL):
        cursor: str | None = None
        while True:
            page, cursor = repository.list_for_account(
                held.account_id, 100, cursor, CampaignFilter(status=status, tag=POOL_TAG)
            )
            for campaign in page:
                if held.number in campaign.settings.caller_ids:
                    return campaign.id
            if cursor is None:
                break
    return None


def account_pool(account_id: str, *, caller_ids: CallerIdRepository | None = None) -> tuple[str, ...]:
    """The account's numbers a campaign freezes as its pool (`no_caller_ids`, 422, when it has none)."""
    pool = tuple(sorted(c.number for c in _repository(caller_ids).for_account(account_id)))
    if not pool:
        raise Unprocessable("no_caller_ids", "the account has no caller IDs: ask the platform to assign some")
    return pool
