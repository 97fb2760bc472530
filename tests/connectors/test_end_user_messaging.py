"""The End User Messaging SMS connector (R-DSP-4): every SendTextMessage checked against the service model by
botocore's Stubber; retries inside the budget; refusals as final free results; recorded events back."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from jarchi.attempts import Attempt, DeliveryStatus, Outcome, PlacementStatus
from jarchi.channels import Category, Channel
from jarchi.compliance.adcap import releases_ad_cap
from jarchi.connectors.end_user_messaging.connector import (
    EndUserMessagingConfig,
    EndUserMessagingConnector,
    message_type,
    time_to_live,
)
from jarchi.connectors.end_user_messaging.events import FINAL_EVENT_TYPES, report_from_event
from jarchi.connectors.reports import report_from_body
from jarchi.connectors.retrying import Budget
from jarchi.ports import ConnectorError
from tests.connectors.events import event_names, load_event

CONFIG = EndUserMessagingConfig(
    in_flight=1,  # the Stubber answers in request order
    voice_origination_identity="arn:aws:sms-voice:eu-central-1:123456789012:phone-number/phone-0123456789abcdef",
    configuration_set="jarchi-sms",
    origination_identity="pool-0123456789abcdef0123456789abcdef",
    sender_identities={"JARCHI": "arn:aws:sms-voice:eu-central-1:123456789012:sender-id/JARCHI/IR"},
)


def sms(seq: int, *, category: Category = Category.ADVERTISING, sender: str | None = "JARCHI", **kw: Any) -> Attempt:
    return Attempt(
        attempt_id=f"cmp-1.{seq}.1",
        campaign_id="cmp-1",
        account_id="acc-1",
        channel=Channel.SMS,
        category=category,
        number=f"+98912000{seq:04d}",
        sms_text="Hello from Jarchi",
        sender=sender,
        units=kw.pop("units", 1),
        **kw,
    )


class FakeTime:
    """A monotonic clock that sleeping moves; records the sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def stubbed(fake_time: FakeTime) -> Iterator[tuple[EndUserMessagingConnector, Stubber]]:
    client = boto3.client("pinpoint-sms-voice-v2", region_name="eu-central-1")
    with Stubber(client) as stubber:
        connector = EndUserMessagingConnector(
            CONFIG,
            region="eu-central-1",
            client=client,
            budget=lambda: Budget(2.0, clock=fake_time.clock, sleep=fake_time.sleep),
        )
        yield connector, stubber
        stubber.assert_no_pending_responses()


def expected_request(attempt: Attempt, **extra: Any) -> dict[str, Any]:
    return {
        "DestinationPhoneNumber": attempt.number,
        "MessageBody": attempt.sms_text,
        "MessageType": message_type(attempt.category),
        "Context": {
            "jarchi_campaign": "cmp-1",
            "jarchi_attempt": attempt.attempt_id,
            "jarchi_units": str(attempt.units),
        },
        "ConfigurationSetName": "jarchi-sms",
        **extra,
    }


def test_r_dsp_4_an_advertising_sms_is_promotional_from_the_registered_sender_with_its_validity(stubbed) -> None:
    connector, stubber = stubbed
    attempt = sms(1, validity_seconds=3600, units=2)
    stubber.add_response(
        "send_text_message",
        {"MessageId": "msg-1"},
        expected_request(attempt, OriginationIdentity=CONFIG.sender_identities["JARCHI"], TimeToLive=3600),
    )
    [placement] = connector.place([attempt])
    assert placement.status is PlacementStatus.SUBMITTED and placement.reference == "msg-1"


def test_service_and_otp_are_transactional_and_a_senderless_message_uses_the_pool(stubbed) -> None:
    connector, stubber = stubbed
    service, otp = sms(1, category=Category.SERVICE, sender="OTHERCO"), sms(2, category=Category.OTP, sender=None)
    stubber.add_response(
        "send_text_message", {"MessageId": "m1"}, expected_request(service, OriginationIdentity="OTHERCO")
    )
    stubber.add_response(
        "send_text_message", {"MessageId": "m2"}, expected_request(otp, OriginationIdentity=CONFIG.origination_identity)
    )
    assert [p.reference for p in connector.place([service, otp])] == ["m1", "m2"]
    assert message_type(Category.SERVICE) == message_type(Category.OTP) == "TRANSACTIONAL"


