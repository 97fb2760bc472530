"""R-RUN-2: the local runtime wires queues, functions, state machine and scheduler together."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from jarchi.clock import LocalClock
from jarchi.settings import Settings, get_settings, reset_settings
from local.functions import clear_registrations, register_function
from local.runtime import LocalRuntime


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("JARCHI_STATE_MACHINE_ARN", raising=False)  # restored on teardown
    yield
    clear_registrations()
    reset_settings()


def eventually(check: Any, timeout_seconds: float = 3.0) -> None:
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.02)
    raise AssertionError(f"not true after {timeout_seconds} s: {check}")


def test_r_run_2_the_runtime_feeds_both_queues_and_runs_the_workflow(
    aws: Settings, clock: LocalClock, registry: None
) -> None:
    dispatched: list[str] = []
    results: list[str] = []
    register_function("dispatch", lambda event, context: dispatched.extend(r["body"] for r in event["Records"]))
    register_function("results", lambda event, context: results.extend(r["body"] for r in event["Records"]))
    register_function("workflow", lambda event, context: {"campaign_id": event["campaign_id"], "next": "end"})

    runtime = LocalRuntime(aws, failed_visibility_seconds=0).start()
    try:
        # The handlers see the state machine through their settings.
        assert runtime.state_machine_arn
        assert get_settings().state_machine_arn == runtime.state_machine_arn
        assert set(runtime.function_arns) >= {"api", "workflow", "dispatch", "results"}

        sqs = boto3.client("sqs", region_name=aws.region)
        for logical, body in (("dispatch", "attempt-1"), ("results", "result-1")):
            url = sqs.get_queue_url(QueueName=aws.queue_name(logical))["QueueUrl"]
            sqs.send_message(QueueUrl=url, MessageBody=body)
        eventually(lambda: dispatched == ["attempt-1"] and results == ["result-1"])

        sfn = boto3.client("stepfunctions", region_name=aws.region)
        execution = sfn.start_execution(
            stateMachineArn=runtime.state_machine_arn, input=json.dumps({"campaign_id": "cmp-1", "run": 1})
        )["executionArn"]
        eventually(lambda: sfn.describe_execution(executionArn=execution)["status"] == "SUCCEEDED")
    finally:
        runtime.stop()

    assert not any(poller.running for poller in runtime.pollers)
