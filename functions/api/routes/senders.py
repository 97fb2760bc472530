"""Sender names, registered per account and approved by the operator (R-SMS-3)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from functions.api.auth import current_caller
from functions.api.schemas.audio import ModerationBody
from functions.api.schemas.senders import SenderCreate, SenderOut, SenderPage
from jarchi.content import senders_service

router = Router()
Limit = Annotated[int, Query(ge=1, le=200)]


@router.post("/senders", status_code=201, tags=["senders"], summary="Register a sender name")
def register_sender(body: SenderCreate) -> SenderOut:
    return SenderOut.of(senders_service.register_sender(current_caller(), body.name))


@router.get("/senders", tags=["senders"], summary="The caller's sender names")
def list_senders(account_id: str | None = None, limit: Limit = 50, cursor: str | None = None) -> SenderPage:
    items, next_cursor = senders_service.list_senders(current_caller(), account_id, limit, cursor)
    return SenderPage(items=[SenderOut.of(s) for s in items], next_cursor=next_cursor)


@router.get("/senders/<sender_id>", tags=["senders"], summary="One sender name")
def get_sender(sender_id: str) -> SenderOut:
    return SenderOut.of(senders_service.get_sender(current_caller(), sender_id))


@router.post("/senders/<sender_id>/moderation", tags=["senders"], summary="Approve, reject or ask (admin)")
def moderate_sender(sender_id: str, body: ModerationBody) -> SenderOut:
    return SenderOut.of(senders_service.moderate_sender(current_caller(), sender_id, body.decision, body.reason))
