"""SQS results queue → final statuses, charges and counters, each batch applied exactly once (R-DSP-1).

Results not due yet (their `completed_at` is after the platform clock's now, R-DSP-4) go back onto the
queue with an SQS delay; `jarchi.results.receiving` decides."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.emf import count_all, counted
from jarchi import wiring
from jarchi.configuration import check_configuration
from jarchi.results.receiving import receive_results

wiring.install()
check_configuration()  # a bad setting stops the cold start with a message naming its key (R-RUN-6)
logger = Logger()
tracer = Tracer()
processor = BatchProcessor(event_type=EventType.SQS)


def apply_record(record: SQSRecord) -> int:
    received = receive_results(record.json_body)
    count_all(received.counts())
    if received.deferred:
        logger.debug(
            "results not due yet",
            batch_id=record.json_body["batch_id"],
            deferred=received.deferred,
            delay_seconds=received.delay_seconds,
        )
    return received.applied


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@counted
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=apply_record, processor=processor, context=context)


wiring.init_done()
