"""Follow-up SMS after a call (R-OUT-3) on the whole local platform: rules on a vote digit, on answered and on
not answered, sent through the dispatch path as SMS attempts of the same campaign, priced and charged as SMS,
subject to the account stop list; once per rule and recipient, also when every message is delivered twice;
shown per recipient and in `stats.follow_ups_sent`; the estimate and the reservation hold them at their
maximum, and the money reconciles."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from jarchi.attempts import Attempt, Placement
from jarchi.billing.tariffs import tariff_for
from jarchi.channels import Channel
from jarchi.clock import LocalClock
from jarchi.compliance.adcap import SuppressionList
from jarchi.connectors.simulator import Override, SimulatorConfig, SimulatorConnector, SmsRates
from jarchi.metrics import SERVICE, Metric
from jarchi.ports import Connector, override
from jarchi.store.suppression import DynamoSuppression
from local.faults import injected
from local.runtime import LocalRuntime
from tests.api import Api, assert_error
from tests.campaign_harness import (
    Customer,
    RecordingConnector,
    assert_ledger_exact,
    assert_reconciled,
    create,
    new_customer,
    run_to_end,
)
from tests.dynamodb_calls import on_behalf_of_a_user
from tests.emf_records import emitted, emitted_totals

VOTED_1, VOTED_2, SILENT, NO_ANSWER, BUSY, STOP_LISTED = (f"+98912{i:07d}" for i in range(1, 7))
OVERRIDES = {
    VOTED_1: Override(outcome="answered", digits="1"),
    VOTED_2: Override(outcome="answered", digits="2"),
    SILENT: Override(outcome="answered", digits=""),
    NO_ANSWER: Override(outcome="no_answer"),
    BUSY: Override(outcome="busy"),
    STOP_LISTED: Override(outcome="answered", digits="1"),
}
TARIFF = tariff_for("customer")
ALL_DELIVERED = SmsRates(DELIVRD=1, UNDELIV=0, EXPIRED=0, REJECTD=0, NOREPORT=0)  # ids are random: draws too


def _rules(sender: str) -> list[dict[str, Any]]:
    return [
        {"on": "vote", "digits": ["1"], "sms_text": "You chose 1: code SALE1", "sender": sender},
        {"on": "answered", "sms_text": "Thank you for listening", "sender": sender},
        {"on": "not_answered", "sms_text": "We tried to call you", "sender": sender},
    ]


def _body(customer: Customer, **extra: Any) -> dict[str, Any]:
    return {
        "name": "Poll",
        "channel": "voice",
        "category": "advertising",
        "tts_text": "Press 1 for the sale",
        "language": "en",
        "vote": True,
        "recipients": list(OVERRIDES),
        "speed_per_hour": 360_000,
        "follow_ups": _rules(customer.sender),
        **extra,
    }


@pytest.fixture
def shop(admin: Api, platform: LocalRuntime) -> Customer:
    return new_customer(admin, "Shop")


def _follow_ups(customer: Customer, campaign_id: str) -> dict[str, list[tuple[str | None, str]]]:
    rows = customer.api.get(f"/v1/campaigns/{campaign_id}/recipients", limit=50).json()["items"]
    return {r["number"]: [(f["on"], f["status"]) for f in r["follow_ups"]] for r in rows}


class StopListedWhileRinging(SimulatorConnector):
    """The owner puts `STOP_LISTED` on the account's stop list while its call rings: the call goes on, its
    follow-ups must not."""

    def __init__(self, account_id: str) -> None:
        super().__init__(SimulatorConfig(seed=3, overrides=OVERRIDES, sms=ALL_DELIVERED))
        self.account_id = account_id

    def place(self, attempts: Sequence[Attempt]) -> list[Placement]:
        if any(a.number == STOP_LISTED and a.channel is Channel.VOICE for a in attempts):
            with on_behalf_of_a_user():  # the owner's request, not the dispatch function's (it has no such grant)
                DynamoSuppression().add(
                    SuppressionList.ACCOUNT_STOP_LIST, STOP_LISTED, account_id=self.account_id, added_at="2026-03-02"
                )
        return super().place(attempts)


def _run(
    shop: Customer, clock: LocalClock, platform: LocalRuntime, *, duplicate: bool = False
) -> tuple[dict[str, Any], list[Any]]:
    plan = {"MessageQueue.send": {"duplicate": list(range(1, 40))}} if duplicate else {}
    connector = RecordingConnector(StopListedWhileRinging(shop.account_id))
    with override(Connector, connector), injected(plan):
        created = create(shop, _body(shop))
        [item] = run_to_end(clock, [created["id"]], region=platform.settings.region)
    assert_reconciled(item)
    assert_ledger_exact([shop.account_id])
    return created, [p for p in connector.placed if p.channel is Channel.SMS]


def test_r_out_3_follow_up_sms_by_rule_charged_as_sms_and_shown(
    shop: Customer,
    clock: LocalClock,
    platform: LocalRuntime,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    capsys.readouterr()
    created, sms = _run(shop, clock, platform)
    # The estimate holds each recipient's worst case: the vote and answered texts (1 segment each)
    voice = 6 * 1 * TARIFF.voice_per_pulse
    assert created["cost"]["reserved"] == created["cost"]["estimated"] == voice + 6 * 2 * TARIFF.sms_per_segment
    assert "follow_up" in created["tags"] and len(created["follow_ups"]) == 3
    # Sent through the dispatch path as SMS attempts of the campaign, only where a rule fired
    texts = sorted((p.number, p.attempt_id.rsplit(".", 1)[1]) for p in sms)
    assert texts == sorted(
        [(VOTED_1, "f0"), (VOTED_1, "f1"), (VOTED_2, "f1"), (SILENT, "f1"), (NO_ANSWER, "f2"), (BUSY, "f2")]
    )
    assert {p.campaign_id for p in sms} == {created["id"]}
    shown = _follow_ups(shop, created["id"])
    assert shown[VOTED_1] == [("vote", "delivered"), ("answered", "delivered")]
    assert shown[NO_ANSWER] == [("not_answered", "delivered")]
    assert shown[STOP_LISTED] == [("vote", "blacklisted"), ("answered", "blacklisted")]  # the account stop list
    campaign = shop.api.get(f"/v1/campaigns/{created['id']}").json()
    assert campaign["stats"]["follow_ups_sent"] == 6
    # ... and counted for ops (R-OPS): the six SMS the rules fired, once each
    totals = emitted_totals(emitted(capsys.readouterr().out))
    assert totals[(Metric.FOLLOW_UPS.value, frozenset({("service", SERVICE)}))] == 6, totals
    # Charged as SMS: 6 one-segment texts on top of the 4 answered calls
    assert campaign["cost"]["charged"] == 4 * TARIFF.voice_per_pulse + 6 * TARIFF.sms_per_segment
    # The voter's timeline has both follow-up SMS after the call, with their rule, outcome and time (SPEC §14)
    story = shop.api.get(f"/v1/campaigns/{created['id']}/recipients/{VOTED_1}").json()["timeline"]
    assert [e["event"] for e in story] == ["admitted", "placed", "answered", "vote", "charged", *["follow_up_sms"] * 2]
    sent = [e for e in story if e["event"] == "follow_up_sms"]
    assert [(e["detail"]["rule"], e["detail"]["on"], e["detail"]["status"]) for e in sent] == [
        (0, "vote", "delivered"),
        (1, "answered", "delivered"),
    ]
    assert all(e["at"] is not None and e["at"] >= story[2]["at"] for e in sent)


def test_r_out_3_follow_ups_once_per_rule_when_every_message_is_delivered_twice(
    shop: Customer, clock: LocalClock, platform: LocalRuntime
) -> None:
    created, sms = _run(shop, clock, platform, duplicate=True)
    assert len(sms) == len({p.attempt_id for p in sms}) == 6
    assert shop.api.get(f"/v1/campaigns/{created['id']}").json()["stats"]["follow_ups_sent"] == 6


def test_r_out_3_estimate_and_refusals(shop: Customer, platform: LocalRuntime) -> None:
    estimate = shop.api.post("/v1/estimates", _body(shop)).json()
    assert estimate["follow_ups"] == 6 * 2 * TARIFF.sms_per_segment
    assert estimate["estimated"] == 6 * TARIFF.voice_per_pulse + estimate["follow_ups"]
    sms_campaign = {**_body(shop), "channel": "sms", "sms_text": "hi", "sender": shop.sender, "vote": False}
    del sms_campaign["tts_text"]
    assert_error(shop.api.post("/v1/campaigns", sms_campaign), 422, "follow_ups_not_supported")
    assert_error(shop.api.post("/v1/campaigns", _body(shop, vote=False)), 422, "invalid_follow_up")
    unknown = [{"on": "answered", "sms_text": "hi", "sender": "Nobody"}]
    assert_error(shop.api.post("/v1/campaigns", _body(shop, follow_ups=unknown)), 422, "sender_not_registered")
    personal = [{"on": "answered", "sms_text": "hi #name#", "sender": shop.sender}]
    assert_error(shop.api.post("/v1/campaigns", _body(shop, follow_ups=personal)), 422, "unknown_placeholder")
