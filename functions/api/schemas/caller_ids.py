"""Caller IDs (R-DSP-5, SPEC §14)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from functions.api.schemas.common import Request, Timestamp
from functions.api.schemas.fields import Id
from jarchi.campaigns.caller_ids import MAX_NUMBERS_PER_REQUEST, CallerId


class CallerIdAssign(Request):
    account_id: Id
    numbers: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=32)]],
        Field(min_length=1, max_length=MAX_NUMBERS_PER_REQUEST, examples=[["+982191001000", "+982191001001"]]),
    ]


class CallerIdOut(BaseModel):
    id: str
    number: str
    account_id: str
    assigned_at: Timestamp

    @classmethod
    def of(cls, caller_id: CallerId) -> CallerIdOut:
        return cls(
            id=caller_id.id, number=caller_id.number, account_id=caller_id.account_id, assigned_at=caller_id.assigned_at
        )


class CallerIdPage(BaseModel):
    items: list[CallerIdOut]
    next_cursor: str | None
