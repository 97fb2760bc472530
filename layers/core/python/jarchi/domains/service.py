"""Reseller white-label domains (R-ACC-6; SPEC §14): register, follow the certificate, answer the DNS to set,
and tell which reseller a request's `Host` belongs to.

Decisions where the spec is silent:

- Only resellers (level 1 or 2) register domains, for themselves; admin may register for the platform
  itself. Others: 403 `resellers_only`. A name is one host name (`api.example.com`, lower-cased, no
  wildcard); one registration per name across the platform (409 `domain_taken`).
- The API Gateway custom domain is created as soon as ACM has issued the certificate (AWS refuses a
  custom domain on a pending one): at registration if it is issued already, else by the background step.
  Until then `target` is null and the answer says what to set for validation.
- With `hosted_zone_id` (a Route53 zone of ours, or one granted to us, whose name is the domain or a parent
  of it), we write the validation CNAMEs into it at once and the A/AAAA alias records once the custom domain
  exists: `target.type` is `ALIAS`. Without it the reseller sets the validation records and a CNAME (or an
  ANAME at a DNS host without aliases) to `target.value`: `target.type` is `CNAME`.
- The background step (`refresh_pending`, run by the `domains` function on a schedule, and by a read of the
  domain) moves `pending_validation` to `active` when ACM says ISSUED, or to `failed` when ACM gives up or
  72 h on the platform clock have passed (`failure` says which).
- A host is attributed to its reseller only while its domain is `active`; `GET /v1/brand` answers that
  brand without a token, and every API answer on that host carries `Jarchi-Brand: <reseller id>`.
"""

from __future__ import annotations

import re
from dataclasses import replace

from jarchi import clock
from jarchi.accounts.models import Account, Caller
from jarchi.accounts.ports import AccountRepository
from jarchi.accounts.service import listed_account_id, require_owned
from jarchi.domains.models import DnsTarget, Domain, DomainStatus
from jarchi.domains.ports import DomainProvisioner, DomainRepository
from jarchi.errors import Conflict, Forbidden, NotFound, Unprocessable
from jarchi.ports import resolve

_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
_HOST = re.compile(rf"^(?=.{{4,253}}$){_LABEL}(\.{_LABEL})+$")
GIVEN_UP = frozenset({"FAILED", "VALIDATION_TIMED_OUT", "REVOKED", "EXPIRED", "INACTIVE"})


def _ports(
    domains: DomainRepository | None, provisioner: DomainProvisioner | None
) -> tuple[DomainRepository, DomainProvisioner]:
    return domains or resolve(DomainRepository), provisioner or resolve(DomainProvisioner)


def clean_name(name: str) -> str:
    cleaned = name.strip().lower().rstrip(".")
    if not _HOST.match(cleaned) or cleaned.rsplit(".", 1)[-1].isdigit():
        raise Unprocessable("invalid_domain", f"{name!r} is not a host name such as api.example.com")
    return cleaned


def _zone_covers(zone: str, name: str) -> bool:
    return name == zone or name.endswith("." + zone)


def register_domain(
    caller: Caller,
    name: str,
    hosted_zone_id: str | None = None,
    *,
    domains: DomainRepository | None = None,
    provisioner: DomainProvisioner | None = None,
) -> Domain:
    """`POST /v1/domains`: request the certificate, record the domain, provision what can be now."""
    if not (caller.account.type.is_reseller or caller.account.is_admin):
        raise Forbidden("resellers_only", "only resellers register white-label domains")
    repository, aws = _ports(domains, provisioner)
    host = clean_name(name)
    if hosted_zone_id is not None:
        zone = aws.zone_name(hosted_zone_id)
        if zone is None:
            raise Unprocessable("hosted_zone_not_found", f"no hosted zone {hosted_zone_id!r} granted to the platform")
        if not _zone_covers(zone, host):
            raise Unprocessable("hosted_zone_mismatch", f"{host} is not in the zone {zone}")
    if repository.get(host) is not None:
        raise Conflict("domain_taken", f"{host} is registered already")
    domain = Domain(
        id=host,  # one registration per name: the name is the id (`GET /v1/domains/api.example.com`)
        name=host,
        account_id=caller.account_id,
        status=DomainStatus.PENDING_VALIDATION,
        created_at=clock.now(),
        certificate_arn=aws.request_certificate(host),
        hosted_zone_id=hosted_zone_id,
    )
    if not repository.create(domain):
        raise Conflict("domain_taken", f"{host} is registered already")
    return _advance(domain, repository, aws)


