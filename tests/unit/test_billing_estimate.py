"""R-BIL-2 estimates, R-ACC-4 demo tariff, R-ACC-3 customer tariffs not below reseller cost."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jarchi.billing.estimate import estimate_sms, estimate_voice
from jarchi.billing.tariffs import (
    DEFAULT_TARIFFS,
    Tariff,
    TariffAccountType,
    tariff_for,
    validate_customer_tariff,
)
from jarchi.content.personalisation import segments_per_recipient
from jarchi.errors import BadRequest, Unprocessable


def test_r_acc_4_demo_tariff_is_135_toman_per_pulse() -> None:
    assert tariff_for("demo").voice_per_pulse == 1_350  # rials


def test_r_bil_2_every_account_type_has_an_integer_tariff() -> None:
    for kind in ("customer", "reseller_1", "reseller_2", "demo", "admin"):
        tariff = tariff_for(kind)
        assert isinstance(tariff.voice_per_pulse, int) and isinstance(tariff.sms_per_segment, int)
    assert tariff_for("reseller_1").voice_per_pulse < tariff_for("reseller_2").voice_per_pulse
    assert tariff_for("reseller_2").voice_per_pulse < tariff_for("customer").voice_per_pulse
    assert tariff_for("customer").voice_per_pulse < tariff_for("demo").voice_per_pulse


def test_r_bil_2_tariff_overrides_and_unknown_types() -> None:
    special = Tariff(voice_per_pulse=900, sms_per_segment=1_000)
    assert tariff_for("customer", {"customer": special}) is special
    assert tariff_for("demo", {"customer": special}) == DEFAULT_TARIFFS[TariffAccountType.DEMO]
    with pytest.raises(BadRequest) as caught:
        tariff_for("vip")
    assert caught.value.code == "account_type_unknown"


@pytest.mark.parametrize("bad", [-1, 1.5, True])
def test_r_bil_1_tariffs_are_whole_non_negative_rials(bad: object) -> None:
    with pytest.raises(BadRequest):
        Tariff(voice_per_pulse=bad, sms_per_segment=0)  # type: ignore[arg-type]


def test_r_acc_3_customer_tariff_not_below_reseller_cost() -> None:
    cost = tariff_for("reseller_1")
    validate_customer_tariff(Tariff(700, 900), cost)
    with pytest.raises(Unprocessable) as caught:
        validate_customer_tariff(Tariff(699, 2_000), cost)
    assert caught.value.code == "tariff_below_cost" and caught.value.status == 422


def test_r_bil_2_voice_estimate_is_pulses_times_recipients_times_tariff() -> None:
    # the seed's formula: pulses × recipients × tariff per pulse
    estimate = estimate_voice(pulses=2, recipients=1_000, tariff=tariff_for("demo"))
    assert estimate.as_dict() == {"estimated": 2_700_000, "recipients": 1_000, "parts": 2_000}


def test_r_bil_2_voice_estimate_needs_at_least_one_pulse() -> None:
    with pytest.raises(BadRequest):
        estimate_voice(pulses=0, recipients=1, tariff=tariff_for("customer"))


def test_r_bil_2_sms_estimate_sums_per_recipient_segments() -> None:
    tariff = tariff_for("customer")
    text = "Hi #name#, " + "x" * 140
    per_recipient = segments_per_recipient(text, ["name"], [["Al"], ["A" * 20], ["Мария"]])
    estimate = estimate_sms(per_recipient, tariff)
    assert estimate.as_dict() == {"estimated": 6 * 1_200, "recipients": 3, "parts": 6}


def test_r_bil_2_sms_estimate_of_nobody_is_zero() -> None:
    assert estimate_sms([], tariff_for("customer")).as_dict() == {"estimated": 0, "recipients": 0, "parts": 0}


@given(st.lists(st.integers(min_value=1, max_value=10), max_size=50))
def test_r_bil_2_property_sms_estimate_is_exact_integer_arithmetic(segments: list[int]) -> None:
    tariff = tariff_for("reseller_2")
    estimate = estimate_sms(segments, tariff)
    assert estimate.estimated == sum(segments) * tariff.sms_per_segment
    assert isinstance(estimate.estimated, int)
