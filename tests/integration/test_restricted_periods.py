"""Restricted periods on the whole local platform (issue 12: R-CPL-1): the admin closes a country's
advertising for some hours; an advertising campaign to that country waits (`waiting_window`) and sends only
once the period has ended, while a service campaign is not held. Admin only."""

from __future__ import annotations

from datetime import timedelta

import pytest

from jarchi.clock import LocalClock
from jarchi.compliance.restricted import RestrictedPeriod
from jarchi.connectors.simulator import SimulatorConfig, SmsRates
from jarchi.ids import new_id
from local.runtime import LocalRuntime
from tests.api import Api, assert_error
from tests.campaign_harness import Customer, assert_reconciled, create, new_customer, recording_connector, run_to_end
from tests.fakes import FakeRestrictedPeriods

ALL_DELIVERED = SmsRates(DELIVRD=1, UNDELIV=0, EXPIRED=0, REJECTD=0, NOREPORT=0, FAILED=0)
NUMBERS = ["+989120000051", "+989120000052"]


@pytest.fixture
def shop(admin: Api, platform: LocalRuntime) -> Customer:
    return new_customer(admin, "Shop")


def test_r_cpl_1_advertising_waits_out_a_restricted_period_service_does_not(
    shop: Customer, admin: Api, platform: LocalRuntime, clock: LocalClock
) -> None:
    now = clock.now()
    end = now + timedelta(hours=2)
    body = {
        "country": "IR",
        "start": (now - timedelta(hours=1)).isoformat(),
        "end": end.isoformat(),
        "categories": ["advertising"],
        "reason": "day of mourning",
    }
    assert_error(shop.api.post("/v1/restricted-periods", body), 403, "admin_only")
    assert_error(admin.post("/v1/restricted-periods", {**body, "end": body["start"]}), 422, "invalid_period")
    created = admin.post("/v1/restricted-periods", body)
    assert created.status == 201, created.body
    assert [p["id"] for p in admin.get("/v1/restricted-periods").json()["items"]] == [created.json()["id"]]
    with recording_connector(SimulatorConfig(seed=2, sms=ALL_DELIVERED)) as connector:
        sms = {"channel": "sms", "sms_text": f"{shop.sender}: bread", "recipients": NUMBERS, "speed_per_hour": 360_000}
        ads = create(shop, {"name": "Sale", "category": "advertising", **sms})
        service = create(shop, {"name": "Ready", "category": "service", **sms, "recipients": ["+989120000053"]})
        (served,) = run_to_end(clock, [service["id"]], region=platform.settings.region)
        assert_reconciled(served)
        assert shop.api.get(f"/v1/campaigns/{ads['id']}").json()["status"] == "waiting_window"
        assert {p.number for p in connector.placed} == {"+989120000053"}
        (item,) = run_to_end(clock, [ads["id"]], region=platform.settings.region)
    assert_reconciled(item)
    ads_placed = [p for p in connector.placed if p.campaign_id == ads["id"]]
    assert sorted(p.number for p in ads_placed) == NUMBERS
    assert all(p.placed_at >= end for p in ads_placed)
    assert admin.get("/v1/restricted-periods").json()["items"] == []  # over


def test_r_cpl_1_restricted_period_port_contract_on_the_fake_and_moto(aws: object, clock: LocalClock) -> None:
    from jarchi.store.restricted import DynamoRestrictedPeriods

    now = clock.now()
    for periods in (FakeRestrictedPeriods(), DynamoRestrictedPeriods()):
        later = RestrictedPeriod(new_id("rsp"), "IR", now, now + timedelta(hours=5), (), "b", now)
        sooner = RestrictedPeriod(new_id("rsp"), "AE", now, now + timedelta(hours=1), (), "a", now)
        over = RestrictedPeriod(new_id("rsp"), "IR", now - timedelta(hours=3), now, (), "c", now)
        for period in (later, sooner, over):
            periods.add(period)
        assert periods.current(now) == [sooner, later]
        assert periods.current(now + timedelta(hours=2)) == [later]


def test_r_cpl_1_the_admin_pages_through_periods_and_removes_one(admin: Api, shop: Customer, clock: LocalClock) -> None:
    now = clock.now()
    created = []
    for hours in (1, 2, 3):
        body = {
            "country": "IR",
            "start": now.isoformat(),
            "end": (now + timedelta(hours=hours)).isoformat(),
            "categories": ["advertising"],
            "reason": f"period {hours}",
        }
        answer = admin.post("/v1/restricted-periods", body)
        assert answer.status == 201, answer.body
        created.append(answer.json()["id"])
    first_answer = admin.get("/v1/restricted-periods", limit=2)
    assert first_answer.status == 200, first_answer.body
    first = first_answer.json()
    assert [p["id"] for p in first["items"]] == created[:2] and first["next_cursor"]
    rest_answer = admin.get("/v1/restricted-periods", limit=2, cursor=first["next_cursor"])
    assert rest_answer.status == 200, rest_answer.body
    rest = rest_answer.json()
    assert [p["id"] for p in rest["items"]] == created[2:] and rest["next_cursor"] is None
    assert_error(shop.api.delete(f"/v1/restricted-periods/{created[0]}"), 403, "admin_only")
    assert admin.delete(f"/v1/restricted-periods/{created[0]}").status == 204
    assert [p["id"] for p in admin.get("/v1/restricted-periods").json()["items"]] == created[1:]
    assert_error(admin.delete(f"/v1/restricted-periods/{created[0]}"), 404, "restricted_period_not_found")
