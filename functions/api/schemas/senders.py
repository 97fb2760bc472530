"""Sender names (R-SMS-3)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from functions.api.schemas.common import Request, Shape, Timestamp
from jarchi.content.records import Sender


class SenderCreate(Request):
    name: Annotated[str, Field(min_length=1, max_length=32)]


class SenderOut(Shape):
    id: str
    account_id: str
    name: str
    kind: str
    status: str
    reason: str | None
    created_at: Timestamp
    moderated_at: Timestamp | None

    @classmethod
    def of(cls, sender: Sender) -> SenderOut:
        return cls(
            id=sender.id,
            account_id=sender.account_id,
            name=sender.name,
            kind=sender.kind,
            status=sender.status.value,
            reason=sender.reason,
            created_at=sender.created_at,
            moderated_at=sender.moderated_at,
        )


class SenderPage(Shape):
    items: list[SenderOut]
    next_cursor: str | None
