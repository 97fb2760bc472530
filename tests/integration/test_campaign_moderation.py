"""Campaign moderation on the whole local platform (issue 12: R-CPL-4, R-CMP-3, R-BIL-3): campaigns of
accounts younger than the configured number of days start in `moderation`; the admin accepts (then it runs
as its settings say), rejects (the reservation refunded at once) or asks (`clarification`, until the owner's
next comment sends it back); the admin lists those waiting, oldest first."""

from __future__ import annotations

from typing import Any

import pytest

from jarchi.billing.ledger import totals_of
from jarchi.clock import LocalClock
from jarchi.store import ledger
from jarchi.store.campaigns import CampaignItem
from local.runtime import LocalRuntime
from tests.api import Api, assert_error
from tests.campaign_harness import Customer, assert_reconciled, create, new_customer, run_to_end

NUMBERS = [f"+98912{i:07d}" for i in range(41, 44)]


@pytest.fixture
def shop(campaign_moderation: int, admin: Api, platform: LocalRuntime) -> Customer:
    return new_customer(admin, "Shop")


def _body(customer: Customer, **extra: Any) -> dict[str, Any]:
    return {
        "name": "Order ready",
        "channel": "sms",
        "category": "service",
        "sms_text": f"{customer.sender}: your order is ready",
        "recipients": NUMBERS,
        "speed_per_hour": 360_000,
        **extra,
    }


def _moderate(admin: Api, campaign_id: str, decision: str, reason: str | None = None) -> dict[str, Any]:
    body = {"decision": decision, **({"reason": reason} if reason else {})}
    response = admin.post(f"/v1/campaigns/{campaign_id}/moderation", body)
    assert response.status == 200, response.body
    campaign: dict[str, Any] = response.json()
    return campaign


def _waiting(admin: Api) -> list[str]:
    response = admin.get("/v1/moderation/campaigns")
    assert response.status == 200, response.body
    return [c["id"] for c in response.json()["items"]]


def test_r_cpl_4_a_new_accounts_campaign_waits_for_review_then_runs_once_accepted(
    shop: Customer, admin: Api, platform: LocalRuntime, clock: LocalClock
) -> None:
    # GIVEN two campaigns of a new account: both wait for review, held reserved, nothing started
    first = create(shop, _body(shop))
    clock.advance(1)
    second = create(shop, _body(shop, name="Second"))
    assert first["status"] == second["status"] == "moderation"
    assert first["cost"]["reserved"] == first["cost"]["estimated"] > 0
    assert_error(shop.api.post(f"/v1/campaigns/{first['id']}/start"), 409, "action_not_allowed")
    # THEN the admin sees them oldest first; the owner may not review
    assert _waiting(admin)[-2:] == [first["id"], second["id"]]
    assert_error(shop.api.get("/v1/moderation/campaigns"), 403, "admin_only")
    assert_error(shop.api.post(f"/v1/campaigns/{first['id']}/moderation", {"decision": "accept"}), 403, "admin_only")
    # WHEN the admin asks a question, THEN the owner's next comment sends it back to review
    asked = _moderate(admin, first["id"], "clarify", "Who are these customers?")
    assert asked["status"] == "clarification" and first["id"] not in _waiting(admin)
    assert asked["comments"][-1]["author"] == "system" and "Who are these" in asked["comments"][-1]["text"]
    assert_error(admin.post(f"/v1/campaigns/{first['id']}/moderation", {"decision": "clarify"}), 422, "reason_required")
    answered = shop.api.post(f"/v1/campaigns/{first['id']}/comment", {"text": "Our own, from the shop"}).json()
    assert answered["status"] == "moderation"
    assert [c["author"] for c in answered["comments"]] == ["system", "user"]
    assert _waiting(admin)[-2:] == [first["id"], second["id"]]
    # WHEN accepted, THEN it runs by itself and settles
    accepted = _moderate(admin, first["id"], "accept")
    assert accepted["status"] in ("accepted", "running", "waiting_window", "finished")
    (item,) = run_to_end(clock, [first["id"]], region=platform.settings.region)
    assert_reconciled(item)
    history = shop.api.get(f"/v1/campaigns/{first['id']}").json()["history"]
    statuses = [(h["status"], h["actor"].split(":")[0]) for h in history]
    assert statuses[:5] == [
        ("moderation", "account"),
        ("clarification", "reviewer"),
        ("moderation", "account"),
        ("accepted", "reviewer"),
        ("running", "system"),
    ]
    assert _waiting(admin)[-1:] == [second["id"]]


def test_r_cpl_4_reject_refunds_the_reservation_at_once(
    shop: Customer, admin: Api, platform: LocalRuntime, clock: LocalClock
) -> None:
    campaign = create(shop, _body(shop))
    assert ledger.get_balance(shop.account_id).reserved == campaign["cost"]["reserved"] > 0
    rejected = _moderate(admin, campaign["id"], "reject", "Links to an unregistered shop")
    assert rejected["status"] == "rejected"
    assert rejected["cost"]["refunded"] == rejected["cost"]["reserved"] and rejected["cost"]["charged"] == 0
    assert rejected["history"][-1]["reason"] == "Links to an unregistered shop"
    balance = ledger.get_balance(shop.account_id)
    assert balance.reserved == 0 and balance == totals_of(ledger.all_entries(shop.account_id))
    assert campaign["id"] not in _waiting(admin)
    # a decided campaign cannot be decided again; a rejected one can be archived
    error = assert_error(
        admin.post(f"/v1/campaigns/{campaign['id']}/moderation", {"decision": "accept"}), 409, "action_not_allowed"
    )
    assert error["status"] == "rejected"
    archived = shop.api.post(f"/v1/campaigns/{campaign['id']}/archive").json()
    assert archived["status"] == "archived"
    item = CampaignItem.get(campaign["id"], consistent_read=True)
    assert item.reconciled and int(item.reserved) == int(item.refunded)
