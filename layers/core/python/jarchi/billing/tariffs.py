"""Tariffs per account type (R-BIL-2, R-ACC-3, R-ACC-4).

Money is an integer number of Iranian **rials** (IRR has no minor unit in use; 10 rials = 1 toman,
the unit Iranian price lists quote). The seed's demo tariff, 135 toman per pulse, is 1,350 rials.

Seeded defaults (configuration: admin may override per account type, resellers per customer, never
below their own cost):

============  ==============  ================
account type  voice, 1 pulse  SMS, 1 segment
============  ==============  ================
customer      1,000 (100 T)   1,200 (120 T)
reseller_2      850  (85 T)   1,050 (105 T)
reseller_1      700  (70 T)     900  (90 T)
demo          1,350 (135 T)   1,500 (150 T)
admin             0               0
============  ==============  ================

A reseller's tariff is its cost: what it is charged for its own sends and for its customers' (the
margin is the customer tariff minus the reseller's). Demo is dearer than customer, as the seed says.
Admin sends (tests, ops) cost nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from jarchi.errors import BadRequest, Unprocessable

CURRENCY = "IRR"


class TariffAccountType(StrEnum):
    CUSTOMER = "customer"
    RESELLER_1 = "reseller_1"
    RESELLER_2 = "reseller_2"
    DEMO = "demo"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class Tariff:
    voice_per_pulse: int  # rials per 30-second pulse per recipient
    sms_per_segment: int  # rials per SMS segment per recipient
    currency: str = CURRENCY

    def __post_init__(self) -> None:
        for name in ("voice_per_pulse", "sms_per_segment"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise BadRequest("tariff_invalid", f"{name} must be a whole, non-negative number of rials")

    def at_least(self, cost: Tariff) -> bool:
        return self.voice_per_pulse >= cost.voice_per_pulse and self.sms_per_segment >= cost.sms_per_segment


DEFAULT_TARIFFS: Mapping[TariffAccountType, Tariff] = {
    TariffAccountType.CUSTOMER: Tariff(voice_per_pulse=1_000, sms_per_segment=1_200),
    TariffAccountType.RESELLER_2: Tariff(voice_per_pulse=850, sms_per_segment=1_050),
    TariffAccountType.RESELLER_1: Tariff(voice_per_pulse=700, sms_per_segment=900),
    TariffAccountType.DEMO: Tariff(voice_per_pulse=1_350, sms_per_segment=1_500),
    TariffAccountType.ADMIN: Tariff(voice_per_pulse=0, sms_per_segment=0),
}


def tariff_for(account_type: str, overrides: Mapping[str, Tariff] | None = None) -> Tariff:
    """The tariff of an account type: a configured override, else the seeded default."""
    try:
        kind = TariffAccountType(account_type)
    except ValueError:
        raise BadRequest("account_type_unknown", f"no tariff for account type {account_type!r}") from None
    if overrides and kind.value in overrides:
        return overrides[kind.value]
    return DEFAULT_TARIFFS[kind]


def validate_customer_tariff(tariff: Tariff, reseller_cost: Tariff) -> None:
    """A reseller may set its customer's tariff, but not below what it pays itself (R-ACC-3)."""
    if not tariff.at_least(reseller_cost):
        raise Unprocessable(
            "tariff_below_cost",
            "a customer's tariff cannot be below the reseller's own tariff",
            voice_per_pulse_min=reseller_cost.voice_per_pulse,
            sms_per_segment_min=reseller_cost.sms_per_segment,
        )
