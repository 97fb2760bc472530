"""The campaign path end to end on the local runtime: create → reserve → workflow → windows and the 24 h
ad cap → SQS → simulator → results → charge → reconcile (R-CMP-1..3, R-CPL-1..2, R-DSP-1, R-BIL-2..3)."""

from __future__ import annotations

import time
from typing import Any

from jarchi.billing.ledger import totals_of
from jarchi.clock import LocalClock
from jarchi.store import ledger
from local.runtime import LocalRuntime
from tests.api import Api, assert_error

DEADLINE_SECONDS = 60


def _wait_for(api: Api, campaign_id: str, statuses: set[str], clock: LocalClock | None = None) -> dict[str, Any]:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        campaign: dict[str, Any] = api.get(f"/v1/campaigns/{campaign_id}").json()
        if campaign["status"] in statuses:
            return campaign
        if clock is not None:
            clock.advance(15)  # lets the workflow's short waits for in-flight results pass
        time.sleep(0.05)
    raise AssertionError(f"campaign {campaign_id} never reached {statuses}: {campaign['status']}")


def _customer(admin: Api, credit: int) -> tuple[dict[str, Any], Api]:
    shop = admin.new_account("Shop")
    admin.top_up(shop["id"], credit)
    return shop, admin.as_(admin.new_token(shop["id"]))


def _sender(admin: Api, shop_api: Api, name: str = "Shop") -> None:
    sender = shop_api.post("/v1/senders", {"name": name}).json()
    assert admin.post(f"/v1/senders/{sender['id']}/moderation", {"decision": "approve"}).status == 200


def test_r_cmp_2_sms_campaign_runs_and_reconciles_exactly(
    admin: Api, platform: LocalRuntime, clock: LocalClock
) -> None:
    shop, as_shop = _customer(admin, 1_000_000)
    _sender(admin, as_shop)
    numbers = [f"+9891200000{i:02d}" for i in range(30)]
    created = as_shop.post(
        "/v1/campaigns",
        {
            "name": "Sale",
            "channel": "sms",
            "category": "service",
            "sms_text": "Shop: your order is ready",
            "sender": "Shop",
            "recipients": numbers,
            "speed_per_hour": 360_000,
        },
    )
    assert created.status == 201, created.body
    campaign = created.json()
    assert campaign["cost"]["reserved"] == campaign["cost"]["estimated"] > 0

    done = _wait_for(as_shop, campaign["id"], {"finished"}, clock)
    cost, stats = done["cost"], done["stats"]
    assert cost["reserved"] == cost["charged"] + cost["released"] + cost["refunded"]
    assert stats["pending"] == 0 and stats["in_progress"] == 0
    finals = sum(v for k, v in stats.items() if k not in ("total", "pending", "in_progress"))
    assert finals == stats["total"] == 30
    assert ledger.get_balance(shop["id"]) == totals_of(ledger.all_entries(shop["id"]))
    assert ledger.get_balance(shop["id"]).reserved == 0
    rows = as_shop.get(f"/v1/campaigns/{campaign['id']}/recipients", limit=200).json()["items"]
    assert len(rows) == 30 and all(r["status"] not in ("pending", "in_progress") for r in rows)
    assert sum(r["cost"] for r in rows) == cost["charged"]
    transactions = as_shop.get("/v1/credit/transactions", campaign_id=campaign["id"], limit=200).json()["items"]
    assert {t["type"] for t in transactions} <= {"reservation", "charge", "refund"}
    assert [h["status"] for h in done["history"]][:2] == ["accepted", "running"]
    # Actions the status does not allow are refused, naming it, changing nothing
    for action in ("pause", "stop"):
        refused = as_shop.post(f"/v1/campaigns/{campaign['id']}/{action}")
        assert assert_error(refused, 409, "action_not_allowed")["status"] == "finished"
    assert as_shop.get(f"/v1/campaigns/{campaign['id']}").json()["status"] == "finished"


def test_r_cpl_1_advertising_waits_for_the_window_then_runs(
    admin: Api, platform: LocalRuntime, clock: LocalClock
) -> None:
    # GIVEN 07:00 in Tehran, before advertising SMS may go out (08:00)
    clock.advance(21 * 3600)
    _shop, as_shop = _customer(admin, 1_000_000)
    _sender(admin, as_shop)
    created = as_shop.post(
        "/v1/campaigns",
        {
            "name": "Ads",
            "channel": "sms",
            "category": "advertising",
            "sms_text": "Big sale today",
            "sender": "Shop",
            "recipients": ["+989120000001", "+989120000002"],
        },
    ).json()
    waiting = _wait_for(as_shop, created["id"], {"waiting_window"})
    assert waiting["stats"]["in_progress"] == 0 and waiting["stats"]["pending"] == 2
    # WHEN the clock passes the window's opening
    clock.advance(3 * 3600)
    done = _wait_for(as_shop, created["id"], {"finished"}, clock)
    assert done["stats"]["pending"] == 0
    assert done["cost"]["reserved"] == done["cost"]["charged"] + done["cost"]["refunded"]


def test_r_bil_2_insufficient_credit_creates_nothing(admin: Api, platform: LocalRuntime) -> None:
    shop, as_shop = _customer(admin, 10)
    _sender(admin, as_shop)
    error = assert_error(
        as_shop.post(
            "/v1/campaigns",
            {
                "name": "x",
                "channel": "sms",
                "category": "service",
                "sms_text": "Shop: hello",
                "sender": "Shop",
                "recipients": ["+989120000001"],
            },
        ),
        402,
        "insufficient_credit",
    )
    assert error["available"] == 10 and error["required"] > 10
    assert as_shop.get("/v1/campaigns").json()["items"] == []
    assert ledger.get_balance(shop["id"]).reserved == 0


def test_r_cmp_7_quick_send_is_a_one_recipient_campaign(admin: Api, platform: LocalRuntime, clock: LocalClock) -> None:
    _shop, as_shop = _customer(admin, 1_000_000)
    _sender(admin, as_shop)
    sent = as_shop.post(
        "/v1/quick-send",
        {
            "channel": "sms",
            "category": "service",
            "number": "09120000007",
            "sms_text": "Shop: code 1234",
            "sender": "Shop",
        },
    )
    assert sent.status == 201, sent.body
    done = _wait_for(as_shop, sent.json()["campaign_id"], {"finished"}, clock)
    assert done["quick_send"] and done["stats"]["total"] == 1
    assert done["cost"]["reserved"] == done["cost"]["charged"] + done["cost"]["refunded"]


def test_r_acc_2_campaigns_of_other_tenants_are_404(admin: Api, platform: LocalRuntime, clock: LocalClock) -> None:
    _, as_shop = _customer(admin, 1_000_000)
    _sender(admin, as_shop)
    created = as_shop.post(
        "/v1/quick-send",
        {"channel": "sms", "category": "service", "number": "09120000007", "sms_text": "Shop: hi", "sender": "Shop"},
    ).json()
    _, as_other = _customer(admin, 1)
    assert_error(as_other.get(f"/v1/campaigns/{created['id']}"), 404, "campaign_not_found")
    assert_error(as_other.post(f"/v1/campaigns/{created['id']}/pause"), 404, "campaign_not_found")
    assert_error(as_other.get(f"/v1/campaigns/{created['id']}/recipients"), 404, "campaign_not_found")
