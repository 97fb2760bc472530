"""Step Functions campaign workflow tasks: prepare | admit | reconcile | fail (`jarchi.campaigns.protocol`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.emf import count, counted
from jarchi import wiring
from jarchi.campaigns import workflow
from jarchi.campaigns.protocol import Next, WorkflowTask
from jarchi.configuration import check_configuration
from jarchi.metrics import Dimension, Metric, reconciliation_drift

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
    count(Metric.CAMPAIGNS_SETTLED, 1, {Dimension.STATUS: str(settled.status)})
    return answer


def _prepare(event: dict[str, Any]) -> dict[str, Any]:
    answer = workflow.prepare(event["campaign_id"], run=int(event["run"]), execution_arn=event["execution_arn"])
    if answer["next"] == Next.ADMIT:  # not a superseded run's, nor a campaign stopped before it started
        count(Metric.CAMPAIGNS_STARTED)
    return answer


TASKS: Mapping[WorkflowTask, Callable[[dict[str, Any]], dict[str, Any]]] = {
    WorkflowTask.PREPARE: _prepare,
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
