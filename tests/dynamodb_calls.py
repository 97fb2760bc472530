"""Which DynamoDB actions each function issues, on which table: recorded from every request the tests make to moto,
and checked against the grants the stack gives the function (`infra.access.DYNAMODB_ACTIONS`, issue 10: "each
function's policy names ... the two or three actions it uses").

A botocore `before-parameter-build` handler, appended to botocore's built-in handlers before any session exists,
sees every DynamoDB request of every session (boto3's, pynamodb's). The request belongs to the function whose
handler code is the innermost `functions.<name>` frame on the calling thread's stack (tests that call a handler
directly, the local runtime's pollers, moto's Step Functions invoking the workflow Lambda — all run the handler's
frames). A thread a function starts (the connectors' placing pool) has no handler frame: its requests would go
unattributed, and it makes none (it calls the provider only). Requests outside any function (fixtures, store tests,
a test double acting for a user inside `on_behalf_of_a_user()`) are not a function's and are not checked.

Each request becomes the IAM actions it needs: a transaction needs the item action of each of its items
(`TransactWriteItems` is not an IAM action), `TransactGetItems` needs `GetItem`. An action a function issues that
its grant lacks is a violation; `tests/conftest.py` fails the test that issued it. `RECORD_DYNAMODB_ACTIONS=<file>`
writes every (function, table, action) seen in the run to that JSON file instead (how the grants were derived).
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import botocore.handlers

from infra.access import DYNAMODB_ACTIONS
from jarchi.settings import get_settings
from jarchi.store.tables import ALL_TABLES

RECORD_PATH = os.environ.get("RECORD_DYNAMODB_ACTIONS")

_lock = threading.Lock()
_local = threading.local()
seen: set[tuple[str, str, str]] = set()
violations: list[str] = []

_TRANSACT_WRITE = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}


@contextmanager
def on_behalf_of_a_user() -> Iterator[None]:
    """Requests made inside belong to no function: a test double that acts for a user (the owner editing a stop
    list while a call rings) from inside a function's frames."""
    _local.outside = True
    try:
        yield
    finally:
        _local.outside = False


def _function() -> str | None:
    if getattr(_local, "outside", False):
        return None
    frame: Any = sys._getframe(2)
    while frame is not None:
        name = frame.f_globals.get("__name__", "")
        if name.startswith("functions.") and name.count(".") >= 2:
            return str(name.split(".")[1])
        frame = frame.f_back
    return None


def _actions(operation: str, params: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(physical table, IAM action) for each table the request touches."""
    if operation == "TransactWriteItems":
        for item in params.get("TransactItems", []):
            for kind, body in item.items():
                yield body["TableName"], f"dynamodb:{_TRANSACT_WRITE[kind]}"
    elif operation == "TransactGetItems":
        for item in params.get("TransactItems", []):
            yield item["Get"]["TableName"], "dynamodb:GetItem"
    elif operation in ("BatchGetItem", "BatchWriteItem"):
        for table in params.get("RequestItems", {}):
            yield table, f"dynamodb:{operation}"
    elif "TableName" in params:
        yield params["TableName"], f"dynamodb:{operation}"


def _logical(table: str) -> str | None:
    settings = get_settings()
    for spec in ALL_TABLES:
        if settings.table_name(spec.logical) == table:
            return spec.logical
    return None


def _on_request(model: Any, params: Mapping[str, Any], **_: Any) -> None:
    function = _function()
    if function is None:
        if RECORD_PATH is not None:  # the table's own use, outside any function (the store's contract tests)
            for table, action in _actions(model.name, params):
                _see((f"?{threading.current_thread().name}", _logical(table) or table, action))
        return
    for table, action in _actions(model.name, params):
        logical = _logical(table) or table
        _see((function, logical, action))
        with _lock:
            if RECORD_PATH is None and action not in DYNAMODB_ACTIONS.get(function, {}).get(logical, ()):
                violations.append(
                    f"the {function} function issued {action} on the {logical} table, which its grant lacks "
                    f"(infra/access.py DYNAMODB_ACTIONS): in AWS this request is AccessDenied"
                )


def _see(entry: tuple[str, str, str]) -> None:
    with _lock:
        if entry in seen:
            return
        seen.add(entry)
        if RECORD_PATH is not None:  # as it happens: a run stopped half-way still tells what it saw
            with open(f"{RECORD_PATH}.{os.getpid()}", "a", encoding="utf-8") as out:
                out.write(json.dumps(entry) + "\n")


def install() -> None:
    """Idempotent; before the first botocore session is made."""
    handler = ("before-parameter-build.dynamodb", _on_request)
    if handler not in botocore.handlers.BUILTIN_HANDLERS:
        botocore.handlers.BUILTIN_HANDLERS.append(handler)


def take_violations() -> list[str]:
    with _lock:
        found = list(dict.fromkeys(violations))
        violations.clear()
    return found


def recorded(paths: list[str]) -> dict[str, dict[str, set[str]]]:
    """function → table → actions, from the files a `RECORD_DYNAMODB_ACTIONS` run wrote (one per process)."""
    found: dict[str, dict[str, set[str]]] = {}
    for path in paths:
        with open(path, encoding="utf-8") as lines:
            for line in lines:
                function, table, action = json.loads(line)
                if not function.startswith("?"):
                    found.setdefault(function, {}).setdefault(table, set()).add(action)
    return found


if __name__ == "__main__":  # python -m tests.dynamodb_calls /tmp/rec.*: what the recorded functions issued
    for function, tables in sorted(recorded(sys.argv[1:]).items()):
        print(f"{function}:")
        for table, actions in sorted(tables.items()):
            granted = set(DYNAMODB_ACTIONS.get(function, {}).get(table, ()))
            print(
                f"    {table}: {sorted(actions)}"
                + (f"  beyond the grant: {sorted(actions - granted)}" if actions - granted else "")
            )
