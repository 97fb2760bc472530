"""A DynamoDB transaction whose operations carry labels, so a cancellation says which condition failed.

pynamodb sends a TransactWrite's operations grouped by kind (condition checks, deletes, puts, updates), not
in call order, and DynamoDB answers cancellation reasons in the order sent: the labels follow that order."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from jarchi.settings import get_settings

_KINDS = ("check", "delete", "put", "update")
_CONFLICT_RETRIES = 5


@cache
def _connection(region: str) -> Connection:
    # One per container: a new Connection means a new botocore session and client (tens of ms).
    return Connection(region=region)


class TransactionFailed(Exception):
    """Some conditions did not hold; nothing was written."""

    def __init__(self, failed: set[str]) -> None:
        super().__init__(f"transaction conditions failed: {sorted(failed)}")
        self.failed = failed


class LabelledTransaction:
    def __init__(self) -> None:
        self._ops: dict[str, list[tuple[str, Callable[[TransactWrite], None]]]] = {k: [] for k in _KINDS}

    def __len__(self) -> int:
        return sum(len(ops) for ops in self._ops.values())

    def check(self, label: str, model_cls: type[Model], hash_key: Any, range_key: Any, condition: Condition) -> None:
        self._ops["check"].append((label, lambda tx: tx.condition_check(model_cls, hash_key, range_key, condition)))

    def delete(self, label: str, model: Model, condition: Condition | None = None) -> None:
        self._ops["delete"].append((label, lambda tx: tx.delete(model, condition)))

    def put(self, label: str, model: Model, condition: Condition | None = None) -> None:
        self._ops["put"].append((label, lambda tx: tx.save(model, condition)))

    def update(self, label: str, model: Model, actions: Sequence[Action], condition: Condition | None = None) -> None:
        self._ops["update"].append((label, lambda tx: tx.update(model, list(actions), condition)))

    def commit(self) -> None:
        """Write everything or nothing. Raises TransactionFailed naming the labels whose condition failed."""
        labels = [label for kind in _KINDS for label, _ in self._ops[kind]]
        for attempt in range(_CONFLICT_RETRIES):
            try:
                with TransactWrite(connection=_connection(get_settings().region)) as tx:
                    for kind in _KINDS:
                        for _, stage in self._ops[kind]:
                            stage(tx)
                return
            except TransactWriteError as error:
                reasons = error.cancellation_reasons
                failed = {
                    label
                    for label, reason in zip(labels, reasons, strict=False)
                    if reason is not None and reason.code == "ConditionalCheckFailed"
                }
                if failed:
                    raise TransactionFailed(failed) from error
                conflict = any(r is not None and r.code == "TransactionConflict" for r in reasons)
                if not conflict or attempt == _CONFLICT_RETRIES - 1:
                    raise
                time.sleep(0.01 * 2**attempt)
