"""The generic HTTPS provider (R-DSP-4): signed attempts to a real provider double on 127.0.0.1, and its
signed callbacks through `POST /v1/connectors/https/events` served over real HTTP (5-minute replay window,
an attempt's result counted once)."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest

from functions.connector_events.handler import handler as connector_events
from jarchi.attempts import Attempt, Outcome, PlacementStatus
from jarchi.channels import Category, Channel
from jarchi.connectors.https.config import HttpsConfig
from jarchi.connectors.https.connector import HttpsConnector
from jarchi.connectors.retrying import Budget
from jarchi.ports import ConnectorError
from jarchi.resources import CONNECTOR_EVENTS_QUEUE, RESULTS_QUEUE
from jarchi.settings import Settings
from jarchi.signing import SignatureRefused, signature, verify
from local.functions import make_context
from tests.connectors.events import sqs_event
from tests.connectors.http_api import served_api
from tests.connectors.provider_double import ProviderDouble, provider_double
from tests.connectors.test_telephony_handler import drain

SECRET = "s3cr3t-shared-with-the-provider"


def attempt(seq: int, channel: Channel = Channel.SMS) -> Attempt:
    content: dict[str, Any] = {"sms_text": "Hi"} if channel is Channel.SMS else {"tts_text": "Hi", "message_seconds": 6}
    return Attempt(
        f"cmp-h.{seq}.1", "cmp-h", "acc-1", channel, Category.SERVICE, f"+98912000{seq:04d}", units=2, **content
    )


@pytest.fixture
def double() -> Iterator[ProviderDouble]:
    with provider_double(SECRET) as running:
        yield running


def connector_for(double: ProviderDouble, *, secret: str = SECRET, budget: float = 2.0) -> HttpsConnector:
    config = HttpsConfig(endpoint=double.url, secret=secret, timeout_seconds=2, in_flight=1)
    return HttpsConnector(config, budget=lambda: Budget(budget, sleep=lambda _: None))


# --- signatures ------------------------------------------------------------------------------------------


def test_a_signature_is_accepted_within_the_replay_window_only() -> None:
    body, now = b'{"a":1}', 1_772_436_000
    verify(SECRET, signature(SECRET, body, now - 299), body, now=now, window=300)
    for header, reason in [
        (signature(SECRET, body, now - 301), "expired"),
        (signature(SECRET, body, now + 301), "expired"),
        (signature("other", body, now), "mismatch"),
        (signature(SECRET, b'{"a":2}', now), "mismatch"),
        ("v1=abc", "malformed"),
        (None, "missing"),
    ]:
        with pytest.raises(SignatureRefused) as refused:
            verify(SECRET, header, body, now=now, window=300)
        assert refused.value.reason == reason


# --- placing against the provider double ---------------------------------------------------------------


def test_r_dsp_4_attempts_are_posted_signed_with_their_idempotency_key(double: ProviderDouble) -> None:
    placements = connector_for(double).place([attempt(1), attempt(2, Channel.VOICE)])
    assert [p.status for p in placements] == [PlacementStatus.SUBMITTED] * 2
    assert [p.reference for p in placements] == ["prov-cmp-h.1.1", "prov-cmp-h.2.1"]
    assert [a["attempt_id"] for a in double.received] == ["cmp-h.1.1", "cmp-h.2.1"]
    assert double.idempotency_keys == ["cmp-h.1.1", "cmp-h.2.1"] and double.refused_signatures == 0


def test_a_busy_provider_is_retried_and_a_refused_attempt_is_final_and_free(double: ProviderDouble) -> None:
    double.statuses = [503, 429, 422]
    first, second = connector_for(double).place([attempt(1), attempt(2)])
    assert first.status is PlacementStatus.COMPLETED and first.result is not None  # 503, 429, then 422
    assert (first.result.outcome, first.result.detail) == (Outcome.REJECTED, "refused:http_422")
    assert second.status is PlacementStatus.SUBMITTED


def test_still_busy_when_the_budget_ends_goes_back_to_the_queue(double: ProviderDouble) -> None:
    double.statuses = [503] * 1000
    placements = connector_for(double, budget=0.3).place([attempt(1), attempt(2)])
    assert [p.status for p in placements] == [PlacementStatus.RETRY] * 2


def test_a_wrong_secret_or_no_provider_is_the_connectors_problem(double: ProviderDouble) -> None:
    with pytest.raises(ConnectorError):
        connector_for(double, secret="not-the-secret").place([attempt(1)])
    assert double.refused_signatures == 1
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    nobody = HttpsConnector(
        HttpsConfig(endpoint=f"http://127.0.0.1:{port}/x", secret=SECRET, timeout_seconds=0.5),
        budget=lambda: Budget(0.3, sleep=lambda _: None),
    )
    assert [p.status for p in nobody.place([attempt(1)])] == [PlacementStatus.RETRY]


# --- callbacks over real HTTP ---------------------------------------------------------------------------


@pytest.fixture
def https_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JARCHI_CONNECTOR_CONFIG", json.dumps({"https": {"secret": SECRET}}))


@pytest.fixture
def api_url(https_env: None, aws: Settings) -> Iterator[str]:
    with served_api() as base_url:
        yield base_url


def test_r_dsp_4_the_providers_signed_callbacks_become_results_once(
    double: ProviderDouble, api_url: str, aws: Settings
) -> None:
    # GIVEN two attempts placed with the provider, one answered and one busy
    double.callback_url = f"{api_url}/v1/connectors/https/events"
    double.outcomes["+989120000002"] = {"outcome": "busy", "listened_seconds": 0}
    connector_for(double).place([attempt(1), attempt(2, Channel.VOICE)])
    # WHEN it calls back, twice (a provider retrying its callbacks)
    assert double.deliver() == [202, 202]
    double.pending = [double.callback_for(a) for a in double.received]
    assert double.deliver() == [202, 202]
    # THEN the connector-events function sends each attempt's result once
    reports = drain(aws, CONNECTOR_EVENTS_QUEUE.logical)
    assert len(reports) == 4
    connector_events(sqs_event(*reports), make_context("connector_events", region=aws.region))
    [message] = [json.loads(body) for body in drain(aws, RESULTS_QUEUE.logical)]
    results = {r["attempt_id"]: (r["outcome"], r["units"], r["connector"]) for r in message["results"]}
    assert results == {"cmp-h.1.1": ("delivered", 2, "https"), "cmp-h.2.1": ("busy", 2, "https")}


def test_a_callback_outside_the_replay_window_or_badly_signed_is_refused(
    double: ProviderDouble, api_url: str, aws: Settings
) -> None:
    double.callback_url = f"{api_url}/v1/connectors/https/events"
    connector_for(double).place([attempt(1)])
    [event] = double.pending
    assert double.post_callback(event, signed_at=time.time() - 301) == 401
    assert double.post_callback(event, secret="forged") == 401
    assert double.post_callback({"event_id": "x"}) == 400  # signed, but not an event
    assert drain(aws, CONNECTOR_EVENTS_QUEUE.logical) == []
    assert double.post_callback(event) == 202
