"""`OncePerBatch` on the idempotency table: Powertools' idempotency utility, keyed by the message's `batch_id`,
the step's answer stored with the record for 24 h (a redelivered dispatch message is answered from it)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, Final

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)

EXPIRES_AFTER_SECONDS: Final = 24 * 3600
# The records' key prefix when the dispatch handler decorated its own function (Powertools derives it from the
# function's module and name): kept, so that a batch redelivered across a deployment is still recognised.
_STEP_NAME: Final = "functions.dispatch.handler.place_and_count"


class PowertoolsOncePerBatch:
    def __init__(self, table_name: str) -> None:
        self._config = IdempotencyConfig(event_key_jmespath="batch_id", expires_after_seconds=EXPIRES_AFTER_SECONDS)
        self._store = DynamoDBPersistenceLayer(table_name=table_name)

    def run(
        self, step: Callable[[dict[str, Any]], dict[str, Any] | None], message: dict[str, Any]
    ) -> dict[str, Any] | None:
        """Powertools deep-copies the payload it keys on (`IdempotencyHandler.__init__`): it is handed the batch id
        alone, not the message with its hundred attempts (a third of the dispatch Lambda's CPU, issue 17). The
        key is the same (`event_key_jmespath` picks `batch_id` from either), so records written before match."""
        function = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "test-func")

        def step_of(batch: dict[str, Any]) -> dict[str, Any] | None:
            return step(message)

        once = idempotent_function(
            data_keyword_argument="batch",
            config=self._config,
            persistence_store=self._store,
            key_prefix=f"{function}.{_STEP_NAME}",
        )(step_of)
        answer: dict[str, Any] | None = once(batch={"batch_id": message["batch_id"]})
        return answer

    def expire_with(self, context: Any) -> None:
        self._config.register_lambda_context(context)
