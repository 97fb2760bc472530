"""Campaigns and quick send (R-CMP-1..4, R-CMP-7).

Reads use `jarchi.campaigns.queries`; the routes that change a campaign import `jarchi.campaigns.service` (the
draft, window and number rules, billing) when first called, so a cold start on a read does not load them (issue 10)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from aws_lambda_powertools.event_handler import content_types
from aws_lambda_powertools.event_handler.api_gateway import Response, Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Query

from functions.api.auth import current_caller
from functions.api.schemas.campaign_views import (
    ActionBody,
    CampaignModerationBody,
    CampaignOut,
    CampaignPage,
    CampaignPatch,
    QuickSendBody,
    RecipientOut,
    RecipientPage,
    RecordingOut,
    RecordingPage,
    RestrictedPeriodBody,
    RestrictedPeriodOut,
    RestrictedPeriodPage,
)
from functions.api.schemas.campaigns import CampaignBody
from jarchi.campaigns import queries
from jarchi.campaigns.listing import CampaignFilter
from jarchi.campaigns.statuses import CampaignStatus

router = Router()
Limit = Annotated[int, Query(ge=1, le=200)]


@router.post("/campaigns", status_code=201, tags=["campaigns"], summary="Create a campaign and reserve its cost")
def create_campaign(body: CampaignBody) -> CampaignOut:
    from jarchi.campaigns import service

    return CampaignOut.of(service.create_campaign(current_caller(), body.to_draft()))


@router.get("/campaigns", tags=["campaigns"], summary="Campaigns, newest first (archived ones with archived=true)")
def list_campaigns(
    account_id: str | None = None,
    limit: Limit = 50,
    cursor: str | None = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    status: CampaignStatus | None = None,
    tag: Annotated[str | None, Query(max_length=40)] = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    archived: bool | None = None,
) -> CampaignPage:
    filters = CampaignFilter(
        q=q, status=status, tag=tag, created_from=created_from, created_to=created_to, archived=archived
    )
    items, next_cursor = queries.list_campaigns(current_caller(), account_id, limit, cursor, filters)
    return CampaignPage(items=[CampaignOut.of(i) for i in items], next_cursor=next_cursor)


@router.get(
    "/campaigns/<campaign_id>",
    tags=["campaigns"],
    summary="One campaign: status, history, stats, cost, speed, the audio to listen to (tz=account: local times)",
)
def get_campaign(campaign_id: str, tz: Literal["utc", "account"] = "utc") -> CampaignOut:
    from jarchi.content.audio_service import listen_url
    from jarchi.reports import views

    caller = current_caller()
    campaign = queries.visible_campaign(caller, campaign_id)
    zone = views.owner_zone(caller, campaign) if tz == "account" else None
    return CampaignOut.of(campaign, zone=zone, audio_url=listen_url(campaign.content.audio_key))


@router.patch(
    "/campaigns/<campaign_id>",
    tags=["campaigns"],
    summary="Edit: name, comment; text, sender, recipients, start, speed before sending (re-reserved)",
)
def edit_campaign(campaign_id: str, body: CampaignPatch) -> CampaignOut:
    from jarchi.campaigns import service

    return CampaignOut.of(service.edit_campaign(current_caller(), campaign_id, **body.model_dump(exclude_none=True)))


@router.get("/campaigns/<campaign_id>/recipients", tags=["campaigns"], summary="Per-recipient results")
def list_recipients(
    campaign_id: str,
    limit: Limit = 50,
    cursor: str | None = None,
    part: Annotated[int | None, Query(ge=0, le=1000)] = None,
    status: Annotated[str | None, Query(max_length=40)] = None,
    vote: Annotated[int | None, Query(ge=-1, le=99)] = None,
) -> RecipientPage:
    items, next_cursor = queries.recipients_page(
        current_caller(), campaign_id, limit=limit, cursor=cursor, part=part, status=status, vote=vote
    )
    return RecipientPage(items=[RecipientOut.of(i) for i in items], next_cursor=next_cursor)


@router.get(
    "/campaigns/<campaign_id>/recordings",
    tags=["campaigns"],
    summary="Call recordings of a campaign with record: true, with links valid 15 minutes (kept 90 days)",
)
def list_recordings(campaign_id: str, limit: Limit = 50, cursor: str | None = None) -> RecordingPage:
    from jarchi.campaigns import recording_service

    items, next_cursor = recording_service.recordings_page(current_caller(), campaign_id, limit=limit, cursor=cursor)
    return RecordingPage(items=[RecordingOut.of(i) for i in items], next_cursor=next_cursor)


@router.post(
    "/campaigns/<campaign_id>/moderation",
    tags=["campaigns"],
    summary="Accept, reject (refunded at once) or ask the owner (admin)",
)
def moderate_campaign(campaign_id: str, body: CampaignModerationBody) -> CampaignOut:
    from jarchi.campaigns import service

    campaign = service.moderate_campaign(current_caller(), campaign_id, body.decision, body.reason)
    return CampaignOut.of(campaign)


@router.get("/moderation/campaigns", tags=["campaigns"], summary="Campaigns waiting for review, oldest first (admin)")
def campaigns_awaiting_review(limit: Limit = 50, cursor: str | None = None) -> CampaignPage:
    items, next_cursor = queries.awaiting_review(current_caller(), limit, cursor)
    return CampaignPage(items=[CampaignOut.of(i) for i in items], next_cursor=next_cursor)


@router.post(
    "/campaigns/<campaign_id>/<action>",
    tags=["campaigns"],
    summary="start|pause|resume|stop|finish|archive|unarchive|reset|retry_failed|resume_unfinished|comment, "
    "or copy (201, the new campaign)",
    responses={
        200: {"description": "The campaign after the action"},
        201: {"description": "copy: the new campaign", "content": {"application/json": {"model": CampaignOut}}},
    },
)
def campaign_action(
    campaign_id: str, action: str, body: Annotated[ActionBody | None, Body()] = None
) -> Response[CampaignOut]:
    from jarchi.campaigns import service

    reason = body.reason if body is not None else None
    text = body.text if body is not None else None
    campaign, created = service.perform_action(current_caller(), campaign_id, action, reason, text=text)
    return Response(
        status_code=201 if created else 200, content_type=content_types.APPLICATION_JSON, body=CampaignOut.of(campaign)
    )


@router.post(
    "/restricted-periods", status_code=201, tags=["compliance"], summary="Close dates per country and category (admin)"
)
def add_restricted_period(body: RestrictedPeriodBody) -> RestrictedPeriodOut:
    from jarchi.compliance import restricted_service

    period = restricted_service.add_period(
        current_caller(),
        country=body.country,
        start=body.start,
        end=body.end,
        categories=body.categories,
        reason=body.reason,
    )
    return RestrictedPeriodOut.of(period)


@router.get("/restricted-periods", tags=["compliance"], summary="Restricted periods not over yet (admin)")
def list_restricted_periods(limit: Limit = 50, cursor: str | None = None) -> RestrictedPeriodPage:
    from jarchi.compliance import restricted_service

    periods, next_cursor = restricted_service.current_periods(current_caller(), limit, cursor)
    return RestrictedPeriodPage(items=[RestrictedPeriodOut.of(p) for p in periods], next_cursor=next_cursor)


@router.delete(
    "/restricted-periods/<period_id>",
    status_code=204,
    tags=["compliance"],
    summary="Remove a restricted period (admin)",
)
def delete_restricted_period(period_id: str) -> None:
    from jarchi.compliance import restricted_service

    restricted_service.delete_period(current_caller(), period_id)


@router.post("/quick-send", status_code=201, tags=["campaigns"], summary="One number, one message, now")
def quick_send(body: QuickSendBody) -> CampaignOut:
    from jarchi.campaigns import service

    return CampaignOut.of(service.create_campaign(current_caller(), body.to_draft(), quick_send=True))
