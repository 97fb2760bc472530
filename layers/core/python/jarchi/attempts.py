"""What one attempt is and how it ended: the vocabulary that admission, connectors, results, compliance and
billing all speak (R-OUT, R-SMS-5, R-DSP-4). No rules about money or caps here: charges live in
`jarchi.billing.charges`, cap release and opt-out in `jarchi.compliance.adcap`.

Decisions where the spec is silent:

- `unreachable` (switched off, out of coverage) counts under the `no_answer` stat: the subscriber was not
  available, a later retry may reach them (retry-failed re-calls it), and `failed` stays the signal of a
  technical failure (ours, the connector's or the route's) that ops should look at.
- An answering machine is an `answered` call on the wire (the network connected it and charges for it), flagged
  by the connector (`AttemptResult.answering_machine`); the recipient's status and the campaign's stats call it
  `machine` (`recipient_status`), so it is neither an answered person nor in the ACD (R-CPL-5), and a retry
  part may call it again (`retry.on: ["machine"]`). When the campaign has a `voicemail` message the machine
  hears that instead, charged like an answered call of its length (`Attempt.voicemail_units`).
- SMS: `delivered` = accepted by the operator and reported DELIVRD, or accepted with no report
  (NOREPORT); `undelivered` = accepted by the operator, then reported UNDELIV / EXPIRED / FAILED: charged
  (R-BIL-3 charges what the operator accepted), counted under `failed`; `rejected` = refused by the operator
  (REJECTD) or at submission: not charged, counted under `failed`. ENROUTE is `sent`: accepted, not final.
- A pressed `0` reads as vote code 0, the same as "answered without voting" (the seed's codes cannot tell
  them apart): surveys should not offer 0 as a choice.
- Releasing the ad cap: only an attempt that never reached the network (`failed`, `rejected`) gives its
  claim back (R-CPL-2); a ringing, busy or unreachable subscriber was contacted by the network.

Connectors place `Attempt`s and answer `Placement`s (see `jarchi.ports.Connector`):
The dispatch handler takes a batch of `Attempt`s off the dispatch queue and calls `connector.place(batch)`.
Each attempt comes back as one `Placement`:

- `completed`: the result is known now (the simulator): the handler sends `placement.result` to the
  results queue, to be applied at `result.completed_at` (the simulator's latency on the local clock);
- `submitted`: the provider took the attempt and reports later through its callback (Chime SIP media
  application events, End User Messaging delivery events, signed HTTPS callbacks), which the callback
  handler turns into an `AttemptResult` for the results queue;
- `retry`: throttled or a transient error before the provider took it: the handler reports the message as
  a batch-item failure so SQS redelivers it with backoff (and to the DLQ after the redrive limit).

A connector places each attempt at most once per call; duplicate deliveries of one attempt are the
dispatch handler's to drop (by attempt id), not the connector's. Messages on the queues are the
`to_message()` dicts (JSON-safe), read back with `from_message()`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from enum import StrEnum
from typing import Any, Final, Self

from jarchi.channels import Category, Channel


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
    EXPIRED = "expired"  # its validity ran out before it could be placed: never sent, free (R-SMS-5)
    # Pre-dial: decided before any attempt reaches a connector.
    FREQUENCY_CAPPED = "frequency_capped"
    OPTED_OUT = "opted_out"
    BLACKLISTED = "blacklisted"
    INVALID = "invalid"
    COUNTRY_NOT_ALLOWED = "country_not_allowed"  # outside the account's allowed countries
    PREFIX_NOT_ALLOWED = "prefix_not_allowed"  # premium rate, shared cost or a blocked prefix (SMS pumping)


class DeliveryStatus(StrEnum):
    """SMS delivery report statuses (R-SMS-5; see `jarchi.content.sms_types` for their meaning)."""

    ENROUTE = "ENROUTE"
    DELIVRD = "DELIVRD"
    FAILED = "FAILED"
    EXPIRED = "EXPIRED"
    UNDELIV = "UNDELIV"
    NOREPORT = "NOREPORT"
    REJECTD = "REJECTD"

    @property
    def is_final(self) -> bool:
        return self is not DeliveryStatus.ENROUTE

    @property
    def is_billable(self) -> bool:
        """Accepted by the operator (R-BIL-3)."""
        return self not in _NOT_ACCEPTED

    @property
    def is_delivered(self) -> bool:
        return self is DeliveryStatus.DELIVRD


_NOT_ACCEPTED = frozenset({DeliveryStatus.FAILED, DeliveryStatus.REJECTD})


PRE_DIAL_OUTCOMES: Final = frozenset(
    {
        Outcome.FREQUENCY_CAPPED,
        Outcome.OPTED_OUT,
        Outcome.BLACKLISTED,
        Outcome.INVALID,
        Outcome.COUNTRY_NOT_ALLOWED,
        Outcome.PREFIX_NOT_ALLOWED,
    }
)
VOICE_OUTCOMES: Final = frozenset(
    {Outcome.ANSWERED, Outcome.NO_ANSWER, Outcome.BUSY, Outcome.UNREACHABLE, Outcome.FAILED}
)
SMS_OUTCOMES: Final = frozenset(
    {Outcome.SENT, Outcome.DELIVERED, Outcome.UNDELIVERED, Outcome.REJECTED, Outcome.FAILED, Outcome.EXPIRED}
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
    Outcome.EXPIRED: "failed",
    Outcome.FREQUENCY_CAPPED: "frequency_capped",
    Outcome.OPTED_OUT: "opted_out",
    Outcome.BLACKLISTED: "blacklisted",
    Outcome.INVALID: "invalid",
    Outcome.COUNTRY_NOT_ALLOWED: "country_not_allowed",
    Outcome.PREFIX_NOT_ALLOWED: "prefix_not_allowed",
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

# A recipient whose call an answering machine took (status and stats key, SPEC §14).
MACHINE: Final = "machine"

VOTE_NOT_ANSWERED: Final = -1
VOTE_NONE: Final = 0
VOTE_AD_OPT_OUT: Final = 11


def is_final(outcome: Outcome) -> bool:
    """Every outcome but `sent` ends its attempt."""
    return outcome is not Outcome.SENT


def stat_key(outcome: Outcome) -> str:
    return STAT_KEYS[outcome]


def recipient_status(outcome: Outcome, answering_machine: bool) -> str:
    """The recipient's final status: the outcome's name, or `machine` for a call a machine answered."""
    return MACHINE if answering_machine and outcome is Outcome.ANSWERED else outcome.value


def result_stat_key(outcome: Outcome, answering_machine: bool) -> str:
    """The campaign `stats` key a result counts under (`machine` beside the outcomes' keys)."""
    return MACHINE if answering_machine and outcome is Outcome.ANSWERED else stat_key(outcome)


def sms_outcome(status: DeliveryStatus | str) -> Outcome:
    """The outcome of an SMS the operator accepted (or refused), from its delivery status."""
    return _SMS_BY_STATUS[DeliveryStatus(status)]


def is_lead(outcome: Outcome, vote: int | None) -> bool:
    """A lead (the seed's "voted"): an answered call whose recipient pressed a digit, other than the ad opt-out."""
    return (
        outcome is Outcome.ANSWERED and vote is not None and vote not in (VOTE_NOT_ANSWERED, VOTE_NONE, VOTE_AD_OPT_OUT)
    )


# The vote histogram's bars (R-REP-2): answered people (not machines) by vote code: 0 = no vote, each digit,
# 11 = ad opt-out, and every other code (10, 12, …: two digits pressed) together as `other`.
VOTE_KEYS: Final = ("0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "11", "other")


def vote_key(outcome: Outcome, vote: int | None, answering_machine: bool = False) -> str | None:
    """The histogram bar a result counts under; None for a call no person answered."""
    if outcome is not Outcome.ANSWERED or answering_machine or vote is None or vote < 0:
        return None
    key = str(vote)
    return key if key in VOTE_KEYS else "other"


def vote_code(outcome: Outcome, digits: str | None = None) -> int:
    """The report's vote code (R-OUT-2): -1 not answered, 0 answered without voting, else the digits pressed
    (11 = opted out of ads). Non-digit keys (`*`, `#`) are ignored."""
    if outcome is not Outcome.ANSWERED:
        return VOTE_NOT_ANSWERED
    pressed = "".join(ch for ch in digits or "" if ch in "0123456789")
    return int(pressed) if pressed else VOTE_NONE


@dataclass(frozen=True, slots=True)
class Attempt:
    """One call or one SMS submission to one number.

    Content: exactly one of `audio_key` (S3 key of the approved audio), `tts_text` (text-to-speech) for
    voice, or `sms_text` (already personalised) for SMS. `message_seconds` is the voice message's length
    (known for audio; estimated for TTS), used for pulses and the ACD gate. `validity_seconds` is the SMS
    TTL (None: the operator's default). `caller_id` is the outgoing number chosen from the pool (R-DSP-5).
    `voicemail_*`: what an answering machine hears instead of the message (the campaign's `voicemail`), its
    length and its billable pulses (0: no voicemail, a machine hears the message).
    """

    attempt_id: str
    campaign_id: str
    account_id: str
    channel: Channel
    category: Category
    number: str  # E.164
    audio_key: str | None = None
    tts_text: str | None = None
    sms_text: str | None = None
    message_seconds: int = 0
    vote: bool = False
    sender: str | None = None
    caller_id: str | None = None
    validity_seconds: int | None = None
    language: str | None = None
    part: int = 0  # 0 = main send, n = smart retry part [n]
    units: int = 1  # billable units if successful: SMS segments, voice pulses
    admitted_at: str | None = None  # ISO 8601: with validity_seconds, when an unplaced SMS expires
    voicemail_key: str | None = None
    voicemail_tts: str | None = None
    voicemail_seconds: int = 0
    voicemail_units: int = 0
    route_slot: str | None = None  # a fixed line's route slot, `<route>#<shard>`, given back by its result (R-DSP-3)
    record: bool = False  # the campaign records its answered calls (R-OUT-5)

    def __post_init__(self) -> None:
        contents = [c for c in (self.audio_key, self.tts_text, self.sms_text) if c is not None]
        if len(contents) != 1:
            raise ValueError("an attempt carries exactly one of audio_key, tts_text, sms_text")
        if (self.sms_text is not None) != (Channel(self.channel) is Channel.SMS):
            raise ValueError("sms_text goes with the sms channel, audio or tts with voice")

    @property
    def idempotency_key(self) -> str:
        """What a connector hands the provider so that placing this attempt again places nothing (a batch
        redelivered after a crash mid-placement): its id, one per recipient, part and follow-up."""
        return self.attempt_id

    def to_message(self) -> dict[str, Any]:
        """JSON-safe; unset fields (None, voicemail fields without a voicemail, `record` off) are left out, so
        what an attempt does not use costs nothing on the queue (a dispatch message packs 200 of them)."""
        return {
            k: (v.value if isinstance(v, StrEnum) else v)
            for k in _ATTEMPT_FIELDS
            if (v := getattr(self, k)) is not None and (v or not (k.startswith("voicemail_") or k == "record"))
        }

    @classmethod
    def from_message(cls, message: Mapping[str, Any]) -> Self:
        fields = {k: v for k, v in message.items() if k in cls.__dataclass_fields__}
        fields["channel"] = Channel(fields["channel"])
        fields["category"] = Category(fields["category"])
        return cls(**fields)


@dataclass(frozen=True, slots=True)
class AttemptResult:
    """The final (or, for SMS, first) word on one attempt, as the results handler applies it.

    `listened_seconds` is how much of the message played (voice answered, else 0); `vote` is the report's
    vote code (R-OUT-2: -1 not answered, 0 no vote, 11 ad opt-out, else the digits); `digits` what was
    pressed; `delivery_status` the SMS report status; `reference` the provider's id for the attempt.
    """

    attempt_id: str
    campaign_id: str
    number: str
    outcome: Outcome
    completed_at: datetime
    connector: str
    listened_seconds: int = 0
    vote: int = -1
    digits: str | None = None
    delivery_status: DeliveryStatus | None = None
    reference: str | None = None
    answering_machine: bool = False
    detail: str | None = None
    units: int = 1  # the attempt's billable units, carried through for the charge
    caller_id: str | None = None  # the number the call went out from, when the campaign has a pool (R-DSP-5)
    route_slot: str | None = None  # the call's route slot to give back (R-DSP-3)
    # The call's recording (R-OUT-5): its key on the recordings bucket and its length; None: not recorded.
    recording_key: str | None = None
    recording_seconds: int = 0

    @classmethod
    def of(
        cls,
        attempt: Attempt,
        outcome: Outcome,
        *,
        completed_at: datetime,
        connector: str,
        listened_seconds: int = 0,
        digits: str | None = None,
        delivery_status: DeliveryStatus | None = None,
        reference: str | None = None,
        answering_machine: bool = False,
        detail: str | None = None,
        recording_key: str | None = None,
        recording_seconds: int = 0,
    ) -> AttemptResult:
        """A result for `attempt`, with its vote code derived from the outcome and digits; a machine that heard
        the campaign's voicemail is charged the voicemail's units."""
        if completed_at.tzinfo is None:
            raise ValueError("completed_at is an aware datetime")
        return cls(
            attempt_id=attempt.attempt_id,
            campaign_id=attempt.campaign_id,
            number=attempt.number,
            outcome=outcome,
            completed_at=completed_at,
            connector=connector,
            listened_seconds=listened_seconds if outcome is Outcome.ANSWERED else 0,
            vote=vote_code(outcome, digits),
            digits=digits if outcome is Outcome.ANSWERED else None,
            delivery_status=delivery_status,
            reference=reference,
            answering_machine=answering_machine,
            detail=detail,
            units=attempt.voicemail_units if answering_machine and attempt.voicemail_units else attempt.units,
            caller_id=attempt.caller_id,
            route_slot=attempt.route_slot,
            recording_key=recording_key if outcome is Outcome.ANSWERED else None,
            recording_seconds=recording_seconds if outcome is Outcome.ANSWERED and recording_key else 0,
        )

    def to_message(self) -> dict[str, Any]:
        # Every field is a scalar: `dataclasses.asdict`'s recursive deep copy cost more than the rest of a
        # dispatch batch's own work (a result per attempt, issue 17).
        message = {k: getattr(self, k) for k in _RESULT_FIELDS}
        message["outcome"] = self.outcome.value
        message["completed_at"] = self.completed_at.isoformat()
        message["delivery_status"] = self.delivery_status.value if self.delivery_status else None
        return message

    @classmethod
    def from_message(cls, message: Mapping[str, Any]) -> Self:
        fields = {k: v for k, v in message.items() if k in cls.__dataclass_fields__}
        fields["outcome"] = Outcome(fields["outcome"])
        fields["completed_at"] = datetime.fromisoformat(fields["completed_at"])
        status = fields.get("delivery_status")
        fields["delivery_status"] = DeliveryStatus(status) if status else None
        return cls(**fields)


_ATTEMPT_FIELDS: Final = tuple(f.name for f in fields(Attempt))
_RESULT_FIELDS: Final = tuple(f.name for f in fields(AttemptResult))


class PlacementStatus(StrEnum):
    COMPLETED = "completed"
    SUBMITTED = "submitted"
    RETRY = "retry"


@dataclass(frozen=True, slots=True)
class Placement:
    """What `place` says about one attempt (see the module docstring)."""

    attempt_id: str
    status: PlacementStatus
    result: AttemptResult | None = None
    reference: str | None = None
    error: str | None = None

    def __post_init__(self) -> None:
        if (self.status is PlacementStatus.COMPLETED) != (self.result is not None):
            raise ValueError("a completed placement carries its result, and only a completed one")
