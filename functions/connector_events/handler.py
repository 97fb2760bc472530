"""SQS `connector-events` → results messages: End User Messaging delivery events (through SNS), the SIP media
application's call results and signed HTTPS callbacks, each provider report applied exactly once
(`jarchi.connectors.callbacks`). The batch succeeds or fails as a whole: the claims make a retried batch
safe, whatever SQS regroups."""

from __future__ import annotations

import gc

gc.disable()  # until `wiring.init_done()`, this module's last line (issue 10, cold start)

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.emf import count, counted
from jarchi import wiring
from jarchi.configuration import check_configuration
from jarchi.connectors.reports import forward_bodies
from jarchi.metrics import FAILED_OUTCOMES, Dimension, Metric

wiring.install()
check_configuration()  # a bad setting stops the cold start with a message naming its key (R-RUN-6)
logger = Logger()
tracer = Tracer()


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@counted
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, list[Any]]:
    forwarded = forward_bodies([record["body"] for record in event["Records"]])
    logger.info("provider reports forwarded", sent=forwarded.sent, resent=forwarded.resent, ignored=forwarded.ignored)
    for (connector, outcome), reports in forwarded.reported.items():
        count(Metric.PROVIDER_REPORTS, reports, {Dimension.CONNECTOR: connector})
        count(Metric.PROVIDER_FAILURES, reports if outcome in FAILED_OUTCOMES else 0, {Dimension.CONNECTOR: connector})
    return {"batchItemFailures": []}


wiring.init_done()
