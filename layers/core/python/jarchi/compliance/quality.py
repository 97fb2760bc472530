"""The voice quality gate (R-CPL-5) and the circuit breaker at the same checkpoint: ACD, its bands, and when a
campaign is stopped for `low_quality` (or for an answer rate, short calls or opt-outs beyond their limits).

ACD ("average call duration") is the average fraction of the message that answered calls listened to. It
comes from integer counters the results side adds once per batch (`QualityCounters`: placed calls, answered
people, their listened and message seconds, calls under 6 s, opt-outs): ACD = listened / message seconds (for
one message length exactly the mean of the fractions). Nothing is scanned.

Decisions where the spec is silent:

- "After 10% of the campaign's successful calls" is read as: once the answered people reach 10% of the
  campaign's recipients (rounded up), and at least `min_answered` (default 10, so a campaign of four numbers
  is not judged on one listener), the gate is evaluated — once. The campaign keeps the verdict (`quality`);
  a campaign that passes is not re-judged later, and its retry parts add to the same counters.
- Answering machines are not in the ACD (nobody listened) nor in the answered people; they count as placed
  calls (the network connected them).
- Band edges: a value on an edge belongs to the upper band (exactly 40% is `medium` and continues), except
  70%, which is still `good` (the spec: "> 70 excellent").
- The circuit breaker (beyond the spec), same checkpoint, each limit configurable: answer rate (answered
  people / placed calls) below `min_answer_rate`, the share of answered calls that listened under 6 s above
  `max_short_share`, the opt-out share (vote 11 / answered) above `max_opt_out_share`. The first that trips
  names the stop: `low_quality` (ACD first), `low_answer_rate`, `short_calls`, `opt_outs`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from fractions import Fraction
from typing import Final

STOP_BELOW: Final = Fraction(40, 100)
CHECKPOINT_SHARE: Final = Fraction(10, 100)
SHORT_CALL_SECONDS: Final = 6


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


def checkpoint(recipients: int, min_answered: int = 1) -> int:
    """How many answered calls make the gate due: 10% of the recipients, rounded up, at least `min_answered`."""
    if recipients < 0:
        raise ValueError("recipients is a count")
    share = -(-recipients * CHECKPOINT_SHARE.numerator // CHECKPOINT_SHARE.denominator)
    return max(1, min_answered, share)


@dataclass(frozen=True, slots=True)
class QualityCounters:
    """What the results side adds per batch (voice): calls the network connected or refused (`placed`),
    answered people, their listened and message seconds, answered calls under 6 s, opt-outs (vote 11)."""

    placed: int = 0
    answered: int = 0
    listened_seconds: int = 0
    message_seconds: int = 0
    short: int = 0
    opted_out: int = 0

    def plus(self, other: QualityCounters) -> QualityCounters:
        return QualityCounters(*(getattr(self, name) + getattr(other, name) for name in self.__dataclass_fields__))

    def as_dict(self) -> dict[str, int]:
        return {name: int(getattr(self, name)) for name in self.__dataclass_fields__}

    def running_acd(self) -> tuple[float | None, QualityBand | None]:
        """The ACD so far in percent and its band (the view's, before and beside the gate's verdict)."""
        value = acd(self.listened_seconds, self.message_seconds)
        return (None, None) if value is None else (_percent(value), quality_band(value))


@dataclass(frozen=True, slots=True)
class QualityLimits:
    """The checkpoint's minimum sample and the circuit breaker's limits (settings `JARCHI_QUALITY_*`)."""

    min_answered: int = 10
    min_answer_rate: Fraction = Fraction(10, 100)
    max_short_share: Fraction = Fraction(80, 100)
    max_opt_out_share: Fraction = Fraction(20, 100)


class StopReason(StrEnum):
    LOW_QUALITY = "low_quality"
    LOW_ANSWER_RATE = "low_answer_rate"
    SHORT_CALLS = "short_calls"
    OPT_OUTS = "opt_outs"


def _percent(value: Fraction | None) -> float | None:
    return None if value is None else round(float(value) * 100, 1)


@dataclass(frozen=True, slots=True)
class QualityVerdict:
    due: bool  # the checkpoint is reached: the gate is decided now
    acd: Fraction | None
    band: QualityBand | None
    stop: bool  # stop the campaign
    answer_rate: Fraction | None = None
    short_share: Fraction | None = None
    opt_out_share: Fraction | None = None
    stop_reason: StopReason | None = None
    measured: str | None = None  # the figure that stopped it, e.g. "ACD 23.5% (poor)"

    @property
    def acd_percent(self) -> float | None:
        return _percent(self.acd)

    def checked(self, at: datetime) -> QualityCheck:
        return QualityCheck(
            checked_at=at,
            acd_percent=self.acd_percent,
            band=self.band,
            answer_rate_percent=_percent(self.answer_rate),
            short_call_percent=_percent(self.short_share),
            opt_out_percent=_percent(self.opt_out_share),
            stopped=self.stop_reason,
            measured=self.measured,
        )


@dataclass(frozen=True, slots=True)
class QualityCheck:
    """The gate's verdict as the campaign keeps it (the view's `quality`)."""

    checked_at: datetime
    acd_percent: float | None
    band: QualityBand | None
    answer_rate_percent: float | None = None
    short_call_percent: float | None = None
    opt_out_percent: float | None = None
    stopped: StopReason | None = None
    measured: str | None = None

    @property
    def reason(self) -> str | None:
        """The stop's history reason with its figure: `low_quality: ACD 23.5% (poor)`."""
        return None if self.stopped is None else f"{self.stopped.value}: {self.measured}"


