"""R-CPL-2 (advertising frequency cap) and R-CPL-3 (opt-out, blacklists): pure pre-dial rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jarchi.attempts import Outcome
from jarchi.channels import Category
from jarchi.compliance.adcap import (
    AD_CAP_PERIOD,
    RecipientChecks,
    SuppressionList,
    cap_applies,
    cap_claim_lost,
    cap_expiry,
    is_capped,
    lists_to_check,
    pre_dial_check,
)

NOW = datetime(2026, 3, 2, 6, 30, tzinfo=UTC)


def test_r_cpl_2_only_advertising_is_capped() -> None:
    assert cap_applies(Category.ADVERTISING)
    assert cap_applies("advertising")
    assert not cap_applies(Category.SERVICE)
    assert not cap_applies(Category.OTP)


def test_r_cpl_2_cap_lasts_a_rolling_24_hours() -> None:
    expires = cap_expiry(NOW)
    assert expires == NOW + timedelta(hours=24)
    assert is_capped(expires, NOW)
    assert is_capped(expires, NOW + timedelta(hours=23, minutes=59, seconds=59))
    assert not is_capped(expires, NOW + timedelta(hours=24))
    assert not is_capped(None, NOW)


def test_r_cpl_2_cap_times_are_aware() -> None:
    with pytest.raises(ValueError, match="aware"):
        cap_expiry(datetime(2026, 3, 2, 10))


@given(
    claimed=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)),
    later=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=3)),
)
def test_r_cpl_2_property_capped_exactly_within_the_period(claimed: datetime, later: timedelta) -> None:
    assert is_capped(cap_expiry(claimed), claimed + later) is (later < AD_CAP_PERIOD)


def test_r_cpl_3_lists_checked_per_category() -> None:
    assert lists_to_check(Category.ADVERTISING) == (
        SuppressionList.ACCOUNT_STOP_LIST,
        SuppressionList.TELECOM_BLACKLIST,
        SuppressionList.AD_OPT_OUT,
    )
    assert lists_to_check(Category.SERVICE) == (SuppressionList.ACCOUNT_STOP_LIST,)
    assert lists_to_check(Category.OTP) == (SuppressionList.ACCOUNT_STOP_LIST,)


def test_r_cpl_2_clean_advertising_recipient_claims_the_cap() -> None:
    decision = pre_dial_check(Category.ADVERTISING, RecipientChecks())
    assert decision.proceed and decision.claim_ad_cap
    assert decision.outcome is None and not decision.wait


def test_r_cpl_2_service_and_otp_proceed_without_claiming() -> None:
    for category in (Category.SERVICE, Category.OTP):
        decision = pre_dial_check(category, RecipientChecks())
        assert decision.proceed and not decision.claim_ad_cap


def test_r_cpl_2_lost_claim_is_frequency_capped() -> None:
    lost = cap_claim_lost()
    assert lost.outcome is Outcome.FREQUENCY_CAPPED and not lost.proceed


def test_r_cpl_3_opted_out_refuses_advertising_only() -> None:
    checks = RecipientChecks(ad_opted_out=True)
    ad = pre_dial_check(Category.ADVERTISING, checks)
    assert ad.outcome is Outcome.OPTED_OUT and ad.reason == "ad_opt_out"
    assert pre_dial_check(Category.SERVICE, checks).proceed
    assert pre_dial_check(Category.OTP, checks).proceed


def test_r_cpl_3_account_stop_list_refuses_every_category() -> None:
    checks = RecipientChecks(on_account_stop_list=True)
    for category in Category:
        decision = pre_dial_check(category, checks)
        assert decision.outcome is Outcome.BLACKLISTED
        assert decision.reason == "account_stop_list"


def test_r_cpl_3_telecom_blacklist_refuses_advertising_only() -> None:
    checks = RecipientChecks(on_telecom_blacklist=True)
    decision = pre_dial_check(Category.ADVERTISING, checks)
    assert decision.outcome is Outcome.BLACKLISTED and decision.reason == "telecom_blacklist"
    assert pre_dial_check(Category.OTP, checks).proceed


def test_r_cpl_1_closed_window_waits_and_is_not_final() -> None:
    decision = pre_dial_check(Category.ADVERTISING, RecipientChecks(window_open=False))
    assert decision.wait and decision.outcome is None and not decision.proceed
    assert not decision.claim_ad_cap


@pytest.mark.parametrize(
    ("checks", "outcome", "reason"),
    [
        (
            RecipientChecks(False, True, True, True, False),
            Outcome.INVALID,
            "invalid_number",
        ),
        (RecipientChecks(True, True, True, True, False), Outcome.BLACKLISTED, "account_stop_list"),
        (RecipientChecks(True, False, True, True, False), Outcome.BLACKLISTED, "telecom_blacklist"),
        (RecipientChecks(True, False, False, True, False), Outcome.OPTED_OUT, "ad_opt_out"),
        (RecipientChecks(True, False, False, False, False), None, "outside_window"),
        (RecipientChecks(True, False, False, False, True), None, "claim_ad_cap"),
    ],
)
def test_r_cpl_3_pre_dial_checks_run_in_order(checks: RecipientChecks, outcome: Outcome | None, reason: str) -> None:
    decision = pre_dial_check(Category.ADVERTISING, checks)
    assert decision.outcome is outcome
    assert decision.reason == reason
