"""Sending windows (R-CPL-1), evaluated in the recipient's local time.

Vocabulary:

- A `TimeWindow` is a span of local wall-clock time within one day, `[start, end)`: the start is open, the
  end is closed (at 14:00 a 09:30–14:00 window is shut). `24:00` is allowed as an end. A window never
  crosses midnight; a night window is two windows (`22:00–24:00` and `00:00–06:00`).
- A `WindowRule` is the windows plus the ISO days of week (1 = Monday … 7 = Sunday) they apply on; days are
  those of the recipient's local date.
- The `WindowPolicy` is deployment configuration: one rule per (channel, category), with per-country
  overrides and the 00:00–24:00 rule of accounts holding the 24 h permission (R-ACC-5: `service` and `otp`
  only, never `advertising`). `otp` without the permission follows the `service` rule unless the policy
  names an `otp` rule of its own.
- A campaign may narrow the policy, never widen it (`effective_windows`): every window it asks for must lie
  inside one policy window, and its days inside the policy's days, else `window_not_allowed` (422).

Default policy (`WindowPolicy.default()`):

| channel | advertising | service (and otp) |
| --- | --- | --- |
| voice | 09:30–14:00, 17:00–21:30 (the stricter pair the seed publishes) | 07:00–23:00 |
| sms | 08:00–21:00 | 07:00–23:00 |

Advertising SMS gets 08:00–21:00: a text does not interrupt like a ringing call, so the voice lunch/afternoon
gap is not needed, but night quiet hours are; 08:00–21:00 is the common quiet-hours rule for marketing
messages (e.g. the US TCPA's 8 am–9 pm recipient-local rule) and stricter than the 08:00–22:00 alternative.

Time arithmetic: `is_open` looks at the recipient's wall clock (`instant.astimezone(zone)`), so a window
that starts inside a DST gap opens when the clock jumps past the gap, and a wall time repeated by a
fall-back is open both times. `next_window_opening` / `window_close` return the exact first instant at or
after the given one whose open/closed state is the wanted one (aware, UTC); they walk the wall clock and
step over at most a handful of UTC-offset changes, found by bisection (so they assume, as every current
zone satisfies, that a zone does not change its offset twice within a few days).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Annotated, Any, Final, Self
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, PlainValidator, WithJsonSchema, field_validator

from jarchi.channels import Category, Channel
from jarchi.errors import Unprocessable

MINUTES_PER_DAY: Final = 24 * 60
ALL_DAYS: Final = frozenset(range(1, 8))
# Categories the 24 h permission opens around the clock (R-ACC-5); advertising never.
AROUND_THE_CLOCK_CATEGORIES: Final = frozenset({Category.SERVICE, Category.OTP})

_CLOCK = re.compile(r"([0-2]\d):([0-5]\d)")
_DAY = timedelta(days=1)
# Wall-clock days searched ahead: a week of days plus slack for a day lost or repeated around a transition.
_SEARCH_DAYS: Final = 9
# UTC-offset changes stepped over in one search (real zones have at most one in a week).
_MAX_OFFSET_CHANGES: Final = 8

Zone = ZoneInfo | str


def _parse_clock(value: str, *, is_end: bool) -> int:
    match = _CLOCK.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise Unprocessable("invalid_window", f"{value!r} is not a time of day as HH:MM", value=value)
    minutes = int(match[1]) * 60 + int(match[2])
    if minutes > MINUTES_PER_DAY or (minutes == MINUTES_PER_DAY and not is_end):
        raise Unprocessable("invalid_window", f"{value!r} is not a time of day (24:00 only ends a window)", value=value)
    return minutes


def _format_clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass(frozen=True, order=True, slots=True)
class TimeWindow:
    """`[start, end)` in minutes since local midnight; `end` may be 1440 (24:00)."""

    start_minute: int
    end_minute: int

    def __post_init__(self) -> None:
        if not 0 <= self.start_minute < self.end_minute <= MINUTES_PER_DAY:
            raise Unprocessable(
                "invalid_window",
                "a window needs 00:00 <= start < end <= 24:00 within one day (split a night window in two at midnight)",
                window={"start": _format_clock(self.start_minute), "end": _format_clock(self.end_minute)},
            )

    @classmethod
    def parse(cls, start: str, end: str) -> TimeWindow:
        """`TimeWindow.parse("09:30", "14:00")`; errors are Unprocessable `invalid_window`."""
        return cls(_parse_clock(start, is_end=False), _parse_clock(end, is_end=True))

    @classmethod
    def of(cls, value: object) -> TimeWindow:
        """Accepts a TimeWindow, `{"start": "HH:MM", "end": "HH:MM"}` or `"HH:MM-HH:MM"`."""
        if isinstance(value, TimeWindow):
            return value
        if isinstance(value, Mapping):
            return cls.parse(str(value.get("start", "")), str(value.get("end", "")))
        if isinstance(value, str) and "-" in value:
            start, _, end = value.partition("-")
            return cls.parse(start, end)
        raise Unprocessable("invalid_window", f"{value!r} is not a window", value=str(value))

    @property
    def start(self) -> str:
        return _format_clock(self.start_minute)

    @property
    def end(self) -> str:
        return _format_clock(self.end_minute)

    def contains(self, other: TimeWindow) -> bool:
        return self.start_minute <= other.start_minute and other.end_minute <= self.end_minute

    def as_dict(self) -> dict[str, str]:
        return {"start": self.start, "end": self.end}

    def __str__(self) -> str:
        return f"{self.start}-{self.end}"


def _validate_window(value: object) -> TimeWindow:
    try:
        return TimeWindow.of(value)
    except Unprocessable as error:  # pydantic reports ValueErrors as validation errors
        raise ValueError(error.message) from error


WindowField = Annotated[
    TimeWindow,
    PlainValidator(_validate_window),
    PlainSerializer(TimeWindow.as_dict),
    WithJsonSchema(
        {
            "type": "object",
            "properties": {"start": {"type": "string"}, "end": {"type": "string"}},
            "required": ["start", "end"],
        }
    ),
]


def normalize_windows(windows: Iterable[TimeWindow]) -> tuple[TimeWindow, ...]:
    """Sorted, with overlapping or touching windows merged (09:00–12:00 + 12:00–14:00 = 09:00–14:00)."""
    merged: list[TimeWindow] = []
    for window in sorted(windows):
        if merged and window.start_minute <= merged[-1].end_minute:
            last = merged[-1]
            merged[-1] = TimeWindow(last.start_minute, max(last.end_minute, window.end_minute))
        else:
            merged.append(window)
    return tuple(merged)


def _validate_days(days: Iterable[int]) -> frozenset[int]:
    result = frozenset(days)
    bad = sorted(day for day in result if not isinstance(day, int) or isinstance(day, bool) or not 1 <= day <= 7)
    if bad:
        raise Unprocessable("invalid_days", "days of week are ISO numbers 1 (Monday) to 7 (Sunday)", days=bad)
    return result


class WindowRule(BaseModel):
    """Windows and the days of week they apply on. Empty windows (or days) mean: never."""

    model_config = ConfigDict(frozen=True)

    windows: tuple[WindowField, ...]
    days: frozenset[int] = ALL_DAYS

    @field_validator("windows")
    @classmethod
    def _merge(cls, windows: tuple[TimeWindow, ...]) -> tuple[TimeWindow, ...]:
        return normalize_windows(windows)

    @field_validator("days")
    @classmethod
    def _check_days(cls, days: frozenset[int]) -> frozenset[int]:
        try:
            return _validate_days(days)
        except Unprocessable as error:
            raise ValueError(error.message) from error

    @classmethod
    def of(cls, windows: Iterable[TimeWindow | str], days: Iterable[int] = ALL_DAYS) -> WindowRule:
        return cls(windows=tuple(TimeWindow.of(w) for w in windows), days=frozenset(days))

    @property
    def never_open(self) -> bool:
        return not self.windows or not self.days

    def windows_as_dicts(self) -> list[dict[str, str]]:
        return [w.as_dict() for w in self.windows]

    def is_open(self, instant: datetime, tz: Zone) -> bool:
        return is_open(self.windows, self.days, instant, tz)

    def next_opening(self, after: datetime, tz: Zone) -> datetime | None:
        return next_window_opening(self.windows, self.days, after, tz)

    def close(self, instant: datetime, tz: Zone) -> datetime | None:
        return window_close(self.windows, self.days, instant, tz)


def _rule_key(channel: Channel | str, category: Category | str) -> str:
    return f"{Channel(channel).value}:{Category(category).value}"


def _default_rules() -> dict[str, WindowRule]:
    return {
        "voice:advertising": WindowRule.of(["09:30-14:00", "17:00-21:30"]),
        "voice:service": WindowRule.of(["07:00-23:00"]),
        "sms:advertising": WindowRule.of(["08:00-21:00"]),
        "sms:service": WindowRule.of(["07:00-23:00"]),
    }


class WindowPolicy(BaseModel):
    """Deployment configuration of sending windows (R-CPL-1); JSON shape:

    ```json
    {"rules": {"voice:advertising": {"windows": [{"start": "09:30", "end": "14:00"}], "days": [1,2,3,4,5,6,7]},
               "voice:service": {...}, "sms:advertising": {...}, "sms:service": {...}},
     "countries": {"RU": {"voice:advertising": {...}}},
     "around_the_clock": {"windows": [{"start": "00:00", "end": "24:00"}]}}
    ```

    Keys are `channel:category`; `otp` rules are optional (they fall back to `service`). A country override
    (ISO 3166 alpha-2, the recipient's region) replaces the rule of that key for numbers of that country.
    """

    model_config = ConfigDict(frozen=True)

    rules: dict[str, WindowRule] = Field(default_factory=_default_rules)
    countries: dict[str, dict[str, WindowRule]] = Field(default_factory=dict)
    around_the_clock: WindowRule = Field(default_factory=lambda: WindowRule.of(["00:00-24:00"]))

    @field_validator("rules")
    @classmethod
    def _check_rules(cls, rules: dict[str, WindowRule]) -> dict[str, WindowRule]:
        cls._check_keys(rules)
        missing = [_rule_key(ch, cat) for ch in Channel for cat in (Category.ADVERTISING, Category.SERVICE)]
        missing = [key for key in missing if key not in rules]
        if missing:
            raise ValueError(f"the window policy needs a rule for {', '.join(missing)}")
        return rules

    @field_validator("countries")
    @classmethod
    def _check_countries(cls, countries: dict[str, dict[str, WindowRule]]) -> dict[str, dict[str, WindowRule]]:
        for rules in countries.values():
            cls._check_keys(rules)
        return {country.upper(): rules for country, rules in countries.items()}

    @staticmethod
    def _check_keys(rules: Mapping[str, WindowRule]) -> None:
        valid = {_rule_key(ch, cat) for ch in Channel for cat in Category}
        unknown = sorted(set(rules) - valid)
        if unknown:
            raise ValueError(f"unknown window rule keys {unknown}; use channel:category, e.g. voice:service")

    @classmethod
    def default(cls) -> WindowPolicy:
        return cls()

    @classmethod
    def from_json(cls, text: str) -> Self:
        return cls.model_validate_json(text)

    def rule_for(
        self,
        channel: Channel | str,
        category: Category | str,
        *,
        country: str | None = None,
        around_the_clock: bool = False,
    ) -> WindowRule:
        """The policy rule for a recipient (its country) and an account (`around_the_clock` = the R-ACC-5
        permission; ignored for advertising)."""
        category = Category(category)
        if around_the_clock and category in AROUND_THE_CLOCK_CATEGORIES:
            return self.around_the_clock
        keys = [_rule_key(channel, category)]
        if category is Category.OTP:
            keys.append(_rule_key(channel, Category.SERVICE))
        overrides = self.countries.get(country.upper(), {}) if country else {}
        # The recipient country's rules come first: they are that country's law.
        for rules in (overrides, self.rules):
            for key in keys:
                if key in rules:
                    return rules[key]
        raise AssertionError(f"validated policy has no rule for {keys[-1]}")  # pragma: no cover


def effective_windows(
    allowed: WindowRule,
    campaign_windows: Sequence[TimeWindow | Mapping[str, Any] | str] | None = None,
    days: Collection[int] | None = None,
) -> WindowRule:
    """The campaign's schedule: its own windows and days, checked to lie inside the policy (R-CPL-1).

    `None` means "as the policy". Raises Unprocessable `window_not_allowed` (naming the allowed windows and
    days) when a campaign window is not fully inside one policy window or a day is not a policy day,
    `invalid_window` / `invalid_days` for malformed or empty input.
    """
    if campaign_windows is None:
        windows = allowed.windows
    else:
        if not campaign_windows:
            raise Unprocessable("invalid_window", "give at least one window, or none to use the policy's")
        windows = normalize_windows(TimeWindow.of(w) for w in campaign_windows)
        for window in windows:
            if not any(policy_window.contains(window) for policy_window in allowed.windows):
                raise Unprocessable(
                    "window_not_allowed",
                    f"the window {window} is outside the allowed sending windows "
                    f"{', '.join(str(w) for w in allowed.windows) or '(none)'}; a campaign may only narrow them",
                    window=window.as_dict(),
                    allowed_windows=allowed.windows_as_dicts(),
                )
    if days is None:
        chosen_days = allowed.days
    else:
        chosen_days = _validate_days(days)
        if not chosen_days:
            raise Unprocessable("invalid_days", "give at least one day of week, or none to use the policy's")
        if not chosen_days <= allowed.days:
            raise Unprocessable(
                "window_not_allowed",
                "some days of week are outside the allowed sending days; a campaign may only narrow them",
                days=sorted(chosen_days - allowed.days),
                allowed_days=sorted(allowed.days),
            )
    return WindowRule(windows=windows, days=chosen_days)


def intersect_rules(first: WindowRule, second: WindowRule) -> WindowRule:
    """Times and days open in both (silently clipped). Used at admission, where a campaign's schedule
    (validated against the home policy) meets the policy of a recipient's own country."""
    pieces = [
        TimeWindow(max(a.start_minute, b.start_minute), min(a.end_minute, b.end_minute))
        for a in first.windows
        for b in second.windows
        if max(a.start_minute, b.start_minute) < min(a.end_minute, b.end_minute)
    ]
    return WindowRule(windows=tuple(pieces), days=first.days & second.days)


# --- time arithmetic ---------------------------------------------------------------------------------


@cache
def _zone(tz: str) -> ZoneInfo:
    return ZoneInfo(tz)


def as_zone(tz: Zone) -> ZoneInfo:
    return tz if isinstance(tz, ZoneInfo) else _zone(tz)


def _require_aware(instant: datetime) -> None:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("sending windows need an aware datetime")


def _wall_open(windows: Sequence[TimeWindow], days: Collection[int], wall: datetime) -> bool:
    if wall.isoweekday() not in days:
        return False
    since_midnight = wall - wall.replace(hour=0, minute=0, second=0, microsecond=0)
    minutes = since_midnight / timedelta(minutes=1)
    return any(w.start_minute <= minutes < w.end_minute for w in windows)


def _next_wall_change(
    windows: Sequence[TimeWindow], days: Collection[int], wall: datetime, want_open: bool
) -> datetime | None:
    """The first naive wall time after `wall` where the open/closed state is `want_open`.

    The state is constant between boundaries (midnights and window edges), so only those are tried.
    """
    midnight = wall.replace(hour=0, minute=0, second=0, microsecond=0)
    for day in range(_SEARCH_DAYS):
        base = midnight + day * _DAY
        edges = {base}
        for window in windows:
            edges.add(base + timedelta(minutes=window.start_minute))
            edges.add(base + timedelta(minutes=window.end_minute))
        for edge in sorted(edges):
            if edge > wall and _wall_open(windows, days, edge) == want_open:
                return edge
    return None


def _first_offset_change(low: datetime, high: datetime, zone: ZoneInfo, offset: timedelta) -> datetime:
    """The first instant in (low, high] whose UTC offset is not `offset` (high's is not)."""
    step = timedelta(microseconds=1)
    while high - low > step:
        middle = low + (high - low) / 2
        if middle.astimezone(zone).utcoffset() == offset:
            low = middle
        else:
            high = middle
    return high


def _next_instant(
    windows: Sequence[TimeWindow], days: Collection[int], after: datetime, tz: Zone, want_open: bool
) -> datetime | None:
    _require_aware(after)
    zone = as_zone(tz)
    instant = after.astimezone(UTC)
    for _ in range(_MAX_OFFSET_CHANGES):
        local = instant.astimezone(zone)
        wall = local.replace(tzinfo=None)
        if _wall_open(windows, days, wall) == want_open:
            return instant
        target = _next_wall_change(windows, days, wall, want_open)
        if target is None:
            return None
        offset = local.utcoffset()
        assert offset is not None  # a ZoneInfo always has an offset
        candidate = (target - offset).replace(tzinfo=UTC)
        if candidate.astimezone(zone).utcoffset() == offset:
            return candidate
        # The clock changes its offset on the way: continue from the change.
        instant = _first_offset_change(instant, candidate, zone, offset)
    return None  # pragma: no cover - needs a zone changing offset more than weekly


def is_open(windows: Sequence[TimeWindow], days: Collection[int], instant: datetime, tz: Zone) -> bool:
    """Whether an attempt may be placed at `instant` to a recipient in zone `tz`."""
    _require_aware(instant)
    return _wall_open(windows, days, instant.astimezone(as_zone(tz)).replace(tzinfo=None))


def next_window_opening(
    windows: Sequence[TimeWindow], days: Collection[int], after: datetime, tz: Zone
) -> datetime | None:
    """The first instant at or after `after` at which the schedule is open (aware, UTC).

    Equals `after` (in UTC) when open then; `None` when the schedule never opens (no windows or days).
    """
    return _next_instant(windows, days, after, tz, want_open=True)


def window_close(windows: Sequence[TimeWindow], days: Collection[int], instant: datetime, tz: Zone) -> datetime | None:
    """The first instant at or after `instant` at which the schedule is closed (aware, UTC).

    For an open schedule: when the current window closes (touching windows and a 24:00 end running into an
    allowed next day's 00:00 count as one). Equals `instant` when closed then; `None` when it never closes.
    """
    return _next_instant(windows, days, instant, tz, want_open=False)


def open_zones(
    zones: Iterable[Zone], windows: Sequence[TimeWindow], days: Collection[int], instant: datetime
) -> set[str]:
    """The zone names among `zones` whose recipients may be called at `instant`."""
    return {str(as_zone(tz).key) for tz in zones if is_open(windows, days, instant, tz)}


def next_opening_any(
    zones: Iterable[Zone], windows: Sequence[TimeWindow], days: Collection[int], after: datetime
) -> datetime | None:
    """The earliest opening among recipients' zones (when a waiting campaign next has someone to call)."""
    openings = [o for tz in zones if (o := next_window_opening(windows, days, after, tz)) is not None]
    return min(openings, default=None)
