"""Allowed countries and the SMS-pumping guard on the whole local platform (issue 13; SPEC §14 "Accounts,
money and reach"): a number outside the account's countries is reported at import and refused at admission
as `country_not_allowed`, free; a batch to never-seen foreign ranges pauses the campaign as
`suspected_pumping` (actor `system`, a system comment) until an admin resumes it."""

from __future__ import annotations

import time

import pytest

from jarchi.clock import LocalClock
from jarchi.connectors.simulator import SimulatorConfig, SmsRates
from local.runtime import LocalRuntime
from tests.api import Api, assert_error
from tests.campaign_harness import (
    Customer,
    allow_countries,
    assert_reconciled,
    create,
    new_customer,
    recipients_of,
    recording_connector,
    run_to_end,
)

ALL_DELIVERED = SmsRates(DELIVRD=1, UNDELIV=0, EXPIRED=0, REJECTD=0, NOREPORT=0, FAILED=0)
IRAN = "+989120000061"
# Ten German mobiles in ten ranges (`+49151`, `+49152`, …) the platform never sent to.
GERMANY = [f"+49{prefix}12345678" for prefix in (151, 152, 160, 170, 171, 172, 173, 174, 175, 176)]


@pytest.fixture
def shop(admin: Api, platform: LocalRuntime) -> Customer:
    return new_customer(admin, "Shop")


def _sms(shop: Customer, recipients: list[str], name: str = "News") -> dict[str, object]:
    return {
        "name": name,
        "channel": "sms",
        "category": "service",
        "sms_text": f"{shop.sender}: your parcel is on its way",
        "recipients": recipients,
        "speed_per_hour": 360_000,
    }


def test_r_acc_reach_the_account_shows_its_countries_and_an_import_reports_the_others(
    admin: Api, shop: Customer
) -> None:
    account = admin.get(f"/v1/accounts/{shop.account_id}").json()
    assert account["allowed_countries"] == ["IR"]
    created = shop.api.post("/v1/contact-lists", {"name": "Mixed", "numbers": ["09120000061", GERMANY[0]]})
    assert created.status == 201, created.body
    report = created.json()
    assert (report["kept"], report["invalid"], report["not_allowed"]) == (1, 1, 1)
    assert report["invalid_lines"] == [{"line": 2, "value": GERMANY[0], "reason": "country_not_allowed"}]


def test_r_acc_reach_admission_refuses_a_number_outside_the_allowed_countries_free(
    shop: Customer, platform: LocalRuntime, clock: LocalClock
) -> None:
    with recording_connector(SimulatorConfig(seed=3, sms=ALL_DELIVERED)) as connector:
        campaign = create(shop, _sms(shop, [IRAN, GERMANY[0]]))
        (item,) = run_to_end(clock, [campaign["id"]], region=platform.settings.region)
    assert_reconciled(item)
    assert [p.number for p in connector.placed] == [IRAN]
    refused = {r.number: (r.status, int(r.cost or 0)) for r in recipients_of(item)}
    assert refused[GERMANY[0]] == ("country_not_allowed", 0)
    view = shop.api.get(f"/v1/campaigns/{campaign['id']}").json()
    assert view["stats"]["country_not_allowed"] == 1 and view["stats"]["delivered"] == 1
    assert view["cost"]["charged"] == view["cost"]["reserved"] // 2  # one of two segments charged


GB_PREMIUM = "+449012345678"  # libphonenumber: premium rate


def test_r_acc_reach_admission_refuses_a_premium_rate_number_even_where_its_country_is_allowed(
    shop: Customer, platform: LocalRuntime, clock: LocalClock
) -> None:
    """Admission reads the number's type from the audience (classified at creation) rather than parsing each
    number again: a paid-to-receive number is still refused, free."""
    allow_countries(shop.account_id, "IR", "GB")
    with recording_connector(SimulatorConfig(seed=3, sms=ALL_DELIVERED)) as connector:
        campaign = create(shop, _sms(shop, [IRAN, GB_PREMIUM]))
        (item,) = run_to_end(clock, [campaign["id"]], region=platform.settings.region)
    assert_reconciled(item)
    assert [p.number for p in connector.placed] == [IRAN]
    refused = {r.number: (r.status, int(r.cost or 0)) for r in recipients_of(item)}
    assert refused[GB_PREMIUM] == ("prefix_not_allowed", 0)


def _wait_for_status(api: Api, campaign_id: str, status: str, deadline_seconds: float = 30) -> dict[str, object]:
    deadline = time.monotonic() + deadline_seconds
    while time.monotonic() < deadline:
        view: dict[str, object] = api.get(f"/v1/campaigns/{campaign_id}").json()
        if view["status"] == status:
            return view
        time.sleep(0.05)
    raise AssertionError(f"campaign {campaign_id} never reached {status}")


def test_r_acc_pumping_a_burst_to_never_seen_ranges_pauses_until_an_admin_resumes(
    admin: Api, shop: Customer, platform: LocalRuntime, clock: LocalClock
) -> None:
    allow_countries(shop.account_id, "IR", "DE")
    with recording_connector(SimulatorConfig(seed=4, sms=ALL_DELIVERED)) as connector:
        campaign = create(shop, _sms(shop, GERMANY))
        paused = _wait_for_status(shop.api, campaign["id"], "paused")
        last = paused["history"][-1]  # type: ignore[index]
        assert (last["actor"], last["reason"]) == ("system", "suspected_pumping")
        assert paused["comments"][-1]["author"] == "system"  # type: ignore[index]
        assert connector.placed == []
        # GIVEN the pause: the owner cannot resume it, an admin can (the review)
        assert_error(shop.api.post(f"/v1/campaigns/{campaign['id']}/resume"), 409, "awaiting_review")
        assert_error(shop.api.post(f"/v1/campaigns/{campaign['id']}/resume_unfinished"), 409, "awaiting_review")
        resumed = admin.post(f"/v1/campaigns/{campaign['id']}/resume", {"reason": "reviewed: a real German list"})
        assert resumed.status == 200, resumed.body
        (item,) = run_to_end(clock, [campaign["id"]], region=platform.settings.region)
        assert_reconciled(item)
        assert sorted(p.number for p in connector.placed) == sorted(GERMANY)
        # THEN the ranges are known: the next campaign to them is not held
        again = create(shop, _sms(shop, GERMANY, name="Again"))
        (second,) = run_to_end(clock, [again["id"]], region=platform.settings.region)
    assert_reconciled(second)
    assert "suspected_pumping" not in {
        h["reason"] for h in shop.api.get(f"/v1/campaigns/{again['id']}").json()["history"]
    }
