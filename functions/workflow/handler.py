"""Step Functions campaign workflow tasks: prepare | admit | reconcile | fail (`jarchi.campaigns.protocol`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.emf import count, counted
from jarchi import wiring
from jarchi.campaigns import workflow
from jarchi.campaigns.protocol import WorkflowTask
from jarchi.configuration import check_configuration
from jarchi.metrics import Metric, reconciliation_drift

logger = Logger()
tracer = Tracer()
wiring.install()
check_configuration()  # a bad setting stops the cold start with a message naming its key (R-RUN-6)


def _reconcile(event: dict[str, Any]) -> dict[str, Any]:
    answer, settled = workflow.reconcile(event["campaign_id"])
    money = settled.money
    drift = reconciliation_drift(
        reserved=money.reserved, charged=money.charged, released=money.released, refunded=money.refunded
    )
    count(Metric.RECONCILIATION_DRIFT, drift)
    return answer


TASKS: Mapping[WorkflowTask, Callable[[dict[str, Any]], dict[str, Any]]] = {
    WorkflowTask.PREPARE: lambda e: workflow.prepare(
        e["campaign_id"], run=int(e["run"]), execution_arn=e["execution_arn"]
    ),
    WorkflowTask.ADMIT: lambda e: workflow.admit(e["campaign_id"], run=int(e["run"])),
    WorkflowTask.RECONCILE: _reconcile,
    WorkflowTask.FAIL: lambda e: workflow.fail(e["campaign_id"], e.get("error")),
}


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@counted
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    logger.append_keys(campaign_id=event.get("campaign_id"), task=event.get("task"))
    try:
        task = WorkflowTask(event["task"])
    except ValueError:
        raise ValueError(f"unknown workflow task {event['task']!r}") from None
    return TASKS[task](event)
