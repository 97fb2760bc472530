"""Counting AWS requests with a botocore event hook: by service and operation, and DynamoDB item writes per
item (table + key), to find the hot items a real table would throttle (one item takes ~1,000 writes/s).

`install()` appends a `before-parameter-build` handler (it sees the API parameters) to botocore's built-in
handlers, so every session created
afterwards (boto3's, and pynamodb's per-thread sessions) reports to the same `RequestLog`. Install it
before the first client is made."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import botocore.handlers

from jarchi.settings import get_settings
from jarchi.store.tables import ALL_TABLES


def _key_names() -> dict[str, tuple[str, ...]]:
    settings = get_settings()
    names: dict[str, tuple[str, ...]] = {}
    for spec in ALL_TABLES:
        keys = (spec.partition.name,) + ((spec.sort.name,) if spec.sort else ())
        names[settings.table_name(spec.logical)] = keys
    return names


def _key(table: str, item: Mapping[str, Any], key_names: Mapping[str, tuple[str, ...]]) -> str:
    names = key_names.get(table, ())
    return table + "|" + "|".join(str(next(iter(item[n].values()))) for n in names if n in item)


class RequestLog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: Counter[str] = Counter()
        self.item_writes: Counter[str] = Counter()
        self.writes_by_table: Counter[str] = Counter()
        self._key_names: dict[str, tuple[str, ...]] | None = None
        self._quiet = threading.local()

    @contextmanager
    def ignoring(self) -> Iterator[None]:
        """Requests this thread makes meanwhile are not counted (the benchmark's own polling)."""
        self._quiet.on = True
        try:
            yield
        finally:
            self._quiet.on = False

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.item_writes.clear()
            self.writes_by_table.clear()

    def __call__(self, model: Any, params: Mapping[str, Any], **_: Any) -> None:
        if getattr(self._quiet, "on", False):
            return
        service = model.service_model.service_name
        operation = model.name
        writes = list(self._writes(operation, params)) if service == "dynamodb" else []
        with self._lock:
            self.requests[f"{service}.{operation}"] += 1
            for table, key in writes:
                self.item_writes[key] += 1
                self.writes_by_table[table] += 1

    def _writes(self, operation: str, params: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
        if self._key_names is None:
            self._key_names = _key_names()
        names = self._key_names
        if operation == "PutItem":
            yield params["TableName"], _key(params["TableName"], params["Item"], names)
        elif operation in ("UpdateItem", "DeleteItem"):
            yield params["TableName"], _key(params["TableName"], params["Key"], names)
        elif operation == "BatchWriteItem":
            for table, requests in params["RequestItems"].items():
                for request in requests:
                    item = request["PutRequest"]["Item"] if "PutRequest" in request else request["DeleteRequest"]["Key"]
                    yield table, _key(table, item, names)
        elif operation == "TransactWriteItems":
            for entry in params["TransactItems"]:
                for kind, body in entry.items():
                    if kind == "ConditionCheck":
                        continue
                    item = body["Item"] if kind == "Put" else body["Key"]
                    yield body["TableName"], _key(body["TableName"], item, names)

    def total(self, prefix: str) -> int:
        return sum(n for op, n in self.requests.items() if op.startswith(prefix))


LOG = RequestLog()


def install() -> RequestLog:
    handler = ("before-parameter-build", LOG)
    if handler not in botocore.handlers.BUILTIN_HANDLERS:
        botocore.handlers.BUILTIN_HANDLERS.append(handler)
    return LOG
