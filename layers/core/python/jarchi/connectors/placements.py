"""Placements the cloud connectors share: a final result decided at placing (free), a retry."""

from __future__ import annotations

from jarchi import clock
from jarchi.attempts import Attempt, AttemptResult, DeliveryStatus, Outcome, Placement, PlacementStatus
from jarchi.channels import Channel


def refused(attempt: Attempt, connector: str, detail: str) -> Placement:
    """The provider refused this attempt for good (invalid or opted-out number, a channel it does not carry):
    a final result now, `rejected` for SMS and `failed` for voice. Neither is charged, and both give the ad
    cap back (`jarchi.compliance.adcap.releases_ad_cap`): the attempt never reached the network."""
    sms = Channel(attempt.channel) is Channel.SMS
    result = AttemptResult.of(
        attempt,
        Outcome.REJECTED if sms else Outcome.FAILED,
        completed_at=clock.now(),
        connector=connector,
        delivery_status=DeliveryStatus.REJECTD if sms else None,
        detail=detail,
    )
    return Placement(attempt.attempt_id, PlacementStatus.COMPLETED, result=result)


def retry(attempt: Attempt, error: str) -> Placement:
    return Placement(attempt.attempt_id, PlacementStatus.RETRY, error=error)


def submitted(attempt: Attempt, reference: str | None) -> Placement:
    return Placement(attempt.attempt_id, PlacementStatus.SUBMITTED, reference=reference)
