"""Tenant isolation swept over the OpenAPI document (R-ACC-2, issue 14).

Every operation with an id in its path is called on tenant A's resource with tenant B's token, and with the
token of a reseller that does not own A. Each answer must be 404, or exactly what the same caller hears for an
id that does not exist (a 403 `admin_only` says nothing about A). Afterwards A's data reads the same as before.
The operations come from `/v1/openapi.json`, so a new route is swept without a line here; a new kind of path
parameter fails the sweep until `resources()` makes one for A."""

from __future__ import annotations

from typing import Any

from jarchi import clock
from jarchi.channels import Channel
from jarchi.clock import now
from jarchi.ids import new_id
from jarchi.otp.models import Otp
from jarchi.reports.files import FileFormat
from jarchi.reports.ports import ExportRecord, ExportStatus
from jarchi.store.exports import DynamoExports
from jarchi.store.otp import DynamoOtp
from tests.api import Api

MISSING = "zz_01doesnotexist000000000000"
ACTIONS = {"action": "pause"}


def customer_of(parent: Api, name: str) -> tuple[dict[str, Any], Api]:
    account = parent.new_account(name)
    return account, parent.as_(parent.new_token(account["id"]))


def resources(admin: Api) -> tuple[Api, dict[str, str]]:
    """Tenant A (a customer of reseller R1) with one resource of every kind; the ids by path parameter name."""
    r1_account = admin.new_account("R1", "reseller_1")
    r1 = admin.as_(admin.new_token(r1_account["id"]))
    admin.top_up(r1_account["id"], 1_000_000)
    account, tenant = customer_of(r1, "Tenant A")
    assert account["parent_id"] == r1_account["id"]
    admin.top_up(account["id"], 1_000_000)
    spare = tenant.post(f"/v1/accounts/{account['id']}/tokens", {"name": "spare"}).json()
    audio = tenant.post("/v1/audio", {"title": "hello", "tts_text": "سلام، این یک پیام است"}).json()
    admin.post(f"/v1/audio/{audio['id']}/moderation", {"decision": "approve"})
    contact_list = tenant.post("/v1/contact-lists", {"name": "list", "numbers": ["09120000001"]}).json()
    upload = tenant.post("/v1/contact-lists/uploads", {"name": "big", "file_name": "big.csv"}).json()
    sender = tenant.post("/v1/senders", {"name": "TenantA"}).json()
    campaign = tenant.post(
        "/v1/campaigns",
        {
            "name": "c",
            "channel": "voice",
            "category": "service",
            "audio_id": audio["id"],
            "recipients": ["09120000001"],
            "auto_start": False,
        },
    )
    assert campaign.status == 201, campaign.body
    # A sent OTP (stored directly: sending one starts a workflow, which this test runs without)
    otp = Otp(
        new_id("otp"), account["id"], "+989120000001", Channel.VOICE, "0" * 64, campaign.json()["id"], now(), now()
    )
    DynamoOtp().put(otp)
    domain = r1.post("/v1/domains", {"name": "api.r1.example"})  # a reseller's resource, seen by its customers' peers
    assert domain.status == 201, domain.body
    export = ExportRecord(
        new_id("exp"), account["id"], campaign.json()["id"], FileFormat.CSV, ExportStatus.QUEUED, clock.now()
    )
    DynamoExports().create(export)  # a background export (one needs more than 10,000 rows through the API)
    webhook = tenant.post("/v1/webhooks", {"url": "http://127.0.0.1:9/hook", "events": ["campaign.status"]})
    assert webhook.status == 201, webhook.body
    period = {"country": "IR", "start": "2030-01-01T00:00:00+00:00", "end": "2030-01-02T00:00:00+00:00"}
    period_id = admin.post("/v1/restricted-periods", {**period, "categories": ["advertising"], "reason": "x"}).json()
    blacklist_import = admin.post("/v1/blacklist/imports").json()  # the platform's: others get 403 admin_only
    caller_ids = admin.post("/v1/caller-ids", {"account_id": account["id"], "numbers": ["+982191001000"]}).json()
    ids = {
        "import_id": blacklist_import["id"],
        "account_id": account["id"],
        "token_id": spare["id"],
        "audio_id": audio["id"],
        "list_id": contact_list["id"],
        "upload_id": upload["upload_id"],
        "sender_id": sender["id"],
        "campaign_id": campaign.json()["id"],
        "otp_id": otp.id,
        "domain_id": domain.json()["id"],
        "number": "09120000001",  # the ad opt-out routes are the admin's
        "export_id": export.id,
        "webhook_id": webhook.json()["id"],
        "period_id": period_id["id"],  # the platform's, not a tenant's: others get 403 admin_only
        "caller_id": caller_ids["items"][0]["id"],
        **ACTIONS,
    }
    return tenant, ids


