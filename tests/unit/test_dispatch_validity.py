"""R-SMS-5: an SMS whose validity ran out before it could be placed is not sent: `expired`, free, its cap
claim given back; the rest of the batch is placed as usual, with the TTL passed to the connector."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from jarchi.attempts import Attempt, DeliveryStatus, Outcome, Placement
from jarchi.billing.charges import attempt_charge
from jarchi.channels import Category, Channel
from jarchi.clock import LocalClock, iso, use_clock
from jarchi.compliance.adcap import releases_ad_cap
from jarchi.connectors.simulator import SimulatorConfig, SimulatorConnector
from jarchi.dispatch.placing import has_expired, place_batch

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
        self.placed: list[Attempt] = []

    def place(self, attempts: Sequence[Attempt]) -> list[Placement]:
        self.placed += attempts
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
    assert [a.attempt_id for a in connector.placed] == [fresh.attempt_id]
    assert connector.placed[0].validity_seconds == 3600  # the TTL goes to the connector
    assert body is not None
    results = {r["attempt_id"]: r for r in body["results"]}
    assert results[old.attempt_id]["outcome"] == "expired"
    assert results[old.attempt_id]["delivery_status"] == DeliveryStatus.EXPIRED.value
    assert attempt_charge(Channel.SMS, Outcome.EXPIRED, units=2, tariff=100) == 0
    assert releases_ad_cap(Outcome.EXPIRED)
