"""R-LST-2 / R-LST-3: E.164 normalisation, number type, region and time zone."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jarchi.audiences.numbers import (
    NumberInfo,
    NumberNormaliser,
    NumberType,
    check_number,
    normalise_number,
    number_info,
    recipient_time_zone,
)
from jarchi.errors import BadRequest


@pytest.mark.parametrize(
    "raw",
    [
        "09121234567",
        "0912 123 4567",
        "0912-123-4567",
        "(0912) 123-4567",
        "+989121234567",
        "+98 912 123 4567",
        "00989121234567",
        "989121234567",
        "9121234567",
        "۰۹۱۲۱۲۳۴۵۶۷",
        "٠٩١٢١٢٣٤٥٦٧",
        "۰۹۱۲ ۱۲۳ ۴۵۶۷",
        "\u200f09121234567\u200e",  # bidi marks copied from Persian text
        " 0912.123.4567 ",
    ],
)
def test_r_lst_2_iranian_mobile_in_any_format(raw: str) -> None:
    result = check_number(raw, "IR")
    assert result.e164 == "+989121234567"
    assert result.type is NumberType.MOBILE
    assert result.reason is None


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("hello", "not_a_number"),
        ("", "not_a_number"),
        ("0912123", "invalid_for_region"),
        ("091212345678", "too_long"),
        ("12", "too_short"),
        ("+999 123", "invalid_country_code"),
        ("0900123456", "invalid_for_region"),
    ],
)
def test_r_lst_2_invalid_numbers_have_a_reason(raw: str, reason: str) -> None:
    result = check_number(raw, "IR")
    assert result.e164 is None
    assert result.reason == reason


def test_r_lst_2_other_regions() -> None:
    assert normalise_number("(650) 253-0000", "US") == "+16502530000"
    assert normalise_number("030 123456", "DE") == "+4930123456"
    assert normalise_number("8 (495) 123-45-67", "RU") == "+74951234567"
    assert normalise_number("+44 20 7946 0958", "IR") == "+442079460958"


def test_r_lst_2_single_number_errors() -> None:
    with pytest.raises(BadRequest) as caught:
        normalise_number("0912", "IR")
    assert caught.value.code == "invalid_number"
    assert caught.value.details["reason"]
    with pytest.raises(BadRequest) as region:
        NumberNormaliser("XX")
    assert region.value.code == "region_unknown"


def test_r_lst_3_number_info_mobile_and_fixed_line() -> None:
    mobile = number_info("+989121234567")
    assert mobile == NumberInfo(NumberType.MOBILE, "IR", ("Asia/Tehran",))
    fixed = number_info("+982188776655")
    assert fixed.type is NumberType.FIXED_LINE
    assert fixed.region == "IR"


def test_r_lst_3_toll_free_maps_to_many_zones_so_the_account_zone_wins() -> None:
    info = number_info("+18005551234")
    assert info.type is NumberType.TOLL_FREE
    assert len(info.time_zones) > 1
    assert recipient_time_zone(info, "Asia/Tehran") == "Asia/Tehran"


def test_r_lst_3_recipient_time_zone() -> None:
    assert recipient_time_zone(number_info("+989121234567"), "Europe/Kyiv") == "Asia/Tehran"
    unknown = NumberInfo(NumberType.UNKNOWN, None, ("Etc/Unknown",))
    assert recipient_time_zone(unknown, "Asia/Tehran") == "Asia/Tehran"


# --- the fast path gives exactly what phonenumbers.parse gives ---------------------------------------


def reference(raw: str, region: str) -> str | None:
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def example_nsns(region: str) -> list[str]:
    out = []
    for kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE):
        example = phonenumbers.example_number_for_type(region, kind)
        if example is not None:
            out.append(phonenumbers.national_significant_number(example))
    return out


REGIONS = ["IR", "US", "DE", "RU", "UA", "IT", "FR", "IN", "GB", "AR"]


@st.composite
def shaped_numbers(draw: st.DrawFn) -> tuple[str, str]:
    region = draw(st.sampled_from(REGIONS))
    cc = str(phonenumbers.country_code_for_region(region))
    base = draw(st.sampled_from(example_nsns(region)))
    # mutate the tail so that some stay valid and some do not
    tail = draw(st.text(alphabet="0123456789", min_size=0, max_size=4))
    cut = draw(st.integers(min_value=0, max_value=3))
    nsn = base[: len(base) - cut] + tail
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    assert metadata is not None
    trunk = metadata.national_prefix or ""
    shape = draw(st.sampled_from(["{n}", "{t}{n}", "+{c}{n}", "00{c}{n}", "{c}{n}", "+{c} {n}", "{t}{n}"]))
    return region, shape.format(n=nsn, t=trunk, c=cc)


@settings(max_examples=400, deadline=None)
@given(shaped_numbers())
def test_r_lst_2_property_fast_path_matches_phonenumbers_parse(case: tuple[str, str]) -> None:
    region, raw = case
    assert check_number(raw, region).e164 == reference(raw, region)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789+ -()۰۱۲۹", max_size=18))
def test_r_lst_2_property_any_digit_soup_matches_phonenumbers_parse(raw: str) -> None:
    assert check_number(raw, "IR").e164 == reference(raw.strip(), "IR")
