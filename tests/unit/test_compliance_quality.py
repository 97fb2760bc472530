"""R-CPL-5: the voice quality gate (ACD)."""

from __future__ import annotations

from datetime import UTC, datetime
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jarchi.compliance.quality import (
    QualityBand,
    QualityCounters,
    QualityLimits,
    StopReason,
    acd,
    checkpoint,
    judge,
    quality_band,
    quality_gate,
)

NOW = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("percent", "band"),
    [
        (0, QualityBand.POOR),
        (29, QualityBand.POOR),
        (30, QualityBand.LOW),
        (39, QualityBand.LOW),
        (40, QualityBand.MEDIUM),
        (50, QualityBand.ACCEPTABLE),
        (60, QualityBand.GOOD),
        (70, QualityBand.GOOD),
        (71, QualityBand.EXCELLENT),
        (100, QualityBand.EXCELLENT),
    ],
)
def test_r_cpl_5_bands(percent: int, band: QualityBand) -> None:
    assert quality_band(Fraction(percent, 100)) is band


def test_r_cpl_5_acd_is_listened_over_message_seconds() -> None:
    assert acd(30, 60) == Fraction(1, 2)
    assert acd(0, 0) is None
    assert acd(90, 60) == 1  # never above the whole message
    with pytest.raises(ValueError):
        acd(-1, 10)


def test_r_cpl_5_checkpoint_is_ten_percent_of_recipients() -> None:
    assert [checkpoint(n) for n in (0, 1, 9, 10, 11, 1000)] == [1, 1, 1, 1, 2, 100]


def test_r_cpl_5_gate_stops_below_40_percent_after_the_checkpoint() -> None:
    # 1000 recipients: due at 100 answered calls.
    early = quality_gate(answered=99, recipients=1000, listened_seconds=99 * 10, message_seconds=99 * 60)
    assert not early.due and not early.stop
    low = quality_gate(answered=100, recipients=1000, listened_seconds=100 * 23, message_seconds=100 * 60)
    assert low.due and low.stop and low.band is QualityBand.LOW
    assert low.acd_percent == 38.3
    edge = quality_gate(answered=100, recipients=1000, listened_seconds=100 * 24, message_seconds=100 * 60)
    assert edge.due and not edge.stop and edge.band is QualityBand.MEDIUM
    none = quality_gate(answered=0, recipients=1000, listened_seconds=0, message_seconds=0)
    assert not none.due and none.acd is None and none.acd_percent is None


def _counters(placed: int, answered: int, listened: int, short: int = 0, opted_out: int = 0) -> QualityCounters:
    return QualityCounters(placed, answered, listened, answered * 60, short, opted_out)


def test_r_cpl_5_the_gate_waits_for_its_minimum_sample() -> None:
    limits = QualityLimits(min_answered=10)
    # 20 recipients: 10 % is 2 calls, but one listener is no sample
    assert not judge(_counters(9, 9, 9 * 6), 20, limits).due
    verdict = judge(_counters(10, 10, 10 * 6), 20, limits)
    assert verdict.due and verdict.stop and verdict.stop_reason is StopReason.LOW_QUALITY
    assert verdict.measured == "ACD 10.0% (poor)"
    assert verdict.checked(NOW).reason == "low_quality: ACD 10.0% (poor)"


@pytest.mark.parametrize(
    ("counters", "reason", "measured"),
    [
        (_counters(200, 10, 600), StopReason.LOW_ANSWER_RATE, "answer rate 5.0% < 10.0%"),
        (_counters(20, 10, 300, short=9), StopReason.SHORT_CALLS, "calls under 6 s 90.0% > 80.0%"),
        (_counters(20, 10, 600, opted_out=3), StopReason.OPT_OUTS, "opt-outs 30.0% > 20.0%"),
    ],
)
def test_r_cpl_5_circuit_breaker_names_the_figure_that_tripped(
    counters: QualityCounters, reason: StopReason, measured: str
) -> None:
    verdict = judge(counters, 100, QualityLimits())
    assert verdict.due and verdict.stop and verdict.stop_reason is reason and verdict.measured == measured


def test_r_cpl_5_within_every_limit_the_campaign_continues() -> None:
    verdict = judge(_counters(20, 10, 500, short=1, opted_out=1), 100, QualityLimits())
    assert verdict.due and not verdict.stop and verdict.band is QualityBand.EXCELLENT
    check = verdict.checked(NOW)
    assert (check.answer_rate_percent, check.short_call_percent, check.opt_out_percent) == (50.0, 10.0, 10.0)
    assert check.reason is None


@given(
    first=st.builds(QualityCounters, *[st.integers(0, 1000)] * 6),
    second=st.builds(QualityCounters, *[st.integers(0, 1000)] * 6),
)
def test_r_cpl_5_counters_add_per_batch(first: QualityCounters, second: QualityCounters) -> None:
    total = first.plus(second)
    assert total.as_dict() == {k: first.as_dict()[k] + second.as_dict()[k] for k in total.as_dict()}
