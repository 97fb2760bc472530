"""Step Functions campaign workflow tasks: prepare | admit | reconcile | fail."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from jarchi.campaigns import workflow

logger = Logger()
tracer = Tracer()
metrics = Metrics()

TASKS = {"prepare": workflow.prepare, "admit": workflow.admit, "reconcile": workflow.reconcile}


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    logger.append_keys(campaign_id=event.get("campaign_id"), task=event.get("task"))
    if event.get("task") == "fail":
        return workflow.fail(event["campaign_id"], event.get("error"))
    return TASKS[event["task"]](event["campaign_id"])
