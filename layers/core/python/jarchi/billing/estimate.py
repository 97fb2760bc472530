"""Cost estimates (R-BIL-2, R-SMS-2, R-SMS-4): integer rials, never floats.

Voice: pulses × recipients × tariff per pulse. SMS: sum over recipients of that recipient's segments
(after personalisation) × tariff per segment. ``parts`` is the billable units summed over recipients,
as ``POST /v1/estimates`` answers it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from jarchi.billing.tariffs import Tariff
from jarchi.errors import BadRequest


@dataclass(frozen=True, slots=True)
class Estimate:
    estimated: int
    recipients: int
    parts: int
    follow_ups: int = 0  # the part of `estimated` reserved for follow-up SMS at their maximum (R-OUT-3)

    def as_dict(self) -> dict[str, int]:
        return {"estimated": self.estimated, "recipients": self.recipients, "parts": self.parts}


def _whole(name: str, value: int, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise BadRequest("estimate_invalid", f"{name} must be a whole number ≥ {minimum}")
    return value


def estimate_voice(pulses: int, recipients: int, tariff: Tariff) -> Estimate:
    parts = _whole("pulses", pulses, 1) * _whole("recipients", recipients)
    return Estimate(parts * tariff.voice_per_pulse, recipients, parts)


def estimate_sms(per_recipient_segments: Iterable[int], tariff: Tariff) -> Estimate:
    recipients = parts = 0
    for segments in per_recipient_segments:
        parts += _whole("segments", segments, 1)
        recipients += 1
    return Estimate(parts * tariff.sms_per_segment, recipients, parts)
