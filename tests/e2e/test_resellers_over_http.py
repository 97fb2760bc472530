"""Resellers over real HTTP (issue 13: R-ACC-3, R-BIL-4): admin → reseller level 1 → reseller level 2 → customer,
a tariff at each level (each at or above its parent's cost), credit passed down the chain, a customer's campaign
settles, and every ledger shows its share: the customer's charge, each reseller's margin on the units charged
(with the customer's campaign id), and every balance equal to the sum of its ledger.

The reseller then registers its own domain in a Route53 zone it granted (moto's ACM, API Gateway, Route53 in the
local platform), and a request arriving with that `Host` is attributed to its brand (R-ACC-6)."""

from __future__ import annotations

import time
from typing import Any

import boto3
import pytest

from tests.e2e.conftest import HttpApi, Platform

DEADLINE_SECONDS = 60.0
DELIVERED = ["+989120000011", "+989120000012"]
REJECTED = "+989120000013"  # refused by the operator: not charged


def _tenant(parent: HttpApi, admin: HttpApi, name: str, type_: str) -> tuple[dict[str, Any], HttpApi]:
    account: dict[str, Any] = parent.ok("POST", "/v1/accounts", {"name": name, "type": type_}, status=201)
    token = admin.ok("POST", f"/v1/accounts/{account['id']}/tokens", {"name": "e2e"}, status=201)["token"]
    return account, admin.as_(token)


def _ledger_exact(api: HttpApi) -> list[dict[str, Any]]:
    credit = api.ok("GET", "/v1/credit")
    entries: list[dict[str, Any]] = api.ok("GET", "/v1/credit/transactions", limit=200)["items"]
    assert sum(e["balance_delta"] for e in entries) == credit["balance"], (credit, entries)
    assert credit["reserved"] == 0
    return entries


def _tariff(api: HttpApi, account_id: str, voice: int, sms: int) -> None:
    body = {"voice_pulse": voice, "sms_segment": sms}
    assert api.ok("PUT", f"/v1/accounts/{account_id}/tariff", body)["custom"] is True


def test_r_acc_3_r_bil_4_each_level_of_a_reseller_chain_earns_its_margin(platform: Platform) -> None:
    admin = platform.admin
    # GIVEN admin → R1 → R2 → shop, each priced by its parent
    r1, as_r1 = _tenant(admin, admin, "Agency", "reseller_1")
    r2, as_r2 = _tenant(as_r1, admin, "Subagency", "reseller_2")
    shop, as_shop = _tenant(as_r2, admin, "Shop", "customer")
    assert (r2["parent_id"], shop["parent_id"]) == (r1["id"], r2["id"])
    _tariff(admin, r1["id"], 700, 900)
    _tariff(as_r1, r2["id"], 800, 1_000)
    _tariff(as_r2, shop["id"], 950, 1_200)
    below = as_r2.call("PUT", f"/v1/accounts/{shop['id']}/tariff", {"voice_pulse": 700, "sms_segment": 999})
    assert below.status == 422 and below.json()["error"]["code"] == "tariff_below_cost"
    # credit flows down: admin tops up R1, R1 its R2, R2 its shop (each paid from the reseller's own credit)
    admin.ok("POST", f"/v1/accounts/{r1['id']}/credit", {"amount": 100_000}, status=201)
    as_r1.ok("POST", f"/v1/accounts/{r2['id']}/credit", {"amount": 50_000}, status=201)
    as_r2.ok("POST", f"/v1/accounts/{shop['id']}/credit", {"amount": 20_000}, status=201)
    sender = as_shop.ok("POST", "/v1/senders", {"name": "Shop"}, status=201)
    admin.ok("POST", f"/v1/senders/{sender['id']}/moderation", {"decision": "approve"})

    # WHEN the shop sends a one-segment service SMS to three numbers (two delivered, one refused: free)
    body = {
        "name": "Order ready",
        "channel": "sms",
        "category": "service",
        "sms_text": "Shop: your order is ready",
        "sender": "Shop",
        "recipients": [*DELIVERED, REJECTED],
    }
    campaign = as_shop.ok("POST", "/v1/campaigns", body, status=201)
    assert campaign["cost"]["reserved"] == 3 * 1_200
    deadline = time.monotonic() + DEADLINE_SECONDS
    while (campaign := as_shop.ok("GET", f"/v1/campaigns/{campaign['id']}"))["status"] != "finished":
        assert time.monotonic() < deadline, campaign
        admin.ok("POST", "/v1/local/clock", {"advance_seconds": 15})
        time.sleep(0.05)

    # THEN the shop paid 2 × 1,200; R2 earned 2 × (1,200 − 1,000), R1 2 × (1,000 − 900), each as one margin
    # entry on its own ledger naming the shop's campaign; the platform kept 2 × 900
    assert campaign["cost"]["charged"] == 2_400 and campaign["cost"]["refunded"] == 1_200
    shop_entries = _ledger_exact(as_shop)
    assert [e["amount"] for e in shop_entries if e["type"] == "charge"] == [2_400]
    for api, earned in ((as_r2, 400), (as_r1, 200)):
        entries = _ledger_exact(api)
        margins = [e for e in entries if e["type"] == "margin"]
        assert [(e["amount"], e["campaign_id"]) for e in margins] == [(earned, campaign["id"])]
        by_campaign = api.ok("GET", "/v1/credit/transactions", campaign_id=campaign["id"])["items"]
        assert [e["type"] for e in by_campaign] == ["margin"]
    assert as_r2.ok("GET", "/v1/credit")["balance"] == 50_000 - 20_000 + 400
    assert as_r1.ok("GET", "/v1/credit")["balance"] == 100_000 - 50_000 + 200
    assert as_shop.ok("GET", "/v1/credit")["balance"] == 20_000 - 2_400
    # the shop sees none of it: its campaign's ledger is its own
    shop_view = as_shop.ok("GET", "/v1/credit/transactions", campaign_id=campaign["id"])["items"]
    assert {e["type"] for e in shop_view} == {"reservation", "charge", "refund"}


