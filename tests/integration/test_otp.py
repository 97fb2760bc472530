"""`POST /v1/otp` and its verify (R-CMP-7, R-TTS-1, R-ACC-4, R-ACC-5): a code by SMS or by a voice call that
reads the digits twice, only its hash stored, 5 tries until it expires, used once (two verifies racing:
exactly one succeeds), at most 5 sends a number an hour, not for demo accounts, `otp` windows."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import boto3
import pytest

from jarchi.accounts.service import authenticate
from jarchi.campaigns.ports import CampaignPorts
from jarchi.clock import LocalClock
from jarchi.connectors.simulator import SimulatorConfig, SmsRates
from jarchi.errors import Conflict
from jarchi.otp import codes, service
from jarchi.otp.models import Otp
from jarchi.settings import Settings
from jarchi.store.otp import DynamoOtp
from local.runtime import LocalRuntime
from tests.api import Api, assert_error
from tests.campaign_harness import Customer, new_customer, recording_connector, run_to_end

NUMBER = "+989120000301"


@pytest.fixture
def shop(admin: Api, platform: LocalRuntime) -> Iterator[Customer]:
    """A quick send starts the campaign workflow: the platform runs (the code really goes out). Every SMS is
    delivered: attempt ids are random, so the default rates would make a code undeliverable now and then."""
    with recording_connector(SimulatorConfig(sms=SmsRates(DELIVRD=1, UNDELIV=0, EXPIRED=0, REJECTD=0, NOREPORT=0))):
        yield new_customer(admin, "Shop")


def _send(customer: Customer, **body: object) -> dict[str, object]:
    response = customer.api.post("/v1/otp", {"number": NUMBER, "channel": "sms", "sender": customer.sender, **body})
    assert response.status == 201, response.body
    sent: dict[str, object] = response.json()
    return sent


def _verify(api: Api, otp_id: object, code: str) -> object:
    return api.post(f"/v1/otp/{otp_id}/verify", {"code": code})


def test_r_cmp_7_a_code_by_sms_is_verified_once_within_five_tries(shop: Customer, aws: Settings) -> None:
    sent = _send(shop, code="482913", ttl_seconds=120)
    campaign = shop.api.get(f"/v1/campaigns/{sent['campaign_id']}").json()
    assert campaign["category"] == "otp" and campaign["stats"]["total"] == 1
    assert datetime.fromisoformat(str(sent["expires_at"])) - datetime.fromisoformat(campaign["created_at"]) == (
        timedelta(seconds=120)
    )
    stored = str(boto3.client("dynamodb").scan(TableName="jarchi-test-otp")["Items"])
    assert "482913" not in stored  # only its keyed hash

    wrong = assert_error(_verify(shop.api, sent["id"], "000000"), 422, "otp_invalid")  # type: ignore[arg-type]
    assert wrong["tries_left"] == 4
    ok = _verify(shop.api, sent["id"], "482913")
    assert ok.status == 200 and ok.json() == {"verified": True}  # type: ignore[attr-defined]
    assert_error(_verify(shop.api, sent["id"], "482913"), 409, "otp_already_used")  # type: ignore[arg-type]
    stranger = new_customer(_admin(), "Stranger")
    assert_error(_verify(stranger.api, sent["id"], "482913"), 404, "otp_not_found")  # type: ignore[arg-type]


def _admin() -> Api:
    from local.seed import seed_admin

    return Api(seed_admin().secret)


def test_r_cmp_7_five_wrong_tries_and_expiry_end_a_code(shop: Customer, clock: LocalClock) -> None:
    spent = _send(shop, code="1111")
    for left in (4, 3, 2, 1, 0):
        refused = assert_error(_verify(shop.api, spent["id"], "2222"), 422, "otp_invalid")  # type: ignore[arg-type]
        assert refused["tries_left"] == left
    assert_error(_verify(shop.api, spent["id"], "1111"), 429, "otp_attempts_exceeded")  # type: ignore[arg-type]

    late = _send(shop, code="3333", ttl_seconds=60)
    clock.advance(60)
    assert_error(_verify(shop.api, late["id"], "3333"), 410, "otp_expired")  # type: ignore[arg-type]


def test_r_cmp_7_at_most_five_sends_a_number_an_hour(shop: Customer, clock: LocalClock) -> None:
    for _ in range(5):
        _send(shop)
    limited = assert_error(
        shop.api.post("/v1/otp", {"number": NUMBER, "channel": "sms", "sender": shop.sender}), 429, "otp_rate_limited"
    )
    assert 3_590 <= limited["retry_after_seconds"] <= 3_600
    other = shop.api.post("/v1/otp", {"number": "+989120000302", "channel": "sms", "sender": shop.sender})
    assert other.status == 201, other.body  # per number
    clock.advance(3_600)
    _send(shop)


def test_r_tts_1_a_voice_code_reads_the_digits_twice_and_demo_accounts_get_none(shop: Customer, admin: Api) -> None:
    sent = shop.api.post("/v1/otp", {"number": NUMBER, "channel": "voice", "code": "4071"})
    assert sent.status == 201, sent.body
    campaign = CampaignPorts.wired().campaigns.get(sent.json()["campaign_id"])
    assert campaign is not None and campaign.channel.value == "voice"
    assert campaign.content.tts_text == codes.spoken_text("4071", "fa")

    demo = admin.new_account("Trial", "demo")
    as_demo = admin.as_(admin.new_token(demo["id"]))
    refused = assert_error(as_demo.post("/v1/otp", {"number": NUMBER, "channel": "voice"}), 403, "not_allowed_for_demo")
    assert refused["feature"] == "otp"


def test_r_acc_5_otp_keeps_service_windows_unless_the_account_may_send_around_the_clock(
    shop: Customer, admin: Api
) -> None:
    def windows() -> list[dict[str, str]]:
        sent = _send(shop)
        found: list[dict[str, str]] = shop.api.get(f"/v1/campaigns/{sent['campaign_id']}").json()["windows"]
        return found

    assert windows() == [{"start": "07:00", "end": "23:00"}]
    admin.call("PATCH", f"/v1/accounts/{shop.account_id}", {"allow_24h": True})
    assert windows() == [{"start": "00:00", "end": "24:00"}]


class _BothRead(DynamoOtp):
    """Two verifies read the OTP before either writes: the race the conditional write must decide."""

    def __init__(self) -> None:
        self.barrier = threading.Barrier(2)
        self.first_reads = 0

    def get(self, otp_id: str) -> Otp | None:
        otp = super().get(otp_id)
        if self.first_reads < 2:
            self.first_reads += 1
            self.barrier.wait(timeout=10)
        return otp


def test_r_cmp_7_two_verifies_of_one_code_racing_exactly_one_succeeds(shop: Customer) -> None:
    sent = _send(shop, code="5555")
    caller = authenticate(f"Bearer {shop.api.token}")
    store = _BothRead()

    def verify() -> str:
        try:
            service.verify_otp(caller, str(sent["id"]), "5555", store=store)
        except Conflict as refused:
            return refused.code
        return "verified"

    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = sorted(pool.map(lambda _: verify(), range(2)))
    assert answers == ["otp_already_used", "verified"]
    stored = DynamoOtp().get(str(sent["id"]))
    assert stored is not None and stored.verified and stored.tries == 1


def test_r_cmp_7_a_code_the_operator_did_not_deliver_never_verifies(
    shop: Customer, aws: Settings, clock: LocalClock
) -> None:
    number = "+989120000311"
    with recording_connector(SimulatorConfig.model_validate({"overrides": {number: "UNDELIV"}})):
        sent = _send(shop, number=number, code="7777")
        run_to_end(clock, [str(sent["campaign_id"])], region=aws.region)
    # The right code: refused, and marked so for good
    refused = assert_error(_verify(shop.api, sent["id"], "7777"), 409, "otp_undeliverable")  # type: ignore[arg-type]
    assert refused["reason"] == "undelivered"
    stored = DynamoOtp().get(str(sent["id"]))
    assert stored is not None and stored.undeliverable == "undelivered" and stored.tries == 0
    assert_error(_verify(shop.api, sent["id"], "7777"), 409, "otp_undeliverable")  # type: ignore[arg-type]


def test_r_cmp_7_a_code_outside_its_window_is_refused_at_once_and_sms_codes_have_a_default_sender(
    shop: Customer, admin: Api, clock: LocalClock
) -> None:
    # An SMS code with no sender goes out under the account's approved sender
    response = shop.api.post("/v1/otp", {"number": NUMBER, "channel": "sms"})
    assert response.status == 201, response.body
    campaign = CampaignPorts.wired().campaigns.get(response.json()["campaign_id"])
    assert campaign is not None and campaign.content.sender == shop.sender
    bare = admin.as_(admin.new_token(admin.new_account("No sender")["id"]))
    assert_error(bare.post("/v1/otp", {"number": NUMBER, "channel": "sms"}), 422, "sender_required")

    # 23:30 in Tehran: past the OTP (service) window; nothing is sent, stored or charged
    clock.advance(13.5 * 3_600)
    balance = shop.api.get("/v1/credit").json()
    late = shop.api.post("/v1/otp", {"number": NUMBER, "channel": "voice"})
    opening = assert_error(late, 409, "outside_sending_window")["next_opening"]
    assert datetime.fromisoformat(opening) == datetime.fromisoformat("2026-03-03T07:00:00+03:30")
    assert shop.api.get("/v1/credit").json() == balance
    # with the 24 h permission the code goes out at once
    admin.call("PATCH", f"/v1/accounts/{shop.account_id}", {"allow_24h": True})
    assert shop.api.post("/v1/otp", {"number": NUMBER, "channel": "voice"}).status == 201
