"""The caller-ID pool on the whole local platform (R-DSP-5, SPEC §14 `/v1/caller-ids`): the admin assigns
numbers to an account; a campaign with `caller_id_pool` spreads its calls over them and a recipient keeps the
same caller ID across its retry parts; a callback finds its campaign by the number dialled and the caller's
(R-OUT-4); `release` returns a number to the platform once no campaign that may still call uses it."""

from __future__ import annotations

import time
from collections import defaultdict
from typing import Any

import pytest

from jarchi.clock import LocalClock
from jarchi.connectors.simulator import SimulatorConfig, VoiceRates
from local.runtime import LocalRuntime
from tests.api import Api
from tests.campaign_harness import Customer, create, new_customer, recording_connector, run_to_end

POOL = ["+982191001000", "+982191001001", "+982191001002"]
NUMBERS = [f"+98912{i:07d}" for i in range(700, 712)]
NOBODY = NUMBERS[:4]  # never answer: called again in the smart part
ANSWER = VoiceRates(answered=1, no_answer=0, busy=0, unreachable=0, failed=0, answering_machine=0)
DEADLINE_SECONDS = 20.0


@pytest.fixture
def shop(admin: Api, platform: LocalRuntime) -> Customer:
    return new_customer(admin, "Shop")


def _assign(admin: Api, account_id: str, numbers: list[str]) -> dict[str, Any]:
    response = admin.post("/v1/caller-ids", {"account_id": account_id, "numbers": numbers})
    assert response.status == 201, response.body
    body: dict[str, Any] = response.json()
    return body


def _call(numbers: list[str], **extra: Any) -> dict[str, Any]:
    return {
        "name": "Call",
        "channel": "voice",
        "category": "service",
        "tts_text": "Your parcel is here",
        "language": "en",
        "recipients": numbers,
        "speed_per_hour": 360_000,
        **extra,
    }


def test_r_dsp_5_the_admin_assigns_numbers_one_account_each_and_the_account_lists_its_own(
    admin: Api, shop: Customer
) -> None:
    other = new_customer(admin, "Other")
    # the admin only; E.164 only; a number is one account's
    assert shop.api.post("/v1/caller-ids", {"account_id": shop.account_id, "numbers": POOL}).status == 403
    bad = admin.post("/v1/caller-ids", {"account_id": shop.account_id, "numbers": ["02191001000"]})
    assert (bad.status, bad.json()["error"]["code"]) == (422, "invalid_caller_id")
    assigned = _assign(admin, shop.account_id, POOL)["items"]
    assert [(c["number"], c["account_id"]) for c in assigned] == [(n, shop.account_id) for n in POOL]
    assert _assign(admin, shop.account_id, POOL[:1])["items"][0]["id"] == assigned[0]["id"]  # again: unchanged
    taken = admin.post("/v1/caller-ids", {"account_id": other.account_id, "numbers": [POOL[0], "+982191009999"]})
    assert (taken.status, taken.json()["error"]["code"]) == (409, "caller_id_taken")
    assert admin.get("/v1/caller-ids", account_id=other.account_id).json()["items"] == []  # nothing half-assigned
    # each account sees its own; another's are not found
    mine = shop.api.get("/v1/caller-ids").json()["items"]
    assert [c["number"] for c in mine] == POOL
    assert other.api.get("/v1/caller-ids", account_id=shop.account_id).status == 404
    assert other.api.post(f"/v1/caller-ids/{assigned[0]['id']}/release").status == 404
    # a pool campaign needs numbers; an SMS campaign takes no pool
    refused = other.api.post("/v1/campaigns", _call(NUMBERS[:1], caller_id_pool=True))
    assert (refused.status, refused.json()["error"]["code"]) == (422, "no_caller_ids")


def test_r_dsp_5_calls_rotate_over_the_pool_and_a_recipient_keeps_its_caller_id_across_parts(
    admin: Api, shop: Customer, platform: LocalRuntime, clock: LocalClock
) -> None:
    _assign(admin, shop.account_id, POOL)
    config = SimulatorConfig(seed=3, voice=ANSWER, overrides=dict.fromkeys(NOBODY, "no_answer"))
    with recording_connector(config) as connector:
        campaign = create(shop, _call(NUMBERS, caller_id_pool=True, retry={"parts": 1, "delay_minutes": 5}))
        assert "caller_id_pool" in campaign["tags"] and campaign["caller_ids"] == POOL
        run_to_end(clock, [campaign["id"]], region=platform.settings.region)
    by_number: dict[str, set[str | None]] = defaultdict(set)
    for placed in connector.placed:
        by_number[placed.number].add(placed.caller_id)
    # every call went out from the pool, spread over it, and each recipient always from the same number
    assert all(len(ids) == 1 for ids in by_number.values()), by_number
    used = [next(iter(ids)) for ids in by_number.values()]
    assert set(used) <= set(POOL) and len(set(used)) >= 2
    assert sum(1 for p in connector.placed if p.number in NOBODY) == 2 * len(NOBODY)  # called in both parts
    for part, numbers in ((0, NUMBERS), (1, NOBODY)):
        rows = shop.api.get(f"/v1/campaigns/{campaign['id']}/recipients", limit=50, part=part).json()["items"]
        assert {r["number"]: r["caller_id"] for r in rows} == {n: next(iter(by_number[n])) for n in numbers}