def test_r_acc_6_a_request_on_the_resellers_domain_is_attributed_to_it(
    platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("moto.settings.ACM_VALIDATION_WAIT", 0)  # moto issues the certificate at once
    admin = platform.admin
    reseller_account = admin.ok("POST", "/v1/accounts", {"name": "Parsian Voice", "type": "reseller_1"}, status=201)
    token = admin.ok("POST", f"/v1/accounts/{reseller_account['id']}/tokens", {"name": "e2e"}, status=201)["token"]
    reseller = admin.as_(token)
    zone = boto3.client("route53", region_name=platform.settings.region).create_hosted_zone(
        Name="parsian.example", CallerReference="e2e"
    )["HostedZone"]["Id"]

    domain = reseller.ok("POST", "/v1/domains", {"name": "api.parsian.example", "hosted_zone_id": zone}, status=201)
    assert domain["status"] == "active" and domain["target"] == {"type": "ALIAS", "value": "api.parsian.example"}
    assert reseller.ok("GET", "/v1/domains")["items"][0]["name"] == "api.parsian.example"

    # WHEN anyone (no token) asks the API on that host, THEN the answer carries the reseller's brand
    branded = admin.as_(None).call("GET", "/v1/brand", headers={"Host": "api.parsian.example"})
    assert branded.status == 200, branded.body
    assert branded.json() == {"name": "Parsian Voice", "reseller_id": reseller_account["id"]}
    assert branded.headers["jarchi-brand"] == reseller_account["id"]
    plain = admin.as_(None).call("GET", "/v1/brand")
    assert plain.json() == {"name": "Jarchi", "reseller_id": None} and "jarchi-brand" not in plain.headers

    # AND every answer on that host carries the brand: the reseller's customer signs in there
    customer = reseller.ok("POST", "/v1/accounts", {"name": "Bakery", "type": "customer"}, status=201)
    customer_token = reseller.ok("POST", f"/v1/accounts/{customer['id']}/tokens", {"name": "app"}, status=201)
    as_customer = admin.as_(customer_token["token"])
    me = as_customer.call("GET", "/v1/accounts/me", headers={"Host": "api.parsian.example"})
    assert me.status == 200 and me.json()["parent_id"] == reseller_account["id"]
    assert me.headers["jarchi-brand"] == reseller_account["id"]
    refused = as_customer.call("GET", "/v1/campaigns/cmp_missing", headers={"Host": "api.parsian.example"})
    assert refused.status == 404 and refused.headers["jarchi-brand"] == reseller_account["id"]
    assert "jarchi-brand" not in as_customer.call("GET", "/v1/accounts/me").headers
