"""Where an account may send: its allowed countries and the ranges nobody may reach (SMS pumping, R-ACC,
SPEC §14 "Accounts, money and reach"). Pure rules on E.164 numbers and libphonenumber's data.

1. `country_not_allowed` — the number's region (libphonenumber) is not one of the account's
   `allowed_countries` (by default its own `default_region`). Non-geographic ranges (region `001`:
   satellite, international networks) belong to no country, so only an explicit `001` allows them.
2. `prefix_not_allowed` — the number is a premium-rate or shared-cost number (libphonenumber's type: the
   called party earns from the traffic, which is what SMS pumping / toll fraud harvests), or starts with one
   of the deployment's blocked prefixes (`JARCHI_BLOCKED_PREFIXES`, default the satellite and international
   network ranges +870, +881, +882, +883, the classic toll-fraud destinations).

Both are refused before anything is sent: in a list's line report at import, and as a free pre-dial result
at admission (the allowed countries may have changed between the two).

`destination_prefix` names the range a number belongs to for the pumping guard: country code and the first
three digits of the national number (`+98 912`), fine enough to tell a mobile operator's block from another.
"""

from __future__ import annotations

from collections.abc import Collection
from enum import StrEnum
from typing import Final

import phonenumbers
from phonenumbers import PhoneNumberType

from jarchi.settings import get_settings

NON_GEOGRAPHIC: Final = "001"
# Number types whose called party is paid for the traffic.
PAID_TO_RECEIVE: Final = frozenset({PhoneNumberType.PREMIUM_RATE, PhoneNumberType.SHARED_COST})
DESTINATION_DIGITS: Final = 3


class Refusal(StrEnum):
    COUNTRY_NOT_ALLOWED = "country_not_allowed"
    PREFIX_NOT_ALLOWED = "prefix_not_allowed"


def _parsed(e164: str) -> phonenumbers.PhoneNumber | None:
    try:
        return phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return None


def blocked_prefixes() -> tuple[str, ...]:
    return get_settings().blocked_prefix_list()


def refusal(
    e164: str,
    allowed_countries: Collection[str],
    *,
    blocked: Collection[str] | None = None,
    paid_to_receive: bool | None = None,
) -> Refusal | None:
    """Why an account allowed `allowed_countries` may not send to `e164`, or None when it may.
    `paid_to_receive` may say what the caller already knows of the number's type (an import has it)."""
    if region_of(e164) not in allowed_countries:
        return Refusal.COUNTRY_NOT_ALLOWED
    if any(e164.startswith(prefix) for prefix in (blocked_prefixes() if blocked is None else blocked)):
        return Refusal.PREFIX_NOT_ALLOWED
    if paid_to_receive is None:
        number = _parsed(e164)
        paid_to_receive = number is None or phonenumbers.number_type(number) in PAID_TO_RECEIVE
    return Refusal.PREFIX_NOT_ALLOWED if paid_to_receive else None


def destination_prefix(e164: str) -> str:
    """The number's range for the pumping guard: `+<country code><first digits of the national number>`."""
    number = _parsed(e164)
    if number is None:
        return e164[: 1 + 3 + DESTINATION_DIGITS]
    national = phonenumbers.national_significant_number(number)
    return f"+{number.country_code}{national[:DESTINATION_DIGITS]}"


def region_of(e164: str) -> str:
    """The number's region; a country code that is one region's alone is read without parsing."""
    digits = e164[1:4]
    for length in (1, 2, 3):
        regions = (
            phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(int(digits[:length])) if digits[:length].isdigit() else None
        )
        if regions:
            if len(regions) == 1:
                return str(regions[0])
            break  # country codes are prefix-free: this is the code, shared by several regions
    number = _parsed(e164)
    return (phonenumbers.region_code_for_number(number) if number else None) or NON_GEOGRAPHIC
