"""Exports and webhooks (SPEC §14, R-REP-3)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field

from functions.api.schemas.common import Request, Shape
from jarchi.clock import iso

if TYPE_CHECKING:
    from jarchi.reports.ports import Delivery, ExportRecord, Webhook

EventType = Literal["campaign.status", "recipient.result", "sms.delivery", "recipient.callback"]


class ExportQueued(Shape):
    """202: the export runs in the background; poll `GET /v1/exports/{export_id}`."""

    export_id: str
    status: str


class ExportOut(Shape):
    id: str
    export_id: str
    campaign_id: str
    format: str
    status: str  # queued | running | ready | failed
    rows: int | None
    created_at: str
    finished_at: str | None
    url: str | None  # presigned, short-lived, once ready
    error: str | None

    @classmethod
    def of(cls, record: ExportRecord, url: str | None) -> ExportOut:
        return cls(
            id=record.id,
            export_id=record.id,
            campaign_id=record.campaign_id,
            format=record.format.value,
            status=record.status.value,
            rows=record.rows,
            created_at=iso(record.created_at),
            finished_at=iso(record.finished_at) if record.finished_at else None,
            url=url,
            error=record.error,
        )


class WebhookBody(Request):
    url: Annotated[str, Field(min_length=8, max_length=2048, examples=["https://example.com/jarchi"])]
    events: Annotated[list[EventType], Field(min_length=1, max_length=4)]


class WebhookOut(Shape):
    id: str
    url: str
    events: list[str]
    created_at: str
    secret: str | None = None  # only in the answer to its creation

    @classmethod
    def of(cls, webhook: Webhook, *, with_secret: bool = False) -> WebhookOut:
        return cls(
            id=webhook.id,
            url=webhook.url,
            events=list(webhook.events),
            created_at=iso(webhook.created_at),
            secret=webhook.secret if with_secret else None,
        )


class WebhookPage(Shape):
    items: list[WebhookOut]
    next_cursor: str | None


class DeliveryOut(Shape):
    event_id: str
    event_type: str
    status: str  # delivered | retrying | dead_lettered
    attempts: int
    first_at: str
    last_at: str
    response_status: int | None
    error: str | None
    next_at: str | None

    @classmethod
    def of(cls, delivery: Delivery) -> DeliveryOut:
        return cls(
            event_id=delivery.event_id,
            event_type=delivery.event_type,
            status=delivery.status.value,
            attempts=delivery.attempts,
            first_at=iso(delivery.first_at),
            last_at=iso(delivery.last_at),
            response_status=delivery.response_status,
            error=delivery.error,
            next_at=iso(delivery.next_at) if delivery.next_at else None,
        )


class DeliveryPage(Shape):
    items: list[DeliveryOut]
    next_cursor: str | None


class TimelineEventOut(Shape):
    at: str | None
    event: str
    part: int
    detail: dict[str, str | int | None]


class TimelineOut(Shape):
    number: str
    status: str
    timeline: list[TimelineEventOut]