def test_validity_is_clipped_to_what_end_user_messaging_accepts() -> None:
    assert time_to_live(None) is None
    assert time_to_live(1) == 5
    assert time_to_live(10 * 24 * 3600) == 259_200


def test_throttling_is_retried_with_jittered_backoff_inside_the_budget(stubbed, fake_time: FakeTime) -> None:
    connector, stubber = stubbed
    attempt = sms(1)
    request = expected_request(attempt, OriginationIdentity=ANY)
    stubber.add_client_error("send_text_message", "ThrottlingException", http_status_code=429, expected_params=request)
    stubber.add_client_error(
        "send_text_message", "InternalServerException", http_status_code=500, expected_params=request
    )
    stubber.add_response("send_text_message", {"MessageId": "m1"}, request)
    [placement] = connector.place([attempt])
    assert placement.status is PlacementStatus.SUBMITTED
    assert len(fake_time.sleeps) == 2 and all(0 <= s <= 0.2 for s in fake_time.sleeps)


def test_still_throttled_when_the_budget_ends_the_rest_goes_back_to_the_queue(stubbed, fake_time: FakeTime) -> None:
    connector, stubber = stubbed
    first, second = sms(1), sms(2)
    stubber.add_response("send_text_message", {"MessageId": "m1"}, expected_request(first, OriginationIdentity=ANY))
    for _ in range(200):
        stubber.add_client_error("send_text_message", "ThrottlingException", http_status_code=429)
    placements = connector.place([first, second])
    assert [p.status for p in placements] == [PlacementStatus.SUBMITTED, PlacementStatus.RETRY]
    assert fake_time.now <= 2.0  # never slept past the budget
    stubber._queue.clear()  # the throttles left over were never asked for


@pytest.mark.parametrize(
    ("code", "reason"),
    [("ValidationException", "INVALID_PARAMETER"), ("ConflictException", "DESTINATION_PHONE_NUMBER_OPTED_OUT")],
)
def test_a_permanent_refusal_is_a_final_free_rejected_result_that_releases_the_ad_cap(stubbed, code, reason) -> None:
    connector, stubber = stubbed
    refused, fine = sms(1), sms(2)
    stubber.add_client_error(
        "send_text_message", code, http_status_code=400, response_meta={}, modeled_fields={"Reason": reason}
    )
    stubber.add_response("send_text_message", {"MessageId": "m2"}, expected_request(fine, OriginationIdentity=ANY))
    first, second = connector.place([refused, fine])
    assert first.status is PlacementStatus.COMPLETED and first.result is not None
    assert first.result.outcome is Outcome.REJECTED and first.result.delivery_status is DeliveryStatus.REJECTD
    assert first.result.detail == f"refused:{code}:{reason}"
    assert releases_ad_cap(first.result.outcome)
    assert second.status is PlacementStatus.SUBMITTED


def test_a_broken_connector_sends_the_batch_back_and_never_resends_what_it_placed(stubbed) -> None:
    connector, stubber = stubbed
    stubber.add_client_error("send_text_message", "AccessDeniedException", http_status_code=403)
    with pytest.raises(ConnectorError):
        connector.place([sms(1)])
    stubber.add_response("send_text_message", {"MessageId": "m1"})
    stubber.add_client_error("send_text_message", "ResourceNotFoundException", http_status_code=404)
    placements = connector.place([sms(1), sms(2)])
    assert [p.status for p in placements] == [PlacementStatus.SUBMITTED, PlacementStatus.RETRY]


