"""Exports and webhooks (R-REP-3, SPEC §14).

The campaigns' first segment loads this router too: the export and webhook services are imported by the routes
that use them, so a cold start on another campaign route does not load them (issue 10)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from aws_lambda_powertools.event_handler import content_types
from aws_lambda_powertools.event_handler.api_gateway import Response, Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from functions.api.auth import current_caller
from functions.api.schemas.reports import (
    DeliveryOut,
    DeliveryPage,
    ExportOut,
    ExportQueued,
    TimelineEventOut,
    TimelineOut,
    WebhookBody,
    WebhookOut,
    WebhookPage,
)
from jarchi.clock import iso
from jarchi.reports.files import FileFormat

if TYPE_CHECKING:
    from jarchi.reports.exports import ExportFile
    from jarchi.reports.ports import ExportRecord

router = Router()


_FILE: dict[str, str] = {"type": "string", "format": "binary"}
EXPORT_RESPONSES: dict[int, Any] = {
    200: {
        "description": "The file (Content-Disposition: attachment)",
        "content": {
            FileFormat.CSV.content_type: {"schema": {"type": "string"}},  # text (UTF-8 with a BOM)
            FileFormat.XLSX.content_type: {"schema": _FILE},
        },
    },
    202: {"description": "Queued", "content": {"application/json": {"model": ExportQueued}}},
}


def export_answer(result: ExportFile | ExportRecord) -> Response[Any]:
    """The file itself (200), or where to ask for it (202)."""
    from jarchi.reports.exports import ExportFile

    if isinstance(result, ExportFile):
        return Response(
            status_code=200,
            content_type=result.content_type,
            body=result.data,
            headers={"Content-Disposition": f'attachment; filename="{result.filename}"'},
        )
    return Response(
        status_code=202,
        content_type=content_types.APPLICATION_JSON,
        body=ExportQueued(export_id=result.id, status=result.status.value),
    )


@router.get(
    "/campaigns/<campaign_id>/export",
    tags=["reports"],
    summary="The recipients as CSV or Excel: the file up to 10,000 rows, else 202 and a background export",
    responses=EXPORT_RESPONSES,
)
def export_campaign(campaign_id: str, format: FileFormat = FileFormat.CSV):  # type: ignore[no-untyped-def]
    # No return annotation: Powertools would serialise the file's bytes as JSON (`responses` documents both).
    from jarchi.reports import exports

    return export_answer(exports.export_campaign(current_caller(), campaign_id, format))


@router.get("/exports/<export_id>", tags=["reports"], summary="A background export: status, and its URL once ready")
def get_export(export_id: str) -> ExportOut:
    from jarchi.reports import exports

    record, url = exports.export_status(current_caller(), export_id)
    return ExportOut.of(record, url)


@router.post("/webhooks", status_code=201, tags=["webhooks"], summary="Register a webhook; its secret is shown once")
def register_webhook(body: WebhookBody) -> WebhookOut:
    from jarchi.reports import webhooks

    return WebhookOut.of(webhooks.register(current_caller(), body.url, body.events), with_secret=True)


@router.get("/webhooks", tags=["webhooks"], summary="The account's webhooks")
def list_webhooks() -> WebhookPage:
    from jarchi.reports import webhooks

    return WebhookPage(items=[WebhookOut.of(w) for w in webhooks.list_webhooks(current_caller())], next_cursor=None)


@router.delete("/webhooks/<webhook_id>", status_code=204, tags=["webhooks"], summary="Delete a webhook")
def delete_webhook(webhook_id: str) -> None:
    from jarchi.reports import webhooks

    webhooks.delete_webhook(current_caller(), webhook_id)


@router.get(
    "/webhooks/<webhook_id>/deliveries",
    tags=["webhooks"],
    summary="Each event's delivery: delivered, retrying (with the next try) or dead_lettered after 24 h",
)
def list_deliveries(
    webhook_id: str, limit: Annotated[int, Query(ge=1, le=200)] = 50, cursor: str | None = None
) -> DeliveryPage:
    from jarchi.reports import webhooks

    items, next_cursor = webhooks.deliveries(current_caller(), webhook_id, limit, cursor)
    return DeliveryPage(items=[DeliveryOut.of(d) for d in items], next_cursor=next_cursor)


@router.get(
    "/campaigns/<campaign_id>/recipients/<number>",
    tags=["reports"],
    summary="One recipient's timeline: admitted, placed, result, vote, delivery report, charge (every part)",
)
def recipient_timeline(campaign_id: str, number: str) -> TimelineOut:
    from jarchi.reports import views

    status, events = views.recipient_timeline(current_caller(), campaign_id, number)
    return TimelineOut(
        number=number,
        status=status,
        timeline=[
            TimelineEventOut(at=iso(e.at) if e.at else None, event=e.event, part=e.part, detail=e.detail)
            for e in events
        ],
    )
