"""R-OPS: every metric the dashboard and the alarms chart is a name of `jarchi.metrics`, and the handlers
really emit it (EMF on stdout, as CloudWatch Logs reads it in the cloud) with the dimensions charted."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from functions.connector_events.handler import handler as connector_events
from functions.telephony.handler import handler as telephony
from jarchi import wiring
from jarchi.clock import LocalClock
from jarchi.metrics import NAMESPACE, SERVICE, Dimension, Metric, reconciliation_drift
from jarchi.settings import Settings, reset_settings
from jarchi.store.tables import ALL_TABLES
from local.functions import make_context
from local.runtime import LocalRuntime
from tests.api import Api
from tests.connectors.chime_calls import replay
from tests.connectors.events import load_event, sqs_event
from tests.emf_records import Charted, emitted, emitted_totals
from tests.infra.conftest import Synth

START = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
DEADLINE_SECONDS = 60
HOLD_SECONDS = 2.5
LATENCY_SECONDS = 30  # every SMS result is due 30 s after its placement: it waits on the results queue first


def _dashboard_body(synth: Synth) -> dict[str, Any]:
    (dashboard,) = synth.resources("AWS::CloudWatch::Dashboard").values()
    body = dashboard["Properties"]["DashboardBody"]
    if isinstance(body, dict):  # Fn::Join of strings and tokens (region, ARNs): tokens only occur inside strings
        body = "".join(part if isinstance(part, str) else "TOKEN" for part in body["Fn::Join"][1])
    parsed: dict[str, Any] = json.loads(body)
    return parsed


def charted(synth: Synth) -> set[Charted]:
    """Our metrics (namespace `jarchi.metrics.NAMESPACE`) on the dashboard's graphs and in the alarms."""
    found: set[Charted] = set()
    for widget in _dashboard_body(synth)["widgets"]:
        for row in widget.get("properties", {}).get("metrics", []):
            fields = [field for field in row if not isinstance(field, dict)]  # the last may be render options
            if fields and fields[0] == NAMESPACE:
                pairs = fields[2:]
                found.add((fields[1], frozenset(zip(pairs[::2], pairs[1::2], strict=True))))
    for alarm in synth.resources("AWS::CloudWatch::Alarm").values():
        props = alarm["Properties"]
        stats = [query["MetricStat"]["Metric"] for query in props.get("Metrics", []) if "MetricStat" in query]
        for metric in [props, *stats]:  # a plain alarm's metric, or those of its math expression
            if metric.get("Namespace") == NAMESPACE:
                dimensions = frozenset((d["Name"], d["Value"]) for d in metric.get("Dimensions", []))
                found.add((metric["MetricName"], dimensions))
    return found


def test_r_ops_the_dashboard_charts_only_names_from_the_metrics_module(synth: Synth) -> None:
    metrics = charted(synth)
    assert {name for name, _ in metrics} == {metric.value for metric in Metric}  # each one charted, none else
    for name, dimensions in metrics:
        assert {key for key, _ in dimensions} <= {dimension.value for dimension in Dimension}, name
        assert (Dimension.SERVICE.value, SERVICE) in dimensions, name


def test_r_ops_the_dashboard_charts_every_table_s_dynamodb_throttles(synth: Synth) -> None:
    widgets = _dashboard_body(synth)["widgets"]
    (widget,) = (w for w in widgets if w["properties"].get("title", "").startswith("DynamoDB throttled"))
    rows = [[field for field in row if not isinstance(field, dict)] for row in widget["properties"]["metrics"]]
    seen = sorted((row[0], row[1], row[2]) for row in rows)
    expected = [("AWS/DynamoDB", name, "TableName") for name in ("ReadThrottleEvents", "WriteThrottleEvents")]
    assert seen == sorted(expected * len(ALL_TABLES))


def test_r_ops_the_dashboard_charts_the_workflow_s_throttled_executions(synth: Synth) -> None:
    (widget,) = (w for w in _dashboard_body(synth)["widgets"] if w["properties"].get("title") == "Campaign executions")
    names = {row[1] for row in widget["properties"]["metrics"] if row[0] == "AWS/States"}
    assert {"ExecutionsStarted", "ExecutionsFailed", "ExecutionsTimedOut", "ExecutionThrottled"} <= names


def test_r_ops_reconciliation_drift_is_zero_only_when_the_money_adds_up() -> None:
    assert reconciliation_drift(reserved=1000, charged=600, released=300, refunded=100) == 0
    assert reconciliation_drift(reserved=1000, charged=600, released=300, refunded=0) == 100
    assert reconciliation_drift(reserved=1000, charged=900, released=300, refunded=0) == 200


