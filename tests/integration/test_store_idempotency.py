"""`OncePerBatch` on the idempotency table (issue 17): Powertools is handed the batch id alone, not the whole
message (it deep-copies what it is handed), and a record written when it was handed the whole message — a batch
redelivered across the deployment — is still recognised."""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools.utilities.idempotency import idempotent_function

from jarchi.settings import Settings
from jarchi.store.idempotency import _STEP_NAME, PowertoolsOncePerBatch
from jarchi.store.tables import IDEMPOTENCY


def _message(batch_id: str, attempts: int) -> dict[str, Any]:
    return {
        "batch_id": batch_id,
        "campaign_id": "c1",
        "attempts": [{"attempt_id": f"c1.{i}.1"} for i in range(attempts)],
    }


def test_a_batch_runs_once_and_a_redelivery_gets_its_answer(aws: Settings) -> None:
    once = PowertoolsOncePerBatch(aws.table_name(IDEMPOTENCY.logical))
    runs: list[int] = []

    def step(message: dict[str, Any]) -> dict[str, Any]:
        runs.append(len(message["attempts"]))  # the step gets the whole message
        return {"placed": len(message["attempts"])}

    assert once.run(step, _message("b1", 3)) == {"placed": 3}
    assert once.run(step, _message("b1", 3)) == {"placed": 3}
    assert once.run(step, _message("b2", 2)) == {"placed": 2}
    assert runs == [3, 2]


def test_a_record_written_with_the_whole_message_is_recognised(aws: Settings) -> None:
    table = aws.table_name(IDEMPOTENCY.logical)
    before = PowertoolsOncePerBatch(table)
    function = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "test-func")

    def placed_before(message: dict[str, Any]) -> dict[str, Any]:
        return {"placed": len(message["attempts"])}

    # as the adapter did before: the whole message is the idempotency payload
    old = idempotent_function(
        data_keyword_argument="message",
        config=before._config,
        persistence_store=before._store,
        key_prefix=f"{function}.{_STEP_NAME}",
    )(placed_before)
    assert old(message=_message("b9", 4)) == {"placed": 4}

    def must_not_run(message: dict[str, Any]) -> dict[str, Any]:
        raise AssertionError("placed a batch a second time")

    assert PowertoolsOncePerBatch(table).run(must_not_run, _message("b9", 4)) == {"placed": 4}
