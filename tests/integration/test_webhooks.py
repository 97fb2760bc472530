"""Signed webhooks on the whole local platform (SPEC §14): a receiver on 127.0.0.1 checks every signature,
answers 500 to its first deliveries and sees them again (same event id) after the backoff, drops a repeated
event id, refuses a replayed request once its timestamp is old, and the deliveries list says what happened."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from jarchi import clock as platform_clock
from jarchi.clock import LocalClock
from jarchi.connectors.simulator import SimulatorConfig, SmsRates
from jarchi.signing import HEADER, SignatureRefused, verify
from local.runtime import LocalRuntime
from tests.api import Api, assert_error
from tests.campaign_harness import Customer, create, finished_sms, new_customer, recording_connector, run_to_end

NUMBERS = ["+989120000041", "+989120000042"]
OUTCOMES = {NUMBERS[0]: "DELIVRD", NUMBERS[1]: "UNDELIV"}
ALL_DELIVERED = SmsRates(DELIVRD=1, UNDELIV=0, EXPIRED=0, REJECTD=0, NOREPORT=0)
WINDOW_SECONDS = 300


@dataclass
class Receiver:
    """A webhook endpoint as a customer would write one: verify the signature (within 5 minutes, on the
    platform's clock here), then drop an event id already processed."""

    secret: str = ""
    fail_first: int = 0
    requests: list[tuple[int, dict[str, str], bytes]] = field(default_factory=list)  # (answer, headers, body)
    processed: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, headers: dict[str, str], body: bytes) -> int:
        with self.lock:
            try:
                verify(self.secret, headers.get(HEADER.lower()), body, now=platform_clock.now().timestamp(), window=300)
            except SignatureRefused:
                status = 401
            else:
                event_id = json.loads(body)["id"]
                if self.fail_first > 0:
                    self.fail_first -= 1
                    status = 500
                elif event_id in self.processed:
                    status = 409  # a duplicate: already processed
                else:
                    self.processed.add(event_id)
                    status = 200
            self.requests.append((status, headers, body))
            return status


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            status = state.answer({k.lower(): v for k, v in self.headers.items()}, body)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state, f"http://127.0.0.1:{server.server_address[1]}/jarchi"
    server.shutdown()
    server.server_close()


def _post(url: str, headers: dict[str, str], body: bytes) -> int:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


@pytest.fixture
def shop(admin: Api, platform: LocalRuntime) -> Customer:
    return new_customer(admin, "Shop")


def _expected_events(campaign_id: str) -> set[str]:
    """Every event the two-number campaign publishes: its two status changes, each number's result and its
    delivery report (the simulator's outcomes are forced: drawn ones depend on the campaign's random id)."""
    statuses = {f"{campaign_id}:1:running", f"{campaign_id}:2:finished"}
    results = {f"{campaign_id}.0.1:delivered", f"{campaign_id}.1.1:undelivered"}
    reports = {f"{campaign_id}.0.1:dlr:DELIVRD", f"{campaign_id}.1.1:dlr:UNDELIV"}
    return statuses | results | reports


def test_spec_14_webhooks_are_signed_retried_after_500_deduplicated_and_replays_refused(
    shop: Customer, platform: LocalRuntime, clock: LocalClock, receiver: tuple[Receiver, str]
) -> None:
    state, url = receiver
    events = ["campaign.status", "recipient.result", "sms.delivery"]
    registered = shop.api.post("/v1/webhooks", {"url": url, "events": events})
    assert registered.status == 201, registered.body
    hook = registered.json()
    state.secret, state.fail_first = hook["secret"], 2
    listed = shop.api.get("/v1/webhooks").json()["items"]
    assert [h["id"] for h in listed] == [hook["id"]] and listed[0]["secret"] is None  # shown once

    with recording_connector(SimulatorConfig.model_validate({"overrides": OUTCOMES})):
        campaign = finished_sms(shop, NUMBERS, clock, platform.settings.region)
    expected = _expected_events(campaign["id"])
    # GIVEN the first two deliveries answered 500, WHEN the platform clock reaches their next try (never
    # further: a request in flight must still be inside the receiver's five-minute window when it lands)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        deliveries = shop.api.get(f"/v1/webhooks/{hook['id']}/deliveries", limit=200).json()["items"]
        with state.lock:
            processed = set(state.processed)
        recorded = {d["event_id"]: d["status"] for d in deliveries}
        # the receiver answers before the platform records its answer: wait for both
        if recorded == dict.fromkeys(expected, "delivered") and processed == expected:
            break
        retries = [datetime.fromisoformat(d["next_at"]) for d in deliveries if d["status"] == "retrying"]
        due = min(retries, default=None)
        if due is not None and due > clock.now():
            clock.advance((due - clock.now()).total_seconds())
        time.sleep(0.2)
    else:
        pytest.fail(f"deliveries {deliveries} and receiver {sorted(state.processed)} never settled on {expected}")
    # THEN every request was signed right, the failed ones came again with the same event id, and all arrived
    assert all(status != 401 for status, _, _ in state.requests)
    failed_ids = [json.loads(body)["id"] for status, _, body in state.requests if status == 500]
    assert len(failed_ids) == 2 and set(failed_ids) <= state.processed
    types = {json.loads(body)["type"] for _, _, body in state.requests}
    assert types == set(events)
    by_id = {d["event_id"]: d for d in deliveries}
    assert all(by_id[i]["attempts"] >= 2 and by_id[i]["response_status"] == 200 for i in failed_ids)
    assert any(d["event_type"] == "campaign.status" and d["status"] == "delivered" for d in deliveries)

    # a delivery sent again is dropped by its event id; replayed after five minutes its signature is refused
    _, headers, body = next(r for r in state.requests if r[0] == 200)
    replay = {"Content-Type": "application/json", HEADER: headers[HEADER.lower()]}
    assert _post(url, replay, body) == 409
    clock.advance(WINDOW_SECONDS + 1)
    assert _post(url, replay, body) == 401

    # deleted, it is gone with its deliveries list
    assert shop.api.delete(f"/v1/webhooks/{hook['id']}").status == 204
    assert shop.api.get("/v1/webhooks").json()["items"] == []
    assert_error(shop.api.get(f"/v1/webhooks/{hook['id']}/deliveries"), 404, "webhook_not_found")


