"""Our Lambda functions by logical name, and a Lambda context good enough for Powertools.

The functions are `jarchi.resources.ALL_FUNCTIONS`: the cloud stack deploys one Lambda per entry; locally
the same handlers are called in-process.
Handlers are imported lazily, so the local runtime works before (or without) every function module.
Tests register their own handlers with `register_function` and remove them with `unregister_function`.
"""

from __future__ import annotations

import importlib
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final

from jarchi.resources import ALL_FUNCTIONS

Handler = Callable[[Any, Any], Any]

# logical name -> "module:attribute"
HANDLER_PATHS: Final[Mapping[str, str]] = MappingProxyType({spec.name: spec.import_path for spec in ALL_FUNCTIONS})

DEFAULT_TIMEOUT_SECONDS = 60
DEFAULT_MEMORY_MB = 512
LOCAL_ACCOUNT_ID = "123456789012"

_lock = threading.Lock()
_overrides: dict[str, Handler] = {}


def register_function(name: str, handler: Handler) -> None:
    """Register (or override) the handler behind a logical function name."""
    with _lock:
        _overrides[name] = handler


def unregister_function(name: str) -> None:
    with _lock:
        _overrides.pop(name, None)


def clear_registrations() -> None:
    with _lock:
        _overrides.clear()


def function_names() -> list[str]:
    """Every logical function name: the standard ones and those registered by tests."""
    with _lock:
        return sorted(set(HANDLER_PATHS) | set(_overrides))


def is_known(name: str) -> bool:
    with _lock:
        return name in _overrides or name in HANDLER_PATHS


def resolve_handler(name: str) -> Handler:
    """The callable behind `name`: a registered one first, else the lazily imported module attribute."""
    with _lock:
        override = _overrides.get(name)
    if override is not None:
        return override
    try:
        path = HANDLER_PATHS[name]
    except KeyError:
        raise LookupError(f"no Lambda function registered as {name!r}") from None
    module_name, _, attribute = path.partition(":")
    handler: Handler = getattr(importlib.import_module(module_name), attribute)
    return handler


def function_name(settings_prefix: str, logical: str) -> str:
    """The deployed function name (locally: what moto knows the function as)."""
    return f"{settings_prefix}-{logical}"


def logical_name(settings_prefix: str, deployed: str) -> str | None:
    """The logical name behind a deployed function name or ARN, if it is one of ours."""
    name = deployed.rsplit(":function:", 1)[-1].split(":", 1)[0]
    prefix = f"{settings_prefix}-"
    if not name.startswith(prefix):
        return None
    return name[len(prefix) :]


@dataclass
class LambdaContext:
    """The attributes of the Lambda context object that our code and Powertools read."""

    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int = DEFAULT_MEMORY_MB
    timeout_seconds: int = DEFAULT_TIMEOUT_SECONDS
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = ""
    _deadline: float = field(default=0.0, repr=False)

    def __post_init__(self) -> None:
        self.log_group_name = self.log_group_name or f"/aws/lambda/{self.function_name}"
        self.log_stream_name = self.log_stream_name or f"local/{self.aws_request_id}"
        self._deadline = time.monotonic() + self.timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def make_context(name: str, *, region: str, account_id: str = LOCAL_ACCOUNT_ID) -> LambdaContext:
    return LambdaContext(
        function_name=name,
        invoked_function_arn=f"arn:aws:lambda:{region}:{account_id}:function:{name}",
    )
