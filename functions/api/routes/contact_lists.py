"""Contact lists: inline numbers, a file, or a presigned upload for big files (R-LST-1..4)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from functions.api.auth import current_caller
from functions.api.schemas.audio import decode_base64
from functions.api.schemas.contact_lists import (
    CleanOut,
    ContactListClean,
    ContactListCreate,
    ContactListDetail,
    ContactListOut,
    ContactListPage,
    ContactListRename,
    ListNumberOut,
    ListNumberPage,
    ListNumbersBody,
    NumbersAddedOut,
    NumbersRemovedOut,
    UploadCreate,
    UploadOut,
)
from jarchi.audiences import editing, service
from jarchi.audiences.service import NewContactList
from jarchi.reports.list_cleaning import clean_contact_list

router = Router()
Limit = Annotated[int, Query(ge=1, le=200)]


@router.post("/contact-lists", status_code=201, tags=["contact lists"], summary="Create a list")
def create_contact_list(body: ContactListCreate) -> ContactListOut:
    file = body.file
    data = decode_base64(file.content_base64, "file.content_base64") if file is not None else None
    request = NewContactList(body.name, numbers=body.numbers, file_name=file.name if file else None, data=data)
    return ContactListOut.of(service.create_contact_list(current_caller(), request))


@router.post("/contact-lists/uploads", status_code=201, tags=["contact lists"], summary="Presigned upload URL")
def create_upload(body: UploadCreate) -> UploadOut:
    return UploadOut.of(service.create_upload(current_caller(), body.name, body.file_name))


@router.post(
    "/contact-lists/uploads/<upload_id>/complete", status_code=201, tags=["contact lists"], summary="Parse upload"
)
def complete_upload(upload_id: str) -> ContactListOut:
    return ContactListOut.of(service.complete_upload(current_caller(), upload_id))


@router.get("/contact-lists", tags=["contact lists"], summary="The caller's lists, newest first")
def list_contact_lists(account_id: str | None = None, limit: Limit = 50, cursor: str | None = None) -> ContactListPage:
    items, next_cursor = service.list_contact_lists(current_caller(), account_id, limit, cursor)
    return ContactListPage(items=[ContactListOut.of(x) for x in items], next_cursor=next_cursor)


@router.get("/contact-lists/<list_id>", tags=["contact lists"], summary="A list with a page of its numbers")
def get_contact_list(list_id: str, limit: Limit = 50, cursor: str | None = None) -> ContactListDetail:
    contact_list, views, next_cursor = service.recipients_page(current_caller(), list_id, limit, cursor)
    return ContactListDetail.with_page(contact_list, views, next_cursor)


@router.get("/contact-lists/<list_id>/recipients", tags=["contact lists"], summary="A page of the list's numbers")
def list_recipients(list_id: str, limit: Limit = 50, cursor: str | None = None) -> ListNumberPage:
    _, views, next_cursor = service.recipients_page(current_caller(), list_id, limit, cursor)
    return ListNumberPage(items=[ListNumberOut.of(v) for v in views], next_cursor=next_cursor)


@router.patch(
    "/contact-lists/<list_id>",
    tags=["contact lists"],
    summary="Rename a list",
    description="409 `contact_list_changed` when another edit keeps winning; 422 `invalid_name`.",
)
def rename_contact_list(list_id: str, body: ContactListRename) -> ContactListOut:
    return ContactListOut.of(editing.rename_contact_list(current_caller(), list_id, body.name))


@router.delete(
    "/contact-lists/<list_id>",
    status_code=204,
    tags=["contact lists"],
    summary="Delete a list (campaigns created from it keep their audience)",
)
def delete_contact_list(list_id: str) -> None:
    editing.delete_contact_list(current_caller(), list_id)


@router.post(
    "/contact-lists/<list_id>/numbers",
    tags=["contact lists"],
    summary="Add numbers or a file to a list",
    description="Read like an upload: the same normalisation, line report and de-duplication (against the list "
    "too). 400 `list_empty`, `list_format_unsupported`, `list_unreadable`, `too_many_recipients`; 413 "
    "`list_too_large`; 409 `contact_list_changed`; 422 `numbers_required`.",
)
def add_numbers(list_id: str, body: ListNumbersBody) -> NumbersAddedOut:
    return NumbersAddedOut.of(editing.add_numbers(current_caller(), list_id, body.given()))


@router.delete(
    "/contact-lists/<list_id>/numbers",
    tags=["contact lists"],
    summary="Take numbers off a list",
    description="400 `list_empty`; 409 `contact_list_changed`; 422 `numbers_required`.",
)
def remove_numbers(list_id: str, body: ListNumbersBody) -> NumbersRemovedOut:
    return NumbersRemovedOut.of(editing.remove_numbers(current_caller(), list_id, body.given()))


@router.post(
    "/contact-lists/<list_id>/clean",
    tags=["contact lists"],
    summary="Drop the numbers a campaign could not reach",
    description="Drops every number whose last result in the campaign is one of `reasons` (default invalid, "
    "undelivered, blacklisted, opted_out). 404 `campaign_not_found`; 422 `invalid_reasons`, "
    "`campaign_of_another_account`; 409 `contact_list_changed`.",
)
def clean(list_id: str, body: ContactListClean) -> CleanOut:
    report = clean_contact_list(current_caller(), list_id, body.campaign_id, body.reasons)
    return CleanOut.of(body.campaign_id, report)