def _booked_callbacks(customer: Customer, campaign_id: str, number: str) -> int:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        rows = customer.api.get(f"/v1/campaigns/{campaign_id}/recipients", limit=50).json()["items"]
        counted = next(r["callbacks"] for r in rows if r["number"] == number)
        if counted:
            return int(counted)
        time.sleep(0.05)
    return 0


def test_r_out_4_a_callback_finds_the_campaign_whose_caller_id_was_dialled_not_the_newest_call(
    admin: Api, shop: Customer, platform: LocalRuntime, clock: LocalClock
) -> None:
    # GIVEN one subscriber called from the shop's pool number, then 10 minutes later by another account's
    # campaign from that account's pool
    other = new_customer(admin, "Other")
    _assign(admin, shop.account_id, POOL[:1])
    _assign(admin, other.account_id, ["+982191002000"])
    subscriber = NUMBERS[-1]
    config = SimulatorConfig(seed=4, voice=ANSWER)
    region = platform.settings.region
    with recording_connector(config):
        first = create(shop, _call([subscriber], caller_id_pool=True))
        run_to_end(clock, [first["id"]], region=region)
        clock.advance(600)
        second = create(other, _call([subscriber], caller_id_pool=True))
        run_to_end(clock, [second["id"]], region=region)
    # WHEN the subscriber calls the shop's number back
    answered = admin.post("/v1/local/inbound-calls", {"number": subscriber, "seconds": 20, "caller_id": POOL[0]})
    # THEN the shop's campaign answers and is charged, though the other call was newer
    assert (answered.status, answered.json()["campaign_id"]) == (201, first["id"]), answered.body
    assert _booked_callbacks(shop, first["id"], subscriber) == 1
    # AND the other account's number reaches the other campaign; the number alone, the newest call
    to_other = admin.post("/v1/local/inbound-calls", {"number": subscriber, "seconds": 5, "caller_id": "+982191002000"})
    assert to_other.json()["campaign_id"] == second["id"]
    assert admin.post("/v1/local/inbound-calls", {"number": subscriber}).json()["campaign_id"] == second["id"]


def test_r_dsp_5_a_number_is_released_only_when_no_campaign_that_may_call_uses_it(
    admin: Api, shop: Customer, platform: LocalRuntime, clock: LocalClock
) -> None:
    [held] = _assign(admin, shop.account_id, POOL[:1])["items"]
    with recording_connector(SimulatorConfig(seed=5, voice=ANSWER)):
        campaign = create(shop, _call(NUMBERS[:2], caller_id_pool=True, auto_start=False))
        # WHEN the pool's campaign has not run yet THEN the number stays
        busy = shop.api.post(f"/v1/caller-ids/{held['id']}/release")
        assert (busy.status, busy.json()["error"]["code"]) == (409, "caller_id_in_use")
        assert busy.json()["error"]["campaign_id"] == campaign["id"]
        assert shop.api.post(f"/v1/campaigns/{campaign['id']}/start").status == 200
        run_to_end(clock, [campaign["id"]], region=platform.settings.region)
    # WHEN it finished THEN the owner releases it: back to the platform, free for another account
    released = shop.api.post(f"/v1/caller-ids/{held['id']}/release")
    assert (released.status, released.json()["number"]) == (200, POOL[0]), released.body
    assert shop.api.get("/v1/caller-ids").json()["items"] == []
    assert shop.api.post(f"/v1/caller-ids/{held['id']}/release").status == 404
    # AND the finished campaign cannot send again from a number it no longer has
    again = shop.api.post(f"/v1/campaigns/{campaign['id']}/reset")
    assert again.status in (409, 422) and again.json()["error"]["code"] in ("caller_id_released", "no_caller_ids")
    other = new_customer(admin, "Other")
    assert _assign(admin, other.account_id, POOL[:1])["items"][0]["account_id"] == other.account_id
