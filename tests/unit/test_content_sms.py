"""R-SMS-2 segments, R-SMS-5 validity and delivery statuses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jarchi.attempts import DeliveryStatus
from jarchi.content.sms import (
    GSM7_BASIC,
    GSM7_EXTENSION,
    MAX_SEGMENTS,
    SmsEncoding,
    count_segments,
    measure_sms,
    split_sms,
)
from jarchi.content.sms_types import ValidityPeriod
from jarchi.errors import BadRequest

PERSIAN = "سلام"  # 4 chars
RUSSIAN = "Привет"
UKRAINIAN = "Привіт, як справи? Ґанок і їжак"
EMOJI = "😀"  # outside the BMP: a surrogate pair


def segments(text: str) -> int:
    return measure_sms(text).segments


@pytest.mark.parametrize(("parts", "gsm_max", "ucs2_max"), [(1, 160, 70), (2, 306, 134), (3, 459, 201), (4, 612, 268)])
def test_r_sms_2_seed_table_is_exact(parts: int, gsm_max: int, ucs2_max: int) -> None:
    # GIVEN the seed's table: the longest text that fits in N parts, Latin and Cyrillic
    assert segments("a" * gsm_max) == parts
    assert segments("a" * (gsm_max + 1)) == parts + 1
    assert segments("ж" * ucs2_max) == parts
    assert segments("ж" * (ucs2_max + 1)) == parts + 1


@pytest.mark.parametrize(("length", "expected"), [(160, 1), (161, 2), (306, 2), (307, 3)])
def test_r_sms_2_gsm_boundaries(length: int, expected: int) -> None:
    count = measure_sms("x" * length)
    assert (count.encoding, count.units, count.segments) == (SmsEncoding.GSM7, length, expected)
    assert count.per_part == (160 if expected == 1 else 153)


@pytest.mark.parametrize(("length", "expected"), [(70, 1), (71, 2), (134, 2), (135, 3)])
def test_r_sms_2_ucs2_boundaries(length: int, expected: int) -> None:
    count = measure_sms("д" * length)
    assert (count.encoding, count.units, count.segments) == (SmsEncoding.UCS2, length, expected)
    assert count.per_part == (70 if expected == 1 else 67)


@pytest.mark.parametrize("char", sorted(GSM7_EXTENSION))
def test_r_sms_2_extension_chars_count_two_septets(char: str) -> None:
    count = measure_sms(char)
    assert (count.encoding, count.units) == (SmsEncoding.GSM7, 2)
    assert segments(char * 80) == 1  # 160 septets
    assert segments(char * 81) == 2  # 162 septets


def test_r_sms_2_extension_text_stays_gsm7() -> None:
    count = measure_sms("Price: 5€ [promo] {x} ~a|b^c\\d")
    assert count.encoding is SmsEncoding.GSM7
    assert count.units == 30 + 9  # 30 characters, 9 of them from the extension table


def test_r_sms_2_extension_char_is_not_split_across_parts() -> None:
    # GIVEN 152 plain septets then "€" (2 septets) at the part boundary, then 1 more char:
    # 155 septets needs 2 parts; the € cannot take septets 153-154 split, it moves to part 2
    text = "a" * 152 + "€" + "b" * 152
    count = measure_sms(text)
    assert count.units == 306  # would fit 2 × 153 by units alone
    assert count.segments == 3  # but part 1 carries only 152
    assert split_sms(text) == ["a" * 152, "€" + "b" * 151, "b"]


def test_r_sms_2_extension_char_exactly_at_the_end_of_a_part_fits() -> None:
    text = "a" * 151 + "€" + "b" * 153
    assert measure_sms(text).segments == 2
    assert split_sms(text) == ["a" * 151 + "€", "b" * 153]


def test_r_sms_2_emoji_is_two_units_and_forces_ucs2() -> None:
    count = measure_sms("hi " + EMOJI)
    assert (count.encoding, count.units, count.segments) == (SmsEncoding.UCS2, 5, 1)
    assert segments(EMOJI * 35) == 1  # 70 units
    assert segments(EMOJI * 36) == 2  # 72 units


def test_r_sms_2_surrogate_pair_is_not_split_across_parts() -> None:
    text = "ж" * 66 + EMOJI + "ж" * 66  # 134 units: 2 × 67 by units alone
    count = measure_sms(text)
    assert count.units == 134
    assert count.segments == 3
    parts = split_sms(text)
    assert parts[0] == "ж" * 66 and parts[1].startswith(EMOJI)
    assert "".join(parts) == text


def test_r_sms_2_one_non_gsm_char_makes_the_whole_text_ucs2() -> None:
    latin = "a" * 100
    assert measure_sms(latin).segments == 1
    count = measure_sms(latin + "ç")  # lower-case c-cedilla is not GSM-7 (Ç is)
    assert (count.encoding, count.segments) == (SmsEncoding.UCS2, 2)


@pytest.mark.parametrize("text", [PERSIAN * 17, RUSSIAN, UKRAINIAN])
def test_r_sms_2_persian_russian_ukrainian_are_ucs2(text: str) -> None:
    count = measure_sms(text)
    assert count.encoding is SmsEncoding.UCS2
    assert count.units == len(text)


def test_r_sms_2_persian_68_chars_is_one_part_71_is_two() -> None:
    assert segments(PERSIAN * 17 + "ab") == 1  # 70
    assert segments(PERSIAN * 17 + "abc") == 2  # 71


def test_r_sms_2_empty_text_is_refused() -> None:
    with pytest.raises(BadRequest) as caught:
        count_segments("")
    assert caught.value.code == "sms_text_empty"


def test_r_sms_2_max_segments_boundary() -> None:
    assert count_segments("a" * 153 * MAX_SEGMENTS).segments == MAX_SEGMENTS
    with pytest.raises(BadRequest) as caught:
        count_segments("a" * (153 * MAX_SEGMENTS + 1))
    assert caught.value.code == "sms_text_too_long"
    assert caught.value.details["segments"] == MAX_SEGMENTS + 1
    assert count_segments("ж" * 67 * MAX_SEGMENTS).segments == MAX_SEGMENTS
    with pytest.raises(BadRequest):
        count_segments("ж" * (67 * MAX_SEGMENTS + 1))


gsm_text = st.text(alphabet=sorted(GSM7_BASIC), min_size=1, max_size=160)
any_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=700)


@given(gsm_text)
def test_r_sms_2_property_gsm_basic_up_to_160_is_one_part(text: str) -> None:
    assert measure_sms(text).segments == 1


@given(any_text, st.characters(codec="utf-8", exclude_categories=["Cs"]))
def test_r_sms_2_property_segments_never_decrease_when_appending(text: str, extra: str) -> None:
    before, after = measure_sms(text), measure_sms(text + extra)
    if before.encoding == after.encoding:
        assert after.segments >= before.segments


@given(any_text)
def test_r_sms_2_property_parts_rejoin_and_fit(text: str) -> None:
    count = measure_sms(text)
    parts = split_sms(text)
    assert "".join(parts) == text
    assert len(parts) == count.segments
    for part in parts:
        assert measure_sms(part).units <= count.per_part


def test_r_sms_5_validity_defaults_to_24_hours_and_accepts_1_to_72() -> None:
    assert ValidityPeriod.of(None).hours == 24
    assert ValidityPeriod.of(72).seconds == 72 * 3600
    assert ValidityPeriod.of(1).hours == 1
    sent = datetime(2026, 3, 2, 10, tzinfo=UTC)
    assert ValidityPeriod.of(None).expires_at(sent) == sent + timedelta(hours=24)


@pytest.mark.parametrize("hours", [0, 73, -1])
def test_r_sms_5_validity_out_of_range_is_refused(hours: int) -> None:
    with pytest.raises(BadRequest) as caught:
        ValidityPeriod.of(hours)
    assert caught.value.code == "sms_validity_invalid"


def test_r_sms_5_delivery_statuses_final_and_billable() -> None:
    assert {s.value for s in DeliveryStatus} == {
        "ENROUTE", "DELIVRD", "FAILED", "EXPIRED", "UNDELIV", "NOREPORT", "REJECTD",
    }  # fmt: skip
    assert [s for s in DeliveryStatus if not s.is_final] == [DeliveryStatus.ENROUTE]
    assert {s for s in DeliveryStatus if not s.is_billable} == {DeliveryStatus.FAILED, DeliveryStatus.REJECTD}
    assert DeliveryStatus("DELIVRD").is_delivered
