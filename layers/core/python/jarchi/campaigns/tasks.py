"""The workflow Lambda's tasks by name (`jarchi.campaigns.protocol.WorkflowTask`): each event to its step of
`jarchi.campaigns.workflow`, with the ops metrics the step reports (R-OPS)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from jarchi.campaigns import workflow
from jarchi.campaigns.protocol import Next, WorkflowTask
from jarchi.metrics import Count, Dimension, Metric, reconciliation_drift

Answer = tuple[dict[str, Any], list[Count]]


def _prepare(event: Mapping[str, Any]) -> Answer:
    answer = workflow.prepare(event["campaign_id"], run=int(event["run"]), execution_arn=event["execution_arn"])
    started = answer["next"] == Next.ADMIT  # not a superseded run's, nor a campaign stopped before it started
    return answer, [Count(Metric.CAMPAIGNS_STARTED)] if started else []


def _admit(event: Mapping[str, Any]) -> Answer:
    return workflow.admit(event["campaign_id"], run=int(event["run"])), []


def _reconcile(event: Mapping[str, Any]) -> Answer:
    answer, settled = workflow.reconcile(event["campaign_id"])
    money = settled.money
    drift = reconciliation_drift(
        reserved=money.reserved, charged=money.charged, released=money.released, refunded=money.refunded
    )
    counts = [
        Count(Metric.RECONCILIATION_DRIFT, drift),
        Count(Metric.CAMPAIGNS_SETTLED, 1, {Dimension.STATUS: str(settled.status)}),
    ]
    return answer, counts


def _fail(event: Mapping[str, Any]) -> Answer:
    return workflow.fail(event["campaign_id"], event.get("error")), []


TASKS: Mapping[WorkflowTask, Callable[[Mapping[str, Any]], Answer]] = {
    WorkflowTask.PREPARE: _prepare,
    WorkflowTask.ADMIT: _admit,
    WorkflowTask.RECONCILE: _reconcile,
    WorkflowTask.FAIL: _fail,
}


def run_task(event: Mapping[str, Any]) -> Answer:
    """The task's answer for the state machine and what it counted; an unknown task is a ValueError."""
    try:
        task = WorkflowTask(event["task"])
    except ValueError:
        raise ValueError(f"unknown workflow task {event['task']!r}") from None
    return TASKS[task](event)
