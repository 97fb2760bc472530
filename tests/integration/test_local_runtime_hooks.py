"""Guards on the two moto internals the local runtime hooks (moto is pinned exactly: DESIGN §1).

If one of these fails after a moto upgrade, local/lambdas.py or local/stepfunctions.py must follow moto.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import boto3
import pytest
from moto.awslambda_simple.models import LambdaSimpleBackend
from moto.stepfunctions.parser.asl.component.state.wait.wait_function.timestamp import Timestamp, TimestampPath
from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction

from jarchi.clock import LocalClock, use_clock
from jarchi.settings import Settings
from local.functions import clear_registrations, register_function
from local.lambdas import deploy_functions, install_lambda_hook, is_lambda_hook_installed
from local.stepfunctions import install_wait_hook, is_wait_hook_installed, stop_executions


@pytest.fixture
def registry(aws: Settings) -> Iterator[None]:
    yield
    stop_executions(aws)  # none may outlive this test's moto
    clear_registrations()


def test_r_run_2_moto_still_has_the_internals_we_hook() -> None:
    assert callable(getattr(LambdaSimpleBackend, "invoke", None))
    assert callable(getattr(WaitFunction, "_eval_body", None))
    assert callable(getattr(WaitFunction, "_get_wait_seconds", None))
    assert issubclass(TimestampPath, Timestamp)
    assert callable(getattr(Timestamp, "_from_timestamp_string", None))
    install_lambda_hook()
    install_wait_hook()
    assert is_lambda_hook_installed()
    assert is_wait_hook_installed()


def test_r_run_2_step_functions_parses_each_json_path_once_with_the_same_answers() -> None:
    from moto.stepfunctions.parser.asl.component.common.path import result_path
    from moto.stepfunctions.parser.asl.utils import json_path

    install_wait_hook()
    parse = getattr(json_path, "parse")  # noqa: B009 (not exported)
    assert parse("$.next") is parse("$.next")  # parsed once, kept
    assert getattr(result_path, "parse")("$.a") is getattr(result_path, "parse")("$.a")  # noqa: B009
    data = {"next": "admit", "campaign_id": "cmp_1", "list": [{"a": 1}, {"a": 2}]}
    assert json_path.extract_json("$.next", data) == "admit"
    assert json_path.extract_json("$.list[*].a", data) == [1, 2]
    assert json_path.extract_json("$.list[1]", data) == {"a": 2}
    with pytest.raises(json_path.NoSuchJsonPathError):
        json_path.extract_json("$.missing", data)


def test_r_run_2_a_boto3_lambda_invoke_reaches_our_handler(aws: Settings, registry: None) -> None:
    seen: list[tuple[dict[str, Any], str]] = []

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        seen.append((event, context.invoked_function_arn))
        return {"echo": event["n"] + 1}

    register_function("probe", handler)
    arn = deploy_functions(aws, ["probe"])["probe"]
    client = boto3.client("lambda", region_name=aws.region)

    by_arn = client.invoke(FunctionName=arn, Payload=json.dumps({"n": 1}))
    by_name = client.invoke(FunctionName=f"{aws.resource_prefix}-probe", Payload=json.dumps({"n": 2}))

    assert "FunctionError" not in by_arn
    assert json.loads(by_arn["Payload"].read()) == {"echo": 2}
    assert json.loads(by_name["Payload"].read()) == {"echo": 3}
    assert [event for event, _ in seen] == [{"n": 1}, {"n": 2}]
    assert seen[0][1] == arn


def test_r_run_2_a_handler_exception_is_a_lambda_function_error(aws: Settings, registry: None) -> None:
    def handler(event: dict[str, Any], context: Any) -> None:
        raise KeyError("campaign")

    register_function("probe", handler)
    arn = deploy_functions(aws, ["probe"])["probe"]

    response = boto3.client("lambda", region_name=aws.region).invoke(FunctionName=arn, Payload=b"{}")

    assert response["FunctionError"] == "Unhandled"
    error = json.loads(response["Payload"].read())
    assert error["errorType"] == "KeyError"
    assert "campaign" in error["errorMessage"]


def test_r_run_2_an_async_invoke_runs_the_handler_in_the_background(aws: Settings, registry: None) -> None:
    seen: list[dict[str, Any]] = []
    register_function("probe", lambda event, context: seen.append(event))
    arn = deploy_functions(aws, ["probe"])["probe"]

    response = boto3.client("lambda", region_name=aws.region).invoke(
        FunctionName=arn, InvocationType="Event", Payload=b'{"n": 7}'
    )

    assert response["StatusCode"] == 202
    deadline = time.monotonic() + 2
    while not seen and time.monotonic() < deadline:
        time.sleep(0.01)
    assert seen == [{"n": 7}]


WAIT_MACHINE = {
    "StartAt": "Pause",
    "States": {
        "Pause": {"Type": "Wait", "Seconds": 600, "Next": "PauseUntil"},
        "PauseUntil": {"Type": "Wait", "TimestampPath": "$.until", "Next": "Done"},
        "Done": {"Type": "Succeed"},
    },
}


def test_r_run_3_moto_wait_states_follow_the_local_clock(aws: Settings, clock: LocalClock, registry: None) -> None:
    # GIVEN a frozen clock and a machine that waits 600 s, then until 06:50Z (10:20 in Tehran)
    install_wait_hook()
    sfn = boto3.client("stepfunctions", region_name=aws.region)
    machine = sfn.create_state_machine(
        name="wait-probe",
        definition=json.dumps(WAIT_MACHINE),
        roleArn="arn:aws:iam::123456789012:role/wait-probe",
    )["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=machine, input=json.dumps({"until": "2026-03-02T06:50:00Z"}))[
        "executionArn"
    ]

    def status_after(seconds: float) -> str:
        time.sleep(seconds)
        return str(sfn.describe_execution(executionArn=execution)["status"])

    # THEN real time alone never ends the waits
    assert status_after(0.3) == "RUNNING"
    clock.advance(600)  # Seconds wait done; now 06:40Z
    assert status_after(0.2) == "RUNNING"
    clock.advance(599)
    assert status_after(0.2) == "RUNNING"
    clock.advance(1)  # 06:50Z reached
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and status_after(0.02) == "RUNNING":
        pass
    assert sfn.describe_execution(executionArn=execution)["status"] == "SUCCEEDED"


def _until_waiting(sfn: Any, execution: str, timeout_seconds: float = 10) -> None:
    """Until the execution has entered its first Wait state (and a moment more, for the hook to start waiting)."""
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        events = sfn.get_execution_history(executionArn=execution)["events"]
        if any(event["type"] == "WaitStateEntered" for event in events):
            time.sleep(0.2)
            return
        time.sleep(0.02)
    raise AssertionError(f"{execution} never entered its Wait state")


def test_r_run_3_a_wait_left_behind_by_a_replaced_clock_is_stopped_not_resumed(
    aws: Settings, clock: LocalClock, registry: None
) -> None:
    # GIVEN an execution waiting on this test's clock
    install_wait_hook()
    sfn = boto3.client("stepfunctions", region_name=aws.region)
    machine = sfn.create_state_machine(
        name="wait-probe", definition=json.dumps(WAIT_MACHINE), roleArn="arn:aws:iam::123456789012:role/wait-probe"
    )["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=machine, input=json.dumps({"until": "2026-03-02T06:50:00Z"}))[
        "executionArn"
    ]
    _until_waiting(sfn, execution)  # (a fixed sleep was too short on a loaded machine: the clock changed first)

    # WHEN another clock is installed (a new test, a restarted runtime)
    use_clock(LocalClock(clock.now() + timedelta(days=1), ticking=False))

    # THEN the execution is stopped instead of running on against someone else's world
    deadline = time.monotonic() + 10
    while sfn.describe_execution(executionArn=execution)["status"] == "RUNNING" and time.monotonic() < deadline:
        time.sleep(0.02)
    assert sfn.describe_execution(executionArn=execution)["status"] == "ABORTED"
