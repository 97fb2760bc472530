"""Smart retry parts on the whole local platform (R-CMP-5, R-CMP-4, R-CPL-2, R-BIL-2/3): extra rounds, each
`delay_minutes` after the previous part's last result, call again only the recipients whose result is in
`retry.on`; each part is reserved as it starts (not enough credit: a system pause, `resume_unfinished`
continues after a top-up); the ad cap is claimed once per recipient per campaign; `cancel_last_part` and
`cancel_all_parts` drop the parts not started. After each campaign: reserved = charged + released + refunded,
every ledger movement booked once, balance = Σ ledger."""

from __future__ import annotations

import time
from collections import defaultdict
from datetime import timedelta
from typing import Any

import pytest

from jarchi.clock import LocalClock
from jarchi.connectors.simulator import SimulatorConfig, VoiceRates
from jarchi.store.adcap import AdCapItem
from jarchi.store.campaigns import CampaignItem
from local.runtime import LocalRuntime
from tests.api import Api
from tests.campaign_harness import Customer, create, new_customer, recording_connector, run_to_end
from tests.integration.test_campaign_parts import assert_money_exact

NUMBERS = [f"+98912{i:07d}" for i in range(600, 606)]
NOBODY = NUMBERS[:2]  # never answer
BUSY_ONCE = NUMBERS[2]  # busy, then busy again (forced per number): called in every part
ANSWER = VoiceRates(answered=1, no_answer=0, busy=0, unreachable=0, failed=0, answering_machine=0)
OVERRIDES = {**dict.fromkeys(NOBODY, "no_answer"), BUSY_ONCE: "busy"}


@pytest.fixture
def shop(admin: Api, platform: LocalRuntime) -> Customer:
    return new_customer(admin, "Shop")


def _ad(retry: dict[str, Any], numbers: list[str] = NUMBERS) -> dict[str, Any]:
    return {
        "name": "Sale",
        "channel": "voice",
        "category": "advertising",
        "tts_text": "Our sale starts today.",
        "language": "en",
        "recipients": numbers,
        "speed_per_hour": 360_000,
        "retry": retry,
    }


def _view(customer: Customer, campaign_id: str) -> dict[str, Any]:
    campaign: dict[str, Any] = customer.api.get(f"/v1/campaigns/{campaign_id}").json()
    return campaign


def test_r_cmp_5_smart_parts_call_again_only_those_due_after_the_delay(
    shop: Customer, platform: LocalRuntime, clock: LocalClock
) -> None:
    # GIVEN an ad to six numbers with 2 smart parts on no_answer, 30 minutes apart
    # nobody opts out (vote 11): attempt ids are random, so the default 2 % would now and then take a listener
    config = SimulatorConfig(seed=7, voice=ANSWER, overrides=OVERRIDES, opt_out_probability=0)
    with recording_connector(config) as connector:
        campaign = create(shop, _ad({"parts": 2, "delay_minutes": 30, "on": ["no_answer"]}))
        assert "smart_2" in campaign["tags"]
        (item,) = run_to_end(clock, [campaign["id"]], region=platform.settings.region)
    assert_money_exact(item)
    # THEN part 0 called everyone, parts 1 and 2 only the two who did not answer (busy is not in `on`)
    by_part: dict[int, list[str]] = defaultdict(list)
    first_at: dict[int, Any] = {}
    for placed in connector.placed:
        part = int(placed.attempt_id.rsplit(".", 1)[1]) - 1
        by_part[part].append(placed.number)
        first_at.setdefault(part, placed.placed_at)
    assert sorted(by_part[0]) == sorted(NUMBERS)
    assert sorted(by_part[1]) == sorted(by_part[2]) == sorted(NOBODY)
    # AND each part starts at least its delay after the previous part's last result
    assert first_at[1] - first_at[0] >= timedelta(minutes=30) and first_at[2] - first_at[1] >= timedelta(minutes=30)
    # AND the view lists the parts with stats that add up to each part's total
    view = _view(shop, campaign["id"])
    parts = view["parts"]
    assert [(p["part"], p["kind"]) for p in parts] == [(0, "send"), (1, "retry"), (2, "retry")]
    for p in parts:
        stats = p["stats"]
        assert sum(v for k, v in stats.items() if k not in ("total", "leads")) == stats["total"], p
    assert [p["stats"]["no_answer"] for p in parts] == [2, 2, 2]
    assert (parts[0]["stats"]["answered"], parts[0]["stats"]["busy"]) == (3, 1)
    # AND each part's votes and money (R-REP-2): three answered without voting in part 0, nobody after; the
    # parts' money adds up to the campaign's, each part charged its units at the tariff
    assert [p["votes"]["0"] for p in parts] == [3, 0, 0] and view["votes"]["0"] == 3
    for key in ("reserved", "charged", "released", "refunded"):
        assert sum(p["cost"][key] for p in parts) == view["cost"][key], key
    assert [p["cost"]["charged"] > 0 for p in parts] == [True, False, False]
    assert sum(p["units_sent"] for p in parts) == view["units_sent"]
    assert all(p["cost"]["reserved"] > 0 for p in parts)  # each part reserved as it started
    # AND the 24 h ad cap was claimed once per number, by the first part's attempt (retries reuse it)
    claims = {c.number: c.attempt_id for c in AdCapItem.scan() if c.campaign_id == campaign["id"]}
    assert set(claims) == set(NUMBERS) and all(a.endswith(".1") for a in claims.values()), claims


