"""SMS segment counting (R-SMS-2).

GSM 03.38 7-bit text: 160 septets in one part, 153 per part when concatenated (the UDH takes 7).
Characters of the extension table (``^{}\\[~]|€`` and form feed) are sent as ESC + char: 2 septets.
Any character outside GSM-7 (basic + extension) makes the whole text UCS-2: 70 UTF-16 code units in
one part, 67 per part. Characters outside the BMP (emoji) are a surrogate pair: 2 units.

Parts are cut the way handsets and SMSCs do: an escape sequence (2 septets) or a surrogate pair
(2 units) is never split, it starts the next part instead. So a concatenated part may carry 152 septets
or 66 units, and e.g. 152 plain characters followed by ``€`` then more text need one part more than
the unit count alone suggests.

The longest text accepted is ``MAX_SEGMENTS`` parts (10: 1,530 GSM-7 characters or 670 UCS-2 units).
The seed's services accept 4 in one go (612/268) and warn that some old handsets join at most 3;
we allow up to 10, which every SMSC we target concatenates, and refuse longer with
``sms_text_too_long``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from jarchi.errors import BadRequest

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")
GSM7_ALL = GSM7_BASIC | GSM7_EXTENSION

GSM7_SINGLE = 160
GSM7_PER_PART = 153
UCS2_SINGLE = 70
UCS2_PER_PART = 67
MAX_SEGMENTS = 10

_BMP_LIMIT = 0xFFFF


class SmsEncoding(StrEnum):
    GSM7 = "gsm7"
    UCS2 = "ucs2"


@dataclass(frozen=True, slots=True)
class SegmentCount:
    """How a text travels: its encoding, its length in that encoding's units (septets for GSM-7,
    UTF-16 code units for UCS-2), the number of parts and the capacity of each part."""

    encoding: SmsEncoding
    units: int
    segments: int
    per_part: int


def sms_encoding(text: str) -> SmsEncoding:
    return SmsEncoding.GSM7 if GSM7_ALL.issuperset(text) else SmsEncoding.UCS2


def _unit_costs(text: str, encoding: SmsEncoding) -> list[int]:
    if encoding is SmsEncoding.GSM7:
        return [2 if ch in GSM7_EXTENSION else 1 for ch in text]
    return [2 if ord(ch) > _BMP_LIMIT else 1 for ch in text]


def _part_lengths(costs: list[int], per_part: int) -> list[int]:
    """Greedy packing in units; a 2-unit character that does not fit starts the next part."""
    parts: list[int] = []
    used = 0
    for cost in costs:
        if used + cost > per_part:
            parts.append(used)
            used = 0
        used += cost
    parts.append(used)
    return parts


def _capacities(encoding: SmsEncoding) -> tuple[int, int]:
    if encoding is SmsEncoding.GSM7:
        return GSM7_SINGLE, GSM7_PER_PART
    return UCS2_SINGLE, UCS2_PER_PART


def measure_sms(text: str) -> SegmentCount:
    """Encoding, units and parts of ``text`` with no length limit (an empty text is 1 part of 0)."""
    encoding = sms_encoding(text)
    single, per_part = _capacities(encoding)
    costs = _unit_costs(text, encoding)
    units = sum(costs)
    if units <= single:
        return SegmentCount(encoding, units, 1, single)
    if units == len(costs):  # no 2-unit character: nothing can straddle a boundary
        return SegmentCount(encoding, units, -(-units // per_part), per_part)
    segments = len(_part_lengths(costs, per_part))
    return SegmentCount(encoding, units, segments, per_part)


def count_segments(text: str, max_segments: int = MAX_SEGMENTS) -> SegmentCount:
    """The parts an SMS needs; refuses an empty text and one longer than ``max_segments`` parts."""
    if not text:
        raise BadRequest("sms_text_empty", "the SMS text is empty")
    count = measure_sms(text)
    if count.segments > max_segments:
        raise BadRequest(
            "sms_text_too_long",
            f"the SMS needs {count.segments} parts; at most {max_segments} are allowed",
            segments=count.segments,
            max_segments=max_segments,
            encoding=count.encoding.value,
        )
    return count


def split_sms(text: str) -> list[str]:
    """The text of each part, cut where ``measure_sms`` counts the boundaries."""
    encoding = sms_encoding(text)
    single, per_part = _capacities(encoding)
    costs = _unit_costs(text, encoding)
    if sum(costs) <= single:
        return [text]
    parts: list[str] = []
    start = 0
    for length in _part_lengths(costs, per_part):
        end = start
        units = 0
        while units < length:
            units += costs[end]
            end += 1
        parts.append(text[start:end])
        start = end
    return parts