def call(seq: int, *, language: str | None = "en", audio: bool = False) -> Attempt:
    content: dict[str, Any] = {"audio_key": "audio/acc-1/a.wav"} if audio else {"tts_text": "Your order is ready"}
    return Attempt(
        f"cmp-1.{seq}.1",
        "cmp-1",
        "acc-1",
        Channel.VOICE,
        Category.SERVICE,
        f"+98912000{seq:04d}",
        message_seconds=12,
        units=2,
        language=language,
        **content,
    )


def expected_call(attempt: Attempt, voice: str, spoken: str) -> dict[str, Any]:
    return {
        "DestinationPhoneNumber": attempt.number,
        "MessageBody": attempt.tts_text,
        "MessageBodyTextType": "TEXT",
        "VoiceId": voice,
        "Context": {
            "jarchi_campaign": "cmp-1",
            "jarchi_attempt": attempt.attempt_id,
            "jarchi_units": "2",
            "jarchi_seconds": "12",
            "jarchi_spoken": spoken,
        },
        "OriginationIdentity": CONFIG.voice_origination_identity,
        "ConfigurationSetName": "jarchi-sms",
    }


def test_r_tts_1_a_text_to_speech_call_is_one_send_voice_message_in_its_language_or_the_fallback(stubbed) -> None:
    connector, stubber = stubbed
    english, persian = call(1, language="en"), call(2, language="fa")
    stubber.add_response("send_voice_message", {"MessageId": "v1"}, expected_call(english, "JOANNA", "en"))
    stubber.add_response("send_voice_message", {"MessageId": "v2"}, expected_call(persian, "JOANNA", "en"))
    placements = connector.place([english, persian])
    assert [(p.status, p.reference) for p in placements] == [
        (PlacementStatus.SUBMITTED, "v1"),
        (PlacementStatus.SUBMITTED, "v2"),
    ]


def test_a_call_with_recorded_audio_is_refused_free_without_a_request(stubbed) -> None:
    connector, _ = stubbed  # no response queued: a request would fail the Stubber
    [placement] = connector.place([call(1, audio=True)])
    assert placement.result is not None and placement.result.outcome is Outcome.FAILED
    assert placement.result.detail == "audio_not_supported" and releases_ad_cap(placement.result.outcome)


def test_a_refused_call_is_a_final_free_failed_result(stubbed) -> None:
    connector, stubber = stubbed
    stubber.add_client_error(
        "send_voice_message", "ValidationException", http_status_code=400, modeled_fields={"Reason": "INVALID_ARN"}
    )
    [placement] = connector.place([call(1)])
    assert placement.result is not None and placement.result.outcome is Outcome.FAILED
    assert placement.result.detail == "refused:ValidationException:INVALID_ARN"


# --- events back -----------------------------------------------------------------------------------------


def test_every_text_and_voice_event_type_of_the_service_model_is_recorded_and_the_final_ones_are_mapped() -> None:
    model = boto3.client("pinpoint-sms-voice-v2", region_name="eu-central-1").meta.service_model
    enum = model.shape_for("EventType").enum
    types = {t for t in enum if t.startswith(("TEXT_", "VOICE_")) and not t.endswith("_ALL")}
    recorded = {n for n in event_names("end_user_messaging") if n.startswith(("TEXT_", "VOICE_"))}
    assert types <= recorded and all(load_event(f"end_user_messaging/{t}")["eventType"] == t for t in types)
    assert set(FINAL_EVENT_TYPES) <= types
    final = {t for t in types if load_event(f"end_user_messaging/{t}")["isFinal"]}
    assert final - {"TEXT_CARRIER_UNREACHABLE"} <= set(FINAL_EVENT_TYPES)  # its recorded example is transient


