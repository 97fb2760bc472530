"""SQS exports queue → one background export written to the exports bucket (R-REP-3)."""

from __future__ import annotations

import gc

gc.disable()  # until `wiring.init_done()`, this module's last line (issue 10, cold start)

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from jarchi import wiring
from jarchi.configuration import check_configuration
from jarchi.reports.export_writing import run_export

wiring.install()
check_configuration()  # a bad setting stops the cold start with a message naming its key (R-RUN-6)
logger = Logger()
tracer = Tracer()
processor = BatchProcessor(event_type=EventType.SQS)


def export_record(record: SQSRecord) -> None:
    done = run_export(record.json_body["export_id"], delivery=int(record.attributes.approximate_receive_count))
    logger.info("export", export_id=done.id, campaign_id=done.campaign_id, status=done.status.value, rows=done.rows)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=export_record, processor=processor, context=context)


wiring.init_done()
