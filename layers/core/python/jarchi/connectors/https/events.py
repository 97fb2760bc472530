"""Signed callbacks from the HTTPS provider (`POST /v1/connectors/https/events`) → provider reports on the
`connector-events` queue. The signature is checked on the raw body before anything is parsed; a body that is
signed but not a valid event is refused (400), never retried into a queue. Each attempt's final word counts
once: the report's event id is the attempt's (`https:<attempt id>`), so a provider re-sending a callback,
under its own event id or a new one, changes nothing after the first."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import cache
from typing import Annotated, Final

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, field_validator

from jarchi.attempts import SMS_OUTCOMES, VOICE_OUTCOMES, AttemptResult, DeliveryStatus, Outcome, vote_code
from jarchi.connectors.callbacks import ProviderReport
from jarchi.connectors.https.config import HttpsConfig
from jarchi.connectors.https.connector import CONNECTOR_NAME
from jarchi.connectors.sections import connector_section
from jarchi.errors import BadRequest, JarchiError
from jarchi.ports import MessageQueue, resolve
from jarchi.resources import CONNECTOR_EVENTS_QUEUE
from jarchi.settings import get_settings
from jarchi.signing import SignatureRefused, verify

PROVIDER_OUTCOMES: Final = (VOICE_OUTCOMES | SMS_OUTCOMES) - {Outcome.SENT}


class InvalidSignature(JarchiError):
    """401 `invalid_signature`, with `reason`: missing, malformed, expired (outside the replay window),
    mismatch."""

    status = 401


class ProviderEvent(BaseModel):
    """What the provider posts about one attempt (echoing what we sent it)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    event_id: Annotated[str, Field(min_length=1, max_length=200)]
    attempt_id: Annotated[str, Field(min_length=1, max_length=200)]
    campaign_id: Annotated[str, Field(min_length=1, max_length=100)]
    number: Annotated[str, Field(pattern=r"^\+[1-9]\d{6,14}$")]
    units: Annotated[int, Field(ge=1, le=1000)] = 1
    outcome: Outcome
    completed_at: AwareDatetime
    listened_seconds: Annotated[int, Field(ge=0, le=24 * 3600)] = 0
    digits: Annotated[str | None, Field(pattern=r"^[0-9*#]{0,10}$")] = None
    delivery_status: DeliveryStatus | None = None
    reference: str | None = None

    @field_validator("outcome")
    @classmethod
    def _a_connector_outcome(cls, outcome: Outcome) -> Outcome:
        if outcome not in PROVIDER_OUTCOMES:
            raise ValueError(f"{outcome} is not a final result a provider reports")
        return outcome

    def report(self) -> ProviderReport:
        answered = self.outcome is Outcome.ANSWERED
        result = AttemptResult(
            attempt_id=self.attempt_id,
            campaign_id=self.campaign_id,
            number=self.number,
            outcome=self.outcome,
            completed_at=self.completed_at,
            connector=CONNECTOR_NAME,
            listened_seconds=self.listened_seconds if answered else 0,
            vote=vote_code(self.outcome, self.digits),
            digits=self.digits if answered else None,
            delivery_status=self.delivery_status,
            reference=self.reference,
            detail=f"event:{self.event_id}",
            units=self.units,
        )
        return ProviderReport(event_id=f"https:{self.attempt_id}", result=result)


def receive_callback(
    body: bytes,
    signature: str | None,
    config: HttpsConfig,
    *,
    queue: MessageQueue | None = None,
    now: Callable[[], float] = time.time,
) -> ProviderEvent:
    """Check the signature, read the event and send its report on; raises `InvalidSignature` (401) or
    `BadRequest` (not an event)."""
    try:
        verify(config.secret, signature, body, now=now(), window=config.replay_window_seconds)
    except SignatureRefused as refused:
        raise InvalidSignature("invalid_signature", str(refused), reason=refused.reason) from None
    try:
        event = ProviderEvent.model_validate_json(body)
    except ValidationError as error:
        fields = ", ".join(".".join(str(p) for p in e["loc"]) or "(body)" for e in error.errors())
        raise BadRequest("invalid_event", f"not a provider event: {fields}") from None
    (queue or resolve(MessageQueue)).send(CONNECTOR_EVENTS_QUEUE, [event.report().to_message(CONNECTOR_NAME)])
    return event


@cache
def _config(connector_config: str | None) -> HttpsConfig:
    return HttpsConfig.model_validate(connector_section(connector_config, "https"))


def https_config() -> HttpsConfig:
    """The deployment's HTTPS provider settings."""
    return _config(get_settings().connector_config)
