"""The `domains` table (R-ACC-6): key = the host name, `by_account` for a reseller's list."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.attributes import JSONAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from jarchi.domains.models import DnsRecord, DnsTarget, Domain, DomainStatus
from jarchi.store.base import decode_cursor, encode_cursor, table_meta
from jarchi.store.tables import DOMAINS


class _ByAccount(GlobalSecondaryIndex["DomainItem"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "by_account"
        projection = AllProjection()

    account_id = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class DomainItem(Model):
    Meta = table_meta(DOMAINS)
    domain = UnicodeAttribute(hash_key=True)
    id = UnicodeAttribute()
    account_id = UnicodeAttribute()
    created_at = UnicodeAttribute()
    status = UnicodeAttribute()
    certificate_arn = UnicodeAttribute()
    hosted_zone_id = UnicodeAttribute(null=True)
    validation_records = JSONAttribute(null=True)  # [[name, type, value], …]
    target = JSONAttribute(null=True)  # [type, value, hosted_zone_id]
    failure = UnicodeAttribute(null=True)
    by_account = _ByAccount()


def _to_domain(item: DomainItem) -> Domain:
    target: Any = item.target
    return Domain(
        id=item.id,
        name=item.domain,
        account_id=item.account_id,
        status=DomainStatus(item.status),
        created_at=datetime.fromisoformat(item.created_at),
        certificate_arn=item.certificate_arn,
        hosted_zone_id=item.hosted_zone_id,
        validation_records=tuple(DnsRecord(*r) for r in item.validation_records or ()),
        target=DnsTarget(*target) if target else None,
        failure=item.failure,
    )


def _item(domain: Domain) -> DomainItem:
    target = domain.target
    return DomainItem(
        domain.name,
        id=domain.id,
        account_id=domain.account_id,
        created_at=domain.created_at.isoformat(),
        status=domain.status.value,
        certificate_arn=domain.certificate_arn,
        hosted_zone_id=domain.hosted_zone_id,
        validation_records=[[r.name, r.type, r.value] for r in domain.validation_records],
        target=[target.type, target.value, target.hosted_zone_id] if target else None,
        failure=domain.failure,
    )


class DynamoDomains:
    def create(self, domain: Domain) -> bool:
        try:
            _item(domain).save(condition=DomainItem.domain.does_not_exist())
        except PutError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def get(self, name: str) -> Domain | None:
        try:
            return _to_domain(DomainItem.get(name, consistent_read=True))
        except DomainItem.DoesNotExist:
            return None

    def by_id(self, domain_id: str) -> Domain | None:
        return self.get(domain_id)  # a domain's id is its name

    def save(self, domain: Domain) -> None:
        _item(domain).save()

    def delete(self, name: str) -> None:
        DomainItem(name).delete()

    def list_for_account(self, account_id: str, limit: int, cursor: str | None) -> tuple[list[Domain], str | None]:
        result = DomainItem.by_account.query(
            account_id, limit=limit, last_evaluated_key=decode_cursor(cursor), scan_index_forward=False
        )
        items = [_to_domain(item) for item in result]
        return items, encode_cursor(result.last_evaluated_key)

    def pending(self) -> list[Domain]:
        return [
            _to_domain(item) for item in DomainItem.scan(DomainItem.status == DomainStatus.PENDING_VALIDATION.value)
        ]
