"""Phone numbers: E.164 normalisation, number type, region and time zone (R-LST-2, R-LST-3).

Every number goes through libphonenumber (``phonenumbers``) with the account's default region, so
``0912 123 4567`` with ``IR`` is ``+989121234567``. Persian (``۰-۹``) and Arabic-Indic (``٠-٩``)
digits, spaces, dashes, dots, slashes, parentheses and a leading ``00`` are accepted; invisible bidi
marks and zero-width joiners copied along from Persian text are ignored.

A number is kept only when libphonenumber calls it valid (its type is known). Otherwise the reason is one
of ``not_a_number``, ``invalid_country_code``, ``too_short``, ``too_long``, ``invalid_length`` or
``invalid_for_region`` (right length, but no such number range).

Speed (bench/import_contacts.py): the plain shapes a list is made of — national numbers with or without
the trunk prefix, ``+cc…`` and ``00cc…`` of the default region — skip ``phonenumbers.parse`` and build
the ``PhoneNumber`` directly; they are accepted only when libphonenumber types them as valid, so they
come out exactly as ``parse`` would make them (a property test checks this) and everything else,
including every invalid number, goes through ``parse``. The fast path is enabled only for regions
whose national prefix and international prefix are plain digit strings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import NamedTuple

import phonenumbers
from phonenumbers import PhoneNumber, PhoneNumberFormat, PhoneNumberType, ValidationResult
from phonenumbers import timezone as phone_timezone

from jarchi.errors import BadRequest

UNKNOWN_TIME_ZONE = "Etc/Unknown"


class NumberType(StrEnum):
    MOBILE = "mobile"
    FIXED_LINE = "fixed_line"
    FIXED_LINE_OR_MOBILE = "fixed_line_or_mobile"
    TOLL_FREE = "toll_free"
    PREMIUM_RATE = "premium_rate"
    SHARED_COST = "shared_cost"
    VOIP = "voip"
    PERSONAL_NUMBER = "personal_number"
    PAGER = "pager"
    UAN = "uan"
    VOICEMAIL = "voicemail"
    UNKNOWN = "unknown"


_TYPES: dict[int, NumberType] = {
    PhoneNumberType.MOBILE: NumberType.MOBILE,
    PhoneNumberType.FIXED_LINE: NumberType.FIXED_LINE,
    PhoneNumberType.FIXED_LINE_OR_MOBILE: NumberType.FIXED_LINE_OR_MOBILE,
    PhoneNumberType.TOLL_FREE: NumberType.TOLL_FREE,
    PhoneNumberType.PREMIUM_RATE: NumberType.PREMIUM_RATE,
    PhoneNumberType.SHARED_COST: NumberType.SHARED_COST,
    PhoneNumberType.VOIP: NumberType.VOIP,
    PhoneNumberType.PERSONAL_NUMBER: NumberType.PERSONAL_NUMBER,
    PhoneNumberType.PAGER: NumberType.PAGER,
    PhoneNumberType.UAN: NumberType.UAN,
    PhoneNumberType.VOICEMAIL: NumberType.VOICEMAIL,
    PhoneNumberType.UNKNOWN: NumberType.UNKNOWN,
}

_PARSE_ERRORS = {
    phonenumbers.NumberParseException.INVALID_COUNTRY_CODE: "invalid_country_code",
    phonenumbers.NumberParseException.NOT_A_NUMBER: "not_a_number",
    phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD: "too_short",
    phonenumbers.NumberParseException.TOO_SHORT_NSN: "too_short",
    phonenumbers.NumberParseException.TOO_LONG: "too_long",
}
_LENGTH_REASONS = {
    ValidationResult.INVALID_COUNTRY_CODE: "invalid_country_code",
    ValidationResult.TOO_SHORT: "too_short",
    ValidationResult.TOO_LONG: "too_long",
    ValidationResult.INVALID_LENGTH: "invalid_length",
}

# Invisible marks removed before anything else (both paths see the same string).
_INVISIBLE = str.maketrans(dict.fromkeys(map(ord, "\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\ufeff")))
# For the fast path only: digits of any script to ASCII, layout characters out. parse() treats all of
# these characters as punctuation too.
_COMPACT: dict[int, str | None] = {
    **{0x06F0 + d: str(d) for d in range(10)},
    **{0x0660 + d: str(d) for d in range(10)},
    **dict.fromkeys(map(ord, " \t\u00a0-./()"), None),
}
_PLAIN_DIGITS = re.compile(r"\d+", re.ASCII)


class NumberCheck(NamedTuple):
    """A number's verdict: ``e164`` and ``type`` when valid, else ``reason``."""

    e164: str | None
    type: NumberType | None
    reason: str | None