def test_spec_14_webhook_registration_refuses_bad_events_and_urls(shop: Customer) -> None:
    assert_error(
        shop.api.post("/v1/webhooks", {"url": "ftp://x.example/h", "events": ["sms.delivery"]}),
        422,
        "webhook_url_not_allowed",
    )
    assert_error(
        shop.api.post("/v1/webhooks", {"url": "https://x.example/h", "events": ["nope"]}), 422, "validation_error"
    )
    assert_error(shop.api.post("/v1/webhooks", {"url": "https://x.example/h", "events": []}), 422, "validation_error")


def test_spec_14_follow_up_sms_give_sms_delivery_only_and_callbacks_give_recipient_callback(
    admin: Api, shop: Customer, platform: LocalRuntime, clock: LocalClock, receiver: tuple[Receiver, str]
) -> None:
    state, url = receiver
    events = ["recipient.result", "sms.delivery", "recipient.callback"]
    hook = shop.api.post("/v1/webhooks", {"url": url, "events": events}).json()
    state.secret = hook["secret"]
    listened, missed = NUMBERS
    config = SimulatorConfig(seed=4, overrides={listened: "answered", missed: "no_answer"}, sms=ALL_DELIVERED)
    with recording_connector(config):
        campaign = create(
            shop,
            {
                "name": "Parcel",
                "channel": "voice",
                "category": "service",
                "tts_text": "Your parcel is here",
                "language": "en",
                "recipients": NUMBERS,
                "speed_per_hour": 360_000,
                "follow_ups": [{"on": "answered", "sms_text": f"{shop.sender}: thank you", "sender": shop.sender}],
            },
        )
        run_to_end(clock, [campaign["id"]], region=platform.settings.region)
    # WHEN the one who missed the call calls back within the hour (booked by the connector-events function)
    clock.advance(600)
    called = admin.post("/v1/local/inbound-calls", {"number": missed, "seconds": 30})
    assert called.status == 201 and called.json()["outcome"] == "connected", called.body
    follow_up = f"{campaign['id']}.0.f0:dlr:DELIVRD"
    expected = {
        f"{campaign['id']}.0.1:answered",
        f"{campaign['id']}.1.1:no_answer",
        follow_up,
        f"callback:simulator:{called.json()['id']}",  # the inbound call's event id, named by its connector
    }
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not expected <= state.processed:
        time.sleep(0.2)
    # THEN the follow-up SMS is an sms.delivery naming its rule, never a recipient.result of its own, and the
    # callback a recipient.callback with its outcome and cost
    bodies = {event["id"]: event for event in (json.loads(body) for _, _, body in state.requests)}
    assert state.processed == expected, sorted(state.processed)
    sms = bodies[follow_up]
    assert (sms["type"], sms["data"]["number"], sms["data"]["follow_up_rule"]) == ("sms.delivery", listened, 0)
    callback = bodies[f"callback:simulator:{called.json()['id']}"]
    assert callback["type"] == "recipient.callback"
    assert callback["data"]["number"] == missed and callback["data"]["outcome"] == "connected"
    assert callback["data"]["campaign_id"] == campaign["id"] and callback["data"]["cost"] > 0