# --- the handlers emit them ------------------------------------------------------------------------------


def _dimensions(**extra: str) -> frozenset[tuple[str, str]]:
    return frozenset({Dimension.SERVICE.value: SERVICE, **extra}.items())


@pytest.fixture
def slow_sms_twice_delivered(aws: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalRuntime]:
    """The platform with every SQS message delivered twice and SMS results due 30 s after placement."""
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    monkeypatch.delenv("JARCHI_STATE_MACHINE_ARN", raising=False)
    answered = {"outcome": "answered", "listened_seconds": 3}
    config = {"sms_latency_seconds": [LATENCY_SECONDS, LATENCY_SECONDS], "overrides": {"+989120000001": answered}}
    monkeypatch.setenv("JARCHI_SIMULATOR_CONFIG", json.dumps(config))
    reset_settings()
    wiring.reset()  # the dispatch function caches its connector per process
    with LocalRuntime(aws, failed_visibility_seconds=0, deliver_twice=True) as runtime:
        yield runtime
    monkeypatch.undo()
    reset_settings()
    wiring.reset()


def _poll(api: Api, campaign_ids: list[str], done: Any, clock: LocalClock | None = None) -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        campaigns = [api.get(f"/v1/campaigns/{i}").json() for i in campaign_ids]
        if all(done(campaign) for campaign in campaigns):
            return
        if clock is not None:
            clock.advance(15)  # the SMS results' latency, the workflow's short waits for in-flight results
        time.sleep(0.05)
    raise AssertionError(f"campaigns did not get there in {DEADLINE_SECONDS} s: {[c['stats'] for c in campaigns]}")


def _output_until(capsys: pytest.CaptureFixture[str], out: str, *wanted: tuple[Charted, int]) -> str:
    """Captured stdout, read on until each metric adds up to its total (or for at most DEADLINE_SECONDS)."""

    def short() -> bool:
        totals = emitted_totals(emitted(out))
        return any(totals[metric] < total for metric, total in wanted)

    out += capsys.readouterr().out
    deadline = time.monotonic() + DEADLINE_SECONDS
    while short() and time.monotonic() < deadline:
        time.sleep(0.1)
        out += capsys.readouterr().out
    return out


