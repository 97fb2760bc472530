"""SQS imports queue → one invocation's share of a telecom blacklist import (R-CPL-3, jarchi.lists.imports)."""

from __future__ import annotations

import gc

gc.disable()  # until `wiring.init_done()`, this module's last line (issue 10, cold start)

from typing import Any, Final

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from jarchi import wiring
from jarchi.configuration import check_configuration
from jarchi.lists.imports import ImportMessage, run_import

wiring.install()
check_configuration()  # a bad setting stops the cold start with a message naming its key (R-RUN-6)
logger = Logger()
tracer = Tracer()
processor = BatchProcessor(event_type=EventType.SQS)
# Time kept back for the last checkpoint's batch writes and the message that hands over to the next invocation.
RESERVE_MS: Final = 120_000


def import_record(record: SQSRecord, lambda_context: LambdaContext) -> None:
    body = record.json_body
    message = ImportMessage(body["import_id"], body.get("generation"), int(record.attributes.approximate_receive_count))
    done = run_import(message, time_left=lambda: lambda_context.get_remaining_time_in_millis() > RESERVE_MS)
    if done is not None:
        logger.info("import slice", import_id=done.id, status=done.status.value, offset=done.offset, read=done.read)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=import_record, processor=processor, context=context)


wiring.init_done()
