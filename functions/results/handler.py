"""SQS results queue → final statuses, charges and counters, each batch applied exactly once (R-DSP-1)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from jarchi.campaigns.settlement import apply_results
from jarchi.connectors.base import AttemptResult

logger = Logger()
tracer = Tracer()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS)


def apply_record(record: SQSRecord) -> bool:
    body = record.json_body
    results = [AttemptResult.from_message(r) for r in body["results"]]
    return not apply_results(body["batch_id"], body["campaign_id"], results).duplicate


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=apply_record, processor=processor, context=context)
