"""`PATCH /v1/accounts/{id}` (issue 13, SPEC §14): who may change what, flagging sends new campaigns to
moderation (R-CPL-4), and suspension: tokens answer 403 `account_suspended`, sending campaigns are paused by
the system (reason `account_suspended`, a system comment), nothing is lost, and after the account is active
again its owner continues with `resume_unfinished` (R-CMP-4)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from jarchi.clock import LocalClock
from local.runtime import LocalRuntime
from tests.api import Api, assert_error
from tests.campaign_harness import Customer, assert_ledger_exact, assert_reconciled, create, new_customer, run_to_end

NUMBERS = [f"+98912{i:07d}" for i in range(101, 105)]
LATER_WINDOW = [{"start": "11:00", "end": "13:00"}]  # shut at the fixture's 10:00, open in an hour
DEADLINE_SECONDS = 30.0


def _poll(what: str, check: Callable[[], Any]) -> Any:
    deadline = time.monotonic() + DEADLINE_SECONDS
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.05)
    raise AssertionError(f"{what} did not happen within {DEADLINE_SECONDS} s (last: {last!r})")


def _status(api: Api, campaign_id: str) -> str:
    status: str = api.get(f"/v1/campaigns/{campaign_id}").json()["status"]
    return status


def _patch(api: Api, account_id: str, body: dict[str, Any]) -> Any:
    return api.call("PATCH", f"/v1/accounts/{account_id}", body)


def _sms(customer: Customer, **extra: Any) -> dict[str, Any]:
    return {
        "name": "Order ready",
        "channel": "sms",
        "category": "service",
        "sms_text": f"{customer.sender}: your order is ready",
        "recipients": NUMBERS,
        "speed_per_hour": 360_000,
        **extra,
    }


def test_r_acc_2_owner_reseller_and_admin_change_what_each_may(admin: Api) -> None:
    reseller = admin.new_account("Agency", "reseller_1")
    as_reseller = admin.as_(admin.new_token(reseller["id"]))
    customer = as_reseller.new_account("Shop")
    as_customer = admin.as_(admin.new_token(customer["id"]))
    stranger = admin.as_(admin.new_token(admin.new_account("Stranger")["id"]))

    # the owner: its name, time zone and region
    mine = _patch(as_customer, customer["id"], {"name": " Shop Ltd ", "timezone": "Asia/Dubai", "default_region": "AE"})
    assert mine.status == 200, mine.body
    assert mine.json() | {"name": "Shop Ltd", "timezone": "Asia/Dubai", "default_region": "AE"} == mine.json()
    assert as_customer.get("/v1/accounts/me").json()["timezone"] == "Asia/Dubai"
    # its reseller too; neither of them the admin's fields
    assert _patch(as_reseller, customer["id"], {"name": "Shop 2"}).json()["name"] == "Shop 2"
    for who in (as_customer, as_reseller):
        refused = assert_error(_patch(who, customer["id"], {"allow_24h": True, "flagged": False}), 403, "admin_only")
        assert refused["fields"] == ["allow_24h", "flagged"]
        assert_error(_patch(who, customer["id"], {"status": "suspended"}), 403, "admin_only")
    # another tenant: as if it did not exist; bad values: 422
    assert_error(_patch(stranger, customer["id"], {"name": "Mine"}), 404, "account_not_found")
    assert_error(_patch(as_customer, customer["id"], {"timezone": "Mars/Olympus"}), 422, "invalid_timezone")
    assert_error(_patch(as_customer, customer["id"], {"default_region": "ZZ"}), 422, "invalid_region")
    assert_error(_patch(as_customer, customer["id"], {"colour": "red"}), 422, "validation_error")

    # the admin: 24 h permission and recipient limit (R-ACC-5, R-LST-4)
    granted = _patch(admin, customer["id"], {"allow_24h": True, "recipient_limit": 100_000}).json()
    assert granted["allow_24h"] is True and granted["recipient_limit"] == 100_000
    assert_error(_patch(admin, customer["id"], {"recipient_limit": 0}), 422, "validation_error")
    # and where it may send (issue 13's countries): admin only, known regions
    reach = _patch(admin, customer["id"], {"allowed_countries": ["ae", "IR", "AE"]}).json()
    assert reach["allowed_countries"] == ["AE", "IR"]
    assert as_customer.get("/v1/accounts/me").json()["allowed_countries"] == ["AE", "IR"]
    assert_error(_patch(as_customer, customer["id"], {"allowed_countries": ["IR"]}), 403, "admin_only")
    assert_error(_patch(admin, customer["id"], {"allowed_countries": ["XX"]}), 422, "invalid_region")
    me = admin.get("/v1/accounts/me").json()
    assert_error(_patch(admin, me["id"], {"status": "suspended"}), 422, "account_not_suspendable")


def test_r_cpl_4_an_account_flagged_by_admin_sends_its_new_campaigns_to_moderation(admin: Api) -> None:
    shop = new_customer(admin, "Flagged")
    before = create(shop, _sms(shop, auto_start=False))
    assert before["status"] == "accepted"  # the test deployment reviews no new accounts (0 days)

    assert _patch(admin, shop.account_id, {"flagged": True}).json()["flagged"] is True
    held = create(shop, _sms(shop, auto_start=False))
    assert held["status"] == "moderation"
    assert held["id"] in [c["id"] for c in admin.get("/v1/moderation/campaigns").json()["items"]]

    assert _patch(admin, shop.account_id, {"flagged": False}).json()["flagged"] is False
    assert create(shop, _sms(shop, auto_start=False))["status"] == "accepted"


def test_r_cmp_4_a_suspended_account_is_paused_by_the_system_and_resumes_after(
    admin: Api, platform: LocalRuntime, clock: LocalClock
) -> None:
    shop = new_customer(admin, "Suspended")
    # GIVEN one campaign waiting for its window and one scheduled to start in 30 minutes
    waiting = create(shop, _sms(shop, windows=LATER_WINDOW))
    scheduled = create(shop, _sms(shop, start_at=(clock.now() + timedelta(minutes=30)).isoformat()))
    _poll("the campaign waiting", lambda: _status(shop.api, waiting["id"]) == "waiting_window")

    # WHEN admin suspends the account
    suspended = _patch(admin, shop.account_id, {"status": "suspended"})
    assert suspended.status == 200 and suspended.json()["status"] == "suspended"

    # THEN its tokens answer 403, the sending campaign is paused by the system, with a comment
    assert_error(shop.api.get("/v1/accounts/me"), 403, "account_suspended")
    assert_error(shop.api.post(f"/v1/campaigns/{waiting['id']}/resume_unfinished"), 403, "account_suspended")
    paused = admin.get(f"/v1/campaigns/{waiting['id']}").json()
    assert paused["status"] == "paused"
    assert paused["history"][-1] | {"actor": "system", "reason": "account_suspended"} == paused["history"][-1]
    assert paused["comments"][-1]["author"] == "system" and "account_suspended" in paused["comments"][-1]["text"]
    # and the scheduled one, when its time comes, is paused by its first admission instead of sending
    clock.advance(31 * 60)
    _poll("the scheduled start paused", lambda: _status(admin, scheduled["id"]) == "paused")
    for campaign_id in (waiting["id"], scheduled["id"]):
        held = admin.get(f"/v1/campaigns/{campaign_id}").json()
        assert held["stats"]["pending"] == len(NUMBERS) and held["cost"]["reserved"] == held["cost"]["estimated"]

    # WHEN admin makes it active again, its owner continues each campaign
    assert _patch(admin, shop.account_id, {"status": "active"}).json()["status"] == "active"
    for campaign_id in (waiting["id"], scheduled["id"]):
        resumed = shop.api.post(f"/v1/campaigns/{campaign_id}/resume_unfinished")
        assert resumed.status == 200 and resumed.json()["status"] == "running", resumed.body
    # THEN both finish with every recipient sent once and the money exact (nothing was lost)
    for item in run_to_end(clock, [waiting["id"], scheduled["id"]], region=platform.settings.region):
        assert_reconciled(item)
        assert int(item.total) == len(NUMBERS) and int(item.next_seq) == len(NUMBERS)
    assert_ledger_exact([shop.account_id])
