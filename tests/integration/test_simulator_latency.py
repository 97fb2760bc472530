"""R-DSP-4: the simulator's latency on the local clock. A result is applied when the platform clock reaches
its `completed_at`; until then its message waits on the results queue (SQS DelaySeconds, at most 1 s
locally) and comes back to be looked at again."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import boto3
import pytest

from jarchi import wiring
from jarchi.attempts import AttemptResult, DeliveryStatus, Outcome
from jarchi.aws.sqs import send_messages
from jarchi.clock import LocalClock
from jarchi.resources import RESULTS_QUEUE
from jarchi.results.due import results_message
from jarchi.results.receiving import receive_results
from jarchi.settings import Settings, reset_settings
from jarchi.store import ledger
from local.runtime import LocalRuntime
from tests.api import Api

LATENCY_SECONDS = 30
HOLD_SECONDS = 2.5  # real seconds with the clock standing still: more than two 1 s redeliveries
DEADLINE_SECONDS = 30


@pytest.fixture
def sms_latency(platform: LocalRuntime, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The simulator answers every SMS exactly 30 s (local clock) after it is placed."""
    every_sms_delivered = {"DELIVRD": 1, "UNDELIV": 0, "EXPIRED": 0, "REJECTD": 0, "NOREPORT": 0, "FAILED": 0}
    config = {"sms_latency_seconds": [LATENCY_SECONDS, LATENCY_SECONDS], "sms": every_sms_delivered}
    monkeypatch.setenv("JARCHI_SIMULATOR_CONFIG", json.dumps(config))
    reset_settings()
    wiring.reset()  # the dispatch function caches its connector per process
    yield
    monkeypatch.undo()
    reset_settings()
    wiring.reset()


def _campaign(api: Api, campaign_id: str) -> dict[str, Any]:
    campaign: dict[str, Any] = api.get(f"/v1/campaigns/{campaign_id}").json()
    return campaign


def _poll(api: Api, campaign_id: str, done: Any, clock: LocalClock | None = None) -> dict[str, Any]:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        campaign = _campaign(api, campaign_id)
        if done(campaign):
            return campaign
        if clock is not None:
            clock.advance(15)  # lets the workflow's short waits for in-flight results pass
        time.sleep(0.05)
    raise AssertionError(f"campaign {campaign_id} never got there: {campaign['status']} {campaign['stats']}")


def test_r_dsp_4_results_wait_for_the_local_clock_to_reach_completed_at(
    admin: Api, platform: LocalRuntime, clock: LocalClock, sms_latency: None
) -> None:
    # GIVEN a customer with an approved sender and an SMS campaign to three numbers
    shop = admin.new_account("Shop")
    admin.top_up(shop["id"], 1_000_000)
    as_shop = admin.as_(admin.new_token(shop["id"]))
    sender = as_shop.post("/v1/senders", {"name": "Shop"}).json()
    assert admin.post(f"/v1/senders/{sender['id']}/moderation", {"decision": "approve"}).status == 200
    placed_at = clock.now()
    created = as_shop.post(
        "/v1/campaigns",
        {
            "name": "Latency",
            "channel": "sms",
            "category": "service",
            "sms_text": "Shop: your order is ready",
            "sender": "Shop",
            "recipients": ["+989120000001", "+989120000002", "+989120000003"],
            "speed_per_hour": 360_000,
        },
    )
    assert created.status == 201, created.body
    campaign_id = created.json()["id"]

    # WHEN the attempts are placed while the local clock stands still
    _poll(as_shop, campaign_id, lambda c: c["stats"]["in_progress"] == 3)
    time.sleep(HOLD_SECONDS)
    # THEN their results, due 30 s later on the local clock, are not applied
    held = _campaign(as_shop, campaign_id)
    assert held["status"] == "running"
    assert held["stats"]["in_progress"] == 3 and held["cost"]["charged"] == 0

    # WHEN the clock passes completed_at
    clock.advance(2 * LATENCY_SECONDS)
    # THEN the results are applied (within a redelivery), and the campaign finishes and reconciles
    applied = _poll(as_shop, campaign_id, lambda c: c["stats"]["in_progress"] == 0)
    assert applied["stats"]["delivered"] == 3
    done = _poll(as_shop, campaign_id, lambda c: c["status"] == "finished", clock)
    cost = done["cost"]
    assert cost["charged"] > 0 and cost["reserved"] == cost["charged"] + cost["released"] + cost["refunded"]
    assert ledger.get_balance(shop["id"]).reserved == 0
    charges = [e for e in ledger.all_entries(shop["id"]) if e.type == "charge"]
    assert charges and all(e.created_at >= placed_at + timedelta(seconds=LATENCY_SECONDS) for e in charges)


def _result(completed_at: datetime) -> AttemptResult:
    return AttemptResult(
        attempt_id="cmp_none.1.1",
        campaign_id="cmp_none",
        number="+989120000001",
        outcome=Outcome.DELIVERED,
        completed_at=completed_at,
        connector="simulator",
        delivery_status=DeliveryStatus.DELIVRD,
    )


def _receive(settings: Settings) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs", region_name=settings.region)
    url = sqs.get_queue_url(QueueName=settings.queue_name(RESULTS_QUEUE.logical))["QueueUrl"]
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
    return [json.loads(m["Body"]) for m in messages]


def test_r_dsp_4_a_result_not_due_goes_back_to_the_queue_with_a_delay(aws: Settings, clock: LocalClock) -> None:
    # GIVEN a results message whose one result is due in 30 s (no runtime: nobody else reads the queue)
    message = results_message("B", "cmp_none", [_result(clock.now() + timedelta(seconds=LATENCY_SECONDS))])
    # WHEN it is received now
    received = receive_results(message)
    # THEN nothing is applied; it goes back under the same batch id, held back the local cap (1 s)
    assert (received.applied, received.deferred, received.delay_seconds) == (0, 1, 1)
    assert _receive(aws) == []
    time.sleep(1.1)
    assert _receive(aws) == [{**message, "window_seconds": 5}]


def test_send_messages_delays_each_message_within_sqs_limits(aws: Settings) -> None:
    send_messages(RESULTS_QUEUE, [{"n": 0}, {"n": 1}], delay_seconds=[0, 1])
    assert _receive(aws) == [{"n": 0}]
    time.sleep(1.1)
    assert _receive(aws) == [{"n": 1}]
    with pytest.raises(ValueError):
        send_messages(RESULTS_QUEUE, [{"n": 2}], delay_seconds=901)
    with pytest.raises(ValueError):
        send_messages(RESULTS_QUEUE, [{"n": 2}], delay_seconds=[1, 2])
