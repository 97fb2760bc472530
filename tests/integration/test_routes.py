"""Routes and concurrent calls on the whole local platform (R-DSP-3): fixed lines are limited per route (area
code) to a number of calls at once shared by every campaign of the platform, mobile numbers are not; an account
is limited too. Campaigns of two accounts race for one route; calls last 20–30 s on the platform clock."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from jarchi.clock import LocalClock
from jarchi.connectors.simulator import SimulatorConfig, VoiceRates
from jarchi.settings import reset_settings
from jarchi.store.campaigns import CampaignItem
from jarchi.store.routes import DynamoRouteCapacity
from local.runtime import LocalRuntime
from tests.api import Api
from tests.campaign_harness import create, most_at_once, new_customer, recording_connector

TEHRAN = [f"+98218800{i:04d}" for i in range(18)]  # fixed lines, route +98-21
ISFAHAN = [f"+98313300{i:04d}" for i in range(4)]  # fixed lines, route +98-31
MOBILES = [f"+98912{i:07d}" for i in range(800, 808)]
ANSWER = VoiceRates(answered=1, no_answer=0, busy=0, unreachable=0, failed=0, answering_machine=0)
LONG_CALLS = SimulatorConfig(seed=9, voice=ANSWER, voice_latency_seconds=(20, 30))
ROUTE_LIMIT, ACCOUNT_LIMIT = 6, 4
CLOCK_STEP_SECONDS, DEADLINE_SECONDS = 10, 60.0


@pytest.fixture
def small_limits(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("JARCHI_ROUTE_MAX_CONCURRENT_CALLS", str(ROUTE_LIMIT))
    reset_settings()
    yield
    monkeypatch.undo()
    reset_settings()


def _call(numbers: list[str]) -> dict[str, object]:
    return {
        "name": "Call",
        "channel": "voice",
        "category": "service",
        "tts_text": "Your parcel is here",
        "language": "en",
        "recipients": numbers,
        "speed_per_hour": 360_000,
    }


def _drive(clock: LocalClock, campaign_ids: list[str]) -> None:
    """Calls take 20–30 s of platform clock: move it on in steps until every campaign is reconciled."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        items = [CampaignItem.get(i, consistent_read=True, attributes_to_get=["reconciled"]) for i in campaign_ids]
        if all(item.reconciled for item in items):
            return
        clock.advance(CLOCK_STEP_SECONDS)
        time.sleep(0.2)
    raise AssertionError(f"campaigns not reconciled within {DEADLINE_SECONDS} s")


def test_r_dsp_3_racing_campaigns_share_a_route_and_never_exceed_its_limit_mobiles_are_not_limited(
    small_limits: None, admin: Api, platform: LocalRuntime, clock: LocalClock
) -> None:
    # GIVEN two accounts whose campaigns call the same Tehran route at once, with mobiles and another route
    shop, bank = new_customer(admin, "Shop"), new_customer(admin, "Bank")
    with recording_connector(LONG_CALLS) as connector:
        # (admission keeps the audience's order: a full route holds back whoever comes after it, so mobiles first)
        first = create(shop, _call(MOBILES[:4] + TEHRAN[:9] + ISFAHAN[:2]))
        second = create(bank, _call(MOBILES[4:] + TEHRAN[9:] + ISFAHAN[2:]))
        _drive(clock, [first["id"], second["id"]])
    placed = connector.placed
    # THEN everyone was called once
    assert sorted(p.number for p in placed) == sorted(TEHRAN + MOBILES + ISFAHAN)
    # AND never more than the limit on a route at once, over both campaigns, though more were due
    tehran = [p for p in placed if p.number in TEHRAN]
    assert {p.route_slot.rsplit("#", 1)[0] for p in tehran if p.route_slot} == {"+98-21"}
    assert most_at_once(tehran) == ROUTE_LIMIT
    assert most_at_once([p for p in placed if p.number in ISFAHAN]) <= ROUTE_LIMIT
    # AND mobiles take no route slot and wait for none: all of them were called together
    mobiles = [p for p in placed if p.number in MOBILES]
    assert all(p.route_slot is None for p in mobiles) and most_at_once(mobiles) == len(MOBILES)
    # AND every slot was given back
    assert DynamoRouteCapacity().in_use("+98-21", clock.now()) == 0


def test_r_dsp_3_an_account_has_a_limit_of_calls_at_once(
    monkeypatch: pytest.MonkeyPatch, admin: Api, platform: LocalRuntime, clock: LocalClock
) -> None:
    monkeypatch.setenv("JARCHI_ACCOUNT_MAX_CONCURRENT_CALLS", str(ACCOUNT_LIMIT))
    reset_settings()
    try:
        shop = new_customer(admin, "Shop")
        with recording_connector(LONG_CALLS) as connector:
            campaign = create(shop, _call(MOBILES))
            _drive(clock, [campaign["id"]])
    finally:
        monkeypatch.undo()
        reset_settings()
    assert len(connector.placed) == len(MOBILES)
    assert most_at_once(connector.placed) == ACCOUNT_LIMIT
