"""The one interface every telephony connector implements (R-DSP-4): the simulator locally; Chime SDK PSTN
audio, AWS End User Messaging and a generic HTTPS provider in the cloud.

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

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol, Self, runtime_checkable

from jarchi.compliance.categories import Category, Channel
from jarchi.dispatch.outcomes import DeliveryStatus, Outcome, vote_code


@dataclass(frozen=True, slots=True)
class Attempt:
    """One call or one SMS submission to one number.

    Content: exactly one of `audio_key` (S3 key of the approved audio), `tts_text` (text-to-speech) for
    voice, or `sms_text` (already personalised) for SMS. `message_seconds` is the voice message's length
    (known for audio; estimated for TTS), used for pulses and the ACD gate. `validity_seconds` is the SMS
    TTL (None: the operator's default). `caller_id` is the outgoing number chosen from the pool (R-DSP-5).
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

    def __post_init__(self) -> None:
        contents = [c for c in (self.audio_key, self.tts_text, self.sms_text) if c is not None]
        if len(contents) != 1:
            raise ValueError("an attempt carries exactly one of audio_key, tts_text, sms_text")
        if (self.sms_text is not None) != (Channel(self.channel) is Channel.SMS):
            raise ValueError("sms_text goes with the sms channel, audio or tts with voice")

    def to_message(self) -> dict[str, Any]:
        return {k: (v.value if isinstance(v, StrEnum) else v) for k, v in asdict(self).items()}

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
    ) -> AttemptResult:
        """A result for `attempt`, with its vote code derived from the outcome and digits."""
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
            units=attempt.units,
        )

    def to_message(self) -> dict[str, Any]:
        message = asdict(self)
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


class ConnectorError(Exception):
    """The whole batch could not be placed (provider down, credentials, throttled as a whole).

    `retryable` errors let SQS redeliver the batch; others send it towards the DLQ."""

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


@runtime_checkable
class Connector(Protocol):
    """A telephony connector. `name` is recorded on every result (`simulator`, `chime`, …)."""

    @property
    def name(self) -> str: ...

    def place(self, attempts: Sequence[Attempt]) -> list[Placement]:
        """Place each attempt once; one `Placement` per attempt, in the same order."""
        ...
