"""White-label domains on AWS (`jarchi.domains.ports.DomainProvisioner`): ACM certificates with DNS
validation, API Gateway regional custom domains mapped to the platform's REST API stage, Route53 records
in a granted zone. Tested against moto (ACM, API Gateway, Route53); moto issues a pending certificate by
itself after `MOTO_ACM_VALIDATION_WAIT` real seconds instead of checking DNS."""

from __future__ import annotations

import hashlib
from typing import Any

import boto3
from botocore.exceptions import ClientError

from jarchi.domains.models import DnsRecord, DnsTarget, Domain
from jarchi.errors import Unprocessable
from jarchi.settings import get_settings

ROOT_MAPPING = "(none)"
_NAME_REFUSED = frozenset({"ValidationException", "InvalidDomainValidationOptionsException"})


def _not_found(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") in {
        "NotFoundException",
        "ResourceNotFoundException",
        "NoSuchHostedZone",
    }


class AwsDomainProvisioner:
    def __init__(self, region: str, rest_api_id: str, stage: str) -> None:
        self.acm: Any = boto3.client("acm", region_name=region)
        self.apigateway: Any = boto3.client("apigateway", region_name=region)
        self.route53: Any = boto3.client("route53", region_name=region)
        self.rest_api_id = rest_api_id
        self.stage = stage

    @classmethod
    def from_settings(cls) -> AwsDomainProvisioner:
        settings = get_settings()
        return cls(settings.region, settings.rest_api_id, settings.api_stage)

    def request_certificate(self, name: str) -> str:
        token = hashlib.sha256(name.encode()).hexdigest()[:32]  # ACM's idempotency token: ≤ 32 word chars
        try:
            answer = self.acm.request_certificate(DomainName=name, ValidationMethod="DNS", IdempotencyToken=token)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in {
                "ValidationException",
                "InvalidDomainValidationOptionsException",
            }:
                raise Unprocessable("invalid_domain", f"ACM will not certify {name!r}") from error
            raise
        return str(answer["CertificateArn"])

    def validation_records(self, certificate_arn: str) -> list[DnsRecord]:
        certificate = self.acm.describe_certificate(CertificateArn=certificate_arn)["Certificate"]
        records = [o.get("ResourceRecord") for o in certificate.get("DomainValidationOptions", [])]
        return [DnsRecord(r["Name"], r["Type"], r["Value"]) for r in records if r]

    def certificate_status(self, certificate_arn: str) -> str:
        return str(self.acm.describe_certificate(CertificateArn=certificate_arn)["Certificate"]["Status"])

    def zone_name(self, hosted_zone_id: str) -> str | None:
        try:
            zone = self.route53.get_hosted_zone(Id=hosted_zone_id)["HostedZone"]
        except ClientError as error:
            if _not_found(error) or error.response.get("Error", {}).get("Code") == "InvalidInput":
                return None
            raise
        return str(zone["Name"]).rstrip(".").lower()

    def _upsert(self, hosted_zone_id: str, record_sets: list[dict[str, Any]]) -> None:
        changes = [{"Action": "UPSERT", "ResourceRecordSet": r} for r in record_sets]
        self.route53.change_resource_record_sets(HostedZoneId=hosted_zone_id, ChangeBatch={"Changes": changes})

    def publish_validation(self, hosted_zone_id: str, records: list[DnsRecord]) -> None:
        self._upsert(
            hosted_zone_id,
            [{"Name": r.name, "Type": r.type, "TTL": 300, "ResourceRecords": [{"Value": r.value}]} for r in records],
        )

    def create_custom_domain(self, name: str, certificate_arn: str) -> DnsTarget | None:
        try:
            domain = self.apigateway.get_domain_name(domainName=name)
        except ClientError as error:
            if not _not_found(error):
                raise
            try:
                domain = self.apigateway.create_domain_name(
                    domainName=name,
                    regionalCertificateArn=certificate_arn,
                    endpointConfiguration={"types": ["REGIONAL"]},
                    securityPolicy="TLS_1_2",
                )
            except ClientError as refused:
                if refused.response.get("Error", {}).get("Code") == "BadRequestException":
                    return None  # the certificate is not issued yet
                raise
        # Created, not listed first: moto 5.2.5 answers a listing of a domain without mappings with a 500
        # (a KeyError inside it) where AWS answers an empty list. A repeat is a ConflictException.
        if not self.rest_api_id:  # the local platform serves its API itself, with no REST API in moto to map
            return DnsTarget("CNAME", str(domain["regionalDomainName"]), str(domain["regionalHostedZoneId"]))
        try:
            self.apigateway.create_base_path_mapping(
                domainName=name, restApiId=self.rest_api_id, stage=self.stage, basePath=ROOT_MAPPING
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConflictException":
                raise
        return DnsTarget("CNAME", str(domain["regionalDomainName"]), str(domain["regionalHostedZoneId"]))

    def publish_alias(self, hosted_zone_id: str, name: str, target: DnsTarget) -> None:
        alias = {"HostedZoneId": target.hosted_zone_id, "DNSName": target.value, "EvaluateTargetHealth": False}
        self._upsert(hosted_zone_id, [{"Name": name, "Type": kind, "AliasTarget": alias} for kind in ("A", "AAAA")])

    def remove(self, domain: Domain) -> None:
        steps = [
            lambda: self.apigateway.delete_base_path_mapping(domainName=domain.name, basePath=ROOT_MAPPING),
            lambda: self.apigateway.delete_domain_name(domainName=domain.name),
            lambda: self.acm.delete_certificate(CertificateArn=domain.certificate_arn),
        ]
        if domain.hosted_zone_id and domain.target is not None and domain.target.hosted_zone_id:
            alias = {
                "HostedZoneId": domain.target.hosted_zone_id,
                "DNSName": domain.target.value,
                "EvaluateTargetHealth": False,
            }
            changes = [
                {"Action": "DELETE", "ResourceRecordSet": {"Name": domain.name, "Type": k, "AliasTarget": alias}}
                for k in ("A", "AAAA")
            ]
            zone = domain.hosted_zone_id
            steps.insert(
                0, lambda: self.route53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": changes})
            )
        for step in steps:
            try:
                step()  # type: ignore[no-untyped-call]
            except ClientError as error:
                if not _not_found(error) and error.response.get("Error", {}).get("Code") != "InvalidChangeBatch":
                    raise