def test_r_cmp_5_a_part_without_credit_pauses_and_resume_unfinished_continues(
    admin: Api, platform: LocalRuntime, clock: LocalClock
) -> None:
    # GIVEN a customer whose other campaign takes the credit the smart part would need
    config = SimulatorConfig(seed=8, voice=ANSWER, overrides=OVERRIDES)
    with recording_connector(config) as connector:
        poor = new_customer(admin, "Poor", credit=6 * 1000)
        campaign = create(poor, _ad({"parts": 1, "delay_minutes": 10, "on": ["no_answer"]}))
        region = platform.settings.region
        deadline = time.monotonic() + 30
        while int(CampaignItem.get(campaign["id"], attributes_to_get=["refunded"]).refunded or 0) == 0:
            assert time.monotonic() < deadline
            clock.advance(10)  # the workflow looks for results every 10 s
            time.sleep(0.1)
        # part 0 is over and gave back what it did not spend; a scheduled campaign takes that credit
        later = (clock.now() + timedelta(days=2)).isoformat()
        held = poor.api.post("/v1/campaigns", {**_ad({"parts": 0}, NUMBERS[:3]), "start_at": later})
        assert held.status == 201, held.body
        clock.advance(10 * 60)
        deadline = time.monotonic() + 30
        while (view := _view(poor, campaign["id"]))["status"] != "paused":
            assert time.monotonic() < deadline, view["status"]
            time.sleep(0.05)
        # THEN the system paused it for credit, and said so
        last = view["history"][-1]
        assert (last["actor"], last["reason"]) == ("system", "insufficient_credit")
        assert any(c["author"] == "system" and "insufficient_credit" in c["text"] for c in view["comments"])
        # WHEN the owner tops up and resumes the unfinished part
        admin.top_up(poor.account_id, 10_000)
        resumed = poor.api.post(f"/v1/campaigns/{campaign['id']}/resume_unfinished")
        assert resumed.status == 200, resumed.body
        (item,) = run_to_end(clock, [campaign["id"]], region=region)
    for action in ("stop", "finish"):  # the scheduled campaign gives its reservation back
        assert poor.api.post(f"/v1/campaigns/{held.json()['id']}/{action}").status == 200
    assert_money_exact(item)
    assert sorted(p.number for p in connector.placed if p.attempt_id.endswith(".2")) == sorted(NOBODY)


def test_r_cmp_4_cancel_all_parts_drops_the_parts_not_started(
    shop: Customer, platform: LocalRuntime, clock: LocalClock
) -> None:
    config = SimulatorConfig(seed=9, voice=ANSWER, overrides=OVERRIDES)
    with recording_connector(config) as connector:
        campaign = create(shop, _ad({"parts": 3, "delay_minutes": 60, "on": ["no_answer", "busy"]}))
        # cancel_last_part first: 3 → 2 planned
        cancelled = shop.api.post(f"/v1/campaigns/{campaign['id']}/cancel_last_part")
        assert cancelled.status == 200 and cancelled.json()["retry"]["parts"] == 2, cancelled.body
        everything = shop.api.post(f"/v1/campaigns/{campaign['id']}/cancel_all_parts")
        assert everything.status == 200 and everything.json()["retry"]["parts"] == 0, everything.body
        again = shop.api.post(f"/v1/campaigns/{campaign['id']}/cancel_all_parts")
        assert again.status == 409 and again.json()["error"]["code"] == "nothing_to_cancel", again.body
        (item,) = run_to_end(clock, [campaign["id"]], region=platform.settings.region)
    assert_money_exact(item)
    assert len(connector.placed) == len(NUMBERS) and int(item.part) == 0
    settled = shop.api.post(f"/v1/campaigns/{campaign['id']}/cancel_last_part")
    assert settled.status == 409 and settled.json()["error"]["code"] == "action_not_allowed", settled.body
