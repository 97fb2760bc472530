"""A callback bridged to the account's callback number (R-OUT-4) on the whole local platform: the account sets
its `callback_number` (E.164), a campaign with `callback_bridge` freezes it; a subscriber calling back within
the hour is connected to that line instead of hearing the message, and charged by started pulses of the time
connected, like a callback that hears the message."""

from __future__ import annotations

import time

import pytest

from jarchi.billing.tariffs import tariff_for
from jarchi.clock import LocalClock
from jarchi.connectors.simulator import Override, SimulatorConfig
from jarchi.store.campaigns import CampaignItem
from local.runtime import LocalRuntime
from tests.api import Api
from tests.campaign_harness import (
    Customer,
    assert_ledger_exact,
    assert_reconciled,
    create,
    new_customer,
    recording_connector,
    run_to_end,
)

SUBSCRIBER = "+989120000011"
BUSINESS_LINE = "+982188001234"
TARIFF = tariff_for("customer")
DEADLINE_SECONDS = 20.0


@pytest.fixture
def shop(admin: Api, platform: LocalRuntime) -> Customer:
    return new_customer(admin, "Shop")


def _campaign(**extra: object) -> dict[str, object]:
    return {
        "name": "Call",
        "channel": "voice",
        "category": "service",
        "tts_text": "Your parcel is here",
        "language": "en",
        "recipients": [SUBSCRIBER],
        "speed_per_hour": 360_000,
        **extra,
    }


def test_r_out_4_a_callback_is_bridged_to_the_account_s_callback_number_and_charged_by_pulses(
    admin: Api, shop: Customer, clock: LocalClock, platform: LocalRuntime
) -> None:
    account = f"/v1/accounts/{shop.account_id}"
    # a bridge needs the account's number, E.164; calls only
    refused = shop.api.post("/v1/campaigns", _campaign(callback_bridge=True))
    assert (refused.status, refused.json()["error"]["code"]) == (422, "no_callback_number")
    for bad in ("02188001234", "+98", "+98 21 8800 1234"):
        response = shop.api.call("PATCH", account, {"callback_number": bad})
        assert (response.status, response.json()["error"]["code"]) == (422, "invalid_callback_number"), bad
    patched = shop.api.call("PATCH", account, {"callback_number": BUSINESS_LINE})
    assert (patched.status, patched.json()["callback_number"]) == (200, BUSINESS_LINE)
    sms = {"name": "T", "channel": "sms", "category": "service", "sms_text": "Hi", "sender": shop.sender}
    text = shop.api.post("/v1/campaigns", {**sms, "recipients": [SUBSCRIBER], "callback_bridge": True})
    assert (text.status, text.json()["error"]["code"]) == (422, "callback_bridge_not_supported")

    with recording_connector(SimulatorConfig(seed=2, overrides={SUBSCRIBER: Override(outcome="no_answer")})):
        created = create(shop, _campaign(callback_bridge=True))
        [before] = run_to_end(clock, [created["id"]], region=platform.settings.region)
    assert created["callback_bridge_to"] == BUSINESS_LINE
    # the number is frozen on the campaign: removing it from the account later changes nothing for this one
    assert shop.api.call("PATCH", account, {"callback_number": ""}).json()["callback_number"] is None

    clock.advance(300)
    answered = admin.post("/v1/local/inbound-calls", {"number": SUBSCRIBER, "seconds": 95})
    assert answered.status == 201, answered.body
    body = answered.json()
    assert (body["outcome"], body["campaign_id"], body["bridged_to"]) == ("connected", created["id"], BUSINESS_LINE)
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline and not int(CampaignItem.get(created["id"]).n_callbacks or 0):
        time.sleep(0.05)
    after = CampaignItem.get(created["id"], consistent_read=True)
    # 95 s connected: 4 started pulses of 30 s at the campaign's tariff
    assert int(after.charged) == int(before.charged) + 4 * TARIFF.voice_per_pulse
    assert_reconciled(after)
    assert_ledger_exact([shop.account_id])
