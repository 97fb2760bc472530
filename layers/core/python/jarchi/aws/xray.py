"""The X-Ray SDK's sampling client, made when the SDK first uses it (issue 10, cold start).

Importing `aws_xray_sdk.core` (Powertools' `Tracer` does, in every function's init) makes its recorder, whose
centralized-sampling connector makes a botocore session and an X-Ray client at once, and another session and client
when the recorder is configured: ~45 ms CPU of an init here (two sessions, the X-Ray service model and its client
class). In Lambda the SDK never polls sampling rules (a function's segment is Lambda's, sampled by Lambda), so the
clients are never used; where the SDK does poll, the client is made at its first use with the same arguments."""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from collections.abc import Callable, Sequence
from functools import cache
from types import ModuleType
from typing import Any

CONNECTOR = "aws_xray_sdk.core.sampling.connector"


class DeferredClient:
    """Stands for the connector's X-Ray client: the client is made when one of its attributes is first read."""

    def __init__(self, make: Callable[[], Any]) -> None:
        self._make = make
        self._client: Any = None

    def __getattr__(self, name: str) -> Any:
        if self._client is None:
            self._client = self._make()
        return getattr(self._client, name)


def _defer(connector: type) -> None:
    create = connector._create_xray_client  # type: ignore[attr-defined]

    def deferred(self: Any, ip: str = "127.0.0.1", port: str = "2000") -> DeferredClient:
        return DeferredClient(lambda: create(self, ip, port))

    connector._create_xray_client = deferred  # type: ignore[attr-defined]


class _ConnectorFinder(importlib.abc.MetaPathFinder):
    """Finds the connector's module as Python would and defers its client as soon as the module has run, before
    the SDK's package makes its recorder."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != CONNECTOR:
            return None
        sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None:
            return spec
        run = spec.loader.exec_module

        def exec_module(module: ModuleType) -> None:
            run(module)
            _defer(module.ServiceConnector)

        spec.loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


@cache
def defer_sampling_client() -> None:
    """From now on the X-Ray SDK's sampling connectors make their client when they first use it."""
    loaded = sys.modules.get(CONNECTOR)
    if loaded is not None:  # the recorder made already has its clients; later connectors make theirs on use
        _defer(loaded.ServiceConnector)
    else:
        sys.meta_path.insert(0, _ConnectorFinder())
