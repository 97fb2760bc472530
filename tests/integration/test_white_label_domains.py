"""R-ACC-6 white-label domains over the API, against moto's ACM, API Gateway and Route53: a reseller registers
`api.<its domain>`; the platform requests a DNS-validated certificate, answers the validation records, makes
the custom domain and base-path mapping once the certificate is issued, writes alias records into a granted
zone (else answers the CNAME target), fails a domain after 72 h, and attributes requests on the host.

moto issues a pending certificate by itself `ACM_VALIDATION_WAIT` real seconds after the request (it never
reads DNS): the tests set that to 0 (issued at once) or to a day (pending)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import boto3
import pytest

from functions.domains.handler import handler as refresh
from jarchi.aws.domains import AwsDomainProvisioner
from jarchi.clock import LocalClock
from jarchi.domains.ports import DomainProvisioner
from jarchi.ports import override
from jarchi.settings import Settings
from local.functions import make_context
from tests.api import Api, assert_error


@pytest.fixture
def rest_api(aws: Settings) -> Iterator[str]:
    """A deployed REST API stage for the mappings (the local platform has none), and the provisioner on it."""
    apigateway = boto3.client("apigateway", region_name=aws.region)
    api_id = apigateway.create_rest_api(name="jarchi")["id"]
    root = apigateway.get_resources(restApiId=api_id)["items"][0]["id"]
    apigateway.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE")
    apigateway.put_integration(restApiId=api_id, resourceId=root, httpMethod="GET", type="MOCK")
    apigateway.create_deployment(restApiId=api_id, stageName="api")
    with override(DomainProvisioner, AwsDomainProvisioner(aws.region, api_id, "api")):
        yield api_id


@pytest.fixture
def issue_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("moto.settings.ACM_VALIDATION_WAIT", 0)


@pytest.fixture
def stay_pending(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("moto.settings.ACM_VALIDATION_WAIT", 86_400)


def _reseller(admin: Api, name: str = "Brand Co") -> tuple[str, Api]:
    account = admin.new_account(name, "reseller_1")
    return account["id"], admin.as_(admin.new_token(account["id"]))


def _zone(aws: Settings, name: str) -> str:
    zone = boto3.client("route53", region_name=aws.region).create_hosted_zone(Name=name, CallerReference=name)
    return str(zone["HostedZone"]["Id"]).rsplit("/", 1)[-1]


def test_r_acc_6_a_granted_zone_gets_alias_records_and_the_host_is_the_resellers_brand(
    admin: Api, aws: Settings, rest_api: str, issue_at_once: None
) -> None:
    reseller_id, reseller = _reseller(admin)
    zone = _zone(aws, "brand.example")
    created = reseller.post("/v1/domains", {"name": "API.brand.example.", "hosted_zone_id": zone})
    assert created.status == 201, created.body
    domain = created.json()
    assert (domain["id"], domain["name"], domain["status"]) == ("api.brand.example", "api.brand.example", "active")
    assert domain["target"] == {"type": "ALIAS", "value": "api.brand.example"}
    (validation,) = domain["validation_records"]
    assert validation["type"] == "CNAME" and validation["name"].endswith("api.brand.example.")
    # THEN Route53 holds the validation record and the A/AAAA aliases; API Gateway maps the host to our stage
    records = boto3.client("route53").list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"]
    kinds = {(r["Name"], r["Type"]) for r in records}
    assert {("api.brand.example.", "A"), ("api.brand.example.", "AAAA"), (validation["name"], "CNAME")} <= kinds
    apigateway = boto3.client("apigateway", region_name=aws.region)
    (mapping,) = apigateway.get_base_path_mappings(domainName="api.brand.example")["items"]
    assert (mapping["restApiId"], mapping["stage"]) == (rest_api, "api")
    # A request on that host is the reseller's brand (no token needed); any other host is the platform's.
    branded = Api().call("GET", "/v1/brand", headers={"host": "api.brand.example"})
    assert branded.json() == {"name": "Brand Co", "reseller_id": reseller_id}
    assert branded.headers.get("jarchi-brand") == reseller_id
    assert Api().call("GET", "/v1/brand", headers={"host": "127.0.0.1:8000"}).json()["reseller_id"] is None
    assert [d["id"] for d in reseller.get("/v1/domains").json()["items"]] == ["api.brand.example"]
    assert reseller.delete("/v1/domains/api.brand.example").status == 204
    assert apigateway.get_domain_names()["items"] == []
    assert Api().call("GET", "/v1/brand", headers={"host": "api.brand.example"}).json()["reseller_id"] is None


def test_r_acc_6_without_a_zone_the_answer_is_validation_records_then_a_cname_or_failure_after_72h(
    admin: Api, aws: Settings, rest_api: str, stay_pending: None, clock: LocalClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, reseller = _reseller(admin)
    first = reseller.post("/v1/domains", {"name": "api.one.example"}).json()
    second = reseller.post("/v1/domains", {"name": "api.two.example"}).json()
    assert first["status"] == "pending_validation" and first["target"] is None
    assert first["validation_records"] and first["validation_records"][0]["type"] == "CNAME"
    # WHEN 72 h pass on the platform clock with the first still unvalidated, it fails
    clock.advance(timedelta(hours=72).total_seconds())
    failed = reseller.get("/v1/domains/api.one.example").json()
    assert (failed["status"], failed["failure"]) == ("failed", "validation_timed_out")
    # The second one's certificate is issued meanwhile: the background step (the domains function, every few
    # minutes) makes it active with a CNAME target.
    monkeypatch.setattr("moto.settings.ACM_VALIDATION_WAIT", 0)
    assert refresh({}, make_context("domains", region=aws.region))["active"] == 1
    active = reseller.get(f"/v1/domains/{second['id']}").json()
    assert active["status"] == "active" and active["target"]["type"] == "CNAME"
    assert active["target"]["value"].endswith(f".execute-api.{aws.region}.amazonaws.com")


def test_r_acc_6_who_may_register_what(admin: Api, aws: Settings, rest_api: str, issue_at_once: None) -> None:
    _, reseller = _reseller(admin)
    _, other = _reseller(admin, "Other Brand")
    customer = admin.new_account("Shop")
    shop = admin.as_(admin.new_token(customer["id"]))
    assert_error(shop.post("/v1/domains", {"name": "api.shop.example"}), 403, "resellers_only")
    assert_error(reseller.post("/v1/domains", {"name": "not a host"}), 422, "invalid_domain")
    assert_error(reseller.post("/v1/domains", {"name": "10.0.0.1"}), 422, "invalid_domain")
    zone = _zone(aws, "elsewhere.example")
    assert_error(
        reseller.post("/v1/domains", {"name": "api.x.example", "hosted_zone_id": zone}), 422, "hosted_zone_mismatch"
    )
    assert_error(
        reseller.post("/v1/domains", {"name": "api.x.example", "hosted_zone_id": "Z0NOSUCHZONE"}),
        422,
        "hosted_zone_not_found",
    )
    assert reseller.post("/v1/domains", {"name": "api.x.example"}).status == 201
    assert_error(other.post("/v1/domains", {"name": "api.x.example"}), 409, "domain_taken")
    assert_error(other.get("/v1/domains/api.x.example"), 404, "domain_not_found")
    assert_error(other.delete("/v1/domains/api.x.example"), 404, "domain_not_found")
    assert admin.get("/v1/domains/api.x.example").json()["status"] == "active"