class NumberNormaliser:
    """Normalises numbers for one default region (make one per import, reuse it for every row)."""

    def __init__(self, region: str) -> None:
        self.region = region.upper()
        metadata = phonenumbers.PhoneMetadata.metadata_for_region(self.region, None)
        if metadata is None:
            raise BadRequest("region_unknown", f"no phone numbering plan for region {region!r}", region=region)
        self.country_code = int(metadata.country_code or 0)
        self._cc = str(self.country_code)
        prefix = metadata.national_prefix
        idd = metadata.international_prefix
        self._fast = (
            metadata.national_prefix_transform_rule is None
            and metadata.national_prefix_for_parsing in (None, prefix)
            and (prefix is None or prefix.isdigit())
            and idd is not None
            and idd.isdigit()
        )
        self._trunk = prefix or ""
        self._idd_cc = f"{idd}{self._cc}" if idd else ""

    def _national_significant(self, compact: str) -> str | None:
        """The NSN of a plain digit string of this region, or None when only parse() can tell."""
        if compact.startswith("+"):
            body = compact[1:]
            return body[len(self._cc) :] if body.startswith(self._cc) and body.isdigit() else None
        if not compact.isdigit():
            return None
        if self._idd_cc and compact.startswith(self._idd_cc):
            return compact[len(self._idd_cc) :]
        if compact.startswith(self._cc):  # "98912…": parse() decides between country code and NSN
            return None
        if self._trunk and compact.startswith(self._trunk):
            return compact[len(self._trunk) :]
        return compact

    def _fast_check(self, raw: str) -> NumberCheck | None:
        compact = raw.translate(_COMPACT)
        if not compact.isascii():
            return None
        nsn = self._national_significant(compact)
        if not nsn or nsn[0] == "0" or not _PLAIN_DIGITS.fullmatch(nsn) or len(nsn) > 17:
            return None
        number = PhoneNumber(country_code=self.country_code, national_number=int(nsn))
        kind = phonenumbers.number_type(number)
        if kind == PhoneNumberType.UNKNOWN:
            return None  # let parse() give the verdict and the reason
        return NumberCheck(f"+{self._cc}{nsn}", _TYPES[kind], None)

    def check(self, raw: str) -> NumberCheck:
        cleaned = raw.translate(_INVISIBLE).strip()
        if self._fast:
            fast = self._fast_check(cleaned)
            if fast is not None:
                return fast
        try:
            number = phonenumbers.parse(cleaned, self.region)
        except phonenumbers.NumberParseException as error:
            return NumberCheck(None, None, _PARSE_ERRORS.get(error.error_type, "not_a_number"))
        kind = phonenumbers.number_type(number)
        if kind == PhoneNumberType.UNKNOWN:
            possible = phonenumbers.is_possible_number_with_reason(number)
            return NumberCheck(None, None, _LENGTH_REASONS.get(possible, "invalid_for_region"))
        return NumberCheck(phonenumbers.format_number(number, PhoneNumberFormat.E164), _TYPES[kind], None)


@lru_cache(maxsize=64)
def normaliser_for(region: str) -> NumberNormaliser:
    return NumberNormaliser(region)


def check_number(raw: str, region: str) -> NumberCheck:
    return normaliser_for(region.upper()).check(raw)


def normalise_number(raw: str, region: str) -> str:
    """E.164 of one number (a quick send, an OTP); ``invalid_number`` (400) with the reason otherwise."""
    result = check_number(raw, region)
    if result.e164 is None:
        raise BadRequest(
            "invalid_number", f"{raw!r} is not a valid phone number ({result.reason})", reason=result.reason
        )
    return result.e164


@dataclass(frozen=True, slots=True)
class NumberInfo:
    type: NumberType
    region: str | None
    time_zones: tuple[str, ...]


def number_info(e164: str) -> NumberInfo:
    """Type, region and time zones of a normalised number, from libphonenumber's data."""
    number = phonenumbers.parse(e164, None)
    return NumberInfo(
        type=_TYPES.get(phonenumbers.number_type(number), NumberType.UNKNOWN),
        region=phonenumbers.region_code_for_number(number),
        time_zones=tuple(phone_timezone.time_zones_for_number(number)),
    )


def recipient_time_zone(info: NumberInfo, account_time_zone: str) -> str:
    """The recipient's zone when the number names exactly one; else the account's (R-CPL-1)."""
    zones = info.time_zones
    if len(zones) == 1 and zones[0] != UNKNOWN_TIME_ZONE:
        return zones[0]
    return account_time_zone