def snapshot(tenant: Api, ids: dict[str, str]) -> list[Any]:
    paths = [
        "/v1/accounts/me",
        "/v1/credit",
        "/v1/credit/transactions",
        f"/v1/accounts/{ids['account_id']}/tokens",
        f"/v1/audio/{ids['audio_id']}",
        f"/v1/contact-lists/{ids['list_id']}",
        f"/v1/senders/{ids['sender_id']}",
        f"/v1/campaigns/{ids['campaign_id']}",
        "/v1/campaigns",
        "/v1/audio",
        "/v1/contact-lists",
        "/v1/senders",
        f"/v1/exports/{ids['export_id']}",
        "/v1/webhooks",
        f"/v1/webhooks/{ids['webhook_id']}/deliveries",
    ]
    answers = []
    for path in paths:
        response = tenant.get(path)
        assert response.status == 200, (path, response.body)
        answers.append(_without_presigned_urls(response.json()))
    return answers


def _without_presigned_urls(answer: Any) -> Any:
    """Presigned URLs are signed anew on every read: not part of what must stay the same."""
    if isinstance(answer, dict):
        return {k: _without_presigned_urls(v) for k, v in answer.items() if k not in ("url", "audio_url")}
    if isinstance(answer, list):
        return [_without_presigned_urls(v) for v in answer]
    return answer


def example(schema: dict[str, Any], components: dict[str, Any]) -> Any:
    """A minimal valid value of a JSON schema: required properties only, first enum value, lower bounds."""
    if "$ref" in schema:
        return example(components[schema["$ref"].rsplit("/", 1)[-1]], components)
    if "anyOf" in schema:
        return example(schema["anyOf"][0], components)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        return {name: example(schema["properties"][name], components) for name in schema.get("required", [])}
    if kind == "array":
        return []
    if kind == "integer":
        return max(1, int(schema.get("minimum", 1)))
    if kind == "boolean":
        return False
    return "x" * max(1, int(schema.get("minLength", 1)))


def id_operations(doc: dict[str, Any]) -> list[tuple[str, str, Any]]:
    components = doc["components"]["schemas"]
    found = []
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            if not any(p["in"] == "path" for p in operation.get("parameters", [])):
                continue
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            found.append((method.upper(), path, example(body, components) if body else None))
    return found


def fill(path: str, ids: dict[str, str], missing: bool = False) -> str:
    for name, value in ids.items():
        if name in ACTIONS:
            path = path.replace("{" + name + "}", value)
        else:
            path = path.replace("{" + name + "}", MISSING if missing else value)
    assert "{" not in path, f"no resource of tenant A for {path}: add one to resources()"
    return path


def test_r_acc_2_no_id_bearing_operation_reaches_another_tenants_resource(admin: Api) -> None:
    doc = admin.get("/v1/openapi.json").json()
    tenant, ids = resources(admin)
    _, other_tenant = customer_of(admin, "Tenant B")
    other_reseller_account = admin.new_account("R2", "reseller_1")
    other_reseller = admin.as_(admin.new_token(other_reseller_account["id"]))
    before = snapshot(tenant, ids)

    operations = id_operations(doc)
    leaks = []
    for method, path, body in operations:
        for name, caller in (("tenant B", other_tenant), ("reseller R2", other_reseller)):
            answer = caller.call(method, fill(path, ids), body)
            if answer.status == 404:
                continue
            unknown = caller.call(method, fill(path, ids, missing=True), body)
            same = answer.status == unknown.status and answer.json()["error"]["code"] == unknown.json()["error"]["code"]
            if answer.status < 400 or not same:
                leaks.append((name, method, path, answer.status, answer.body[:200]))
    print(f"\ntenant sweep: {len(operations)} id-bearing operations x 2 callers, {len(leaks)} leaks")
    assert len(operations) >= 15
    assert leaks == []
    assert snapshot(tenant, ids) == before
