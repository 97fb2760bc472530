"""The campaign state machine in moto's ASL engine, with Wait states on the local clock.

`deploy_state_machine` creates the state machine from infra/statemachines/campaign.asl.json with the
substitutions the CDK stack makes (`${WorkflowFunctionArn}`).

moto's engine waits in real time (`WaitFunction._wait_interval` in
moto/stepfunctions/parser/asl/component/state/wait/wait_function/wait_function.py) and compares Timestamp
waits with the naive `datetime.now()`. We replace `WaitFunction._eval_body` (shared by Seconds,
SecondsPath, SecondsJSONata, Timestamp and TimestampPath) so that a wait computes its target instant on
`jarchi.clock` and ends when `jarchi.clock.now()` reaches it, polling in short real sleeps on the
execution's own state event (so StopExecution ends it at once). A frozen local clock holds a Wait until
the clock is advanced. `release_waits()` aborts every wait still pending (the runtime calls it on stop so
no execution thread outlives its moto).

moto's engine also builds a new boto3 Lambda client for every Lambda task it runs
(`boto_client_for` in moto/stepfunctions/parser/asl/utils/boto_client.py): tens of milliseconds of CPU each,
more than a whole admission task of 1,000 service attempts costs otherwise. The hook keeps one client per
region and endpoint (botocore clients are thread-safe), as a Step Functions service would keep its own.

And it parses every JSONPath (`$.campaign_id`, `$.next`, ...) again each time a state evaluates it, with
jsonpath_ng's PLY parser: ~1.3 ms a path, several per Admit/Route cycle. The hook keeps the parsed
expressions (they are immutable: `find` and `update_or_create` build new data, never change the path).
"""

from __future__ import annotations

import functools
import json
import logging
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import FailureEventException
from moto.stepfunctions.parser.asl.component.common.path import result_path
from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
from moto.stepfunctions.parser.asl.component.state.wait.wait_function.timestamp import Timestamp
from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction
from moto.stepfunctions.parser.asl.utils import json_path

from jarchi.clock import get_clock, now
from jarchi.settings import Settings

LOG = logging.getLogger(__name__)

ASL_DIR = Path(__file__).resolve().parent.parent / "infra" / "statemachines"
CAMPAIGN_ASL = ASL_DIR / "campaign.asl.json"
CAMPAIGN_STATE_MACHINE = "campaign"
POLL_SECONDS = 0.02

_ROLE_NAME = "jarchi-local-states"
_ASSUME_ROLE_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "states.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)

_original_eval_body = WaitFunction._eval_body
_original_boto_client_for = getattr(lambda_eval_utils, "boto_client_for", None)
_original_json_path_parse = getattr(json_path, "parse")  # noqa: B009 (not exported)
_original_result_path_parse = getattr(result_path, "parse")  # noqa: B009 (not exported)
_cached_json_path_parse = functools.lru_cache(maxsize=512)(_original_json_path_parse)
_cached_result_path_parse = functools.lru_cache(maxsize=512)(_original_result_path_parse)
_clients_lock = threading.Lock()
_clients: dict[tuple[str, str, bool], Any] = {}
_generation_lock = threading.Lock()
_generation = 0


class WaitHookError(RuntimeError):
    """moto's Wait implementation no longer looks like the one this hook was written for."""


def _current_generation() -> int:
    with _generation_lock:
        return _generation


def release_waits() -> None:
    """Stop every execution that is waiting now (used on shutdown)."""
    global _generation
    with _generation_lock:
        _generation += 1


STOP_TRIES = 300  # 3 s for a just-started execution's thread to build its environment


def stop_executions(settings: Settings, *, cause: str = "local runtime stopped") -> int:
    """Stop every RUNNING execution in moto and release pending waits; answer how many were stopped.

    moto runs each execution in a daemon thread that outlives `mock_aws`: one left running would go on
    invoking handlers in the next emulated world (the next test, a restarted runtime).
    """
    client = boto3.client("stepfunctions", region_name=settings.region)
    stopped = 0
    for machine in client.list_state_machines()["stateMachines"]:
        pages = client.get_paginator("list_executions").paginate(
            stateMachineArn=machine["stateMachineArn"], statusFilter="RUNNING"
        )
        for page in pages:
            for execution in page["executions"]:
                _stop_execution(client, execution["executionArn"], cause)
                stopped += 1
    release_waits()
    return stopped


def _stop_execution(client: Any, arn: str, cause: str) -> None:
    # moto lists an execution as RUNNING before its thread has parsed the definition and built the environment
    # that StopExecution signals (`ExecutionWorker.env` is None for those milliseconds): it then raises
    # AttributeError. Such an execution is stopped once its environment exists.
    for _ in range(STOP_TRIES - 1):
        try:
            client.stop_execution(executionArn=arn, cause=cause)
            return
        except AttributeError:
            time.sleep(0.01)
    client.stop_execution(executionArn=arn, cause=cause)


def _target_instant(function: WaitFunction, env: Any) -> datetime:
    if isinstance(function, Timestamp):  # Timestamp and TimestampPath
        function.string.eval(env=env)
        text: str = env.stack.pop()
        parsed = function._from_timestamp_string(timestamp=text)
        if parsed is None:
            raise FailureEventException(function._create_failure_event(env, text))
        return parsed.replace(tzinfo=UTC)
    seconds = function._get_wait_seconds(env=env)
    return now() + timedelta(seconds=seconds)


