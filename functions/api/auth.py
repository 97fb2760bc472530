"""The authenticated caller of the request being served; routes read it with `current_caller()`.

The token is checked at the door (functions.api.edge), before any body is parsed: a request without a valid
token hears 401 whatever else is wrong with it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from aws_lambda_powertools import Logger

from jarchi.accounts.models import Caller
from jarchi.resources import API_PUBLIC_PATHS

PUBLIC_PATHS = API_PUBLIC_PATHS

_caller: ContextVar[Caller | None] = ContextVar("caller", default=None)
logger = Logger(child=True)


def current_caller() -> Caller:
    caller = _caller.get()
    if caller is None:  # a route outside the authenticated scope: a wiring mistake, never a client's
        raise RuntimeError("no authenticated caller for this request")
    return caller


@contextmanager
def caller_scope(caller: Caller | None) -> Iterator[None]:
    """`caller` is the current caller until the block ends (None on a public path)."""
    if caller is not None:
        logger.append_keys(account_id=caller.account_id)
    token = _caller.set(caller)
    try:
        yield
    finally:
        _caller.reset(token)
