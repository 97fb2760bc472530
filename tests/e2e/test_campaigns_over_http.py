"""Campaigns over real HTTP against the local platform (R-RUN-1..3): create a customer, top up, upload a
list, create a campaign, watch it wait for its window, move the clock, watch it run, finish and reconcile
(R-CMP-1..3, R-CPL-1, R-LST-1/2, R-AUD-3, R-SMS-2/4, R-BIL-1..3); quick send (R-CMP-7).

Money (jarchi.billing.tariffs, customer accounts): 1,000 rials per voice pulse, 1,200 per SMS segment.
Outcomes are forced per number by the simulator configuration in conftest.py."""

from __future__ import annotations

import base64
import time
from collections import Counter
from datetime import datetime
from typing import Any

from jarchi.campaigns.models import RecipientState
from jarchi.store.campaigns import RecipientItem, to_state
from tests.e2e.conftest import START, HttpApi, Platform
from tests.fixtures.audio import encoded

DEADLINE_SECONDS = 60.0
POLL_ADVANCE_SECONDS = 15  # lets the workflow's 10 s waits for in-flight results pass on the frozen clock
VOICE_PER_PULSE = 1_000
SMS_PER_SEGMENT = 1_200
FINAL_STATS = (
    "answered",
    "delivered",
    "no_answer",
    "busy",
    "failed",
    "frequency_capped",
    "opted_out",
    "blacklisted",
    "invalid",
)


# -- helpers -------------------------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _at(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    assert moment.utcoffset() is not None, f"{value!r} has no offset"
    return moment


def _advance(admin: HttpApi, seconds: int) -> datetime:
    return _at(admin.ok("POST", "/v1/local/clock", {"advance_seconds": seconds})["now"])


def _customer(admin: HttpApi, name: str, credit: int) -> tuple[str, HttpApi]:
    account = admin.ok("POST", "/v1/accounts", {"name": name, "type": "customer"}, status=201)
    assert account["type"] == "customer" and account["timezone"] == "Asia/Tehran"
    token = admin.ok("POST", f"/v1/accounts/{account['id']}/tokens", {"name": "e2e"}, status=201)["token"]
    topped = admin.ok(
        "POST", f"/v1/accounts/{account['id']}/credit", {"amount": credit, "reference": "inv"}, status=201
    )
    assert topped["balance"] == credit and topped["entry"]["type"] == "top_up"
    customer = admin.as_(token)
    assert customer.ok("GET", "/v1/credit") == {"balance": credit, "reserved": 0, "available": credit}
    return account["id"], customer


def _approved_sender(admin: HttpApi, customer: HttpApi, name: str = "Shop") -> None:
    sender = customer.ok("POST", "/v1/senders", {"name": name}, status=201)
    assert sender["status"] == "pending"
    approved = admin.ok("POST", f"/v1/senders/{sender['id']}/moderation", {"decision": "approve"})
    assert approved["status"] == "approved"


def _campaign(api: HttpApi, campaign_id: str) -> dict[str, Any]:
    campaign: dict[str, Any] = api.ok("GET", f"/v1/campaigns/{campaign_id}")
    return campaign


