"""Our CloudWatch metrics by name: the one list read by the handlers that emit them (EMF, through
`functions/emf.py`) and by the dashboard and alarms that chart them (infra/constructs/observability.py).

Plain names only, no Powertools: the domain, the stack and the tests all import this.
tests/infra/test_metrics.py runs the handlers and checks that every metric the dashboard charts is one of
these, emitted with the dimensions the dashboard asks for.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

NAMESPACE: Final = "Jarchi"  # POWERTOOLS_METRICS_NAMESPACE in the cloud
SERVICE: Final = "jarchi"  # the value of the `service` dimension on every metric (POWERTOOLS_SERVICE_NAME)


class Dimension(StrEnum):
    SERVICE = "service"  # on every metric
    CHANNEL = "channel"  # voice | sms (`jarchi.channels.Channel`)
    OUTCOME = "outcome"  # an attempt's result (`jarchi.attempts.Outcome`)
    CONNECTOR = "connector"  # the provider that reported (`jarchi.connectors.registry` names)
    STATUS = "status"  # a campaign's status (`jarchi.campaigns.statuses`)


class Metric(StrEnum):
    """All Count metrics, summed per invocation; the emitting function and the dimensions beside `service`."""

    ATTEMPTS_PLACED = "AttemptsPlaced"  # dispatch, per channel: attempts the connector took (a replay is not one)
    RESULTS_APPLIED = "ResultsApplied"  # results: results applied (final statuses, charges, counters)
    RESULT_DUPLICATES = "ResultDuplicates"  # results: due windows an earlier delivery had already applied
    RESULTS_DEFERRED = "ResultsDeferred"  # results: results not due yet, sent back to wait (R-DSP-4)
    # workflow, at reconciliation: `reconciliation_drift` of the campaign, in minor units (R-BIL-3, R-OPS).
    RECONCILIATION_DRIFT = "ReconciliationDrift"
    # results, per channel and per channel + outcome: results applied (answer rate = answered / all voice).
    ATTEMPT_RESULTS = "AttemptResults"
    LISTENED_SECONDS = "ListenedSeconds"  # results, voice: seconds heard by answered calls (ACD = this / answered)
    # connector-events, per connector: final provider reports, and those that are failures (`FAILED_OUTCOMES`):
    # the SIP media application's failed calls, End User Messaging's delivery failure rate.
    PROVIDER_REPORTS = "ProviderReports"
    PROVIDER_FAILURES = "ProviderFailures"
    FOLLOW_UPS = "FollowUps"  # results: follow-up SMS the calls' results fired (R-OUT-3), sent to dispatch
    INBOUND_CALLS = "InboundCalls"  # telephony: subscribers calling a pool number back (R-OUT-4 callbacks)
    CAMPAIGNS_STARTED = "CampaignsStarted"  # workflow: runs prepared (a campaign starting or starting again)
    CAMPAIGNS_SETTLED = "CampaignsSettled"  # workflow, per status: runs reconciled, by the status they ended in


# Outcomes a provider report counts as a failure of the route (not of the subscriber: busy or no answer are not).
FAILED_OUTCOMES: Final = frozenset({"failed", "undelivered", "rejected", "expired"})


def reconciliation_drift(*, reserved: int, charged: int, released: int, refunded: int) -> int:
    """How far a reconciled campaign's money is from `reserved = charged + released + refunded` (R-BIL-3):
    0 when exact; the dashboard alarms on anything above 0."""
    return abs(reserved - (charged + released + refunded))


@dataclass(frozen=True, slots=True)
class Count:
    """A number the domain reports for its handler to emit (`functions.emf.count_all`)."""

    metric: Metric
    value: int = 1
    dimensions: Mapping[Dimension, str] = field(default_factory=dict)
