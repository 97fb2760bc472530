"""Attempt outcomes, vote codes, the stat each outcome counts under, and what an attempt costs (R-OUT, R-BIL-3).

Decisions where the spec is silent:

- `unreachable` (switched off, out of coverage) counts under the `no_answer` stat: the subscriber was not
  available, a later retry may reach them (retry-failed re-calls it), and `failed` stays the signal of a
  technical failure (ours, the connector's or the route's) that ops should look at.
- An answering machine counts as `answered` (the network connected the call and charges for it); the
  connector flags it on the result (`AttemptResult.answering_machine`).
- SMS: `delivered` = accepted by the operator and reported DELIVRD, or accepted with no report
  (NOREPORT); `undelivered` = accepted by the operator, then reported UNDELIV / EXPIRED / FAILED: charged
  (R-BIL-3 charges what the operator accepted), counted under `failed`; `rejected` = refused by the operator
  (REJECTD) or at submission: not charged, counted under `failed`. ENROUTE is `sent`: accepted, not final.
- A pressed `0` reads as vote code 0, the same as "answered without voting" (the seed's codes cannot tell
  them apart): surveys should not offer 0 as a choice.
- Releasing the ad cap: only an attempt that never reached the network (`failed`, `rejected`) gives its
  claim back (R-CPL-2); a ringing, busy or unreachable subscriber was contacted by the network.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from jarchi.compliance.categories import Category, Channel


class Outcome(StrEnum):
    # Voice, from the network.
    ANSWERED = "answered"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    UNREACHABLE = "unreachable"
    FAILED = "failed"  # technical failure before the subscriber was reached (voice or SMS submission)
    # SMS, from the operator.
    SENT = "sent"  # accepted by the operator, no final delivery report yet (ENROUTE)
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"  # accepted, then not delivered (UNDELIV, EXPIRED, FAILED)
    REJECTED = "rejected"  # refused by the operator (REJECTD)
    # Pre-dial: decided before any attempt reaches a connector.
    FREQUENCY_CAPPED = "frequency_capped"
    OPTED_OUT = "opted_out"
    BLACKLISTED = "blacklisted"
    INVALID = "invalid"


class DeliveryStatus(StrEnum):
    """SMS delivery report statuses (R-SMS-5)."""

    ENROUTE = "ENROUTE"
    DELIVRD = "DELIVRD"
    FAILED = "FAILED"
    EXPIRED = "EXPIRED"
    UNDELIV = "UNDELIV"
    NOREPORT = "NOREPORT"
    REJECTD = "REJECTD"


PRE_DIAL_OUTCOMES: Final = frozenset(
    {Outcome.FREQUENCY_CAPPED, Outcome.OPTED_OUT, Outcome.BLACKLISTED, Outcome.INVALID}
)
VOICE_OUTCOMES: Final = frozenset(
    {Outcome.ANSWERED, Outcome.NO_ANSWER, Outcome.BUSY, Outcome.UNREACHABLE, Outcome.FAILED}
)
SMS_OUTCOMES: Final = frozenset(
    {Outcome.SENT, Outcome.DELIVERED, Outcome.UNDELIVERED, Outcome.REJECTED, Outcome.FAILED}
)
# Outcomes retry-failed / smart retry parts call again (R-CMP-4/5).
RETRYABLE_OUTCOMES: Final = frozenset({Outcome.NO_ANSWER, Outcome.BUSY, Outcome.UNREACHABLE, Outcome.FAILED})

# The campaign `stats` key each outcome counts under (SPEC §11); `sent` is still in progress.
STAT_KEYS: Final[dict[Outcome, str]] = {
    Outcome.ANSWERED: "answered",
    Outcome.NO_ANSWER: "no_answer",
    Outcome.BUSY: "busy",
    Outcome.UNREACHABLE: "no_answer",
    Outcome.FAILED: "failed",
    Outcome.SENT: "in_progress",
    Outcome.DELIVERED: "delivered",
    Outcome.UNDELIVERED: "failed",
    Outcome.REJECTED: "failed",
    Outcome.FREQUENCY_CAPPED: "frequency_capped",
    Outcome.OPTED_OUT: "opted_out",
    Outcome.BLACKLISTED: "blacklisted",
    Outcome.INVALID: "invalid",
}

_SMS_BY_STATUS: Final[dict[DeliveryStatus, Outcome]] = {
    DeliveryStatus.ENROUTE: Outcome.SENT,
    DeliveryStatus.DELIVRD: Outcome.DELIVERED,
    DeliveryStatus.NOREPORT: Outcome.DELIVERED,
    DeliveryStatus.UNDELIV: Outcome.UNDELIVERED,
    DeliveryStatus.EXPIRED: Outcome.UNDELIVERED,
    DeliveryStatus.FAILED: Outcome.UNDELIVERED,
    DeliveryStatus.REJECTD: Outcome.REJECTED,
}

VOTE_NOT_ANSWERED: Final = -1
VOTE_NONE: Final = 0
VOTE_AD_OPT_OUT: Final = 11
PULSE_SECONDS: Final = 30


def is_final(outcome: Outcome) -> bool:
    """Every outcome but `sent` ends its attempt."""
    return outcome is not Outcome.SENT


def is_pre_dial(outcome: Outcome) -> bool:
    return outcome in PRE_DIAL_OUTCOMES


def is_billable(outcome: Outcome) -> bool:
    """Charged: answered calls and SMS accepted by the operator (R-BIL-3).

    An SMS may report `sent` and later `delivered`/`undelivered`: both are billable, and the attempt is
    charged once, on the first billable result (the results handler keys the charge by attempt id).
    """
    return outcome in {Outcome.ANSWERED, Outcome.SENT, Outcome.DELIVERED, Outcome.UNDELIVERED}


def releases_ad_cap(outcome: Outcome) -> bool:
    """The attempt never reached the network, so its ad-cap claim is given back (R-CPL-2)."""
    return outcome in {Outcome.FAILED, Outcome.REJECTED}


def stat_key(outcome: Outcome) -> str:
    return STAT_KEYS[outcome]


def sms_outcome(status: DeliveryStatus | str) -> Outcome:
    """The outcome of an SMS the operator accepted (or refused), from its delivery status."""
    return _SMS_BY_STATUS[DeliveryStatus(status)]


def vote_code(outcome: Outcome, digits: str | None = None) -> int:
    """The report's vote code (R-OUT-2): -1 not answered, 0 answered without voting, else the digits pressed
    (11 = opted out of ads). Non-digit keys (`*`, `#`) are ignored."""
    if outcome is not Outcome.ANSWERED:
        return VOTE_NOT_ANSWERED
    pressed = "".join(ch for ch in digits or "" if ch in "0123456789")
    return int(pressed) if pressed else VOTE_NONE


def opts_out_of_ads(category: Category | str, vote: int) -> bool:
    """Vote 11 in an advertising call puts the number on the platform's ad opt-out list (R-CPL-3)."""
    return Category(category) is Category.ADVERTISING and vote == VOTE_AD_OPT_OUT


def pulses(message_seconds: float) -> int:
    """Started 30-second pulses of a voice message (a 31 s message is 2 pulses); at least 1."""
    if message_seconds <= 0:
        raise ValueError("a voice message lasts more than 0 seconds")
    whole, part = divmod(message_seconds, PULSE_SECONDS)
    return max(1, int(whole) + (1 if part else 0))


def attempt_charge(channel: Channel | str, outcome: Outcome, *, units: int, tariff: int) -> int:
    """What one attempt costs, in minor units: the message's units (voice pulses, or SMS segments after
    personalisation) × the tariff per unit when billable, else 0. An answered call pays the whole message,
    however long the subscriber listened."""
    if units < 0 or tariff < 0:
        raise ValueError("units and tariff are not negative")
    channel = Channel(channel)
    allowed = VOICE_OUTCOMES if channel is Channel.VOICE else SMS_OUTCOMES
    if outcome not in allowed | PRE_DIAL_OUTCOMES:
        raise ValueError(f"{outcome} is not a {channel} outcome")
    return units * tariff if is_billable(outcome) else 0
