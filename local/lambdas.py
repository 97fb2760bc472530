"""moto's Lambda, made to run our handlers in-process.

moto has no Docker-free Lambda runtime: `LambdaSimpleBackend.invoke` (moto/awslambda_simple/models.py,
the backend used with `{"lambda": {"use_docker": False}}`) only echoes the payload. We replace that one
method: an invoke of a function deployed by `deploy_functions` calls the registered handler with the JSON
payload and returns its JSON result. A handler exception becomes what AWS returns for an unhandled error
(`X-Amz-Function-Error: Unhandled` and `{"errorMessage", "errorType", "stackTrace"}`), which moto's
Step Functions engine turns into a task failure whose error name is the exception's type; ASL
`States.TaskFailed` and `States.ALL` match it. moto is pinned exactly and
tests/integration/test_local_runtime_hooks.py fails loudly if this stops working.
"""

from __future__ import annotations

import io
import json
import logging
import threading
import traceback
import zipfile
from typing import Any

import boto3
from moto.awslambda_simple.models import LambdaSimpleBackend

from jarchi.settings import Settings
from local.functions import function_name, function_names, make_context, resolve_handler

LOG = logging.getLogger(__name__)

LAMBDA_RUNTIME = "python3.12"
_ROLE_NAME = "jarchi-local-lambda"
_ASSUME_ROLE_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)

# deployed function name -> logical name, filled by deploy_functions
_deployed: dict[str, str] = {}
_deployed_lock = threading.Lock()
_original_invoke = LambdaSimpleBackend.invoke
_installed = False


class LambdaInvokeHookError(RuntimeError):
    """moto's Lambda backend no longer looks like the one this hook was written for."""


def _header(headers: Any, name: str) -> str | None:
    if headers is None:
        return None
    value = headers.get(name)
    if value is None:
        value = headers.get(name.lower())
    return None if value is None else str(value)


def _error_payload(exc: BaseException, request_id: str) -> bytes:
    return json.dumps(
        {
            "errorMessage": str(exc),
            "errorType": type(exc).__name__,
            "requestId": request_id,
            "stackTrace": traceback.format_exception(exc),
        }
    ).encode()


def run_handler(logical: str, deployed: str, region: str, body: Any) -> tuple[bytes, bool]:
    """Call the handler of `logical` with the JSON `body`; return (payload, failed)."""
    raw = body.decode() if isinstance(body, bytes | bytearray) else (body or "")
    event = json.loads(raw) if raw else {}
    context = make_context(deployed, region=region)
    try:
        result = resolve_handler(logical)(event, context)
    except Exception as exc:
        LOG.warning("local lambda %s raised %s: %s", logical, type(exc).__name__, exc)
        return _error_payload(exc, context.aws_request_id), True
    return json.dumps(result, default=str).encode(), False


def _invoke(
    self: LambdaSimpleBackend,
    function_name: str,
    qualifier: str | None,
    body: Any,
    headers: Any,
    response_headers: Any,
) -> str | bytes | None:
    fn = self.get_function(function_name, qualifier)  # raises moto's ResourceNotFound as AWS would
    with _deployed_lock:
        logical = _deployed.get(fn.function_name)
    if logical is None:
        return _original_invoke(self, function_name, qualifier, body, headers, response_headers)
    invocation_type = _header(headers, "X-Amz-Invocation-Type") or "RequestResponse"
    if invocation_type == "DryRun":
        return b""
    if invocation_type == "Event":
        threading.Thread(
            target=run_handler,
            args=(logical, fn.function_name, self.region_name, body),
            name=f"lambda-event-{logical}",
            daemon=True,
        ).start()
        return b""
    payload, failed = run_handler(logical, fn.function_name, self.region_name, body)
    if failed:
        response_headers["x-amz-function-error"] = "Unhandled"
    response_headers["x-amz-executed-version"] = "$LATEST"
    return payload


def install_lambda_hook() -> None:
    """Route invokes of our deployed functions to their handlers (idempotent)."""
    global _installed
    current = getattr(LambdaSimpleBackend, "invoke", None)
    if current is None or not callable(current):
        raise LambdaInvokeHookError("moto.awslambda_simple.models.LambdaSimpleBackend.invoke is gone")
    if not _installed:
        LambdaSimpleBackend.invoke = _invoke  # type: ignore[method-assign]
        _installed = True


def is_lambda_hook_installed() -> bool:
    return getattr(LambdaSimpleBackend, "invoke", None) is _invoke


def _dummy_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


def _ensure_role(region: str) -> str:
    iam = boto3.client("iam", region_name=region)
    try:
        return str(iam.get_role(RoleName=_ROLE_NAME)["Role"]["Arn"])
    except iam.exceptions.NoSuchEntityException:
        role = iam.create_role(RoleName=_ROLE_NAME, AssumeRolePolicyDocument=_ASSUME_ROLE_POLICY)["Role"]
        return str(role["Arn"])


def deploy_functions(settings: Settings, names: list[str] | None = None) -> dict[str, str]:
    """Create (in moto) one Lambda function per logical name; answer logical name -> function ARN.

    The code is a dummy zip: invokes never run it, the hook calls the registered handler instead.
    """
    install_lambda_hook()
    client = boto3.client("lambda", region_name=settings.region)
    role_arn = _ensure_role(settings.region)
    code = _dummy_zip()
    arns: dict[str, str] = {}
    for logical in names if names is not None else function_names():
        deployed = function_name(settings.resource_prefix, logical)
        try:
            arn = client.get_function(FunctionName=deployed)["Configuration"]["FunctionArn"]
        except client.exceptions.ResourceNotFoundException:
            arn = client.create_function(
                FunctionName=deployed,
                Runtime=LAMBDA_RUNTIME,
                Role=role_arn,
                Handler="handler.handler",
                Code={"ZipFile": code},
                Timeout=60,
                MemorySize=512,
            )["FunctionArn"]
        with _deployed_lock:
            _deployed[deployed] = logical
        arns[logical] = arn
    return arns
