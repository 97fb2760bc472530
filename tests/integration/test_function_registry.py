"""R-RUN-2: the local runtime runs exactly the functions of the registry (`jarchi.resources.ALL_FUNCTIONS`),
each behind the trigger the cloud stack gives it (tests/infra/test_stack.py checks the stack's side)."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest

from jarchi.resources import ALL_FUNCTIONS, Trigger
from jarchi.settings import Settings
from local.functions import HANDLER_PATHS, clear_registrations, function_names, resolve_handler
from local.runtime import LocalRuntime


@pytest.fixture
def runtime(aws: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalRuntime]:
    monkeypatch.delenv("JARCHI_STATE_MACHINE_ARN", raising=False)  # restored on teardown
    clear_registrations()
    started = LocalRuntime(aws, run_pollers=False, run_scheduler=False).start()
    yield started
    started.stop()


def test_r_run_2_every_registered_handler_imports_and_nothing_else_is_known() -> None:
    clear_registrations()
    assert dict(HANDLER_PATHS) == {spec.name: spec.import_path for spec in ALL_FUNCTIONS}
    assert function_names() == sorted(spec.name for spec in ALL_FUNCTIONS)
    for spec in ALL_FUNCTIONS:
        assert callable(resolve_handler(spec.name)), spec.name


def test_r_run_2_local_runtime_covers_exactly_the_function_registry(runtime: LocalRuntime, aws: Settings) -> None:
    # Every registered function is deployed into moto, and nothing else.
    assert set(runtime.function_arns) == {spec.name for spec in ALL_FUNCTIONS}
    # Each queue-triggered function gets one poller on its queue; no other function is polled for.
    assert sorted((p.queue.logical, p.function) for p in runtime.pollers) == sorted(
        (spec.queue.logical, spec.name) for spec in ALL_FUNCTIONS if spec.queue is not None
    )
    # The state machine's tasks call the workflow-triggered function.
    (workflow,) = (spec for spec in ALL_FUNCTIONS if spec.trigger is Trigger.WORKFLOW)
    definition = boto3.client("stepfunctions", region_name=aws.region).describe_state_machine(
        stateMachineArn=runtime.state_machine_arn
    )["definition"]
    assert runtime.function_arns[workflow.name] in definition
    assert [name for name, arn in runtime.function_arns.items() if arn in definition] == [workflow.name]