def _wait_until(env: Any, target: datetime) -> None:
    """Block until the local clock reaches `target`, the execution stops, or the world it ran in is gone.

    The world is gone when `release_waits()` was called or another clock was installed (a new test or a
    restarted runtime): the execution is then stopped rather than resumed against a different moto.
    """
    generation = _current_generation()
    clock = get_clock()
    while env.is_running() and clock.now() < target:
        if _current_generation() != generation or get_clock() is not clock:
            LOG.info("wait released (runtime stopped or clock replaced); stopping the execution")
            env.set_stop(stop_date=datetime.now(UTC), cause="local runtime stopped", error=None)
            return
        env.program_state_event.wait(POLL_SECONDS)


def _eval_body_on_local_clock(self: WaitFunction, env: Any) -> None:
    _wait_until(env, _target_instant(self, env))


def _shared_boto_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
    """moto's `boto_client_for`, one client per (region, service, moto in process or server)."""
    from moto.core.models import botocore_stubber

    key = (region, service, bool(botocore_stubber.enabled))
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            assert _original_boto_client_for is not None  # install_wait_hook checked
            client = _clients[key] = _original_boto_client_for(region, service, state_credentials)
    return client


def install_wait_hook() -> None:
    """Make every ASL Wait state follow jarchi.clock, and Lambda tasks share one client (idempotent)."""
    for owner, attribute in (
        (WaitFunction, "_eval_body"),
        (WaitFunction, "_get_wait_seconds"),
        (Timestamp, "_from_timestamp_string"),
        (Timestamp, "_create_failure_event"),
    ):
        if not callable(getattr(owner, attribute, None)):
            raise WaitHookError(f"moto's {owner.__name__}.{attribute} is gone")
    WaitFunction._eval_body = _eval_body_on_local_clock  # type: ignore[method-assign]
    if not callable(getattr(lambda_eval_utils, "boto_client_for", None)):
        raise WaitHookError("moto's lambda_eval_utils.boto_client_for is gone")
    setattr(lambda_eval_utils, "boto_client_for", _shared_boto_client_for)  # noqa: B010 (not exported)
    for module, cached in ((json_path, _cached_json_path_parse), (result_path, _cached_result_path_parse)):
        if not callable(getattr(module, "parse", None)):
            raise WaitHookError(f"{module.__name__}.parse is gone")
        setattr(module, "parse", cached)  # noqa: B010 (not exported)


def is_wait_hook_installed() -> bool:
    return WaitFunction._eval_body is _eval_body_on_local_clock


def uninstall_wait_hook() -> None:
    WaitFunction._eval_body = _original_eval_body  # type: ignore[method-assign]
    setattr(lambda_eval_utils, "boto_client_for", _original_boto_client_for)  # noqa: B010
    setattr(json_path, "parse", _original_json_path_parse)  # noqa: B010
    setattr(result_path, "parse", _original_result_path_parse)  # noqa: B010


def asl_timestamp(moment: datetime) -> str:
    """An instant as ASL TimestampPath wants it: UTC, whole seconds, `Z` (moto refuses `+00:00`)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def render_definition(path: Path, substitutions: dict[str, str]) -> str:
    """The ASL text with `${Name}` placeholders replaced, as CDK `definition_substitutions` does."""
    text = path.read_text(encoding="utf-8")
    for name, value in substitutions.items():
        text = text.replace("${" + name + "}", value)
    if "${" in text:
        missing = text[text.index("${") :].split("}", 1)[0] + "}"
        raise ValueError(f"{path.name}: no substitution for {missing}")
    json.loads(text)  # fail here, not in moto, if the result is not JSON
    return text


def _ensure_role(region: str) -> str:
    iam = boto3.client("iam", region_name=region)
    try:
        return str(iam.get_role(RoleName=_ROLE_NAME)["Role"]["Arn"])
    except iam.exceptions.NoSuchEntityException:
        role = iam.create_role(RoleName=_ROLE_NAME, AssumeRolePolicyDocument=_ASSUME_ROLE_POLICY)["Role"]
        return str(role["Arn"])


def deploy_state_machine(
    settings: Settings,
    function_arns: dict[str, str],
    *,
    definition_path: Path = CAMPAIGN_ASL,
    logical: str = CAMPAIGN_STATE_MACHINE,
) -> str:
    """Create (or update) the campaign state machine in moto; answer its ARN."""
    install_wait_hook()
    definition = render_definition(definition_path, {"WorkflowFunctionArn": function_arns["workflow"]})
    client = boto3.client("stepfunctions", region_name=settings.region)
    name = f"{settings.resource_prefix}-{logical}"
    for machine in client.list_state_machines()["stateMachines"]:
        if machine["name"] == name:
            client.update_state_machine(stateMachineArn=machine["stateMachineArn"], definition=definition)
            return machine["stateMachineArn"]
    return client.create_state_machine(name=name, definition=definition, roleArn=_ensure_role(settings.region))[
        "stateMachineArn"
    ]
