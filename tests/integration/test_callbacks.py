"""Callbacks within the hour (R-OUT-4) on the whole local platform: the simulator's subscriber calls back; the
callback rule connects a number the campaign called in the last hour (charged to the campaign's account by
pulses, even after the campaign settled: the money still reconciles) and refuses it after the hour (not
charged); the inbound call's end enters through `connector-events` and is booked once however often it is
delivered; shown per recipient and in the campaign's stats."""

from __future__ import annotations

import copy
import time
from typing import Any

import pytest

from functions.telephony.handler import handler as telephony
from jarchi.billing.tariffs import tariff_for
from jarchi.clock import LocalClock
from jarchi.connectors.simulator import Override, SimulatorConfig
from jarchi.store.campaigns import CampaignItem
from local.faults import injected
from local.functions import make_context
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
from tests.connectors.events import load_event

MISSED, LISTENED, FAILED = "+989120000001", "+989120000002", "+989120000003"
OVERRIDES = {MISSED: Override(outcome="no_answer"), LISTENED: Override(outcome="answered"), FAILED: "failed"}
TARIFF = tariff_for("customer")
DEADLINE_SECONDS = 20.0


@pytest.fixture
def shop(admin: Api, platform: LocalRuntime) -> Customer:
    return new_customer(admin, "Shop")


def _call_back(admin: Api, number: str, seconds: int) -> dict[str, Any]:
    response = admin.post("/v1/local/inbound-calls", {"number": number, "seconds": seconds})
    assert response.status == 201, response.body
    answered: dict[str, Any] = response.json()
    return answered


def _recipients(shop: Customer, campaign_id: str) -> dict[str, dict[str, Any]]:
    rows = shop.api.get(f"/v1/campaigns/{campaign_id}/recipients", limit=50).json()["items"]
    return {r["number"]: r for r in rows}


def _booked(shop: Customer, campaign_id: str, number: str, *, connected: int, refused: int) -> dict[str, Any]:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        row = _recipients(shop, campaign_id)[number]
        if (row["callbacks"], row["callbacks_refused"]) == (connected, refused):
            return row
        time.sleep(0.05)
    raise AssertionError(f"callbacks of {number} never reached {connected}/{refused}: {row}")


def test_r_out_4_callback_within_the_hour_is_connected_and_charged_after_it_refused_and_free(
    admin: Api, shop: Customer, clock: LocalClock, platform: LocalRuntime
) -> None:
    with recording_connector(SimulatorConfig(seed=1, overrides=OVERRIDES)) as connector:
        created = create(
            shop,
            {
                "name": "Call",
                "channel": "voice",
                "category": "service",
                "tts_text": "Your parcel is here",
                "language": "en",
                "recipients": list(OVERRIDES),
                "speed_per_hour": 360_000,
            },
        )
        [before] = run_to_end(clock, [created["id"]], region=platform.settings.region)
    campaign_id = created["id"]
    charged_before = int(before.charged)

    # GIVEN the campaign settled; WHEN the missed subscriber calls back 10 minutes later for 45 s
    # (every connector-events message delivered twice)
    clock.advance(600)
    # (the SIP media application's Lambda answers such a call the same way: the campaign's message again)
    dialled = next(p.caller_id for p in connector.placed if p.number == MISSED)
    inbound = copy.deepcopy(load_event("chime/NEW_INBOUND_CALL"))
    inbound["CallDetails"]["Participants"][0] |= {"From": MISSED, "To": dialled or "+13125550100"}
    reply = telephony(inbound, make_context("telephony", region=platform.settings.region))
    assert reply["TransactionAttributes"]["jarchi_callback"] == campaign_id
    assert [action["Type"] for action in reply["Actions"]] == ["PlayAudio"], reply  # its text, spoken at creation
    with injected({"MessageQueue.send@connector-events": {"duplicate": [1, 2, 3, 4]}}):
        answered = _call_back(admin, MISSED, 45)
        assert (answered["outcome"], answered["campaign_id"]) == ("connected", campaign_id)
        _booked(shop, campaign_id, MISSED, connected=1, refused=0)
    # THEN it is charged once, by started pulses (2), to the campaign's account
    after = CampaignItem.get(campaign_id, consistent_read=True)
    assert int(after.charged) == charged_before + 2 * TARIFF.voice_per_pulse
    assert shop.api.get(f"/v1/campaigns/{campaign_id}").json()["stats"]["callbacks"] == 1
    # AND the subscriber's timeline ends with it (SPEC §14 `callback`)
    story = shop.api.get(f"/v1/campaigns/{campaign_id}/recipients/{MISSED}").json()["timeline"]
    assert [e["event"] for e in story] == ["admitted", "placed", "no_answer", "callback"]
    assert story[-1]["detail"] == {"connected": 1, "refused": 0} and story[-1]["at"] > story[2]["at"]

    # WHEN the one who listened calls back after the hour, and a number no campaign called, and a failed one
    clock.advance(3600)
    assert _call_back(admin, LISTENED, 60)["outcome"] == "refused"
    unknown = _call_back(admin, "+989129999999", 60)
    assert (unknown["outcome"], unknown["campaign_id"]) == ("refused", None)
    assert _call_back(admin, FAILED, 60)["campaign_id"] is None  # a failed call never reached the subscriber
    # THEN refused, counted on its recipient, and never charged
    _booked(shop, campaign_id, LISTENED, connected=0, refused=1)
    final = CampaignItem.get(campaign_id, consistent_read=True)
    assert int(final.charged) == int(after.charged) and int(final.n_callbacks) == 1
    assert_reconciled(final)
    assert_ledger_exact([shop.account_id])
