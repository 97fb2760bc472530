"""Starting the campaign workflow: now (Step Functions StartExecution) or at a time (EventBridge Scheduler).

Every execution's input names its run (`{"campaign_id", "run"}`): the workflow's tasks act only while it is
the campaign's current run (see `CampaignItem.run`)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import cache
from typing import Any

import boto3
from botocore.exceptions import ClientError

from jarchi.settings import get_settings


@cache
def _client(service: str, region: str) -> Any:
    return boto3.client(service, region_name=region)  # type: ignore[call-overload]


class StepFunctionsRuns:
    """The workflow-runs port: Step Functions executions, EventBridge Scheduler one-time schedules."""

    def start(self, campaign_id: str, run: int) -> str:
        return start_execution(campaign_id, run)

    def run_started(self, campaign_id: str, run: int) -> bool:
        settings = get_settings()
        machine = settings.state_machine_arn
        arn = f"{machine.replace(':stateMachine:', ':execution:')}:{_execution_name(campaign_id, run)}"
        try:
            _client("stepfunctions", settings.region).describe_execution(executionArn=arn)
        except ClientError as error:
            if error.response["Error"]["Code"] == "ExecutionDoesNotExist":
                return False
            raise
        return True

    def schedule_start(self, campaign_id: str, run: int, at: datetime) -> str:
        return schedule_start(campaign_id, run, at)

    def delete_schedule(self, name: str) -> None:
        delete_schedule(name)


def start_execution(campaign_id: str, run: int) -> str:
    settings = get_settings()
    response = _client("stepfunctions", settings.region).start_execution(
        stateMachineArn=settings.state_machine_arn,
        name=_execution_name(campaign_id, run),
        input=json.dumps(_input(campaign_id, run)),
    )
    arn: str = response["executionArn"]
    return arn


def _execution_name(campaign_id: str, run: int) -> str:
    """One execution per run: starting a run twice is refused by Step Functions, and its existence is looked up."""
    return f"{campaign_id}-{run}"


def _input(campaign_id: str, run: int) -> dict[str, Any]:
    return {"campaign_id": campaign_id, "run": run}


def schedule_start(campaign_id: str, run: int, at: datetime) -> str:
    """A one-time schedule that starts the workflow at `at` and deletes itself."""
    settings = get_settings()
    name = f"start-{campaign_id}"
    _client("scheduler", settings.region).create_schedule(
        Name=name,
        GroupName=settings.scheduler_group,
        ScheduleExpression=f"at({at.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%S')})",
        ScheduleExpressionTimezone="UTC",
        FlexibleTimeWindow={"Mode": "OFF"},
        ActionAfterCompletion="DELETE",
        Target={
            "Arn": settings.state_machine_arn,
            "RoleArn": settings.scheduler_role_arn,
            "Input": json.dumps(_input(campaign_id, run)),
        },
    )
    return name


def delete_schedule(name: str) -> None:
    """Drop a start that is no longer wanted (started by hand, stopped); gone already is fine."""
    settings = get_settings()
    try:
        _client("scheduler", settings.region).delete_schedule(Name=name, GroupName=settings.scheduler_group)
    except ClientError as error:
        if error.response["Error"]["Code"] != "ResourceNotFoundException":
            raise
