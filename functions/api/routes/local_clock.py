"""Local-only clock control (R-RUN-3). Never part of the cloud API: the stack does not route it."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import Field

from functions.api.auth import current_caller
from functions.api.schemas.common import Request, Shape, Timestamp
from jarchi.accounts.access import require_admin
from jarchi.clock import LocalClock, get_clock
from jarchi.errors import NotFound

router = Router()
MAX_ADVANCE = 366 * 24 * 3600


class ClockAdvance(Request):
    advance_seconds: Annotated[int, Field(ge=0, le=MAX_ADVANCE)]


class ClockOut(Shape):
    now: Timestamp


def _local_clock() -> LocalClock:
    clock = get_clock()
    if not isinstance(clock, LocalClock):
        raise NotFound("route_not_found", "the clock can only be moved on the local platform")
    return clock


@router.get("/local/clock", tags=["local"], summary="The local platform's clock")
def read_clock() -> ClockOut:
    return ClockOut(now=_local_clock().now())


@router.post("/local/clock", tags=["local"], summary="Move the local clock forward (admin)")
def advance_clock(body: ClockAdvance) -> ClockOut:
    require_admin(current_caller())
    return ClockOut(now=_local_clock().advance(body.advance_seconds))
