"""Operating a campaign over real HTTP (issue 12: R-CPL-4, R-CMP-3..6, R-REP-1, R-BIL-3): a new account's
campaign goes through moderation (a question, the owner's answer, acceptance), runs and finishes, is retried
for the number that failed, finishes again, is copied (the copy waits for review too) and archived; the list
answers with its filters. Money holds after every part: reserved = charged + released + refunded."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import HttpApi, Platform, customer_with_sender

DEADLINE_SECONDS = 60.0
DELIVERED, UNDELIVERED = "+989120000031", "+989120000032"


@pytest.fixture
def moderated(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """As in the product: campaigns of accounts younger than 7 days wait for a reviewer."""
    monkeypatch.setenv("JARCHI_CAMPAIGN_MODERATION_DAYS", "7")
    yield


def _finished(api: HttpApi, admin: HttpApi, campaign_id: str, part: int) -> dict[str, Any]:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while True:
        campaign: dict[str, Any] = api.ok("GET", f"/v1/campaigns/{campaign_id}")
        if campaign["status"] == "finished" and campaign["part"] == part:
            return campaign
        assert campaign["status"] not in ("error", "stopped"), campaign
        assert time.monotonic() < deadline, f"{campaign_id} part {part} never finished: {campaign}"
        admin.ok("POST", "/v1/local/clock", {"advance_seconds": 15})
        time.sleep(0.05)


def _money_exact(api: HttpApi, campaign: dict[str, Any]) -> None:
    cost = campaign["cost"]
    assert cost["reserved"] == cost["charged"] + cost["released"] + cost["refunded"], cost
    entries = api.ok("GET", "/v1/credit/transactions", campaign_id=campaign["id"], limit=200)["items"]
    by_type: dict[str, int] = {}
    for entry in entries:
        by_type[entry["type"]] = by_type.get(entry["type"], 0) + entry["amount"]
    assert by_type.get("reservation", 0) == cost["reserved"] and by_type.get("charge", 0) == cost["charged"]
    assert by_type.get("refund", 0) == cost["refunded"]
    credit = api.ok("GET", "/v1/credit")
    everything = api.ok("GET", "/v1/credit/transactions", limit=200)["items"]
    assert sum(e["balance_delta"] for e in everything) == credit["balance"]
    assert credit["reserved"] == 0


def test_r_cpl_4_r_cmp_4_a_campaign_from_review_to_retry_copy_and_archive(moderated: None, platform: Platform) -> None:
    admin = platform.admin
    shop = customer_with_sender(admin, "Bakery")

    # create → moderation (a new account), the admin sees it waiting
    body = {
        "name": "Fresh bread",
        "channel": "sms",
        "category": "service",
        "sms_text": "Bakery: fresh bread at 17:00",
        "sender": "Bakery",
        "recipients": [DELIVERED, UNDELIVERED],
    }
    created = shop.ok("POST", "/v1/campaigns", body, status=201)
    campaign_id = created["id"]
    assert created["status"] == "moderation"
    assert campaign_id in [c["id"] for c in admin.ok("GET", "/v1/moderation/campaigns")["items"]]
    # clarify → the owner's comment sends it back → accept → it runs by itself
    asked = admin.ok("POST", f"/v1/campaigns/{campaign_id}/moderation", {"decision": "clarify", "reason": "Whose?"})
    assert asked["status"] == "clarification"
    answered = shop.ok("POST", f"/v1/campaigns/{campaign_id}/comment", {"text": "Our regulars"})
    assert answered["status"] == "moderation"
    admin.ok("POST", f"/v1/campaigns/{campaign_id}/moderation", {"decision": "accept"})
    first = _finished(shop, admin, campaign_id, part=0)
    assert (first["stats"]["delivered"], first["stats"]["failed"]) == (1, 1)
    _money_exact(shop, first)
    # retry_failed → a part for the undelivered number only → finished again
    retry = shop.ok("POST", f"/v1/campaigns/{campaign_id}/retry_failed")
    assert retry["part"] == 1 and retry["stats"]["total"] == 1
    second = _finished(shop, admin, campaign_id, part=1)
    rows = shop.ok("GET", f"/v1/campaigns/{campaign_id}/recipients")["items"]
    assert [(r["number"], r["attempts"]) for r in rows] == [(UNDELIVERED, 2)]
    assert [p["kind"] for p in second["parts"]] == ["send", "retry_failed"]
    _money_exact(shop, second)
    # copy → a new campaign, waiting for review like any new one; archive the original
    copy = shop.ok("POST", f"/v1/campaigns/{campaign_id}/copy", status=201)
    assert copy["status"] == "moderation" and copy["copied_from"] == campaign_id
    archived = shop.ok("POST", f"/v1/campaigns/{campaign_id}/archive")
    assert archived["archived"] is True
    # the list with its filters
    listed = [c["id"] for c in shop.ok("GET", "/v1/campaigns")["items"]]
    assert listed == [copy["id"]]
    assert [c["id"] for c in shop.ok("GET", "/v1/campaigns", archived="true")["items"]] == [campaign_id]
    waiting = shop.get("/v1/campaigns", status="moderation", q="bread")  # `ok` takes status for the answer's
    assert [c["id"] for c in waiting.json()["items"]] == [copy["id"]]
    assert shop.get("/v1/campaigns", status="finished").json()["items"] == []
    kinds = [(c["author"], c["text"]) for c in archived["comments"]]
    assert kinds == [("system", "clarify: Whose?"), ("user", "Our regulars"), ("system", "accept")]
