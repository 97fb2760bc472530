"""SQS dispatch queue → the telephony connector (R-DSP-1). Each message carries many attempts; a
redelivered message (SQS is at least once) is answered from the idempotency table, never placed twice.
Only the placement is idempotent: its results are stored with the record and sent on afterwards, so a
failed send is retried from the record (the results side drops a batch it has seen)."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from jarchi.dispatch.placing import forward_results, place_batch
from jarchi.settings import get_settings
from jarchi.store.tables import IDEMPOTENCY

logger = Logger()
tracer = Tracer()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS)


@cache
def _config() -> IdempotencyConfig:
    return IdempotencyConfig(event_key_jmespath="batch_id", expires_after_seconds=24 * 3600)


@cache
def _place_once() -> Any:
    store = DynamoDBPersistenceLayer(table_name=get_settings().table_name(IDEMPOTENCY.logical))
    return idempotent_function(data_keyword_argument="message", config=_config(), persistence_store=store)(place_batch)


def place_record(record: SQSRecord) -> int:
    results: dict[str, Any] | None = _place_once()(message=record.json_body)
    return forward_results(results)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    _config().register_lambda_context(context)  # an in-progress record expires with the invocation
    return process_partial_response(event=event, record_handler=place_record, processor=processor, context=context)
