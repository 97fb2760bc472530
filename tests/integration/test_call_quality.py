"""What happens around each call, on the whole local platform (issue 11): answering machines (a voicemail
instead of the message, charged like an answered call of its length, counted as `machine`) and the quality
gate with its circuit breaker (R-CPL-5): judged once at its checkpoint from the per-batch counters, a stop
refunds at once what was not placed, and the campaign stays stopped until its owner finishes it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from jarchi.clock import LocalClock
from jarchi.connectors.simulator import SimulatorConfig, VoiceRates
from jarchi.settings import reset_settings
from jarchi.store.campaigns import CampaignItem
from local.runtime import LocalRuntime
from tests.api import Api
from tests.campaign_harness import Customer, assert_ledger_exact, assert_reconciled, create, new_customer, run_to_end
from tests.campaign_harness import recording_connector as recording

NUMBERS = [f"+98912{i:07d}" for i in range(500, 540)]
ALL_ANSWER = VoiceRates(answered=1, no_answer=0, busy=0, unreachable=0, failed=0, answering_machine=0)
# About 170 words: a message of two pulses or more, so a voicemail of one pulse costs less.
LONG_TEXT = " ".join(["Hello, this is a message about your order and its delivery today."] * 14)


@pytest.fixture
def shop(admin: Api, platform: LocalRuntime) -> Customer:
    return new_customer(admin, "Shop")


def _voice(numbers: list[str], speed: int = 360_000, **extra: Any) -> dict[str, Any]:
    return {
        "name": "Calls",
        "channel": "voice",
        "category": "service",
        "tts_text": LONG_TEXT,
        "language": "en",
        "recipients": numbers,
        "speed_per_hour": speed,
        **extra,
    }


def _view(customer: Customer, campaign_id: str) -> dict[str, Any]:
    campaign: dict[str, Any] = customer.api.get(f"/v1/campaigns/{campaign_id}").json()
    return campaign


def _until_stopped(customer: Customer, clock: LocalClock, campaign_id: str, deadline: float = 30.0) -> dict[str, Any]:
    """Move the frozen clock a minute at a time, while nothing is in flight, until the campaign is stopped."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        item = CampaignItem.get(campaign_id, consistent_read=True, attributes_to_get=["status", "in_flight"])
        if item.status == "stopped" and int(item.in_flight) == 0:
            return _view(customer, campaign_id)
        assert item.status in ("accepted", "running", "waiting_window", "stopped"), item.status
        if int(item.in_flight) == 0:
            clock.advance(60)
        time.sleep(0.1)
    raise AssertionError(f"{campaign_id} was not stopped in {deadline} s")


def test_r_out_machine_hears_the_voicemail_and_is_charged_its_length(
    shop: Customer, platform: LocalRuntime, clock: LocalClock
) -> None:
    # GIVEN a voice campaign with a one-pulse voicemail, two of its four numbers answered by machines
    machines = NUMBERS[:2]
    config = SimulatorConfig(seed=1, voice=ALL_ANSWER, overrides=dict.fromkeys(machines, "machine"))
    with recording(config) as connector:
        campaign = create(shop, _voice(NUMBERS[:4], voicemail={"tts_text": "Please call us back."}))
        (item,) = run_to_end(clock, [campaign["id"]], region=platform.settings.region)
    assert_reconciled(item)
    assert_ledger_exact([shop.account_id])
    # THEN the machines are `machine` per recipient and in stats, the people `answered`
    view = _view(shop, campaign["id"])
    assert view["voicemail"] is True
    assert (view["stats"]["machine"], view["stats"]["answered"]) == (2, 2)
    rows = {r["number"]: r for r in shop.api.get(f"/v1/campaigns/{campaign['id']}/recipients").json()["items"]}
    assert {n for n, r in rows.items() if r["status"] == "machine"} == set(machines)
    # AND a machine costs the voicemail's pulse, a person the message's pulses
    tariff = int(item.tariff)
    pulses = int(item.content["pulses"])
    assert pulses > 1
    assert {rows[n]["cost"] for n in machines} == {tariff}
    assert {rows[n]["cost"] for n in NUMBERS[2:4]} == {pulses * tariff}
    assert {rows[n]["listened_seconds"] for n in machines} == {int(item.content["voicemail_seconds"])}
    assert sorted(p.status or "" for p in connector.placed) == ["answered", "answered", "machine", "machine"]


def test_r_out_a_voicemail_longer_than_the_message_is_refused(shop: Customer) -> None:
    body = _voice(NUMBERS[:1], tts_text="Hi.", voicemail={"tts_text": LONG_TEXT})
    response = shop.api.post("/v1/campaigns", body)
    assert response.status == 422 and response.json()["error"]["code"] == "voicemail_too_long", response.body
    sms = {"name": "x", "channel": "sms", "category": "service", "sms_text": f"{shop.sender}: hi"}
    response = shop.api.post(
        "/v1/campaigns", {**sms, "sender": shop.sender, "recipients": NUMBERS[:1], "voicemail": {"tts_text": "hi"}}
    )
    assert response.status == 422 and response.json()["error"]["code"] == "voicemail_not_supported", response.body