@pytest.mark.parametrize(
    ("name", "outcome", "listened"),
    [
        ("VOICE_COMPLETED", Outcome.ANSWERED, 45),
        ("VOICE_BUSY", Outcome.BUSY, 0),
        ("VOICE_NO_ANSWER", Outcome.NO_ANSWER, 0),
        ("VOICE_FAILED", Outcome.FAILED, 0),
        ("VOICE_TTL_EXPIRED", Outcome.FAILED, 0),
    ],
)
def test_r_dsp_4_a_final_voice_event_is_the_calls_outcome(name: str, outcome: Outcome, listened: int) -> None:
    event = load_event(f"end_user_messaging/{name}")
    report = report_from_body(event)
    assert report is not None and report.event_id == f"eum:{event['messageId']}"
    result = report.result
    assert (result.outcome, result.listened_seconds, result.units) == (outcome, listened, 2)
    assert result.attempt_id == event["context"]["jarchi_attempt"] and result.detail == f"{name}; tts:en"
    assert result.vote == (0 if outcome is Outcome.ANSWERED else -1)


@pytest.mark.parametrize("name", ["VOICE_INITIATED", "VOICE_RINGING", "VOICE_ANSWERED", "TEXT_SENT"])
def test_a_call_or_text_still_under_way_is_not_a_result(name: str) -> None:
    assert report_from_body(load_event(f"end_user_messaging/{name}")) is None


@pytest.mark.parametrize(
    ("name", "status", "outcome"),
    [
        ("TEXT_DELIVERED", DeliveryStatus.DELIVRD, Outcome.DELIVERED),
        ("TEXT_SUCCESSFUL", DeliveryStatus.DELIVRD, Outcome.DELIVERED),
        ("TEXT_TTL_EXPIRED", DeliveryStatus.EXPIRED, Outcome.UNDELIVERED),
        ("TEXT_UNREACHABLE", DeliveryStatus.UNDELIV, Outcome.UNDELIVERED),
        ("TEXT_UNKNOWN", DeliveryStatus.UNDELIV, Outcome.UNDELIVERED),
        ("TEXT_BLOCKED", DeliveryStatus.REJECTD, Outcome.REJECTED),
        ("TEXT_CARRIER_BLOCKED", DeliveryStatus.REJECTD, Outcome.REJECTED),
        ("TEXT_SPAM", DeliveryStatus.REJECTD, Outcome.REJECTED),
        ("TEXT_PROTECT_BLOCKED", DeliveryStatus.REJECTD, Outcome.REJECTED),
        ("TEXT_INVALID", DeliveryStatus.REJECTD, Outcome.REJECTED),
        ("TEXT_INVALID_MESSAGE", DeliveryStatus.REJECTD, Outcome.REJECTED),
    ],
)
def test_r_sms_5_a_final_event_is_the_attempts_delivery_status(name: str, status, outcome) -> None:
    event = load_event(f"end_user_messaging/{name}")
    report = report_from_event(event)
    assert report is not None
    result = report.result
    assert (result.delivery_status, result.outcome) == (status, outcome)
    assert result.attempt_id == event["context"]["jarchi_attempt"] and result.campaign_id == "cmp-eum"
    assert result.number == event["destinationPhoneNumber"] and result.reference == event["messageId"]
    assert result.completed_at == datetime.fromtimestamp(event["eventTimestamp"] / 1000, tz=UTC)
    assert report.event_id == f"eum:{event['messageId']}"


@pytest.mark.parametrize("name", ["TEXT_QUEUED", "TEXT_PENDING", "TEXT_CARRIER_UNREACHABLE"])
def test_an_event_that_is_not_final_is_not_a_result(name: str) -> None:
    assert report_from_event(load_event(f"end_user_messaging/{name}")) is None


def test_a_multipart_message_is_one_result_with_the_attempts_own_units() -> None:
    report = report_from_event(load_event("end_user_messaging/TEXT_DELIVERED_multipart"))
    assert report is not None and report.result.units == 3 and "parts=3" in (report.result.detail or "")


def test_an_event_for_a_message_jarchi_did_not_send_is_ignored() -> None:
    event = load_event("end_user_messaging/TEXT_DELIVERED")
    event["context"] = {}
    assert report_from_event(event) is None


def test_an_event_in_its_sns_envelope_reads_the_same() -> None:
    assert report_from_body(load_event("end_user_messaging/sns_envelope_TEXT_DELIVERED")) == report_from_event(
        load_event("end_user_messaging/TEXT_DELIVERED")
    )
