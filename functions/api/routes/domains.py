"""Reseller white-label domains and the brand a request's host belongs to (R-ACC-6)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Response, Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from functions.api.auth import current_caller
from functions.api.brand import BRAND_HEADER, forget_brands
from functions.api.schemas.domains import BrandOut, DomainCreate, DomainOut, DomainPage
from jarchi.domains import service

router = Router()
Limit = Annotated[int, Query(ge=1, le=200)]


@router.post("/domains", status_code=201, tags=["domains"], summary="Register a white-label domain (resellers)")
def register_domain(body: DomainCreate) -> DomainOut:
    registered = service.register_domain(current_caller(), body.name, body.hosted_zone_id)
    forget_brands()
    return DomainOut.of(registered)


@router.get("/domains", tags=["domains"], summary="The caller's domains, newest first")
def list_domains(account_id: str | None = None, limit: Limit = 50, cursor: str | None = None) -> DomainPage:
    items, next_cursor = service.list_domains(current_caller(), account_id, limit, cursor)
    return DomainPage(items=[DomainOut.of(d) for d in items], next_cursor=next_cursor)


@router.get("/domains/<domain_id>", tags=["domains"], summary="One domain: status, DNS records to set")
def get_domain(domain_id: str) -> DomainOut:
    return DomainOut.of(service.get_domain(current_caller(), domain_id))


@router.delete("/domains/<domain_id>", status_code=204, tags=["domains"], summary="Remove a domain")
def delete_domain(domain_id: str) -> None:
    service.delete_domain(current_caller(), domain_id)
    forget_brands()


@router.get("/brand", tags=["domains"], summary="The brand of the host this request arrived on (no token)")
def get_brand() -> Response[BrandOut]:
    brand = BrandOut.of(service.brand_for_host(router.current_event.headers.get("host")))
    headers = {BRAND_HEADER: brand.reseller_id} if brand.reseller_id else {}
    return Response(200, "application/json", brand, headers=headers)