def test_r_cpl_5_low_acd_stops_the_campaign_at_its_checkpoint_and_refunds_the_rest(
    shop: Customer, platform: LocalRuntime, clock: LocalClock
) -> None:
    # GIVEN 40 recipients who all answer and hang up within the first fifth of the message, admitted 15 a
    # minute (900/h): the checkpoint (10 answered) is reached by the first results batch
    early = SimulatorConfig(seed=2, voice=ALL_ANSWER, full_listen_probability=0, max_listen_fraction=0.2)
    with recording(early) as connector:
        campaign = create(shop, _voice(NUMBERS, speed=900))
        view = _until_stopped(shop, clock, campaign["id"])
        # THEN it is stopped by the system as low_quality, with its band and figure, and a system comment
        last = view["history"][-1]
        assert (last["status"], last["actor"]) == ("stopped", "system")
        assert last["reason"].startswith("low_quality: ACD ") and "(poor)" in last["reason"], last
        assert view["quality"]["band"] == "poor" and view["quality"]["acd_percent"] < 40
        assert view["quality"]["stopped"] == "low_quality"
        assert any(c["author"] == "system" and "low_quality" in c["text"] for c in view["comments"])
        # AND no call was placed after the stop; what was not placed is released at once
        placed = len(connector.placed)
        assert placed < len(NUMBERS), placed
        pulses_cost = view["cost"]["reserved"] // len(NUMBERS)
        assert view["cost"]["released"] == (len(NUMBERS) - placed) * pulses_cost
        # AND it stays stopped until the owner finishes it (no resume)
        refused = shop.api.post(f"/v1/campaigns/{campaign['id']}/resume")
        assert refused.status == 409 and refused.json()["error"]["code"] == "action_not_allowed"
        clock.advance(3600)
        time.sleep(0.5)
        assert len(connector.placed) == placed
        finished = shop.api.post(f"/v1/campaigns/{campaign['id']}/finish")
        assert finished.status == 200, finished.body
    item = CampaignItem.get(campaign["id"], consistent_read=True)
    assert int(item.reserved) == int(item.charged) + int(item.released) + int(item.refunded)
    assert_ledger_exact([shop.account_id])


@pytest.fixture
def strict_answer_rate(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A breaker that wants half the calls answered, judged after 3 answered calls."""
    monkeypatch.setenv("JARCHI_QUALITY_MIN_ANSWERED", "3")
    monkeypatch.setenv("JARCHI_QUALITY_MIN_ANSWER_RATE_PERCENT", "50")
    reset_settings()
    yield
    monkeypatch.undo()
    reset_settings()


def test_r_cpl_5_circuit_breaker_stops_on_a_low_answer_rate_with_its_figure(
    strict_answer_rate: None, shop: Customer, platform: LocalRuntime, clock: LocalClock
) -> None:
    # GIVEN one answer in five calls (every fifth number), everyone who answers listening to the end
    rare = SimulatorConfig(
        seed=4,
        voice=ALL_ANSWER,
        full_listen_probability=1,
        overrides={n: "answered" if i % 5 == 0 else "no_answer" for i, n in enumerate(NUMBERS)},
    )
    with recording(rare):
        campaign = create(shop, _voice(NUMBERS, speed=900))
        view = _until_stopped(shop, clock, campaign["id"])
    reason = view["history"][-1]["reason"]
    assert reason.startswith("low_answer_rate: answer rate ") and "% < 50.0%" in reason, reason
    quality = view["quality"]
    assert quality["stopped"] == "low_answer_rate" and quality["acd_percent"] == 100.0
    assert quality["answer_rate_percent"] < 50


def test_r_cpl_5_a_good_campaign_is_judged_once_and_continues(
    shop: Customer, platform: LocalRuntime, clock: LocalClock
) -> None:
    with recording(SimulatorConfig(seed=5, voice=ALL_ANSWER, full_listen_probability=1)):
        campaign = create(shop, _voice(NUMBERS[:20]))
        (item,) = run_to_end(clock, [campaign["id"]], region=platform.settings.region)
    assert_reconciled(item)
    quality = _view(shop, campaign["id"])["quality"]
    assert (quality["acd_percent"], quality["band"], quality["stopped"]) == (100.0, "excellent", None)
    # Counted per batch over all 20 answered calls, although judged at the checkpoint.
    assert (int(item.q_answered), int(item.q_placed)) == (20, 20)
