"""R-OUT-1/2 outcomes and vote codes, R-BIL-3 what an attempt costs."""

from __future__ import annotations

import pytest

from jarchi.attempts import PRE_DIAL_OUTCOMES, DeliveryStatus, Outcome, is_final, sms_outcome, stat_key, vote_code
from jarchi.billing.charges import attempt_charge, is_billable
from jarchi.channels import Category, Channel
from jarchi.compliance.adcap import opts_out_of_ads, releases_ad_cap
from jarchi.content.audio import pulses_for

STATS_KEYS = {
    "total",
    "pending",
    "in_progress",
    "answered",
    "delivered",
    "no_answer",
    "busy",
    "failed",
    "frequency_capped",
    "opted_out",
    "blacklisted",
    "invalid",
    "country_not_allowed",
    "prefix_not_allowed",
}


def test_r_out_1_every_outcome_counts_under_a_spec_stats_key() -> None:
    for outcome in Outcome:
        assert stat_key(outcome) in STATS_KEYS
    assert stat_key(Outcome.UNREACHABLE) == "no_answer"
    assert stat_key(Outcome.REJECTED) == "failed"
    assert {stat_key(o) for o in PRE_DIAL_OUTCOMES} == {
        "frequency_capped",
        "opted_out",
        "blacklisted",
        "invalid",
        "country_not_allowed",
        "prefix_not_allowed",
    }


def test_r_out_1_only_sent_is_not_final() -> None:
    assert [o for o in Outcome if not is_final(o)] == [Outcome.SENT]


def test_r_out_2_vote_codes() -> None:
    assert vote_code(Outcome.NO_ANSWER) == -1
    assert vote_code(Outcome.BUSY, "3") == -1
    assert vote_code(Outcome.FREQUENCY_CAPPED) == -1
    assert vote_code(Outcome.ANSWERED) == 0
    assert vote_code(Outcome.ANSWERED, "") == 0
    assert vote_code(Outcome.ANSWERED, "11") == 11
    assert vote_code(Outcome.ANSWERED, "2") == 2
    assert vote_code(Outcome.ANSWERED, "#12*") == 12


def test_r_cpl_3_vote_11_opts_out_of_advertising_only() -> None:
    assert opts_out_of_ads(Category.ADVERTISING, 11)
    assert not opts_out_of_ads(Category.ADVERTISING, 1)
    assert not opts_out_of_ads(Category.SERVICE, 11)


@pytest.mark.parametrize(
    ("status", "outcome", "billable"),
    [
        (DeliveryStatus.DELIVRD, Outcome.DELIVERED, True),
        (DeliveryStatus.NOREPORT, Outcome.DELIVERED, True),
        (DeliveryStatus.ENROUTE, Outcome.SENT, True),
        (DeliveryStatus.UNDELIV, Outcome.UNDELIVERED, True),
        (DeliveryStatus.EXPIRED, Outcome.UNDELIVERED, True),
        (DeliveryStatus.FAILED, Outcome.UNDELIVERED, True),
        (DeliveryStatus.REJECTD, Outcome.REJECTED, False),
    ],
)
def test_r_bil_3_sms_charged_when_the_operator_accepted(
    status: DeliveryStatus, outcome: Outcome, billable: bool
) -> None:
    assert sms_outcome(status) is outcome
    assert sms_outcome(status.value) is outcome
    assert is_billable(outcome) is billable


def test_r_bil_3_only_answered_calls_are_charged() -> None:
    assert [o for o in (Outcome.ANSWERED, *PRE_DIAL_OUTCOMES) if is_billable(o)] == [Outcome.ANSWERED]
    for outcome in (Outcome.NO_ANSWER, Outcome.BUSY, Outcome.UNREACHABLE, Outcome.FAILED):
        assert not is_billable(outcome)


def test_r_aud_2_pulses_are_started_30_seconds() -> None:
    # One rule for pulses: the measured audio's (`content.audio.pulses_for`, milliseconds).
    assert [pulses_for(ms) for ms in (1_000, 29_000, 30_000, 31_000, 60_000, 61_000, 90_500)] == [1, 1, 1, 2, 2, 3, 4]


def test_r_bil_2_attempt_charge() -> None:
    # A 31 s message is 2 pulses; answered pays the whole message at 100 per pulse.
    assert attempt_charge(Channel.VOICE, Outcome.ANSWERED, units=pulses_for(31_000), tariff=100) == 200
    assert attempt_charge("voice", Outcome.NO_ANSWER, units=2, tariff=100) == 0
    assert attempt_charge("voice", Outcome.FREQUENCY_CAPPED, units=2, tariff=100) == 0
    # SMS: 3 segments at 25.
    assert attempt_charge(Channel.SMS, Outcome.DELIVERED, units=3, tariff=25) == 75
    assert attempt_charge(Channel.SMS, Outcome.UNDELIVERED, units=3, tariff=25) == 75
    assert attempt_charge(Channel.SMS, Outcome.REJECTED, units=3, tariff=25) == 0
    assert attempt_charge(Channel.SMS, Outcome.OPTED_OUT, units=3, tariff=25) == 0


def test_r_bil_2_attempt_charge_refuses_mismatched_channel() -> None:
    with pytest.raises(ValueError, match="not a voice outcome"):
        attempt_charge(Channel.VOICE, Outcome.DELIVERED, units=1, tariff=1)
    with pytest.raises(ValueError, match="not a sms outcome"):
        attempt_charge(Channel.SMS, Outcome.ANSWERED, units=1, tariff=1)
    with pytest.raises(ValueError):
        attempt_charge(Channel.SMS, Outcome.DELIVERED, units=-1, tariff=1)


def test_r_cpl_2_cap_released_only_when_the_network_was_never_reached() -> None:
    assert {o for o in Outcome if releases_ad_cap(o)} == {Outcome.FAILED, Outcome.REJECTED, Outcome.EXPIRED}
