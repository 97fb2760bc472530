"""Contact lists: inline numbers, a file, or a presigned upload for big files (R-LST-1..4)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from functions.api.auth import current_caller
from functions.api.schemas.audio import decode_base64
from functions.api.schemas.contact_lists import (
    ContactListCreate,
    ContactListDetail,
    ContactListOut,
    ContactListPage,
    ListNumberOut,
    ListNumberPage,
    UploadCreate,
    UploadOut,
)
from jarchi.audiences import service
from jarchi.audiences.service import NewContactList

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