def _with_validation(domain: Domain, aws: DomainProvisioner) -> Domain:
    """The validation records, once ACM has them (written into a granted zone at once)."""
    if domain.validation_records:
        return domain
    records = aws.validation_records(domain.certificate_arn)
    if records and domain.hosted_zone_id:
        aws.publish_validation(domain.hosted_zone_id, records)
    return replace(domain, validation_records=tuple(records)) if records else domain


def _activated(domain: Domain, aws: DomainProvisioner) -> Domain:
    """The custom domain, mapping and alias records of an issued certificate: the domain active."""
    target = aws.create_custom_domain(domain.name, domain.certificate_arn)
    if target is None:
        return domain
    if domain.hosted_zone_id:
        aws.publish_alias(domain.hosted_zone_id, domain.name, target)
        target = DnsTarget("ALIAS", domain.name, target.hosted_zone_id)
    return replace(domain, status=DomainStatus.ACTIVE, target=target)


def _advance(domain: Domain, repository: DomainRepository, aws: DomainProvisioner) -> Domain:
    """Whatever can be done now for a pending domain; saved when it changed."""
    if domain.status is not DomainStatus.PENDING_VALIDATION:
        return domain
    updated = _with_validation(domain, aws)
    status = aws.certificate_status(domain.certificate_arn)
    if status == "ISSUED":
        updated = _activated(updated, aws)
    elif status in GIVEN_UP:
        updated = replace(updated, status=DomainStatus.FAILED, failure=f"certificate_{status.lower()}")
    elif domain.overdue(clock.now()):
        updated = replace(updated, status=DomainStatus.FAILED, failure="validation_timed_out")
    if updated != domain:
        repository.save(updated)
    return updated


def refresh_pending(
    *, domains: DomainRepository | None = None, provisioner: DomainProvisioner | None = None
) -> dict[str, int]:
    """The background step: every pending domain advanced; how many ended in each status."""
    repository, aws = _ports(domains, provisioner)
    counts = {status.value: 0 for status in DomainStatus}
    for domain in repository.pending():
        counts[_advance(domain, repository, aws).status.value] += 1
    return counts


def _visible(caller: Caller, domain_id: str, repository: DomainRepository) -> Domain:
    return require_owned(caller, repository.by_id(domain_id), "domain", domain_id)


def get_domain(
    caller: Caller,
    domain_id: str,
    *,
    domains: DomainRepository | None = None,
    provisioner: DomainProvisioner | None = None,
) -> Domain:
    """A domain the caller may see, advanced first if it is still pending."""
    repository, aws = _ports(domains, provisioner)
    return _advance(_visible(caller, domain_id, repository), repository, aws)


def list_domains(
    caller: Caller,
    account_id: str | None,
    limit: int,
    cursor: str | None,
    *,
    domains: DomainRepository | None = None,
) -> tuple[list[Domain], str | None]:
    owner = listed_account_id(caller, account_id)
    return (domains or resolve(DomainRepository)).list_for_account(owner, limit, cursor)


def delete_domain(
    caller: Caller,
    domain_id: str,
    *,
    domains: DomainRepository | None = None,
    provisioner: DomainProvisioner | None = None,
) -> None:
    repository, aws = _ports(domains, provisioner)
    domain = _visible(caller, domain_id, repository)
    aws.remove(domain)
    repository.delete(domain.name)


def brand_for_host(
    host: str | None, *, domains: DomainRepository | None = None, accounts: AccountRepository | None = None
) -> Account | None:
    """The reseller whose active domain `host` is (a port after the name is ignored), else None."""
    if not host:
        return None
    name = host.split(":", 1)[0].strip().lower().rstrip(".")
    plausible = _HOST.match(name) and not name.rsplit(".", 1)[-1].isdigit()  # not an IP address
    domain = (domains or resolve(DomainRepository)).get(name) if plausible else None
    if domain is None or domain.status is not DomainStatus.ACTIVE:
        return None
    account = (accounts or resolve(AccountRepository)).get(domain.account_id)
    if account is None:
        raise NotFound.of("account", domain.account_id)
    return account
