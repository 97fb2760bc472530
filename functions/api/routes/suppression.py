"""Suppression lists: the account's stop list, the telecom blacklist (admin), the ad opt-out list (admin)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from functions.api.auth import current_caller
from functions.api.schemas.suppression import (
    BlacklistImportOut,
    BlacklistUploadOut,
    ImportOut,
    ListedNumberOut,
    ListedNumberPage,
    NumbersBody,
    RemovalOut,
)
from jarchi.lists import imports, suppression

router = Router()
Limit = Annotated[int, Query(ge=1, le=200)]


@router.get("/stop-list", tags=["suppression"], summary="The caller's stop list, by number")
def list_stop_list(limit: Limit = 50, cursor: str | None = None) -> ListedNumberPage:
    items, next_cursor = suppression.stop_list_page(current_caller(), limit, cursor)
    return ListedNumberPage(items=[ListedNumberOut.of(e) for e in items], next_cursor=next_cursor)


@router.post("/stop-list", status_code=201, tags=["suppression"], summary="Add numbers or a file to the stop list")
def add_to_stop_list(body: NumbersBody) -> ImportOut:
    return ImportOut.of(suppression.add_to_stop_list(current_caller(), body.given()))


@router.delete("/stop-list", tags=["suppression"], summary="Take numbers off the stop list")
def remove_from_stop_list(body: NumbersBody) -> RemovalOut:
    return RemovalOut.of(suppression.remove_from_stop_list(current_caller(), body.given()))


@router.post("/blacklist", status_code=201, tags=["suppression"], summary="Import the telecom blacklist (admin)")
def import_blacklist(body: NumbersBody) -> ImportOut:
    return ImportOut.of(suppression.import_blacklist(current_caller(), body.given()))


@router.post(
    "/blacklist/imports",
    status_code=201,
    tags=["suppression"],
    summary="A presigned upload for a big blacklist file (admin)",
    description="PUT the file (text, or CSV with the number first) to `upload_url`, then start the import. "
    "403 `admin_only`.",
)
def create_blacklist_import() -> BlacklistUploadOut:
    return BlacklistUploadOut.of(imports.create_import(current_caller()))


@router.post(
    "/blacklist/imports/<import_id>/start",
    status_code=202,
    tags=["suppression"],
    summary="Import the uploaded blacklist file in the background (admin)",
    description="409 `upload_incomplete` (nothing uploaded yet), `import_already_started`; 413 `list_too_large`; "
    "404 `import_not_found`; 403 `admin_only`.",
)
def start_blacklist_import(import_id: str) -> BlacklistImportOut:
    return BlacklistImportOut.of(imports.start_import(current_caller(), import_id))


@router.get(
    "/blacklist/imports/<import_id>",
    tags=["suppression"],
    summary="A blacklist import's progress (admin)",
    description="404 `import_not_found`; 403 `admin_only`.",
)
def get_blacklist_import(import_id: str) -> BlacklistImportOut:
    return BlacklistImportOut.of(imports.import_status(current_caller(), import_id))


@router.get("/opt-outs/<number>", tags=["suppression"], summary="When and why a number opted out of ads (admin)")
def get_opt_out(number: str) -> ListedNumberOut:
    return ListedNumberOut.of(suppression.opt_out_entry(current_caller(), number))


@router.delete("/opt-outs/<number>", status_code=204, tags=["suppression"], summary="Remove an opt-out (admin)")
def remove_opt_out(number: str) -> None:
    suppression.remove_opt_out(current_caller(), number)
