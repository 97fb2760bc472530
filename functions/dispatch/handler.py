"""SQS dispatch queue → the telephony connector (R-DSP-1). Each message carries many attempts; a
redelivered message (SQS is at least once) is answered from the idempotency table, never placed twice.
Only the placement is once per batch (`jarchi.dispatch.placing.place_batch_once`): its results are stored
with the record and sent on afterwards, so a failed send is retried from the record."""

from __future__ import annotations

import gc

gc.disable()  # until `wiring.init_done()`, this module's last line (issue 10, cold start)

from collections import Counter
from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.emf import count, counted
from jarchi import wiring
from jarchi.configuration import check_configuration
from jarchi.dispatch.placing import expire_in_progress_with, forward_results, place_batch_once
from jarchi.metrics import Dimension, Metric

wiring.install()
check_configuration()  # a bad setting stops the cold start with a message naming its key (R-RUN-6)
logger = Logger()
tracer = Tracer()
processor = BatchProcessor(event_type=EventType.SQS)


def count_placed(channels: Counter[str]) -> None:
    for channel, placed in channels.items():
        count(Metric.ATTEMPTS_PLACED, placed, {Dimension.CHANNEL: channel})


def place_record(record: SQSRecord) -> int:
    return forward_results(place_batch_once(record.json_body, on_placed=count_placed))


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@counted
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    expire_in_progress_with(context)
    return process_partial_response(event=event, record_handler=place_record, processor=processor, context=context)


wiring.init_done()
