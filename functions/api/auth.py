"""Bearer-token authentication as a middleware; routes read the caller with `current_caller()`."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware

from jarchi.accounts.models import Caller
from jarchi.accounts.service import authenticate
from jarchi.errors import Unauthorized

# Public of the bearer token; the provider callbacks carry an HMAC signature instead (routes/connector_events).
PUBLIC_PATHS = frozenset({"/v1/openapi.json", "/v1/docs", "/v1/connectors/https/events"})

_caller: ContextVar[Caller | None] = ContextVar("caller", default=None)
logger = Logger(child=True)


def current_caller() -> Caller:
    caller = _caller.get()
    if caller is None:  # a route outside the auth middleware: a wiring mistake, never a client's
        raise RuntimeError("no authenticated caller for this request")
    return caller


def authenticate_request(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response[Any]:
    if app.current_event.path in PUBLIC_PATHS:
        return next_middleware(app)
    header = app.current_event.headers.get("Authorization")
    caller = authenticate(header)
    logger.append_keys(account_id=caller.account_id)
    token = _caller.set(caller)
    try:
        return next_middleware(app)
    finally:
        _caller.reset(token)


def authentication_refused(app: APIGatewayRestResolver) -> Unauthorized | None:
    """Why this request is not authenticated, if it is not. For answers given before the middleware runs
    (Powertools validates the body first): a caller without a valid token hears 401, never how to fix
    the body."""
    if app.current_event.path in PUBLIC_PATHS:
        return None
    try:
        authenticate(app.current_event.headers.get("Authorization"))
    except Unauthorized as refused:
        return refused
    return None
