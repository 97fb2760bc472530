"""Demo accounts (R-ACC-4): usable for 10 days from creation (403 `demo_expired` after), at most 4 recipients a
campaign, the demo tariff (135 toman a pulse), and no OTP or exports (`jarchi.accounts.policy`)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from jarchi.accounts.models import Account, AccountType
from jarchi.accounts.policy import require_not_demo
from jarchi.clock import LocalClock
from jarchi.errors import Forbidden
from tests.api import Api, assert_error


def test_r_acc_4_a_demo_account_lasts_ten_days_with_four_recipients_at_the_demo_tariff(
    admin: Api, clock: LocalClock
) -> None:
    demo = admin.new_account("Trial", "demo")
    api = admin.as_(admin.new_token(demo["id"]))
    me = api.get("/v1/accounts/me").json()
    created = datetime.fromisoformat(me["created_at"])
    assert datetime.fromisoformat(me["demo_expires_at"]) == created + timedelta(days=10)
    tariff = api.get(f"/v1/accounts/{demo['id']}/tariff").json()
    assert (tariff["voice_pulse"], tariff["sms_segment"]) == (1_350, 1_500)

    five = [f"+98912{i:07d}" for i in range(201, 206)]
    body = {"name": "Try", "channel": "sms", "category": "service", "sms_text": "Hi", "sender": "Trial"}
    refused = assert_error(api.post("/v1/campaigns", {**body, "recipients": five}), 400, "too_many_recipients")
    assert refused["limit"] == 4
    # four pass the recipient check (and stop at the next one: no approved sender yet)
    assert_error(api.post("/v1/campaigns", {**body, "recipients": five[:4]}), 422, "sender_not_registered")

    clock.advance(timedelta(days=10).total_seconds() - 1)
    assert api.get("/v1/accounts/me").status == 200
    clock.advance(1)
    expired = assert_error(api.get("/v1/accounts/me"), 403, "demo_expired")
    assert expired["expired_at"] == me["demo_expires_at"]
    assert admin.get(f"/v1/accounts/{demo['id']}").json()["type"] == "demo"  # admin still sees it


def test_r_acc_4_demo_accounts_may_not_use_otp_or_exports() -> None:
    demo = Account("acc_d", "Trial", AccountType.DEMO, None, (), "Asia/Tehran", "IR", datetime.now().astimezone())
    for feature in ("otp", "export"):
        with pytest.raises(Forbidden) as refused:
            require_not_demo(demo, feature)
        assert refused.value.code == "not_allowed_for_demo" and refused.value.details["feature"] == feature
    require_not_demo(
        Account("acc_c", "Shop", AccountType.CUSTOMER, None, (), "Asia/Tehran", "IR", demo.created_at), "otp"
    )