def test_r_ops_every_charted_metric_is_emitted_by_the_handlers(
    synth: Synth,
    admin: Api,
    slow_sms_twice_delivered: LocalRuntime,
    clock: LocalClock,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # GIVEN a customer with an approved sender
    shop = admin.new_account("Shop")
    admin.top_up(shop["id"], 1_000_000)
    as_shop = admin.as_(admin.new_token(shop["id"]))
    sender = as_shop.post("/v1/senders", {"name": "Shop"}).json()
    assert admin.post(f"/v1/senders/{sender['id']}/moderation", {"decision": "approve"}).status == 200
    capsys.readouterr()
    # WHEN a voice and an SMS campaign run to their end, every message delivered twice
    common = {"category": "service", "speed_per_hour": 360_000}
    voice = {"name": "Voice", "channel": "voice", "tts_text": "Hello from Shop", "language": "en"}
    sms = {"name": "Sms", "channel": "sms", "sms_text": "Shop: your order is ready", "sender": "Shop"}
    ids = []
    for body, numbers in ((voice, range(1, 4)), (sms, range(11, 14))):
        recipients = [f"+9891200000{n:02d}" for n in numbers]
        created = as_shop.post("/v1/campaigns", {**common, **body, "recipients": recipients})
        assert created.status == 201, created.body
        ids.append(created.json()["id"])
    # ... the SMS results held back while the clock stands still (more than two 1 s redeliveries) ...
    _poll(as_shop, ids[1:], lambda campaign: campaign["stats"]["in_progress"] == 3)
    time.sleep(HOLD_SECONDS)
    out = _output_until(capsys, "", ((Metric.RESULTS_DEFERRED.value, _dimensions()), 3))  # a loaded machine is slower
    clock.advance(2 * LATENCY_SECONDS)
    _poll(as_shop, ids, lambda campaign: campaign["stats"]["in_progress"] == 0)
    _poll(as_shop, ids, lambda campaign: campaign["status"] == "finished", clock)
    # THEN every metric the dashboard charts was emitted, with the dimensions it is charted with (the providers'
    # reports and inbound calls come from the cloud connectors: see the next test)
    # (a handler writes its metrics when it returns, after what the API showed was stored: the results handler that
    # stored the last result may still be running when the workflow has settled the campaign)
    settled = (Metric.CAMPAIGNS_SETTLED.value, _dimensions(status="finished"))
    results = [(Metric.ATTEMPT_RESULTS.value, _dimensions(channel=channel)) for channel in ("voice", "sms")]
    applied, duplicates = (Metric.RESULTS_APPLIED.value, _dimensions()), (Metric.RESULT_DUPLICATES.value, _dimensions())
    out = _output_until(capsys, out, (settled, 2), (applied, 6), (duplicates, 1), *((metric, 3) for metric in results))
    totals = emitted_totals(emitted(out))
    # (follow-up SMS need a campaign with rules: tests/integration/test_follow_ups.py checks FollowUps)
    platform = [metric for metric in charted(synth) if metric[0] not in PROVIDER_METRICS | {Metric.FOLLOW_UPS.value}]
    assert sorted(metric for metric in platform if metric not in totals) == [], totals
    # ... and says what happened: three placements per channel (a redelivery is not one), each result applied
    # once and seen again by the second delivery, the SMS results deferred, the money exact at reconciliation
    for channel in ("voice", "sms"):
        assert totals[(Metric.ATTEMPTS_PLACED.value, _dimensions(channel=channel))] == 3, totals
    assert totals[(Metric.RESULTS_APPLIED.value, _dimensions())] == 6, totals
    assert totals[(Metric.RESULT_DUPLICATES.value, _dimensions())] > 0, totals
    assert totals[(Metric.RESULTS_DEFERRED.value, _dimensions())] >= 3, totals
    assert totals[(Metric.RECONCILIATION_DRIFT.value, _dimensions())] == 0, totals
    # ... every result once by channel (and by outcome), the answered call's seconds, both runs started and settled
    for channel in ("voice", "sms"):
        assert totals[(Metric.ATTEMPT_RESULTS.value, _dimensions(channel=channel))] == 3, totals
    assert totals[(Metric.ATTEMPT_RESULTS.value, _dimensions(channel="voice", outcome="answered"))] >= 1, totals
    assert totals[(Metric.LISTENED_SECONDS.value, _dimensions(channel="voice"))] > 0, totals
    assert totals[(Metric.CAMPAIGNS_STARTED.value, _dimensions())] == 2, totals
    assert totals[(Metric.CAMPAIGNS_SETTLED.value, _dimensions(status="finished"))] == 2, totals


PROVIDER_METRICS = {Metric.PROVIDER_REPORTS.value, Metric.PROVIDER_FAILURES.value, Metric.INBOUND_CALLS.value}


def test_r_ops_provider_reports_failures_and_inbound_calls_are_emitted_per_connector(
    synth: Synth, aws: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    # GIVEN End User Messaging events (one delivered, one blocked), a call that failed, a subscriber calling back
    texts = [load_event(f"end_user_messaging/{name}") for name in ("TEXT_DELIVERED", "TEXT_BLOCKED")]
    *_, hung_up = replay([("NEW_OUTBOUND_CALL", 0), ("RINGING", 1), ("HANGUP_not_a_number", 30)], start=START)
    assert hung_up.report is not None
    call = hung_up.report.to_message("chime")
    capsys.readouterr()
    # WHEN the telephony and connector-events functions handle them
    telephony(load_event("chime/NEW_INBOUND_CALL"), make_context("telephony", region=aws.region))
    bodies = [json.dumps(body) for body in (*texts, call)]
    connector_events(sqs_event(*bodies), make_context("connector_events", region=aws.region))
    # THEN each charted provider metric was emitted, and counts what happened
    totals = emitted_totals(emitted(capsys.readouterr().out))
    provider = [metric for metric in charted(synth) if metric[0] in PROVIDER_METRICS]
    assert sorted(metric for metric in provider if metric not in totals) == [], totals
    reports, failures = Metric.PROVIDER_REPORTS.value, Metric.PROVIDER_FAILURES.value
    assert totals[(reports, _dimensions(connector="end_user_messaging"))] == 2, totals
    assert totals[(failures, _dimensions(connector="end_user_messaging"))] == 1, totals
    assert totals[(reports, _dimensions(connector="chime"))] == totals[(failures, _dimensions(connector="chime"))] == 1
    assert totals[(Metric.INBOUND_CALLS.value, _dimensions())] == 1, totals
