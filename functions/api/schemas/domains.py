"""White-label domains (R-ACC-6; SPEC §14)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from functions.api.schemas.common import Request, Shape, Timestamp
from jarchi.accounts.models import Account
from jarchi.domains.models import Domain


class DomainCreate(Request):
    name: Annotated[str, Field(min_length=4, max_length=253)]
    hosted_zone_id: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^(/hostedzone/)?[A-Z0-9]+$")] | None = (
        None
    )


class DnsRecordOut(Shape):
    name: str
    type: str
    value: str


class DnsTargetOut(Shape):
    type: Literal["ALIAS", "CNAME"]
    value: str


class DomainOut(Shape):
    id: str
    name: str
    account_id: str
    status: str
    created_at: Timestamp
    hosted_zone_id: str | None
    validation_records: list[DnsRecordOut]
    target: DnsTargetOut | None  # null until the certificate is issued and the custom domain exists
    failure: str | None

    @classmethod
    def of(cls, domain: Domain) -> DomainOut:
        target = domain.target
        return cls(
            id=domain.id,
            name=domain.name,
            account_id=domain.account_id,
            status=domain.status.value,
            created_at=domain.created_at,
            hosted_zone_id=domain.hosted_zone_id,
            validation_records=[
                DnsRecordOut(name=r.name, type=r.type, value=r.value) for r in domain.validation_records
            ],
            target=DnsTargetOut(type=target.type, value=target.value) if target else None,
            failure=domain.failure,
        )


class DomainPage(Shape):
    items: list[DomainOut]
    next_cursor: str | None


class BrandOut(Shape):
    name: str
    reseller_id: str | None  # None: the platform's own brand

    @classmethod
    def of(cls, reseller: Account | None) -> BrandOut:
        if reseller is None:
            return cls(name=PLATFORM_BRAND, reseller_id=None)
        return cls(name=reseller.name, reseller_id=reseller.id)


PLATFORM_BRAND = "Jarchi"
