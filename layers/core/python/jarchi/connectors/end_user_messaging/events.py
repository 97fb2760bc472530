"""End User Messaging SMS events (configuration-set event destination → SNS → SQS) → provider reports.

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
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

from jarchi.attempts import AttemptResult, DeliveryStatus, sms_outcome
from jarchi.connectors.callbacks import ProviderReport
from jarchi.connectors.end_user_messaging.connector import ATTEMPT_KEY, CAMPAIGN_KEY, CONNECTOR_NAME, UNITS_KEY

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


def is_event(body: Mapping[str, Any]) -> bool:
    return str(body.get("eventType", "")).startswith("TEXT_")


def report_from_event(event: Mapping[str, Any]) -> ProviderReport | None:
    """The final word on a Jarchi attempt, or None (not final, not ours, or an event type we do not map)."""
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
