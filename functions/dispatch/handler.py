"""SQS dispatch queue → the telephony connector (R-DSP-1). Each message carries many attempts; a
redelivered message (SQS is at least once) is answered from the idempotency table, never placed twice.
Only the placement is idempotent: its results are stored with the record and sent on afterwards, so a
failed send is retried from the record (the results side drops a batch it has seen)."""

from __future__ import annotations

from collections import Counter
from functools import cache
from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.emf import count, counted
from jarchi import wiring
from jarchi.configuration import check_configuration
from jarchi.dispatch.placing import forward_results, place_batch
from jarchi.metrics import Dimension, Metric
from jarchi.settings import get_settings
from jarchi.store.tables import IDEMPOTENCY

wiring.install()
check_configuration()  # a bad setting stops the cold start with a message naming its key (R-RUN-6)
logger = Logger()
tracer = Tracer()
processor = BatchProcessor(event_type=EventType.SQS)


@cache
def _config() -> IdempotencyConfig:
    return IdempotencyConfig(event_key_jmespath="batch_id", expires_after_seconds=24 * 3600)


@cache
def _place_once() -> Any:
    store = DynamoDBPersistenceLayer(table_name=get_settings().table_name(IDEMPOTENCY.logical))
    place = idempotent_function(data_keyword_argument="message", config=_config(), persistence_store=store)
    return place(place_and_count)


def place_and_count(message: dict[str, Any]) -> dict[str, Any] | None:
    """Place one batch, counting its attempts per channel: run once per batch id (a redelivery is answered
    from the idempotency table, and not counted again)."""
    results = place_batch(message)
    for channel, placed in Counter(str(a["channel"]) for a in message["attempts"]).items():
        count(Metric.ATTEMPTS_PLACED, placed, {Dimension.CHANNEL: channel})
    return results


def place_record(record: SQSRecord) -> int:
    results: dict[str, Any] | None = _place_once()(message=record.json_body)
    return forward_results(results)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@counted
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    _config().register_lambda_context(context)  # an in-progress record expires with the invocation
    return process_partial_response(event=event, record_handler=place_record, processor=processor, context=context)
