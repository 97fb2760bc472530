"""End User Messaging SMS and voice events (configuration-set event destination → SNS → SQS) → provider reports.

An event is one JSON object per *message*: End User Messaging splits a long text into parts itself and reports
the message as a whole (`totalMessageParts`), so one attempt gets one final word, carrying the attempt's own
billable units (our segment count, sent in `Context`, not the provider's part count: prices follow R-SMS-2).
Events that are not final (`isFinal` false: TEXT_QUEUED, TEXT_PENDING, TEXT_SENT, a transient
TEXT_CARRIER_UNREACHABLE) are ignored; the first final event of a message wins (its event id is the message's).

Final event types → delivery status (R-SMS-5; `jarchi.attempts.sms_outcome` gives the outcome):
- TEXT_DELIVERED, TEXT_SUCCESSFUL → DELIVRD (some countries only report SUCCESSFUL, accepted by the carrier);
- TEXT_TTL_EXPIRED → EXPIRED; TEXT_UNREACHABLE, TEXT_CARRIER_UNREACHABLE, TEXT_UNKNOWN → UNDELIV (accepted
  by the operator, not delivered: charged);
- TEXT_BLOCKED, TEXT_CARRIER_BLOCKED, TEXT_SPAM, TEXT_PROTECT_BLOCKED, TEXT_INVALID, TEXT_INVALID_MESSAGE →
  REJECTD (refused: free, and the ad cap is given back).

Voice (text-to-speech calls, `SendVoiceMessage`): VOICE_INITIATED, VOICE_RINGING and VOICE_ANSWERED are not
final; VOICE_COMPLETED → answered (End User Messaging reports no partial listening, so the whole message, its
length sent in `Context`), VOICE_BUSY → busy, VOICE_NO_ANSWER → no_answer, VOICE_FAILED → failed, and
VOICE_TTL_EXPIRED (never dialled in time) → failed: free, the ad cap given back. The result's detail names the
language the text was spoken in (`tts:<language>`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

from jarchi.attempts import AttemptResult, DeliveryStatus, Outcome, sms_outcome, vote_code
from jarchi.connectors.callbacks import ProviderReport
from jarchi.connectors.end_user_messaging.context import (
    ATTEMPT_KEY,
    CALLER_ID_KEY,
    CAMPAIGN_KEY,
    CONNECTOR_NAME,
    ROUTE_SLOT_KEY,
    SECONDS_KEY,
    SPOKEN_KEY,
    UNITS_KEY,
)

STATUS_BY_EVENT: Final[Mapping[str, DeliveryStatus]] = {
    "TEXT_DELIVERED": DeliveryStatus.DELIVRD,
    "TEXT_SUCCESSFUL": DeliveryStatus.DELIVRD,
    "TEXT_TTL_EXPIRED": DeliveryStatus.EXPIRED,
    "TEXT_UNREACHABLE": DeliveryStatus.UNDELIV,
    "TEXT_CARRIER_UNREACHABLE": DeliveryStatus.UNDELIV,
    "TEXT_UNKNOWN": DeliveryStatus.UNDELIV,
    "TEXT_BLOCKED": DeliveryStatus.REJECTD,
    "TEXT_CARRIER_BLOCKED": DeliveryStatus.REJECTD,
    "TEXT_SPAM": DeliveryStatus.REJECTD,
    "TEXT_PROTECT_BLOCKED": DeliveryStatus.REJECTD,
    "TEXT_INVALID": DeliveryStatus.REJECTD,
    "TEXT_INVALID_MESSAGE": DeliveryStatus.REJECTD,
}


OUTCOME_BY_VOICE_EVENT: Final[Mapping[str, Outcome]] = {
    "VOICE_COMPLETED": Outcome.ANSWERED,
    "VOICE_BUSY": Outcome.BUSY,
    "VOICE_NO_ANSWER": Outcome.NO_ANSWER,
    "VOICE_FAILED": Outcome.FAILED,
    "VOICE_TTL_EXPIRED": Outcome.FAILED,
}
# What the configuration set's event destination publishes: the final types only.
FINAL_EVENT_TYPES: Final = frozenset(STATUS_BY_EVENT) | frozenset(OUTCOME_BY_VOICE_EVENT)


def is_event(body: Mapping[str, Any]) -> bool:
    return str(body.get("eventType", "")).startswith(("TEXT_", "VOICE_"))


def report_from_event(event: Mapping[str, Any]) -> ProviderReport | None:
    """The final word on a Jarchi attempt, or None (not final, not ours, or an event type we do not map)."""
    if str(event.get("eventType", "")).startswith("VOICE_"):
        return _call_report(event)
    context = event.get("context") or {}
    status = STATUS_BY_EVENT.get(str(event.get("eventType")))
    if not event.get("isFinal") or status is None or ATTEMPT_KEY not in context or CAMPAIGN_KEY not in context:
        return None
    parts = event.get("totalMessageParts")
    result = AttemptResult(
        attempt_id=str(context[ATTEMPT_KEY]),
        campaign_id=str(context[CAMPAIGN_KEY]),
        number=str(event["destinationPhoneNumber"]),
        outcome=sms_outcome(status),
        completed_at=datetime.fromtimestamp(int(event["eventTimestamp"]) / 1000, tz=UTC),
        connector=CONNECTOR_NAME,
        delivery_status=status,
        reference=str(event["messageId"]),
        detail=f"{event['eventType']}; parts={parts}" if parts is not None else str(event["eventType"]),
        units=int(context.get(UNITS_KEY, 1)),
    )
    return ProviderReport(event_id=f"eum:{event['messageId']}", result=result)


def _call_report(event: Mapping[str, Any]) -> ProviderReport | None:
    context = event.get("context") or {}
    outcome = OUTCOME_BY_VOICE_EVENT.get(str(event.get("eventType")))
    if not event.get("isFinal") or outcome is None or ATTEMPT_KEY not in context or CAMPAIGN_KEY not in context:
        return None
    result = AttemptResult(
        attempt_id=str(context[ATTEMPT_KEY]),
        campaign_id=str(context[CAMPAIGN_KEY]),
        number=str(event["destinationPhoneNumber"]),
        outcome=outcome,
        completed_at=datetime.fromtimestamp(int(event["eventTimestamp"]) / 1000, tz=UTC),
        connector=CONNECTOR_NAME,
        listened_seconds=int(context.get(SECONDS_KEY, 0)) if outcome is Outcome.ANSWERED else 0,
        vote=vote_code(outcome),
        reference=str(event["messageId"]),
        detail=f"{event['eventType']}; tts:{context.get(SPOKEN_KEY, '?')}",
        units=int(context.get(UNITS_KEY, 1)),
        caller_id=context.get(CALLER_ID_KEY),
        route_slot=context.get(ROUTE_SLOT_KEY),
    )
    return ProviderReport(event_id=f"eum:{event['messageId']}", result=result)
