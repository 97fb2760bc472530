"""One-time codes as values (R-CMP-7, R-TTS-1)."""

from __future__ import annotations

import pytest

from jarchi.content.rules import require_service_sms_allowed
from jarchi.errors import Unprocessable
from jarchi.otp import codes


def test_r_cmp_7_codes_are_digits_of_the_asked_length() -> None:
    assert len(codes.checked_code(None, None)) == 6 and codes.checked_code(None, 8).isdigit()
    assert codes.checked_code("0042", None) == "0042"
    for bad, length in (("12a4", None), ("123", None), ("123456789", None), ("١٢٣٤", None), ("1234", 6)):
        with pytest.raises(Unprocessable) as refused:
            codes.checked_code(bad, length)
        assert refused.value.code == "invalid_code"


def test_r_cmp_7_only_a_keyed_hash_is_kept_and_compared() -> None:
    stored = codes.code_hash(b"k" * 32, "otp_1", "123456")
    assert "123456" not in stored
    assert codes.matches(b"k" * 32, "otp_1", "123456", stored)
    assert not codes.matches(b"k" * 32, "otp_1", "123457", stored)
    assert not codes.matches(b"other-key" * 4, "otp_1", "123456", stored)
    assert not codes.matches(b"k" * 32, "otp_2", "123456", stored)  # the id salts it


def test_r_tts_1_the_call_reads_the_digits_one_by_one_twice() -> None:
    assert codes.spoken_text("4071", "en") == "Your code is: 4, 0, 7, 1. Once more: 4, 0, 7, 1."
    persian = codes.spoken_text("4071", "fa")
    assert persian.count("4، 0، 7، 1") == 2
    assert codes.spoken_text("12", "xx") == codes.spoken_text("12", "en")


def test_r_sms_1_an_otp_sms_passes_the_service_rules_even_with_eight_digits() -> None:
    require_service_sms_allowed(codes.sms_text("Shop", "12345678"), "Shop")
