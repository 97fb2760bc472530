"""What white-label domains need from outside: their repository (`store/domains.py`) and the AWS side
(`aws/domains.py`: ACM, API Gateway custom domains, Route53)."""

from __future__ import annotations

from typing import Protocol

from jarchi.domains.models import DnsRecord, DnsTarget, Domain


class DomainRepository(Protocol):
    def create(self, domain: Domain) -> bool:
        """False, nothing written, when the name is registered already."""
        ...

    def get(self, name: str) -> Domain | None: ...

    def by_id(self, domain_id: str) -> Domain | None: ...

    def save(self, domain: Domain) -> None: ...

    def delete(self, name: str) -> None: ...

    def list_for_account(self, account_id: str, limit: int, cursor: str | None) -> tuple[list[Domain], str | None]: ...

    def pending(self) -> list[Domain]:
        """Every domain still waiting for its certificate (the background step's work list)."""
        ...


class DomainProvisioner(Protocol):
    def request_certificate(self, name: str) -> str:
        """A DNS-validated certificate for `name`; its ARN (the same one again for a repeated request)."""
        ...

    def validation_records(self, certificate_arn: str) -> list[DnsRecord]:
        """The CNAME records that prove the name (empty while ACM is still preparing them)."""
        ...

    def certificate_status(self, certificate_arn: str) -> str:
        """ACM's status: PENDING_VALIDATION, ISSUED, FAILED, VALIDATION_TIMED_OUT, …"""
        ...

    def zone_name(self, hosted_zone_id: str) -> str | None:
        """The zone's name (no trailing dot), or None when there is no such zone we may use."""
        ...

    def publish_validation(self, hosted_zone_id: str, records: list[DnsRecord]) -> None:
        """Put the validation records in a granted zone (ACM then validates by itself)."""
        ...

    def create_custom_domain(self, name: str, certificate_arn: str) -> DnsTarget | None:
        """API Gateway's regional custom domain for `name`, mapped to the platform's API stage; None while the
        certificate is not issued (AWS refuses it then). Repeating it is harmless."""
        ...

    def publish_alias(self, hosted_zone_id: str, name: str, target: DnsTarget) -> None:
        """A and AAAA alias records for `name` to the custom domain."""
        ...

    def remove(self, domain: Domain) -> None:
        """Undo what was provisioned (mapping, custom domain, alias records, certificate); gone is fine."""
        ...
