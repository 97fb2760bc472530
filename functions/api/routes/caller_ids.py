"""Caller IDs (R-DSP-5): platform numbers the admin assigns to an account, rotated by its campaigns'
`caller_id_pool`."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from functions.api.auth import current_caller
from functions.api.schemas.caller_ids import CallerIdAssign, CallerIdOut, CallerIdPage
from jarchi.campaigns import caller_id_service

router = Router()
Limit = Annotated[int, Query(ge=1, le=200)]


@router.post("/caller-ids", status_code=201, tags=["caller-ids"], summary="Assign numbers to an account (admin)")
def assign_caller_ids(body: CallerIdAssign) -> CallerIdPage:
    assigned = caller_id_service.assign_caller_ids(current_caller(), body.account_id, body.numbers)
    return CallerIdPage(items=[CallerIdOut.of(c) for c in assigned], next_cursor=None)


@router.get("/caller-ids", tags=["caller-ids"], summary="The account's caller IDs (admin: every account's)")
def list_caller_ids(account_id: str | None = None, limit: Limit = 50, cursor: str | None = None) -> CallerIdPage:
    items, next_cursor = caller_id_service.list_caller_ids(current_caller(), account_id, limit, cursor)
    return CallerIdPage(items=[CallerIdOut.of(c) for c in items], next_cursor=next_cursor)


@router.post(
    "/caller-ids/<caller_id>/release",
    tags=["caller-ids"],
    summary="Return a number to the platform (409 while a campaign that may still call uses it)",
)
def release_caller_id(caller_id: str) -> CallerIdOut:
    return CallerIdOut.of(caller_id_service.release_caller_id(current_caller(), caller_id))
