"""A reseller's own API domain and what DNS must say for it (R-ACC-6; SPEC §14 `POST /v1/domains`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

VALIDATION_DEADLINE: Final = timedelta(hours=72)  # ACM gives up on DNS validation after 72 h too


class DomainStatus(StrEnum):
    PENDING_VALIDATION = "pending_validation"
    ACTIVE = "active"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class DnsRecord:
    name: str
    type: str
    value: str


@dataclass(frozen=True, slots=True)
class DnsTarget:
    """Where the name must point: `ALIAS` (we created A/AAAA alias records in the granted zone) or `CNAME`
    (the reseller sets it, or an ANAME at a DNS host without aliases). `value` is the API Gateway regional
    domain name; `hosted_zone_id` is API Gateway's zone for an alias."""

    type: str
    value: str
    hosted_zone_id: str | None = None


@dataclass(frozen=True, slots=True)
class Domain:
    id: str
    name: str  # lower case, no trailing dot
    account_id: str  # the reseller
    status: DomainStatus
    created_at: datetime
    certificate_arn: str
    hosted_zone_id: str | None = None
    validation_records: tuple[DnsRecord, ...] = ()
    target: DnsTarget | None = None  # known once API Gateway's custom domain exists
    failure: str | None = None

    def overdue(self, now: datetime) -> bool:
        return self.status is DomainStatus.PENDING_VALIDATION and now - self.created_at >= VALIDATION_DEADLINE
