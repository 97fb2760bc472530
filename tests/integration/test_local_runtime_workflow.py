"""R-RUN-2 / R-RUN-3: the campaign ASL runs in moto's engine, its tasks in our handler, its waits on the
local clock."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import boto3
import pytest

from jarchi.clock import LocalClock
from jarchi.settings import Settings
from local.functions import clear_registrations, register_function
from local.lambdas import deploy_functions
from local.stepfunctions import asl_timestamp, deploy_state_machine, stop_executions

TERMINAL = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}


@pytest.fixture
def registry(aws: Settings) -> Iterator[None]:
    yield
    stop_executions(aws)  # none may outlive this test's moto
    clear_registrations()


class ScriptedWorkflow:
    """A workflow handler answering each task with the next scripted `next` value."""

    def __init__(self, clock: LocalClock, answers: dict[str, list[dict[str, Any]]]) -> None:
        self.clock = clock
        self.answers = answers
        self.calls: list[dict[str, Any]] = []

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        self.calls.append(event)
        answer = self.answers[event["task"]].pop(0)
        if isinstance(answer, Exception):
            raise answer
        return {"campaign_id": event["campaign_id"], **answer}

    @property
    def tasks(self) -> list[str]:
        return [call["task"] for call in self.calls]


def start(settings: Settings, workflow: ScriptedWorkflow, campaign_id: str = "cmp-1") -> tuple[Any, str]:
    register_function("workflow", workflow)
    machine = deploy_state_machine(settings, deploy_functions(settings, ["workflow"]))
    sfn = boto3.client("stepfunctions", region_name=settings.region)
    execution = sfn.start_execution(stateMachineArn=machine, input=json.dumps({"campaign_id": campaign_id, "run": 1}))
    return sfn, execution["executionArn"]


def wait_for_end(sfn: Any, execution_arn: str, timeout_seconds: float = 30.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        description: dict[str, Any] = sfn.describe_execution(executionArn=execution_arn)
        if description["status"] in TERMINAL:
            return description
        time.sleep(0.02)
    raise AssertionError(f"{execution_arn} still running after {timeout_seconds} s")


def history(sfn: Any, execution_arn: str) -> list[str]:
    return [event["type"] for event in sfn.get_execution_history(executionArn=execution_arn)["events"]]


def wait_for_history(sfn: Any, execution_arn: str, event_type: str, timeout_seconds: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        if event_type in history(sfn, execution_arn):
            return
        time.sleep(0.02)
    raise AssertionError(f"no {event_type} in {execution_arn} after {timeout_seconds} s")


def test_r_run_3_the_campaign_workflow_waits_on_the_local_clock_then_reconciles(
    aws: Settings, clock: LocalClock, registry: None
) -> None:
    # GIVEN a workflow whose Prepare asks to wait an hour on the (frozen) local clock
    resume_at = asl_timestamp(clock.now() + timedelta(hours=1))
    workflow = ScriptedWorkflow(
        clock,
        {
            "prepare": [{"next": "wait", "resume_at": resume_at}],
            "admit": [{"next": "reconcile"}],
            "reconcile": [{"next": "end"}],
        },
    )
    sfn, execution = start(aws, workflow)

    # WHEN real time passes but the local clock does not, THEN it is still in WaitUntil
    wait_for_history(sfn, execution, "WaitStateEntered")
    time.sleep(0.3)
    assert sfn.describe_execution(executionArn=execution)["status"] == "RUNNING"
    assert "WaitStateExited" not in history(sfn, execution)
    assert workflow.tasks == ["prepare"]

    # One second short of the target is still too early.
    clock.advance(3599)
    time.sleep(0.2)
    assert sfn.describe_execution(executionArn=execution)["status"] == "RUNNING"

    # WHEN the clock reaches resume_at, THEN Admit → Route → Reconcile run and it succeeds
    clock.advance(1)
    description = wait_for_end(sfn, execution)
    assert description["status"] == "SUCCEEDED"
    assert workflow.tasks == ["prepare", "admit", "reconcile"]
    assert all(call["campaign_id"] == "cmp-1" for call in workflow.calls)
    assert json.loads(description["output"]) == {"campaign_id": "cmp-1", "next": "end"}


def test_r_run_2_admit_loops_through_route_until_it_answers_reconcile(
    aws: Settings, clock: LocalClock, registry: None
) -> None:
    workflow = ScriptedWorkflow(
        clock,
        {
            "prepare": [{"next": "admit"}],
            "admit": [{"next": "admit"}, {"next": "admit"}, {"next": "reconcile"}],
            "reconcile": [{"next": "end"}],
        },
    )
    sfn, execution = start(aws, workflow)

    assert wait_for_end(sfn, execution)["status"] == "SUCCEEDED"
    assert workflow.tasks == ["prepare", "admit", "admit", "admit", "reconcile"]


def test_r_run_2_prepare_can_end_the_workflow_at_once(aws: Settings, clock: LocalClock, registry: None) -> None:
    workflow = ScriptedWorkflow(clock, {"prepare": [{"next": "end"}]})
    sfn, execution = start(aws, workflow)

    assert wait_for_end(sfn, execution)["status"] == "SUCCEEDED"
    assert workflow.tasks == ["prepare"]


def test_r_run_2_an_unknown_next_fails_the_execution(aws: Settings, clock: LocalClock, registry: None) -> None:
    workflow = ScriptedWorkflow(clock, {"prepare": [{"next": "sideways"}], "fail": [{}]})
    sfn, execution = start(aws, workflow)

    description = wait_for_end(sfn, execution)
    assert description["status"] == "FAILED"
    assert description["error"] == "UnknownNext"
    assert workflow.tasks == ["prepare", "fail"]
    assert workflow.calls[-1]["error"] == {"Error": "UnknownNext", "Cause": "The workflow task answered next=sideways."}


def test_r_run_2_a_failing_task_is_retried_then_marked_failed(aws: Settings, clock: LocalClock, registry: None) -> None:
    # GIVEN Admit raises on its first try and on its retry
    workflow = ScriptedWorkflow(
        clock,
        {
            "prepare": [{"next": "admit"}],
            "admit": [ValueError("no route"), ValueError("still no route")],  # type: ignore[list-item]
            "fail": [{}],
        },
    )
    sfn, execution = start(aws, workflow)

    # THEN the Retry (States.TaskFailed) runs it once more, the Catch calls MarkFailed with the error
    description = wait_for_end(sfn, execution)
    assert description["status"] == "FAILED"
    assert description["error"] == "ValueError"
    assert json.loads(description["cause"])["errorMessage"] == "still no route"
    assert workflow.tasks == ["prepare", "admit", "admit", "fail"]
    error = workflow.calls[-1]["error"]
    assert error["Error"] == "ValueError"
    assert json.loads(error["Cause"])["errorMessage"] == "still no route"


def test_r_run_3_stopping_a_waiting_execution_aborts_it_at_once(
    aws: Settings, clock: LocalClock, registry: None
) -> None:
    resume_at = asl_timestamp(clock.now() + timedelta(days=1))
    workflow = ScriptedWorkflow(clock, {"prepare": [{"next": "wait", "resume_at": resume_at}]})
    sfn, execution = start(aws, workflow)
    wait_for_history(sfn, execution, "WaitStateEntered")

    sfn.stop_execution(executionArn=execution, error="Cancelled", cause="campaign cancelled")

    assert wait_for_end(sfn, execution, timeout_seconds=2)["status"] == "ABORTED"
    assert workflow.tasks == ["prepare"]
