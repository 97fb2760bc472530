"""Smart retry parts and the quality gate over real HTTP (issue 11: R-CMP-5, R-CPL-5, R-BIL-3).

- A voice ad with 2 retry parts on `no_answer` and a follow-up SMS on digit 1 while the simulator leaves 40 % of
  calls unanswered: each part calls only the previous part's unanswered, the per-part stats add up to each part's
  total, the follow-ups went only to voters of 1 (once each, R-OUT-3), and the money reconciles (reserved =
  charged + released + refunded, balance = Σ ledger, charged = Σ of the calls' and the follow-ups' costs).
- Listeners who hang up early: the gate stops the campaign as `low_quality` at its checkpoint, releases the
  reservation of the recipients not placed at once, and `finish` refunds the rest.
"""

from __future__ import annotations

import itertools
import time
from typing import Any

import pytest

from tests.e2e.conftest import SIMULATOR_CONFIG, HttpApi, Platform, customer_with_sender
from tests.e2e.test_operating_a_campaign import _money_exact

DEADLINE_SECONDS = 90.0
NUMBERS = [f"+98912{i:07d}" for i in range(7000, 7040)]


def _voice(**rates: float) -> dict[str, float]:
    none = {"answered": 0.0, "no_answer": 0.0, "busy": 0.0, "unreachable": 0.0, "failed": 0.0}
    return {**none, "answering_machine": 0.0, **rates}


@pytest.fixture
def simulator_config(request: pytest.FixtureRequest) -> dict[str, Any]:
    if "early_hang_ups" in request.node.name:
        # everyone answers and hangs up within the first fifth of the message
        return {**SIMULATOR_CONFIG, "voice": _voice(answered=1.0), "full_listen_probability": 0.0,
                "max_listen_fraction": 0.2, "overrides": {}}  # fmt: skip
    return {**SIMULATOR_CONFIG, "voice": _voice(answered=0.6, no_answer=0.4), "overrides": {}}


def _customer(admin: HttpApi) -> HttpApi:
    account = admin.ok("POST", "/v1/accounts", {"name": "Radio shop", "type": "customer"}, status=201)
    token = admin.ok("POST", f"/v1/accounts/{account['id']}/tokens", {"name": "e2e"}, status=201)["token"]
    admin.ok("POST", f"/v1/accounts/{account['id']}/credit", {"amount": 5_000_000}, status=201)
    return admin.as_(token)


def _ad(**extra: Any) -> dict[str, Any]:
    return {
        "name": "Weekend sale",
        "channel": "voice",
        "category": "advertising",
        "tts_text": "Our weekend sale starts on Friday. Press one to hear more.",
        "language": "en",
        "vote": True,
        "recipients": NUMBERS,
        **extra,
    }


