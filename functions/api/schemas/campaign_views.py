"""Campaign responses (SPEC §11): a table item never reaches a response, this mapping does."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field

from functions.api.schemas.common import Request
from jarchi.campaigns.draft import CampaignDraft
from jarchi.compliance.categories import Category, Channel
from jarchi.store.campaigns import CampaignItem, RecipientItem, plain
from jarchi.store.campaigns import stats as campaign_stats


class HistoryOut(BaseModel):
    at: str
    status: str
    actor: str
    reason: str | None


class CostOut(BaseModel):
    estimated: int
    reserved: int
    charged: int
    released: int
    refunded: int


class CampaignOut(BaseModel):
    id: str
    campaign_id: str  # the same id, under the name quick-send clients read
    name: str
    status: str
    channel: str
    category: str
    created_at: str
    start_at: str | None
    quick_send: bool
    history: list[HistoryOut]
    stats: dict[str, int]
    cost: CostOut
    windows: list[dict[str, str]]
    days_of_week: list[int]
    speed_per_hour: int
    vote: bool
    comment: str | None

    @classmethod
    def of(cls, item: CampaignItem) -> CampaignOut:
        return cls(
            id=item.id,
            campaign_id=item.id,
            name=item.name,
            status=item.status,
            channel=item.channel,
            category=item.category,
            created_at=item.created_at,
            start_at=item.start_at,
            quick_send=bool(item.quick_send),
            history=[HistoryOut(**plain(h)) for h in (item.history or [])],
            stats={"total": int(item.total), **campaign_stats(item)},
            cost=CostOut(
                estimated=int(item.estimated),
                reserved=int(item.reserved),
                charged=int(item.charged),
                released=int(item.released),
                refunded=int(item.refunded),
            ),
            windows=[plain(w) for w in (item.windows or [])],
            days_of_week=[int(d) for d in (item.days_of_week or [])],
            speed_per_hour=int(item.speed_per_hour),
            vote=bool(item.vote),
            comment=item.comment,
        )


class CampaignPage(BaseModel):
    items: list[CampaignOut]
    next_cursor: str | None


class RecipientOut(BaseModel):
    number: str
    status: str
    attempts: int
    vote: int | None
    listened_seconds: int | None
    cost: int
    reason: str | None

    @classmethod
    def of(cls, item: RecipientItem) -> RecipientOut:
        def optional(value: Any) -> int | None:
            return None if value is None else int(value)

        return cls(
            number=item.number,
            status=item.status,
            attempts=int(item.attempts),
            vote=optional(item.vote),
            listened_seconds=optional(item.listened_seconds),
            cost=int(item.cost),
            reason=item.reason,
        )


class RecipientPage(BaseModel):
    items: list[RecipientOut]
    next_cursor: str | None


class ActionBody(Request):
    """`POST /v1/campaigns/{id}/{action}` may say why; the reason goes into the campaign's history."""

    reason: Annotated[str | None, Field(min_length=1, max_length=500)] = None


class QuickSendBody(Request):
    channel: Channel
    category: Category
    number: Annotated[str, Field(min_length=3, max_length=32)]
    audio_id: str | None = None
    tts_text: str | None = None
    sms_text: str | None = None
    sender: str | None = None
    vote: bool = False
    language: Annotated[str, Field(min_length=2, max_length=10)] | None = None

    def to_draft(self) -> CampaignDraft:
        return CampaignDraft(
            name=f"quick send to {self.number}",
            channel=self.channel,
            category=self.category,
            audio_id=self.audio_id,
            tts_text=self.tts_text,
            sms_text=self.sms_text,
            sender=self.sender,
            recipients=[self.number],
            vote=self.vote,
            language=self.language,
        )