def _wait_for(api: HttpApi, admin: HttpApi, campaign_id: str, status: str, *, advance: bool = False) -> dict[str, Any]:
    """Poll the campaign until `status` (real-time deadline); with `advance`, move the clock each poll."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    campaign = _campaign(api, campaign_id)
    while campaign["status"] != status:
        assert campaign["status"] not in ("error", "stopped", "finished"), campaign
        assert time.monotonic() < deadline, f"{campaign_id} never reached {status}: {campaign}"
        if advance:
            _advance(admin, POLL_ADVANCE_SECONDS)
        time.sleep(0.05)
        campaign = _campaign(api, campaign_id)
    return campaign


def _pages(api: HttpApi, path: str, **query: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        page = api.ok("GET", path, limit=2, cursor=cursor, **query)  # small pages: the cursor is exercised
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


def _recipients(api: HttpApi, campaign_id: str) -> dict[str, dict[str, Any]]:
    rows = _pages(api, f"/v1/campaigns/{campaign_id}/recipients")
    by_number = {row["number"]: row for row in rows}
    assert len(by_number) == len(rows), "a recipient is listed twice"
    return by_number


def _stored_recipients(campaign_id: str) -> list[RecipientState]:
    """The recipient items in DynamoDB (moto, in this process), decoded by the store: only what admission has
    decided about."""
    return [to_state(item) for item in RecipientItem.query(campaign_id, consistent_read=True)]


def _assert_reconciled(api: HttpApi, campaign: dict[str, Any], *, charged: int, top_up: int) -> None:
    """R-BIL-3: reserved = charged + refunded (+ released), the ledger and the balance agree."""
    cost, stats = campaign["cost"], campaign["stats"]
    assert cost["charged"] == charged
    assert cost["reserved"] == cost["estimated"]
    assert cost["reserved"] == cost["charged"] + cost["refunded"] + cost["released"]
    assert stats["pending"] == 0 and stats["in_progress"] == 0
    assert sum(stats[key] for key in FINAL_STATS) == stats["total"]
    assert [h["status"] for h in campaign["history"]][-1] == "finished"

    rows = _recipients(api, campaign["id"])
    assert len(rows) == stats["total"]
    assert all(row["status"] not in ("pending", "in_progress", "sent") for row in rows.values())
    assert sum(row["cost"] for row in rows.values()) == charged

    entries = _pages(api, "/v1/credit/transactions", campaign_id=campaign["id"])
    assert entries and all(e["campaign_id"] == campaign["id"] for e in entries)
    by_type: Counter[str] = Counter()
    for entry in entries:
        by_type[entry["type"]] += entry["amount"]
    assert set(by_type) <= {"reservation", "charge", "refund", "release"}
    assert by_type["reservation"] == cost["reserved"]
    assert by_type["charge"] == cost["charged"]
    assert by_type["refund"] == cost["refunded"]
    assert by_type["release"] == cost["released"]
    assert sum(e["balance_delta"] for e in entries) == -charged
    assert sum(e["reserved_delta"] for e in entries) == 0
    assert sum(1 for e in entries if e["type"] == "refund") <= 1  # reconciliation happens once

    credit = api.ok("GET", "/v1/credit")
    assert credit == {"balance": top_up - charged, "reserved": 0, "available": top_up - charged}
    everything = _pages(api, "/v1/credit/transactions")
    assert sum(e["balance_delta"] for e in everything) == credit["balance"]
    assert sum(e["reserved_delta"] for e in everything) == credit["reserved"]


# -- voice advertising: waits for its window, then runs --------------------------------------------------


def test_r_cpl_1_r_cmp_2_voice_advertising_waits_for_0930_then_runs_and_reconciles(platform: Platform) -> None:
    admin = platform.admin
    top_up = 100_000
    _, shop = _customer(admin, "Bakery", top_up)

    # R-LST-1/2: a list with a duplicate and an invalid number; numbers normalised to E.164
    listed = shop.ok(
        "POST",
        "/v1/contact-lists",
        {
            "name": "Customers",
            "numbers": [
                "09120000001",
                "+989120000002",
                "0912 000 0003",
                "09120000004",
                "+98 912 000 0001",  # the first number again
                "12345",  # not a phone number
            ],
        },
        status=201,
    )
    assert (listed["read"], listed["invalid"], listed["duplicate"], listed["kept"]) == (6, 1, 1, 4)
    assert [line["value"] for line in listed["invalid_lines"]] == ["12345"]
    numbers = {f"+98912000000{i}" for i in range(1, 5)}

    # R-AUD-1..3: 4 s of audio is one pulse, and unusable until an operator approves it
    audio = shop.ok(
        "POST", "/v1/audio", {"title": "Fresh bread", "content_base64": _b64(encoded("wav", 4.0))}, status=201
    )
    assert (audio["status"], audio["pulses"], audio["format"]) == ("pending", 1, "wav")
    body = {
        "name": "Morning bread",
        "channel": "voice",
        "category": "advertising",
        "audio_id": audio["id"],
        "contact_list_id": listed["id"],
        "speed_per_hour": 360_000,
    }
    refused = shop.post("/v1/campaigns", body)
    assert refused.status == 422 and refused.json()["error"]["code"] == "audio_not_approved", refused.body
    assert admin.ok("POST", f"/v1/audio/{audio['id']}/moderation", {"decision": "approve"})["status"] == "approved"

    # R-RUN-3: only admin moves the clock; 08:00 next morning in Tehran (recipients' zone)
    denied = shop.post("/v1/local/clock", {"advance_seconds": 60})
    assert denied.status == 403 and denied.json()["error"]["code"] == "admin_only", denied.body
    eight = _advance(admin, 22 * 3600)
    assert eight == datetime.fromisoformat("2026-03-03T08:00:00+03:30")
    assert _at(admin.ok("GET", "/v1/local/clock")["now"]) == eight
    opening = datetime.fromisoformat("2026-03-03T09:30:00+03:30")

    estimate = shop.ok("POST", "/v1/estimates", body)
    assert (estimate["estimated"], estimate["recipients"], estimate["parts"]) == (4 * VOICE_PER_PULSE, 4, 4)
    created = shop.ok("POST", "/v1/campaigns", body, status=201)
    assert created["cost"]["reserved"] == created["cost"]["estimated"] == 4 * VOICE_PER_PULSE
    assert shop.ok("GET", "/v1/credit") == {"balance": top_up, "reserved": 4_000, "available": top_up - 4_000}

    # WHEN it is 08:00 for every recipient: it waits, nothing is attempted (R-CPL-1)
    waiting = _wait_for(shop, admin, created["id"], "waiting_window")
    assert waiting["stats"]["total"] == waiting["stats"]["pending"] == 4
    assert waiting["stats"]["in_progress"] == 0 and waiting["cost"]["charged"] == 0
    time.sleep(0.3)  # it stays waiting while the clock stands still
    assert _campaign(shop, created["id"])["status"] == "waiting_window"
    rows = _recipients(shop, created["id"])
    assert set(rows) == numbers
    assert all(r["status"] == "pending" and r["attempts"] == 0 for r in rows.values()), rows
    assert all(r.updated_at is None for r in _stored_recipients(created["id"]))

    # THEN at 09:30 exactly the window opens and it runs to the end
    assert _advance(admin, 90 * 60) == opening
    done = _wait_for(shop, admin, created["id"], "finished", advance=True)

    stats = done["stats"]
    assert (stats["answered"], stats["busy"], stats["no_answer"], stats["total"]) == (2, 1, 1, 4)
    _assert_reconciled(shop, done, charged=2 * VOICE_PER_PULSE, top_up=top_up)
    assert done["cost"]["refunded"] + done["cost"]["released"] == 2 * VOICE_PER_PULSE
    rows = _recipients(shop, created["id"])
    assert {n: (r["status"], r["cost"], r["attempts"]) for n, r in rows.items()} == {
        "+989120000001": ("answered", VOICE_PER_PULSE, 1),
        "+989120000002": ("answered", VOICE_PER_PULSE, 1),
        "+989120000003": ("busy", 0, 1),
        "+989120000004": ("no_answer", 0, 1),
    }
    assert rows["+989120000001"]["listened_seconds"] == 4

    # no recipient was touched, and the campaign did not run, before the window opened
    history = [(h["status"], _at(h["at"])) for h in done["history"]]
    statuses = [status for status, _ in history]
    assert statuses[:3] == ["accepted", "running", "waiting_window"], statuses
    assert all(at == eight for _, at in history[:3]), history
    assert statuses[3] == "running" and history[3][1] >= opening, history
    # updated_at is not in the API's recipient rows: read it from the table the server writes to
    stored = _stored_recipients(created["id"])
    assert len(stored) == 4
    assert all(r.updated_at is not None and r.updated_at >= opening for r in stored), [
        (r.number, r.updated_at) for r in stored
    ]


# -- SMS with personalisation ----------------------------------------------------------------------------

PERSONALISED = "Shop: Hi #name#, your order is ready."
NAMES = {
    "+989120000011": ("Ali", 1),  # 34 GSM-7 characters: 1 segment
    "+989120000012": ("زهرا", 1),  # 35 characters, UCS-2: 1 segment
    "+989120000013": ("Maximilian" * 14, 2),  # 171 GSM-7 characters: 2 segments (rejected: not charged)
    "+989120000014": ("محمد" * 10, 2),  # 71 characters, UCS-2: 2 segments
}


def test_r_sms_4_personalised_sms_is_priced_per_recipient_runs_and_reconciles(platform: Platform) -> None:
    admin = platform.admin
    top_up = 50_000
    _, shop = _customer(admin, "Shop", top_up)
    _approved_sender(admin, shop)
    csv = "phone,name\n" + "".join(f"0{n[3:]},{name}\n" for n, (name, _) in NAMES.items())
    listed = shop.ok(
        "POST",
        "/v1/contact-lists",
        {"name": "Orders", "file": {"name": "orders.csv", "content_base64": _b64(csv.encode())}},
        status=201,
    )
    assert listed["columns"] == ["name"] and listed["kept"] == 4 and listed["invalid"] == 0

    body = {
        "name": "Order ready",
        "channel": "sms",
        "category": "service",
        "sms_text": PERSONALISED,
        "sender": "Shop",
        "contact_list_id": listed["id"],
        "speed_per_hour": 360_000,
    }
    unknown = shop.post("/v1/campaigns", {**body, "sms_text": "Shop: Hi #surname#"})
    assert unknown.status == 422 and unknown.json()["error"]["code"] == "unknown_placeholder", unknown.body

    # R-SMS-2/4: segments are counted per recipient after filling: 1 + 1 + 2 + 2
    parts = sum(segments for _, segments in NAMES.values())
    estimate = shop.ok("POST", "/v1/estimates", body)
    assert (estimate["parts"], estimate["estimated"]) == (parts, parts * SMS_PER_SEGMENT)
    created = shop.ok("POST", "/v1/campaigns", body, status=201)
    assert created["cost"]["reserved"] == parts * SMS_PER_SEGMENT

    done = _wait_for(shop, admin, created["id"], "finished", advance=True)
    assert (done["stats"]["delivered"], done["stats"]["failed"], done["stats"]["total"]) == (3, 1, 4)
    charged = (1 + 1 + 2) * SMS_PER_SEGMENT  # the rejected message is not charged
    _assert_reconciled(shop, done, charged=charged, top_up=top_up)
    assert done["cost"]["refunded"] + done["cost"]["released"] == 2 * SMS_PER_SEGMENT

    # The rendered text is not exposed by the API; each recipient's cost shows its own filled length.
    rows = _recipients(shop, created["id"])
    assert {n: (r["status"], r["cost"]) for n, r in rows.items()} == {
        "+989120000011": ("delivered", SMS_PER_SEGMENT),
        "+989120000012": ("delivered", SMS_PER_SEGMENT),
        "+989120000013": ("rejected", 0),
        "+989120000014": ("delivered", 2 * SMS_PER_SEGMENT),
    }


# -- quick send ------------------------------------------------------------------------------------------

CODE_TEXT = "Shop: کد ورود شما 4821 است. این کد را به کسی ندهید. با سپاس از خرید شما"  # 71 UCS-2: 2 segments


def test_r_cmp_7_quick_send_is_billed_like_a_one_recipient_campaign(platform: Platform) -> None:
    admin = platform.admin
    top_up = 20_000
    _, shop = _customer(admin, "Clinic", top_up)
    _approved_sender(admin, shop)
    content = {"channel": "sms", "category": "service", "sms_text": CODE_TEXT, "sender": "Shop"}

    sent = shop.ok("POST", "/v1/quick-send", {**content, "number": "09120000021"}, status=201)
    assert sent["campaign_id"] == sent["id"] and sent["quick_send"] is True
    assert sent["stats"]["total"] == 1 and sent["cost"]["reserved"] == 2 * SMS_PER_SEGMENT
    assert _at(sent["created_at"]) == START
    twin = shop.ok("POST", "/v1/campaigns", {**content, "name": "twin", "recipients": ["09120000022"]}, status=201)
    assert twin["quick_send"] is False and twin["cost"] == sent["cost"]

    quick = _wait_for(shop, admin, sent["id"], "finished", advance=True)
    campaign = _wait_for(shop, admin, twin["id"], "finished", advance=True)
    assert quick["stats"] == campaign["stats"] and quick["stats"]["delivered"] == 1
    assert quick["cost"] == campaign["cost"]
    assert quick["cost"]["charged"] == 2 * SMS_PER_SEGMENT and quick["cost"]["refunded"] == 0
    assert [h["status"] for h in quick["history"]] == [h["status"] for h in campaign["history"]]
    # both campaigns reconciled: the account paid for two 2-segment messages, nothing stays reserved
    assert shop.ok("GET", "/v1/credit") == {
        "balance": top_up - 4 * SMS_PER_SEGMENT,
        "reserved": 0,
        "available": top_up - 4 * SMS_PER_SEGMENT,
    }
    rows = _recipients(shop, sent["id"])
    assert {n: (r["status"], r["cost"], r["attempts"]) for n, r in rows.items()} == {
        "+989120000021": ("delivered", 2 * SMS_PER_SEGMENT, 1)
    }
    for done in (quick, campaign):
        entries = _pages(shop, "/v1/credit/transactions", campaign_id=done["id"])
        assert sorted((e["type"], e["amount"]) for e in entries) == [
            ("charge", 2 * SMS_PER_SEGMENT),
            ("reservation", 2 * SMS_PER_SEGMENT),
        ]
    listed = _pages(shop, "/v1/campaigns")
    assert {c["id"]: c["quick_send"] for c in listed} == {sent["id"]: True, twin["id"]: False}
