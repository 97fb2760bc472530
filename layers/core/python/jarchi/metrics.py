"""Our CloudWatch metrics by name: the one list read by the handlers that emit them (EMF, through
`functions/emf.py`) and by the dashboard and alarms that chart them (infra/constructs/observability.py).

Plain names only, no Powertools: the domain, the stack and the tests all import this.
tests/infra/test_metrics.py runs the handlers and checks that every metric the dashboard charts is one of
these, emitted with the dimensions the dashboard asks for.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

NAMESPACE: Final = "Jarchi"  # POWERTOOLS_METRICS_NAMESPACE in the cloud
SERVICE: Final = "jarchi"  # the value of the `service` dimension on every metric (POWERTOOLS_SERVICE_NAME)


class Dimension(StrEnum):
    SERVICE = "service"  # on every metric
    CHANNEL = "channel"  # voice | sms (`jarchi.channels.Channel`)


class Metric(StrEnum):
    """All Count metrics, summed per invocation; the emitting function and the dimensions beside `service`."""

    ATTEMPTS_PLACED = "AttemptsPlaced"  # dispatch, per channel: attempts the connector took (a replay is not one)
    RESULTS_APPLIED = "ResultsApplied"  # results: results applied (final statuses, charges, counters)
    RESULT_DUPLICATES = "ResultDuplicates"  # results: due windows an earlier delivery had already applied
    RESULTS_DEFERRED = "ResultsDeferred"  # results: results not due yet, sent back to wait (R-DSP-4)
    # workflow, at reconciliation: `reconciliation_drift` of the campaign, in minor units (R-BIL-3, R-OPS).
    RECONCILIATION_DRIFT = "ReconciliationDrift"


def reconciliation_drift(*, reserved: int, charged: int, released: int, refunded: int) -> int:
    """How far a reconciled campaign's money is from `reserved = charged + released + refunded` (R-BIL-3):
    0 when exact; the dashboard alarms on anything above 0."""
    return abs(reserved - (charged + released + refunded))
