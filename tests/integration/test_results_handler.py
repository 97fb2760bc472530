"""R-DSP-1: the results handler applies a batch as a whole, and when that fails, each message alone, so only
the messages that fail on their own are retried (ReportBatchItemFailures)."""

from __future__ import annotations

import json

from functions.results.handler import handler
from jarchi.settings import Settings
from local.functions import make_context
from tests.connectors.events import sqs_event

NOTHING_DUE = json.dumps({"batch_id": "b-empty", "campaign_id": "cmp-none", "results": []})
UNKNOWN_CAMPAIGN = json.dumps(
    {
        "batch_id": "b-1",
        "campaign_id": "cmp-missing",
        "results": [
            {
                "attempt_id": "cmp-missing.0.1",
                "campaign_id": "cmp-missing",
                "connector": "simulator",
                "number": "+989120000001",
                "outcome": "delivered",
                "delivery_status": "DELIVRD",
                "units": 1,
                "completed_at": "2026-03-02T06:30:00+00:00",
            }
        ],
    }
)


def test_r_dsp_1_a_batch_that_applies_as_a_whole_reports_no_failure(aws: Settings) -> None:
    context = make_context("results", region=aws.region)
    assert handler(sqs_event(NOTHING_DUE, NOTHING_DUE), context) == {"batchItemFailures": []}


def test_r_dsp_1_when_the_whole_batch_fails_only_the_failing_messages_are_retried(aws: Settings) -> None:
    context = make_context("results", region=aws.region)

    answer = handler(sqs_event(NOTHING_DUE, "not json", UNKNOWN_CAMPAIGN, NOTHING_DUE), context)

    assert answer == {"batchItemFailures": [{"itemIdentifier": "m-1"}, {"itemIdentifier": "m-2"}]}
