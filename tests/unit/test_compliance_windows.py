"""R-CPL-1: sending windows in the recipient's local time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jarchi.channels import Category, Channel
from jarchi.compliance.windows import (
    TimeWindow,
    WindowPolicy,
    WindowRule,
    effective_windows,
    intersect_rules,
    is_open,
    next_opening_any,
    next_window_opening,
    open_zones,
    window_close,
)
from jarchi.errors import Unprocessable

TEHRAN = "Asia/Tehran"
AD_VOICE = WindowPolicy.default().rule_for(Channel.VOICE, Category.ADVERTISING)


def local(text: str, tz: str = TEHRAN) -> datetime:
    """An aware instant from a local wall-clock time."""
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(tz))


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# --- policy -------------------------------------------------------------------------------------------


def test_r_cpl_1_default_policy_windows() -> None:
    policy = WindowPolicy.default()
    assert [str(w) for w in policy.rule_for("voice", "advertising").windows] == ["09:30-14:00", "17:00-21:30"]
    assert [str(w) for w in policy.rule_for("voice", "service").windows] == ["07:00-23:00"]
    assert [str(w) for w in policy.rule_for("sms", "advertising").windows] == ["08:00-21:00"]
    assert [str(w) for w in policy.rule_for("sms", "service").windows] == ["07:00-23:00"]
    assert policy.rule_for("voice", "advertising").days == frozenset(range(1, 8))


def test_r_cpl_1_otp_follows_service_without_the_24h_permission() -> None:
    policy = WindowPolicy.default()
    assert policy.rule_for("voice", "otp") == policy.rule_for("voice", "service")
    assert policy.rule_for("sms", "otp") == policy.rule_for("sms", "service")


def test_r_acc_5_24h_permission_opens_otp_and_service_never_advertising() -> None:
    policy = WindowPolicy.default()
    for category in ("otp", "service"):
        rule = policy.rule_for("voice", category, around_the_clock=True)
        assert [str(w) for w in rule.windows] == ["00:00-24:00"]
        assert rule.is_open(local("2026-03-02T03:00"), TEHRAN)
    assert policy.rule_for("voice", "advertising", around_the_clock=True) == policy.rule_for("voice", "advertising")


def test_r_cpl_1_country_override_and_config_round_trip() -> None:
    policy = WindowPolicy.model_validate(
        {
            "countries": {
                "ru": {"voice:advertising": {"windows": [{"start": "10:00", "end": "20:00"}], "days": [1, 2, 3, 4, 5]}}
            }
        }
    )
    ru = policy.rule_for("voice", "advertising", country="RU")
    assert [str(w) for w in ru.windows] == ["10:00-20:00"]
    assert ru.days == frozenset({1, 2, 3, 4, 5})
    assert policy.rule_for("voice", "advertising", country="IR") == AD_VOICE
    assert policy.rule_for("voice", "service", country="RU") == policy.rule_for("voice", "service")
    assert WindowPolicy.from_json(policy.model_dump_json()) == policy


def test_r_cpl_1_otp_rule_and_country_service_override() -> None:
    policy = WindowPolicy.model_validate(
        {
            "rules": {
                **{k: v.model_dump() for k, v in WindowPolicy.default().rules.items()},
                "voice:otp": {"windows": ["06:00-24:00"]},
            },
            "countries": {"DE": {"voice:service": {"windows": ["08:00-20:00"]}}},
        }
    )
    assert [str(w) for w in policy.rule_for("voice", "otp").windows] == ["06:00-24:00"]
    # The recipient country's service rule beats the deployment's otp rule.
    assert [str(w) for w in policy.rule_for("voice", "otp", country="de").windows] == ["08:00-20:00"]


def test_r_cpl_1_policy_config_errors_are_reported() -> None:
    with pytest.raises(ValueError, match="needs a rule"):
        WindowPolicy.model_validate({"rules": {"voice:advertising": {"windows": []}}})
    with pytest.raises(ValueError, match="unknown window rule keys"):
        WindowPolicy.model_validate({"countries": {"RU": {"fax:advertising": {"windows": []}}}})
    with pytest.raises(ValueError, match="HH:MM"):
        WindowRule.model_validate({"windows": [{"start": "9am", "end": "14:00"}]})
    with pytest.raises(ValueError):
        WindowRule.model_validate({"windows": [], "days": [0]})


# --- windows and parsing ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end"),
    [("14:00", "09:30"), ("10:00", "10:00"), ("24:00", "24:00"), ("25:00", "26:00"), ("9:30", "14:00"), ("", "")],
)
def test_r_cpl_1_invalid_windows_are_refused(start: str, end: str) -> None:
    with pytest.raises(Unprocessable) as error:
        TimeWindow.parse(start, end)
    assert error.value.code == "invalid_window"


def test_r_cpl_1_windows_merge_and_24_00_ends_a_day() -> None:
    rule = WindowRule.of(["12:00-14:00", "09:00-12:00", "22:00-24:00", "13:00-13:30"])
    assert [str(w) for w in rule.windows] == ["09:00-14:00", "22:00-24:00"]
    assert rule.windows[1].as_dict() == {"start": "22:00", "end": "24:00"}


# --- is_open boundaries -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wall", "expected"),
    [
        ("2026-03-02T09:29:59", False),
        ("2026-03-02T09:29:59.999999", False),
        ("2026-03-02T09:30:00", True),
        ("2026-03-02T13:59:59", True),
        ("2026-03-02T14:00:00", False),
        ("2026-03-02T16:59:59", False),
        ("2026-03-02T17:00:00", True),
        ("2026-03-02T21:29:59", True),
        ("2026-03-02T21:30:00", False),
        ("2026-03-02T03:00:00", False),
    ],
)
def test_r_cpl_1_ad_voice_window_boundaries(wall: str, expected: bool) -> None:
    assert is_open(AD_VOICE.windows, AD_VOICE.days, local(wall), TEHRAN) is expected


def test_r_cpl_1_open_is_judged_in_the_recipients_zone() -> None:
    instant = utc("2026-03-02T06:15")  # 09:45 in Tehran, 09:15 in Moscow, 01:15 in New York
    assert AD_VOICE.is_open(instant, "Asia/Tehran")
    assert not AD_VOICE.is_open(instant, "Europe/Moscow")
    assert not AD_VOICE.is_open(instant, "America/New_York")
    assert open_zones(
        ["Asia/Tehran", "Europe/Moscow", ZoneInfo("Asia/Dubai")], AD_VOICE.windows, AD_VOICE.days, instant
    ) == {
        "Asia/Tehran",
        "Asia/Dubai",
    }


def test_r_cpl_1_naive_instants_are_a_programming_error() -> None:
    with pytest.raises(ValueError, match="aware"):
        AD_VOICE.is_open(datetime(2026, 3, 2, 10), TEHRAN)
    with pytest.raises(ValueError, match="aware"):
        AD_VOICE.next_opening(datetime(2026, 3, 2, 10), TEHRAN)


# --- next opening and closing -------------------------------------------------------------------------


def test_r_cpl_1_next_opening_is_now_when_open() -> None:
    at = local("2026-03-02T10:00")
    assert AD_VOICE.next_opening(at, TEHRAN) == at
    assert AD_VOICE.next_opening(at, TEHRAN).tzinfo is UTC  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("after", "opening"),
    [
        ("2026-03-02T05:00", "2026-03-02T09:30"),  # later today
        ("2026-03-02T14:00", "2026-03-02T17:00"),  # the afternoon window, end exclusive
        ("2026-03-02T21:30", "2026-03-03T09:30"),  # tomorrow
        ("2026-03-02T23:59:59", "2026-03-03T09:30"),
    ],
)
def test_r_cpl_1_next_opening_later_today_or_tomorrow(after: str, opening: str) -> None:
    assert AD_VOICE.next_opening(local(after), TEHRAN) == local(opening)


def test_r_cpl_1_days_of_week_skip_the_weekend() -> None:
    weekdays = WindowRule.of(["09:30-14:00"], days=[1, 2, 3, 4, 5])
    friday_evening = local("2026-03-06T15:00")  # 2026-03-06 is a Friday
    assert friday_evening.isoweekday() == 5
    assert weekdays.next_opening(friday_evening, TEHRAN) == local("2026-03-09T09:30")  # Monday
    assert not weekdays.is_open(local("2026-03-07T10:00"), TEHRAN)  # Saturday
    assert weekdays.close(local("2026-03-06T10:00"), TEHRAN) == local("2026-03-06T14:00")


def test_r_cpl_1_window_close_merges_midnight_and_never_closes_around_the_clock() -> None:
    night = WindowRule.of(["22:00-24:00", "00:00-06:00"], days=[1, 2])
    assert night.close(local("2026-03-02T23:00"), TEHRAN) == local("2026-03-03T06:00")  # Mon→Tue
    assert night.close(local("2026-03-03T23:00"), TEHRAN) == local("2026-03-04T00:00")  # Tue→Wed not allowed
    assert night.close(local("2026-03-02T07:00"), TEHRAN) == local("2026-03-02T07:00")  # closed already
    always = WindowRule.of(["00:00-24:00"])
    assert always.close(local("2026-03-02T07:00"), TEHRAN) is None


def test_r_cpl_1_a_schedule_that_never_opens_has_no_opening() -> None:
    assert next_window_opening((), range(1, 8), utc("2026-03-02T00:00"), TEHRAN) is None
    assert next_window_opening(AD_VOICE.windows, (), utc("2026-03-02T00:00"), TEHRAN) is None
    assert next_opening_any([], AD_VOICE.windows, AD_VOICE.days, utc("2026-03-02T00:00")) is None


def test_r_cpl_1_next_opening_any_is_the_earliest_zone() -> None:
    after = utc("2026-03-02T03:00")  # 06:30 Tehran, 06:00 Moscow, 17:00 Kiritimati (UTC+14)
    zones = ["Europe/Moscow", "Asia/Tehran", "Pacific/Kiritimati"]
    assert next_opening_any(zones, AD_VOICE.windows, AD_VOICE.days, after) == utc("2026-03-02T03:00")  # Kiritimati open
    zones = ["Europe/Moscow", "Asia/Tehran"]
    assert next_opening_any(zones, AD_VOICE.windows, AD_VOICE.days, after) == local("2026-03-02T09:30", TEHRAN)


def test_r_cpl_1_kiritimati_is_a_day_ahead() -> None:
    weekdays = WindowRule.of(["09:30-14:00"], days=[1, 2, 3, 4, 5])
    # Friday 22:00 UTC is Saturday 12:00 in Kiritimati (UTC+14): closed until Monday 09:30 there.
    after = utc("2026-03-06T22:00")
    assert weekdays.next_opening(after, "Pacific/Kiritimati") == local("2026-03-09T09:30", "Pacific/Kiritimati")
    assert weekdays.next_opening(after, "Pacific/Kiritimati") == utc("2026-03-08T19:30")


def test_r_cpl_1_iran_has_no_dst_now() -> None:
    # Until 2022 Tehran moved to +04:30 around 21/22 March; no longer.
    before, after = local("2026-03-20T10:00"), local("2026-03-23T10:00")
    assert before.utcoffset() == after.utcoffset() == timedelta(hours=3, minutes=30)
    assert AD_VOICE.next_opening(local("2026-03-21T22:00"), TEHRAN) == utc("2026-03-22T06:00")


def test_r_cpl_1_new_york_spring_forward_gap() -> None:
    ny = "America/New_York"
    # 2026-03-08 02:00 EST jumps to 03:00 EDT: a window starting at 02:30 opens at 03:00 EDT.
    gap = WindowRule.of(["02:30-04:00"])
    assert gap.next_opening(local("2026-03-08T01:00", ny), ny) == utc("2026-03-08T07:00")
    assert gap.is_open(utc("2026-03-08T07:00"), ny)
    assert not gap.is_open(utc("2026-03-08T06:59:59"), ny)
    # The ad window's 09:30 that day is 13:30 UTC (EDT), the day before 14:30 UTC (EST).
    assert AD_VOICE.next_opening(local("2026-03-08T05:00", ny), ny) == utc("2026-03-08T13:30")
    assert AD_VOICE.next_opening(local("2026-03-07T05:00", ny), ny) == utc("2026-03-07T14:30")


def test_r_cpl_1_new_york_fall_back_repeats_an_hour() -> None:
    ny = "America/New_York"
    # 2026-11-01 02:00 EDT falls back to 01:00 EST: 01:00–01:30 happens twice, both open.
    repeated = WindowRule.of(["01:00-01:30"])
    assert repeated.next_opening(utc("2026-11-01T04:00"), ny) == utc("2026-11-01T05:00")  # 01:00 EDT
    assert repeated.close(utc("2026-11-01T05:10"), ny) == utc("2026-11-01T05:30")
    assert repeated.next_opening(utc("2026-11-01T05:45"), ny) == utc("2026-11-01T06:00")  # 01:00 EST
    assert repeated.close(utc("2026-11-01T06:00"), ny) == utc("2026-11-01T06:30")


def test_r_cpl_1_moscow_keeps_utc_plus_3() -> None:
    moscow = "Europe/Moscow"
    assert AD_VOICE.next_opening(utc("2026-07-01T00:00"), moscow) == utc("2026-07-01T06:30")
    assert AD_VOICE.next_opening(utc("2026-12-01T00:00"), moscow) == utc("2026-12-01T06:30")


# --- narrowing ----------------------------------------------------------------------------------------


def test_r_cpl_1_campaign_may_narrow_windows_and_days() -> None:
    rule = effective_windows(AD_VOICE, [{"start": "10:00", "end": "12:00"}, "17:00-21:30"], [1, 2, 3])
    assert [str(w) for w in rule.windows] == ["10:00-12:00", "17:00-21:30"]
    assert rule.days == frozenset({1, 2, 3})
    assert not rule.is_open(local("2026-03-02T09:45"), TEHRAN)
    assert rule.is_open(local("2026-03-02T11:59"), TEHRAN)
    assert not rule.is_open(local("2026-03-05T11:00"), TEHRAN)  # Thursday


def test_r_cpl_1_no_campaign_windows_means_the_policy() -> None:
    assert effective_windows(AD_VOICE) == AD_VOICE
    assert effective_windows(AD_VOICE, None, [6, 7]).windows == AD_VOICE.windows


@pytest.mark.parametrize("window", ["09:00-10:00", "13:00-17:30", "09:30-21:30", "21:00-22:00"])
def test_r_cpl_1_campaign_may_not_widen_windows(window: str) -> None:
    with pytest.raises(Unprocessable) as error:
        effective_windows(AD_VOICE, [window])
    assert error.value.code == "window_not_allowed"
    assert error.value.status == 422
    assert error.value.details["allowed_windows"] == [
        {"start": "09:30", "end": "14:00"},
        {"start": "17:00", "end": "21:30"},
    ]


def test_r_cpl_1_campaign_days_must_be_valid_and_inside_the_policy() -> None:
    with pytest.raises(Unprocessable) as error:
        effective_windows(AD_VOICE, None, [])
    assert error.value.code == "invalid_days"
    with pytest.raises(Unprocessable) as error:
        effective_windows(AD_VOICE, None, [0, 8])
    assert error.value.code == "invalid_days"
    weekdays = WindowRule.of(["09:30-14:00"], days=[1, 2, 3, 4, 5])
    with pytest.raises(Unprocessable) as error:
        effective_windows(weekdays, None, [5, 6])
    assert error.value.code == "window_not_allowed"
    assert error.value.details["days"] == [6]
    with pytest.raises(Unprocessable) as error:
        effective_windows(AD_VOICE, [])
    assert error.value.code == "invalid_window"


def test_r_cpl_1_intersection_clips_for_a_foreign_country() -> None:
    campaign = effective_windows(AD_VOICE, ["10:00-13:00", "18:00-21:00"], [1, 2, 3, 4, 5])
    foreign = WindowRule.of(["12:00-19:00"], days=[3, 4, 5, 6])
    both = intersect_rules(campaign, foreign)
    assert [str(w) for w in both.windows] == ["12:00-13:00", "18:00-19:00"]
    assert both.days == frozenset({3, 4, 5})
    assert intersect_rules(WindowRule.of(["09:00-10:00"]), WindowRule.of(["10:00-11:00"])).never_open


# --- properties ---------------------------------------------------------------------------------------

ZONES = [
    "Asia/Tehran",
    "Europe/Moscow",
    "America/New_York",
    "Pacific/Kiritimati",
    "Australia/Lord_Howe",  # 30-minute DST
    "America/Santiago",  # DST changes at midnight
    "Asia/Kathmandu",  # +05:45
    "Europe/London",
    "UTC",
]


@st.composite
def schedules(draw: st.DrawFn) -> tuple[tuple[TimeWindow, ...], frozenset[int]]:
    count = draw(st.integers(1, 3))
    windows = []
    for _ in range(count):
        start = draw(st.integers(0, 1439))
        end = draw(st.integers(start + 1, 1440))
        windows.append(TimeWindow(start, end))
    days = draw(st.frozensets(st.integers(1, 7), min_size=1))
    rule = WindowRule(windows=tuple(windows), days=days)
    return rule.windows, rule.days


instants = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2031, 12, 31), timezones=st.just(UTC))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schedule=schedules(), zone=st.sampled_from(ZONES), after=instants, data=st.data())
def test_r_cpl_1_property_next_opening_is_the_first_open_instant(
    schedule: tuple[tuple[TimeWindow, ...], frozenset[int]], zone: str, after: datetime, data: st.DataObject
) -> None:
    windows, days = schedule
    opening = next_window_opening(windows, days, after, zone)
    assert opening is not None
    assert opening >= after
    assert is_open(windows, days, opening, zone)
    if is_open(windows, days, after, zone):
        assert opening == after
    else:
        assert not is_open(windows, days, opening - timedelta(microseconds=1), zone)
        # No instant in between is open: every minute step plus random samples.
        gap = opening - after
        steps = int(gap / timedelta(minutes=1))
        for k in range(0, steps, max(1, steps // 600)):
            assert not is_open(windows, days, after + timedelta(minutes=k), zone)
        micros = gap // timedelta(microseconds=1)
        for _ in range(20):
            offset = timedelta(microseconds=data.draw(st.integers(0, micros - 1)))
            assert not is_open(windows, days, after + offset, zone)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schedule=schedules(), zone=st.sampled_from(ZONES), at=instants, data=st.data())
def test_r_cpl_1_property_window_close_is_the_first_closed_instant(
    schedule: tuple[tuple[TimeWindow, ...], frozenset[int]], zone: str, at: datetime, data: st.DataObject
) -> None:
    windows, days = schedule
    close = window_close(windows, days, at, zone)
    if close is None:
        assert days == frozenset(range(1, 8)) and windows == (TimeWindow(0, 1440),)
        return
    assert close >= at
    assert not is_open(windows, days, close, zone)
    if not is_open(windows, days, at, zone):
        assert close == at
    else:
        assert is_open(windows, days, close - timedelta(microseconds=1), zone)
        gap = close - at
        micros = gap // timedelta(microseconds=1)
        for _ in range(20):
            offset = timedelta(microseconds=data.draw(st.integers(0, micros - 1)))
            assert is_open(windows, days, at + offset, zone)
