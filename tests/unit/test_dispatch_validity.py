"""R-SMS-5: an SMS whose validity ran out before it could be placed is not sent: `expired`, free, its cap
claim given back; the rest of the batch is placed as usual, with the TTL passed to the connector. Without the
campaign's own validity, each SMS gets its operator's, by the deployment's prefix rules."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from jarchi.attempts import Attempt, DeliveryStatus, Outcome, Placement
from jarchi.billing.charges import attempt_charge
from jarchi.campaigns.workflow import attempt_for
from jarchi.channels import Category, Channel
from jarchi.clock import LocalClock, iso, use_clock
from jarchi.compliance.adcap import releases_ad_cap
from jarchi.connectors.simulator import SimulatorConfig, SimulatorConnector
from jarchi.content.sms_types import operator_validity_minutes, validity_minutes_for
from jarchi.dispatch.placing import has_expired, place_batch
from jarchi.settings import ConfigurationError, Settings, get_settings, reset_settings
from tests.unit.test_campaign_parts import ENTRIES, voice_campaign

NOW = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)


def _sms(seq: int, admitted: datetime | None, validity: int | None = 3600) -> Attempt:
    return Attempt(
        attempt_id=f"cmp_1.{seq}.1",
        campaign_id="cmp_1",
        account_id="acc_1",
        channel=Channel.SMS,
        category=Category.SERVICE,
        number=f"+98912000000{seq}",
        sms_text="Shop: hi",
        sender="Shop",
        validity_seconds=validity,
        admitted_at=iso(admitted) if admitted else None,
    )


class _Recording(SimulatorConnector):
    def __init__(self) -> None:
        super().__init__(SimulatorConfig(seed=1))
        self.sent: list[Attempt] = []  # not `placed`: the simulator's own memory of placements

    def place(self, attempts: Sequence[Attempt]) -> list[Placement]:
        self.sent += attempts
        return super().place(attempts)


def test_r_sms_5_expiry_is_validity_after_admission() -> None:
    assert has_expired(_sms(1, NOW - timedelta(hours=1)), NOW)
    assert not has_expired(_sms(1, NOW - timedelta(minutes=59)), NOW)
    assert not has_expired(_sms(1, None), NOW) and not has_expired(_sms(1, NOW - timedelta(days=9), None), NOW)


def test_r_sms_5_an_expired_sms_is_not_placed_and_costs_nothing() -> None:
    use_clock(LocalClock(NOW, ticking=False))
    connector = _Recording()
    old, fresh = _sms(1, NOW - timedelta(hours=2)), _sms(2, NOW - timedelta(minutes=1))
    message = {"batch_id": "b-1", "campaign_id": "cmp_1", "attempts": [old.to_message(), fresh.to_message()]}
    body = place_batch(message, connector)
    assert [a.attempt_id for a in connector.sent] == [fresh.attempt_id]
    assert connector.sent[0].validity_seconds == 3600  # the TTL goes to the connector
    assert body is not None
    results = {r["attempt_id"]: r for r in body["results"]}
    assert results[old.attempt_id]["outcome"] == "expired"
    assert results[old.attempt_id]["delivery_status"] == DeliveryStatus.EXPIRED.value
    assert attempt_charge(Channel.SMS, Outcome.EXPIRED, units=2, tariff=100) == 0
    assert releases_ad_cap(Outcome.EXPIRED)


def test_r_sms_5_without_its_own_validity_an_sms_gets_its_operators_by_the_deployment_rules(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The longest matching prefix wins; no rule: the deployment's default (24 h unless set)
    rules = (("+98935", 4320), ("+98", 1440), ("+49", 2880))
    assert operator_validity_minutes("+989351234567", rules, 1440) == 4320
    assert operator_validity_minutes("+989121234567", rules, 1440) == 1440
    assert operator_validity_minutes("+14155550100", rules, 600) == 600
    monkeypatch.setenv("JARCHI_SMS_VALIDITY_RULES", "+98=1440,+98935=4320")
    reset_settings()
    try:
        assert get_settings().sms_validity_by_prefix == (("+98935", 4320), ("+98", 1440))
        assert validity_minutes_for("+989351234567") == 4320
        assert validity_minutes_for("+4915112345678") == 24 * 60
        assert validity_minutes_for("+989351234567", 90) == 90  # the campaign's own wins
        # AND admission gives each SMS attempt (so the connector) its recipient's validity
        base = voice_campaign(())
        sms = replace(base, channel=Channel.SMS, content=replace(base.content, sms_text="Shop: hi", sender="Shop"))
        assert attempt_for(sms, ENTRIES[0], NOW).validity_seconds == 1440 * 60
        irancell = replace(ENTRIES[0], number="+989351234567")
        assert attempt_for(sms, irancell, NOW).validity_seconds == 4320 * 60
        own = replace(sms, settings=replace(sms.settings, validity_minutes=90))
        assert attempt_for(own, irancell, NOW).validity_seconds == 90 * 60
    finally:
        reset_settings()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("+98935=5000", "JARCHI_SMS_VALIDITY_RULES: +98935=5000: minutes must be 1..4320"),
        ("+98=60,+98=120", "JARCHI_SMS_VALIDITY_RULES: +98 has two rules"),
        ("98=60", "JARCHI_SMS_VALIDITY_RULES: String should match pattern"),
    ],
)
def test_r_run_6_a_bad_validity_rule_stops_the_start_naming_the_key(value: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=re.escape(message)):
        Settings.from_env({"JARCHI_SMS_VALIDITY_RULES": value})
    with pytest.raises(ConfigurationError, match="JARCHI_SMS_VALIDITY_DEFAULT_MINUTES"):
        Settings.from_env({"JARCHI_SMS_VALIDITY_DEFAULT_MINUTES": "0"})
