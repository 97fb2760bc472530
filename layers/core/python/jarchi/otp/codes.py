"""One-time codes as values (R-CMP-7, R-TTS-1): pure rules, unit-tested without AWS.

- A code is 4..8 ASCII digits, generated with `secrets` (6 by default) or given by the caller.
- Only a keyed hash is stored: HMAC-SHA256 over `<otp id>:<code>` with the deployment's `otp_key` (a 6-digit
  code has a million values: an unkeyed hash would be reversed by trying them all).
- `matches` compares in constant time (`hmac.compare_digest`).
- The SMS reads `<sender>: code <digits>` (the sender name as R-SMS-1 wants; "code" before the digits keeps a
  7–8 digit code from reading as a phone number); the voice call reads the digits one by one, twice.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Final

from jarchi.errors import Unprocessable

MIN_LENGTH: Final = 4
MAX_LENGTH: Final = 8
DEFAULT_LENGTH: Final = 6
MAX_TRIES: Final = 5

# "Your code is: 1, 2, 3, 4. Once more: 1, 2, 3, 4." per language of the account's region.
_SPOKEN: Final = {
    "fa": ("کد شما: {digits}. یک بار دیگر: {digits}.", "، "),
    "ru": ("Ваш код: {digits}. Повторяю: {digits}.", ", "),
    "uk": ("Ваш код: {digits}. Повторюю: {digits}.", ", "),
    "en": ("Your code is: {digits}. Once more: {digits}.", ", "),
}


def new_code(length: int = DEFAULT_LENGTH) -> str:
    return "".join(str(secrets.randbelow(10)) for _ in range(length))


def checked_code(code: str | None, length: int | None) -> str:
    """The caller's code (digits, 4..8, its length if both are given), else a new one."""
    if code is None:
        return new_code(length or DEFAULT_LENGTH)
    if not (code.isascii() and code.isdigit() and MIN_LENGTH <= len(code) <= MAX_LENGTH):
        raise Unprocessable("invalid_code", f"a code is {MIN_LENGTH} to {MAX_LENGTH} digits 0-9")
    if length is not None and len(code) != length:
        raise Unprocessable("invalid_code", f"the code has {len(code)} digits, not the {length} asked for")
    return code


def code_hash(key: bytes, otp_id: str, code: str) -> str:
    return hmac.new(key, f"{otp_id}:{code}".encode(), hashlib.sha256).hexdigest()


def matches(key: bytes, otp_id: str, code: str, stored_hash: str) -> bool:
    return hmac.compare_digest(code_hash(key, otp_id, code), stored_hash)


def sms_text(sender: str, code: str) -> str:
    return f"{sender}: code {code}"


def spoken_text(code: str, language: str) -> str:
    """The digits one by one (separated, so the engine does not read "1234" as a number), twice."""
    template, separator = _SPOKEN.get(language, _SPOKEN["en"])
    return template.format(digits=separator.join(code))
