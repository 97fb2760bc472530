"""Step Functions campaign workflow tasks: prepare | admit | reconcile | fail."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from jarchi.campaigns import workflow

logger = Logger()
tracer = Tracer()
metrics = Metrics()


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    logger.append_keys(campaign_id=event.get("campaign_id"), task=event.get("task"))
    campaign_id: str = event["campaign_id"]
    match event["task"]:
        case "prepare":
            return workflow.prepare(campaign_id, run=int(event["run"]), execution_arn=event["execution_arn"])
        case "admit":
            return workflow.admit(campaign_id, run=int(event["run"]))
        case "reconcile":
            return workflow.reconcile(campaign_id)
        case "fail":
            return workflow.fail(campaign_id, event.get("error"))
    raise ValueError(f"unknown workflow task {event['task']!r}")
