"""The advertising frequency cap (R-CPL-2) and the order of pre-dial checks (R-CPL-1..3), as pure rules.

The store claims the cap atomically (a conditional write keyed by the E.164 number, `expires_at` =
`cap_expiry(claimed_at)`); this module decides *whether* a claim is needed, whether an existing claim still
blocks, and in which order a recipient's checks run before an attempt is admitted:

1. `invalid` — the number is not a valid E.164 number (nothing else can be looked up for it);
1b. `country_not_allowed` / `prefix_not_allowed` — the account may not reach it
   (`jarchi.accounts.reach`: its allowed countries, premium ranges, blocked prefixes), free;
2. `blacklisted` — the number is on the **account's stop list** (every category, R-CPL-3);
3. `blacklisted` — the number is on the imported **telecom blacklist** (advertising only);
4. `opted_out` — the number pressed 11 / is on the platform's **ad opt-out list** (advertising only);
5. window closed — not a final status: the recipient waits for the next opening (R-CPL-1);
6. cap claim — advertising only: the store claims the cap; losing it means `frequency_capped`.

Decisions where the spec is silent:

- The stats have no `stop_listed` key, so both the account stop list and the telecom blacklist end as
  `blacklisted`; `PreDialDecision.reason` says which list matched, for the recipient record.
- The telecom blacklist is the operators' register of subscribers refusing promotional messages, so like
  the ad opt-out list it applies to advertising only; service and OTP messages go through (an OTP must
  reach a subscriber who blocked ads). `TELECOM_BLACKLIST_CATEGORIES` is the one place to change that.
- The cap is one advertising message per number per rolling 24 h across channels (voice and SMS share it:
  the spec says "message"), from the instant of the claim; at exactly `claimed_at + 24 h` the number is free.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Final

from jarchi.attempts import VOTE_AD_OPT_OUT, Outcome
from jarchi.channels import Category

if TYPE_CHECKING:  # a field's type only: the reach rules (phonenumbers) load where numbers are judged
    from jarchi.accounts.reach import Refusal

AD_CAP_PERIOD: Final = timedelta(hours=24)
CAPPED_CATEGORIES: Final = frozenset({Category.ADVERTISING})


class SuppressionList(StrEnum):
    ACCOUNT_STOP_LIST = "account_stop_list"
    TELECOM_BLACKLIST = "telecom_blacklist"
    AD_OPT_OUT = "ad_opt_out"


TELECOM_BLACKLIST_CATEGORIES: Final = frozenset({Category.ADVERTISING})
AD_OPT_OUT_CATEGORIES: Final = frozenset({Category.ADVERTISING})


def cap_applies(category: Category | str) -> bool:
    """Only advertising is capped; service and OTP are not (R-CPL-2)."""
    return Category(category) in CAPPED_CATEGORIES


def cap_expiry(claimed_at: datetime) -> datetime:
    """When a claim made at `claimed_at` stops blocking the number (the item's TTL too)."""
    if claimed_at.tzinfo is None:
        raise ValueError("cap times are aware datetimes")
    return claimed_at + AD_CAP_PERIOD


def is_capped(existing_expires_at: datetime | None, now: datetime) -> bool:
    """Whether an existing claim still blocks the number at `now` (no claim: not capped).

    Readers compare `expires_at` themselves: DynamoDB deletes TTL-expired items late, moto never.
    """
    return existing_expires_at is not None and now < existing_expires_at


def lists_to_check(category: Category | str) -> tuple[SuppressionList, ...]:
    """The suppression lists a recipient of this category is looked up in, in check order."""
    category = Category(category)
    lists = [SuppressionList.ACCOUNT_STOP_LIST]
    if category in TELECOM_BLACKLIST_CATEGORIES:
        lists.append(SuppressionList.TELECOM_BLACKLIST)
    if category in AD_OPT_OUT_CATEGORIES:
        lists.append(SuppressionList.AD_OPT_OUT)
    return tuple(lists)


@dataclass(frozen=True, slots=True)
class RecipientChecks:
    """What the store looked up for one recipient. Lists not relevant to the category may stay False."""

    number_valid: bool = True
    on_account_stop_list: bool = False
    on_telecom_blacklist: bool = False
    ad_opted_out: bool = False
    window_open: bool = True
    refused: Refusal | None = None  # jarchi.accounts.reach.refusal: the account may not reach the number


@dataclass(frozen=True, slots=True)
class PreDialDecision:
    """Exactly one of: a final pre-dial `outcome`; `wait` (window closed, not now); or go ahead
    (`proceed`), claiming the ad cap first when `claim_ad_cap` (a lost claim → `frequency_capped`)."""

    outcome: Outcome | None
    wait: bool
    claim_ad_cap: bool
    reason: str

    @property
    def proceed(self) -> bool:
        return self.outcome is None and not self.wait


def _final(outcome: Outcome, reason: str) -> PreDialDecision:
    return PreDialDecision(outcome=outcome, wait=False, claim_ad_cap=False, reason=reason)


def _unreachable(checks: RecipientChecks) -> PreDialDecision | None:
    """Not a number, or not one the account may reach."""
    if not checks.number_valid:
        return _final(Outcome.INVALID, "invalid_number")
    if checks.refused is not None:
        return _final(Outcome(checks.refused.value), checks.refused.value)
    return None


def pre_dial_check(category: Category | str, checks: RecipientChecks) -> PreDialDecision:
    """The first failing check, in the order of this module's docstring."""
    category = Category(category)
    unreachable = _unreachable(checks)
    if unreachable is not None:
        return unreachable
    if checks.on_account_stop_list:
        return _final(Outcome.BLACKLISTED, SuppressionList.ACCOUNT_STOP_LIST.value)
    if checks.on_telecom_blacklist and category in TELECOM_BLACKLIST_CATEGORIES:
        return _final(Outcome.BLACKLISTED, SuppressionList.TELECOM_BLACKLIST.value)
    if checks.ad_opted_out and category in AD_OPT_OUT_CATEGORIES:
        return _final(Outcome.OPTED_OUT, SuppressionList.AD_OPT_OUT.value)
    if not checks.window_open:
        return PreDialDecision(outcome=None, wait=True, claim_ad_cap=False, reason="outside_window")
    claim = cap_applies(category)
    return PreDialDecision(outcome=None, wait=False, claim_ad_cap=claim, reason="claim_ad_cap" if claim else "ok")


def cap_claim_lost() -> PreDialDecision:
    """What the admission records when the store's conditional cap claim fails."""
    return _final(Outcome.FREQUENCY_CAPPED, "ad_cap")


def releases_ad_cap(outcome: Outcome) -> bool:
    """The attempt never reached the network, so its ad-cap claim is given back (R-CPL-2)."""
    return outcome in {Outcome.FAILED, Outcome.REJECTED, Outcome.EXPIRED}


def opts_out_of_ads(category: Category | str, vote: int) -> bool:
    """Vote 11 in an advertising call puts the number on the platform's ad opt-out list (R-CPL-3)."""
    return Category(category) is Category.ADVERTISING and vote == VOTE_AD_OPT_OUT
