"""Sender ids (R-SMS-3).

Two kinds:

- alphanumeric: 1..11 Latin letters and digits only (no spaces, so "SMS CLUB" is "SMSCLUB"), at least
  one letter; case is kept (handsets show it as sent);
- numeric: 3..15 digits (short codes and long numbers such as Iran's ``3000…``/``1000…`` lines), an
  optional leading ``+`` is dropped.

Anything else is ``sender_invalid`` (400). A sender is registered per account and moderated like audio
(``jarchi.content.moderation``): only an approved sender can be used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from jarchi.content.moderation import ModerationStatus
from jarchi.errors import BadRequest

SenderStatus = ModerationStatus

ALPHANUMERIC_MAX = 11
NUMERIC_MIN = 3
NUMERIC_MAX = 15

_ALPHANUMERIC = re.compile(r"[A-Za-z0-9]+")
_NUMERIC = re.compile(r"\+?([0-9]+)")


class SenderKind(StrEnum):
    ALPHANUMERIC = "alphanumeric"
    NUMERIC = "numeric"


@dataclass(frozen=True, slots=True)
class SenderId:
    value: str
    kind: SenderKind


def _invalid(name: str, why: str) -> BadRequest:
    return BadRequest("sender_invalid", f"sender {name!r} is not valid: {why}", sender=name)


def validate_sender_id(name: str) -> SenderId:
    value = name.strip()
    numeric = _NUMERIC.fullmatch(value)
    if numeric:
        digits = numeric.group(1)
        if not NUMERIC_MIN <= len(digits) <= NUMERIC_MAX:
            raise _invalid(name, f"a numeric sender has {NUMERIC_MIN} to {NUMERIC_MAX} digits")
        return SenderId(digits, SenderKind.NUMERIC)
    if not _ALPHANUMERIC.fullmatch(value):
        raise _invalid(name, "use Latin letters and digits only")
    if len(value) > ALPHANUMERIC_MAX:
        raise _invalid(name, f"an alphanumeric sender has at most {ALPHANUMERIC_MAX} characters")
    if not any(ch.isalpha() for ch in value):
        raise _invalid(name, "an alphanumeric sender needs at least one letter")
    return SenderId(value, SenderKind.ALPHANUMERIC)
