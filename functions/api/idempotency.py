"""`Idempotency-Key` on mutating requests, with the Powertools idempotency utility and its DynamoDB table.

The same key and body answer the stored response once more (with `Idempotent-Replayed: true`); the same
key with another body is `idempotency_key_reused` (422). Keys are scoped to the account and the route.
Only successful (2xx) responses are kept: a refused request may be retried with the same key once its
cause is fixed (e.g. after a top-up).

The Powertools utility (and boto3 with it) is imported on the first request carrying a key, not at the cold
start: most first requests are reads (issue 10, cold start)."""

from __future__ import annotations

import hashlib
import json
import threading
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware

from functions.api.auth import current_caller
from jarchi.errors import BadRequest, Conflict, Unprocessable
from jarchi.settings import get_settings
from jarchi.store.tables import IDEMPOTENCY

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig
    from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord

HEADER = "Idempotency-Key"
MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_KEY_LENGTH = 255


class _NotKept(Exception):
    """A non-2xx answer: raised through the utility so it forgets the key, then returned as is."""

    def __init__(self, response: Response[Any]) -> None:
        super().__init__("response not kept")
        self.response = response


def _mark_replayed(response: Any, idempotent_data: DataRecord) -> Any:
    return {**response, "replayed": True}


_container = threading.local()  # one persistence layer per container (see functions.api.app)


def _run_once(app: APIGatewayRestResolver) -> Any:
    if getattr(_container, "run", None) is None:
        _container.config, _container.run = _new_run_once()
    _container.config.register_lambda_context(app.lambda_context)
    return _container.run


def _new_run_once() -> tuple[IdempotencyConfig, Any]:
    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        IdempotencyConfig,
        idempotent_function,
    )

    settings = get_settings()
    config = IdempotencyConfig(
        event_key_jmespath="scope",
        payload_validation_jmespath="fingerprint",
        expires_after_seconds=settings.idempotency_ttl_seconds,
        response_hook=_mark_replayed,
    )
    store = DynamoDBPersistenceLayer(table_name=settings.table_name(IDEMPOTENCY.logical))

    @idempotent_function(data_keyword_argument="request", config=config, persistence_store=store)
    def run(request: dict[str, str], app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> dict[str, Any]:
        response = next_middleware(app)
        if not 200 <= response.status_code < 300:
            raise _NotKept(response)
        body = response.body if isinstance(response.body, str) or response.body is None else json.dumps(response.body)
        return {"status": response.status_code, "body": body, "content_type": response.content_type}

    return config, run


def idempotent_request(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response[Any]:
    event = app.current_event
    key = event.headers.get(HEADER)
    if event.http_method not in MUTATING or key is None:
        return next_middleware(app)
    if not key.strip() or len(key) > MAX_KEY_LENGTH:
        raise BadRequest("invalid_idempotency_key", f"{HEADER} must be 1 to {MAX_KEY_LENGTH} characters")
    request = {
        "scope": f"{current_caller().account_id} {event.http_method} {event.path} {key}",
        "fingerprint": hashlib.sha256((event.body or "").encode()).hexdigest(),
    }
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyValidationError,
    )

    try:
        stored = _run_once(app)(request=request, app=app, next_middleware=next_middleware)
    except _NotKept as refused:
        return refused.response
    except IdempotencyValidationError as error:
        raise Unprocessable(
            "idempotency_key_reused", f"{HEADER} {key!r} was already used with a different request body"
        ) from error
    except IdempotencyAlreadyInProgressError as error:
        raise Conflict("idempotency_in_progress", f"a request with {HEADER} {key!r} is still running") from error
    headers = {"Idempotent-Replayed": "true"} if stored.get("replayed") else {}
    return Response(
        status_code=stored["status"],
        content_type=stored["content_type"],
        body=stored["body"],
        headers=headers,
    )