def _ratio(part: int, whole: int) -> Fraction | None:
    return Fraction(part, whole) if whole > 0 else None


def _breaker(
    answer_rate: Fraction | None, short: Fraction | None, opt_out: Fraction | None, limits: QualityLimits
) -> tuple[StopReason, str] | None:
    if answer_rate is not None and answer_rate < limits.min_answer_rate:
        return StopReason.LOW_ANSWER_RATE, f"answer rate {_percent(answer_rate)}% < {_percent(limits.min_answer_rate)}%"
    if short is not None and short > limits.max_short_share:
        limit = _percent(limits.max_short_share)
        return StopReason.SHORT_CALLS, f"calls under {SHORT_CALL_SECONDS} s {_percent(short)}% > {limit}%"
    if opt_out is not None and opt_out > limits.max_opt_out_share:
        return StopReason.OPT_OUTS, f"opt-outs {_percent(opt_out)}% > {_percent(limits.max_opt_out_share)}%"
    return None


def quality_gate(
    *,
    answered: int,
    recipients: int,
    listened_seconds: int,
    message_seconds: int,
    counters: QualityCounters | None = None,
    limits: QualityLimits | None = None,
) -> QualityVerdict:
    """The gate's verdict from the campaign's counters (see the module docstring). Without `counters` only the
    ACD rule is judged (the checkpoint is then 10 % of the recipients, at least one call)."""
    value = acd(listened_seconds, message_seconds)
    band = None if value is None else quality_band(value)
    minimum = limits.min_answered if limits is not None and counters is not None else 1
    due = answered >= checkpoint(recipients, minimum) and value is not None
    if not due:
        return QualityVerdict(due=False, acd=value, band=band, stop=False)
    assert value is not None and band is not None
    rates: tuple[Fraction | None, Fraction | None, Fraction | None] = (None, None, None)
    if counters is not None:
        rates = (
            _ratio(counters.answered, counters.placed),
            _ratio(counters.short, counters.answered),
            _ratio(counters.opted_out, counters.answered),
        )
    stop: tuple[StopReason, str] | None = None
    if value < STOP_BELOW:
        stop = StopReason.LOW_QUALITY, f"ACD {_percent(value)}% ({band.value})"
    elif counters is not None:
        stop = _breaker(*rates, limits or QualityLimits())
    return QualityVerdict(
        due=True,
        acd=value,
        band=band,
        stop=stop is not None,
        answer_rate=rates[0],
        short_share=rates[1],
        opt_out_share=rates[2],
        stop_reason=stop[0] if stop else None,
        measured=stop[1] if stop else None,
    )


def judge(counters: QualityCounters, recipients: int, limits: QualityLimits) -> QualityVerdict:
    """The gate and the breaker from one campaign's counters."""
    return quality_gate(
        answered=counters.answered,
        recipients=recipients,
        listened_seconds=counters.listened_seconds,
        message_seconds=counters.message_seconds,
        counters=counters,
        limits=limits,
    )
