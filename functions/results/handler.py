"""SQS results queue → final statuses, charges and counters, each batch applied exactly once (R-DSP-1).

Results not due yet (their `completed_at` is after the platform clock's now, R-DSP-4) go back onto the
queue with an SQS delay; `jarchi.results.receiving` decides."""

from __future__ import annotations

import gc

gc.disable()  # until `wiring.init_done()`, this module's last line (issue 10, cold start)

from collections.abc import Sequence
from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.emf import count_all, counted
from jarchi import wiring
from jarchi.configuration import check_configuration
from jarchi.results.receiving import receive_many

wiring.install()
check_configuration()  # a bad setting stops the cold start with a message naming its key (R-RUN-6)
logger = Logger()
tracer = Tracer()
processor = BatchProcessor(event_type=EventType.SQS)


def apply_records(records: Sequence[SQSRecord]) -> int:
    """Apply these results messages together: each campaign's item is written once for all of them."""
    applied = 0
    for record, received in zip(records, receive_many([record.json_body for record in records]), strict=True):
        count_all(received.counts())
        if received.deferred:
            logger.debug(
                "results not due yet",
                batch_id=record.json_body["batch_id"],
                deferred=received.deferred,
                delay_seconds=received.delay_seconds,
            )
        applied += received.applied
    return applied


def apply_record(record: SQSRecord) -> int:
    return apply_records([record])


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@counted
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    """The whole batch at once (one campaign write per campaign, issue 17); if that fails, each message alone
    through Powertools' batch processor, so only the messages that fail on their own are retried (every step
    is idempotent: what the failed attempt wrote is written again, or found applied)."""
    try:
        apply_records([SQSRecord(record) for record in event["Records"]])
    except Exception:
        logger.warning("the results batch failed as a whole; applying its messages one by one", exc_info=True)
        return process_partial_response(event=event, record_handler=apply_record, processor=processor, context=context)
    return {"batchItemFailures": []}


wiring.init_done()
