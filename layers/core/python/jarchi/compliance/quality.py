"""The voice quality gate (R-CPL-5): ACD, its bands, and when a campaign is stopped for `low_quality`.

ACD ("average call duration") is the average fraction of the message that answered calls listened to. It
is kept as two integer counters on the campaign (atomic adds): the answered calls' listened seconds and
their message seconds; ACD = listened / message seconds (for one message length this is exactly the mean
of the fractions; for personalised TTS of slightly different lengths it weights longer calls more).

Decisions where the spec is silent:

- "After 10% of the campaign's successful calls" is read as: once the answered calls reach 10% of the
  campaign's recipients (rounded up, at least 1), the gate is evaluated — once. The results handler keeps a
  `quality_checked` flag; a campaign that passes is not re-judged later.
- Answering machines count as answered calls (they are charged) and so count in the ACD.
- Band edges: a value on an edge belongs to the upper band (exactly 40% is `medium` and continues), except
  70%, which is still `good` (the spec: "> 70 excellent").
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from typing import Final

STOP_BELOW: Final = Fraction(40, 100)
CHECKPOINT_SHARE: Final = Fraction(10, 100)


class QualityBand(StrEnum):
    POOR = "poor"
    LOW = "low"
    MEDIUM = "medium"
    ACCEPTABLE = "acceptable"
    GOOD = "good"
    EXCELLENT = "excellent"


def acd(listened_seconds: int, message_seconds: int) -> Fraction | None:
    """Listened / message seconds over answered calls; None before any answered call."""
    if listened_seconds < 0 or message_seconds < 0:
        raise ValueError("seconds are not negative")
    if message_seconds == 0:
        return None
    return min(Fraction(1), Fraction(listened_seconds, message_seconds))


def quality_band(value: Fraction) -> QualityBand:
    if value < Fraction(30, 100):
        return QualityBand.POOR
    if value < Fraction(40, 100):
        return QualityBand.LOW
    if value < Fraction(50, 100):
        return QualityBand.MEDIUM
    if value < Fraction(60, 100):
        return QualityBand.ACCEPTABLE
    if value <= Fraction(70, 100):
        return QualityBand.GOOD
    return QualityBand.EXCELLENT


def checkpoint(recipients: int) -> int:
    """How many answered calls make the gate due: 10% of the recipients, rounded up, at least 1."""
    if recipients < 0:
        raise ValueError("recipients is a count")
    return max(1, -(-recipients * CHECKPOINT_SHARE.numerator // CHECKPOINT_SHARE.denominator))


@dataclass(frozen=True, slots=True)
class QualityVerdict:
    due: bool  # the checkpoint is reached: the gate is decided now
    acd: Fraction | None
    band: QualityBand | None
    stop: bool  # stop the campaign (`low_quality`)

    @property
    def acd_percent(self) -> float | None:
        return None if self.acd is None else round(float(self.acd) * 100, 1)


def quality_gate(*, answered: int, recipients: int, listened_seconds: int, message_seconds: int) -> QualityVerdict:
    """The gate's verdict from the campaign's counters (see the module docstring)."""
    value = acd(listened_seconds, message_seconds)
    band = None if value is None else quality_band(value)
    due = answered >= checkpoint(recipients) and value is not None
    return QualityVerdict(due=due, acd=value, band=band, stop=due and value is not None and value < STOP_BELOW)
