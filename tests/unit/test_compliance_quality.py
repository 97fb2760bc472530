"""R-CPL-5: the voice quality gate (ACD)."""

from __future__ import annotations

from fractions import Fraction

import pytest

from jarchi.compliance.quality import QualityBand, acd, checkpoint, quality_band, quality_gate


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
