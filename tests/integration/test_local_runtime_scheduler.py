"""R-CMP-2 / R-RUN-3: one-time EventBridge schedules fire once, on the local clock."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from jarchi.clock import LocalClock
from jarchi.settings import Settings
from local.functions import clear_registrations, register_function
from local.lambdas import deploy_functions
from local.scheduler import LocalScheduler, fire_due_schedules, one_time_instant
from local.stepfunctions import deploy_state_machine, stop_executions


@pytest.fixture
def registry(aws: Settings) -> Iterator[None]:
    yield
    stop_executions(aws)  # none may outlive this test's moto
    clear_registrations()


@pytest.fixture
def machine(aws: Settings, registry: None) -> str:
    register_function("workflow", lambda event, context: {"campaign_id": event["campaign_id"], "next": "end"})
    return deploy_state_machine(aws, deploy_functions(aws, ["workflow"]))


def schedule_start(settings: Settings, machine: str, name: str, at: str, action: str = "DELETE") -> None:
    # The clock fixture is 2026-03-02T10:00 in Tehran; `at` is read in that zone.
    boto3.client("scheduler", region_name=settings.region).create_schedule(
        Name=name,
        GroupName=settings.scheduler_group,
        ScheduleExpression=f"at({at})",
        ScheduleExpressionTimezone="Asia/Tehran",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={
            "Arn": machine,
            "RoleArn": settings.scheduler_role_arn,
            "Input": json.dumps({"campaign_id": name, "run": 1}),
        },
        ActionAfterCompletion=action,  # type: ignore[arg-type]
    )


def executions(settings: Settings, machine: str) -> list[dict[str, Any]]:
    sfn = boto3.client("stepfunctions", region_name=settings.region)
    found = sfn.list_executions(stateMachineArn=machine)["executions"]
    return [sfn.describe_execution(executionArn=item["executionArn"]) for item in found]  # type: ignore[misc]


def test_r_run_3_at_expressions_are_read_in_their_time_zone() -> None:
    instant = one_time_instant("at(2026-03-02T12:00:00)", "Asia/Tehran")
    assert instant is not None
    assert instant.isoformat() == "2026-03-02T12:00:00+03:30"
    assert one_time_instant("rate(5 minutes)", None) is None


def test_r_cmp_2_a_one_time_schedule_fires_once_when_the_clock_passes_it(
    aws: Settings, clock: LocalClock, machine: str
) -> None:
    # GIVEN a campaign scheduled for 12:00 Tehran time, two hours from now
    schedule_start(aws, machine, "cmp-7", "2026-03-02T12:00:00")

    # THEN nothing fires before 12:00
    assert fire_due_schedules(aws) == 0
    clock.advance(2 * 3600 - 1)
    assert fire_due_schedules(aws) == 0
    assert executions(aws, machine) == []

    # WHEN the clock reaches 12:00, THEN it starts one execution with the schedule's input, and is deleted
    clock.advance(1)
    assert fire_due_schedules(aws) == 1
    assert fire_due_schedules(aws) == 0
    started = executions(aws, machine)
    assert [json.loads(item["input"]) for item in started] == [{"campaign_id": "cmp-7", "run": 1}]
    scheduler = boto3.client("scheduler", region_name=aws.region)
    assert scheduler.list_schedules()["Schedules"] == []


def test_r_cmp_2_a_kept_schedule_still_fires_only_once(aws: Settings, clock: LocalClock, machine: str) -> None:
    schedule_start(aws, machine, "cmp-8", "2026-03-02T10:30:00", action="NONE")

    clock.advance(3600)

    assert fire_due_schedules(aws) == 1
    assert fire_due_schedules(aws) == 0
    assert len(executions(aws, machine)) == 1
    scheduler = boto3.client("scheduler", region_name=aws.region)
    assert [item["Name"] for item in scheduler.list_schedules()["Schedules"]] == ["cmp-8"]


def test_r_cmp_2_the_scheduler_loop_fires_due_schedules_by_itself(
    aws: Settings, clock: LocalClock, machine: str
) -> None:
    schedule_start(aws, machine, "cmp-9", "2026-03-02T10:05:00")
    loop = LocalScheduler(aws, poll_seconds=0.02)
    loop.start()
    try:
        time.sleep(0.2)
        assert executions(aws, machine) == []

        clock.advance(300)
        deadline = time.monotonic() + 3
        while not executions(aws, machine) and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.1)  # a few more passes of the loop
        assert len(executions(aws, machine)) == 1
    finally:
        loop.stop()


def test_an_execution_stopped_as_soon_as_it_starts_is_stopped(aws: Settings, machine: str) -> None:
    # moto lists an execution as RUNNING before its thread has built the environment StopExecution signals:
    # stopping it in that moment must wait for it, not raise (a teardown error seen in CI).
    client = boto3.client("stepfunctions", region_name=aws.region)
    for n in range(20):
        client.start_execution(stateMachineArn=machine, name=f"quick-{n}", input=json.dumps({"campaign_id": "c"}))
        stop_executions(aws)
    deadline = time.monotonic() + 10  # moto marks an execution stopped once its thread sees the signal
    while client.list_executions(stateMachineArn=machine, statusFilter="RUNNING")["executions"]:
        assert time.monotonic() < deadline, "an execution still runs after stop_executions"
        time.sleep(0.05)