def _drive(api: HttpApi, admin: HttpApi, campaign_id: str, done: str, step_seconds: int) -> dict[str, Any]:
    """Move the platform's clock while nothing is in flight, until the campaign is `done` with nothing in flight."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while True:
        campaign: dict[str, Any] = api.ok("GET", f"/v1/campaigns/{campaign_id}")
        settled = campaign["status"] == done and campaign["stats"]["in_progress"] == 0
        if settled and (done != "finished" or campaign["cost"]["reserved"] == sum(
            campaign["cost"][k] for k in ("charged", "released", "refunded"))):  # fmt: skip
            return campaign
        assert campaign["status"] in ("accepted", "running", "waiting_window", done), campaign["history"][-1]
        assert time.monotonic() < deadline, f"{campaign_id} never {done}: {campaign['status']} {campaign['stats']}"
        if campaign["stats"]["in_progress"] == 0:
            admin.ok("POST", "/v1/local/clock", {"advance_seconds": step_seconds})
        time.sleep(0.05)


def test_r_cmp_5_a_voice_ad_with_two_retry_parts_over_http(platform: Platform) -> None:
    admin = platform.admin
    shop = customer_with_sender(admin, "RadioShop", credit=5_000_000)
    retry = {"parts": 2, "delay_minutes": 20, "on": ["no_answer"]}
    follow_up = {"on": "vote", "digits": ["1"], "sms_text": "RadioShop: your coupon is SALE1", "sender": "RadioShop"}
    body = _ad(retry=retry, speed_per_hour=360_000, follow_ups=[follow_up])
    created = shop.ok("POST", "/v1/campaigns", body, status=201)
    assert "smart_2" in created["tags"] and created["retry"] == retry
    campaign = _drive(shop, admin, created["id"], "finished", 300)
    parts = campaign["parts"]
    # THEN each part called exactly the previous part's unanswered, and its stats add up to its total
    assert [p["kind"] for p in parts] == ["send", "retry", "retry"][: len(parts)] and len(parts) >= 2
    for part in parts:
        stats = part["stats"]
        assert (
            sum(v for k, v in stats.items() if k not in ("total", "follow_ups_sent", "callbacks", "leads"))
            == stats["total"]
        )
        assert stats["answered"] + stats["no_answer"] == stats["total"], stats
    for before, after in itertools.pairwise(parts):
        assert after["stats"]["total"] == before["stats"]["no_answer"] > 0
    assert parts[0]["stats"]["total"] == len(NUMBERS)
    # AND per part, the recipients list holds who was called
    for part in parts[1:]:
        previous = shop.ok("GET", f"/v1/campaigns/{campaign['id']}/recipients", part=part["part"] - 1, limit=100)
        called = shop.ok("GET", f"/v1/campaigns/{campaign['id']}/recipients", part=part["part"], limit=100)
        unanswered = {r["number"] for r in previous["items"] if r["status"] == "no_answer"}
        assert {r["number"] for r in called["items"]} == unanswered
    # AND a follow-up SMS went to every voter of 1, once, and to nobody else
    rows = [
        row
        for part in parts
        for row in shop.ok("GET", f"/v1/campaigns/{campaign['id']}/recipients", part=part["part"], limit=100)["items"]
    ]
    voters = [r for r in rows if r["vote"] == 1]
    assert voters and all(len(r["follow_ups"]) == 1 for r in voters)
    assert all(r["follow_ups"] == [] for r in rows if r["vote"] != 1)
    not_sent = ("window_closed", "blacklisted", "opted_out")
    sent = [f for r in voters for f in r["follow_ups"] if f["status"] not in not_sent]
    assert campaign["stats"]["follow_ups_sent"] <= len(sent)
    # AND the money reconciles over all parts: charged = the calls' costs + the follow-ups' costs
    _money_exact(shop, campaign)
    assert campaign["cost"]["charged"] == sum(r["cost"] + sum(f["cost"] for f in r["follow_ups"]) for r in rows)


def test_r_cpl_5_early_hang_ups_stop_the_campaign_as_low_quality_over_http(platform: Platform) -> None:
    admin = platform.admin
    shop = _customer(admin)
    # 40 recipients admitted 15 a minute: the checkpoint (10 answered) comes with the first results
    created = shop.ok("POST", "/v1/campaigns", _ad(speed_per_hour=900), status=201)
    stopped = _drive(shop, admin, created["id"], "stopped", 60)
    last = stopped["history"][-1]
    assert (last["status"], last["actor"]) == ("stopped", "system") and last["reason"].startswith("low_quality")
    quality = stopped["quality"]
    assert quality["stopped"] == "low_quality" and quality["acd_percent"] < 40 and quality["band"] in ("poor", "low")
    placed = len(NUMBERS) - stopped["stats"]["pending"]
    assert placed < len(NUMBERS)
    per_recipient = stopped["cost"]["reserved"] // len(NUMBERS)
    assert stopped["cost"]["released"] == stopped["stats"]["pending"] * per_recipient
    # the owner finishes it: the rest is refunded, the money reconciles
    finished = shop.ok("POST", f"/v1/campaigns/{created['id']}/finish")
    assert finished["status"] == "finished"
    _money_exact(shop, finished)
