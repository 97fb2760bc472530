"""The Chime SDK PSTN audio connector (R-DSP-4/5, R-OUT-1/2, R-TTS-1): CreateSipMediaApplicationCall checked by
Stubber against the service model; the call script replayed over the recorded SIP media application events."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from jarchi.attempts import Attempt, Outcome, PlacementStatus
from jarchi.campaigns.callbacks import CallbackOutcome
from jarchi.channels import Category, Channel
from jarchi.compliance.adcap import releases_ad_cap
from jarchi.connectors.chime.config import ChimeConfig
from jarchi.connectors.chime.connector import ChimeConnector, arguments
from jarchi.connectors.chime.sma import CallScript
from jarchi.connectors.retrying import Budget
from jarchi.ports import ConnectorError
from jarchi.results.callbacks import CallbackAnswer
from tests.connectors.chime_calls import replay
from tests.connectors.events import event_names, load_event

POOL = ("+13125550100", "+13125550101", "+13125550102")
CONFIG = ChimeConfig(sip_media_application_id="a1b2c3d4-5678-90ab-cdef-111122223333", caller_ids=POOL, in_flight=1)
START = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)


def call(seq: int, **kw: Any) -> Attempt:
    content = {"audio_key": "audio/acc-1/aud-1.wav"} if "tts_text" not in kw else {}
    return Attempt(
        attempt_id=f"cmp-voice.{seq}.1",
        campaign_id="cmp-voice",
        account_id="acc-1",
        channel=Channel.VOICE,
        category=kw.pop("category", Category.ADVERTISING),
        number=f"+98912000{seq:04d}",
        message_seconds=24,
        **content,
        **kw,
    )


@pytest.fixture
def stubbed() -> Iterator[tuple[ChimeConnector, Stubber]]:
    client = boto3.client("chime-sdk-voice", region_name="us-east-1")
    with Stubber(client) as stubber:
        connector = ChimeConnector(
            CONFIG, region="us-east-1", client=client, budget=lambda: Budget(2.0, sleep=lambda _: None)
        )
        yield connector, stubber
        stubber.assert_no_pending_responses()


def created(transaction: str) -> dict[str, Any]:
    return {"SipMediaApplicationCall": {"TransactionId": transaction}}


def test_r_dsp_4_a_call_is_created_on_the_sip_media_application_with_the_attempt_as_arguments(stubbed) -> None:
    connector, stubber = stubbed
    attempt = call(1, vote=True, part=2)
    expected = {
        "FromPhoneNumber": ANY,
        "ToPhoneNumber": attempt.number,
        "SipMediaApplicationId": CONFIG.sip_media_application_id,
        "ArgumentsMap": {
            "jarchi_attempt": "cmp-voice.1.1",
            "jarchi_campaign": "cmp-voice",
            "jarchi_number": attempt.number,
            "jarchi_part": "2",
            "jarchi_units": "1",
            "jarchi_seconds": "24",
            "jarchi_gather": "1",
            "jarchi_category": "advertising",
            "jarchi_audio": "audio/acc-1/aud-1.pstn.wav",  # the telephone copy made at approval
        },
    }
    stubber.add_response("create_sip_media_application_call", created("tx-1"), expected)
    [placement] = connector.place([attempt])
    assert placement.status is PlacementStatus.SUBMITTED and placement.reference == "tx-1"


def test_r_dsp_5_the_caller_id_comes_from_the_pool(stubbed) -> None:
    connector, _ = stubbed
    assert connector.caller_id(call(1, caller_id=POOL[2])) == POOL[2]
    picked = {connector.caller_id(call(n)) for n in range(30)}
    assert picked == set(POOL)  # rotated over the pool
    assert connector.caller_id(call(1, caller_id="+15550000000")) in POOL  # not ours: the carousel decides
    assert connector.caller_id(call(7)) == connector.caller_id(call(7))  # stable for a retried placement


def test_r_dsp_5_a_pool_call_goes_out_from_its_caller_id_and_its_result_keeps_it(stubbed) -> None:
    connector, _ = stubbed
    attempt = call(3, caller_id=POOL[1])
    request = connector.request(attempt)
    assert request["FromPhoneNumber"] == POOL[1]
    assert request["ArgumentsMap"]["jarchi_caller_id"] == POOL[1]
    assert "jarchi_caller_id" not in connector.request(call(3))["ArgumentsMap"]  # no pool: the deployment's
    *_, hung_up = replay(
        [("NEW_OUTBOUND_CALL", 0), ("CALL_ANSWERED", 5), ("HANGUP", 15.6)],
        start=START,
        arguments=request["ArgumentsMap"],
    )
    assert hung_up.report is not None and hung_up.report.result.caller_id == POOL[1]


def test_only_service_calls_without_a_vote_skip_gathering_digits() -> None:
    assert arguments(call(1, category=Category.SERVICE))["jarchi_gather"] == "0"
    assert arguments(call(1, category=Category.SERVICE, vote=True))["jarchi_gather"] == "1"
    assert arguments(call(1))["jarchi_gather"] == "1"  # advertising: 11 opts out (R-CPL-3)


def test_throttling_and_the_call_limit_are_retried(stubbed) -> None:
    connector, stubber = stubbed
    stubber.add_client_error("create_sip_media_application_call", "ThrottledClientException", http_status_code=429)
    stubber.add_client_error(
        "create_sip_media_application_call", "ResourceLimitExceededException", http_status_code=400
    )
    stubber.add_response("create_sip_media_application_call", created("tx-1"))
    [placement] = connector.place([call(1)])
    assert placement.status is PlacementStatus.SUBMITTED


def test_a_bad_request_for_one_number_is_a_final_free_failure(stubbed) -> None:
    connector, stubber = stubbed
    stubber.add_client_error("create_sip_media_application_call", "BadRequestException", http_status_code=400)
    stubber.add_response("create_sip_media_application_call", created("tx-2"))
    first, second = connector.place([call(1), call(2)])
    assert first.result is not None and first.result.outcome is Outcome.FAILED
    assert first.result.detail == "refused:BadRequestException" and releases_ad_cap(first.result.outcome)
    assert second.status is PlacementStatus.SUBMITTED


def test_an_unconfigured_or_forbidden_connector_sends_the_batch_back(stubbed) -> None:
    connector, stubber = stubbed
    stubber.add_client_error("create_sip_media_application_call", "ForbiddenException", http_status_code=403)
    with pytest.raises(ConnectorError):
        connector.place([call(1)])
    with pytest.raises(ConnectorError, match="sip_media_application_id"):
        ChimeConnector(ChimeConfig(), region="us-east-1").place([call(1)])


def test_an_sms_attempt_is_refused_without_a_request(stubbed) -> None:
    connector, _ = stubbed
    text = Attempt("cmp-1.1.1", "cmp-1", "acc-1", Channel.SMS, Category.SERVICE, "+989120000001", sms_text="Hi")
    [placement] = connector.place([text])
    assert placement.result is not None and placement.result.detail == "channel_not_supported"


# --- the call script over the recorded SIP media application events ----------------------------------------


def test_r_out_2_an_answered_vote_plays_the_audio_waits_for_digits_and_reports_the_vote() -> None:
    outbound, ringing, answered, played, hung_up = replay(
        [
            ("NEW_OUTBOUND_CALL", 0),
            ("RINGING", 2),
            ("CALL_ANSWERED", 9),
            ("ACTION_SUCCESSFUL_PlayAudioAndGetDigits", 36),
            ("HANGUP", 37),
        ],
        start=START,
    )
    assert outbound.response["Actions"] == [] and ringing.response["Actions"] == []
    assert outbound.response["TransactionAttributes"]["jarchi_attempt"] == "cmp-voice.1.1"
    [play] = answered.response["Actions"]
    assert play["Type"] == "PlayAudioAndGetDigits"
    assert play["Parameters"]["AudioSource"] == {
        "Type": "S3",
        "BucketName": "jarchi-media",
        "Key": "audio/acc-1/aud-1.wav",
    }
    assert play["Parameters"]["RepeatDurationInMilliseconds"] == 4500  # the 4–5 s pause for input
    assert [a["Type"] for a in played.response["Actions"]] == ["Hangup"]
    assert hung_up.response["Actions"] == []
    report = hung_up.report
    assert report is not None and report.event_id == "chime:6b2e1c7a-4f0d-4a55-9d7e-2f3a9c1b0e11"
    result = report.result
    assert (result.outcome, result.listened_seconds, result.vote, result.digits) == (Outcome.ANSWERED, 24, 2, "2")
    assert (result.attempt_id, result.campaign_id, result.number) == ("cmp-voice.1.1", "cmp-voice", "+989120000001")


def test_r_tts_1_a_persian_tts_call_speaks_in_the_fallback_language_and_says_so() -> None:
    args = {**load_event("chime/NEW_OUTBOUND_CALL")["ActionData"]["Parameters"]["Arguments"]}
    del args["jarchi_audio"]
    args |= {"jarchi_tts": "سلام", "jarchi_language": "fa"}
    *_, answered, _, hung_up = replay(
        [("NEW_OUTBOUND_CALL", 0), ("CALL_ANSWERED", 5), ("ACTION_SUCCESSFUL_SpeakAndGetDigits", 20), ("HANGUP", 21)],
        start=START,
        arguments=args,
    )
    [speak] = answered.response["Actions"]
    assert speak["Type"] == "SpeakAndGetDigits"
    assert speak["Parameters"]["SpeechParameters"]["LanguageCode"] == "en-US"
    assert hung_up.report is not None
    assert (hung_up.report.result.vote, hung_up.report.result.detail) == (11, "tts:en")  # 11: ad opt-out


def test_r_out_1_a_caller_who_hangs_up_early_listened_until_then() -> None:
    args = {**load_event("chime/NEW_OUTBOUND_CALL")["ActionData"]["Parameters"]["Arguments"], "jarchi_gather": "0"}
    *_, answered, hung_up = replay(
        [("NEW_OUTBOUND_CALL", 0), ("CALL_ANSWERED", 5), ("HANGUP", 15.6)], start=START, arguments=args
    )
    assert [a["Type"] for a in answered.response["Actions"]] == ["PlayAudio"]
    assert hung_up.report is not None
    assert (hung_up.report.result.outcome, hung_up.report.result.listened_seconds) == (Outcome.ANSWERED, 10)
    assert hung_up.report.result.vote == 0  # answered without voting


@pytest.mark.parametrize(
    ("hangup", "outcome"),
    [("HANGUP_busy", Outcome.BUSY), ("HANGUP_no_answer", Outcome.NO_ANSWER), ("HANGUP_not_a_number", Outcome.FAILED)],
)
def test_r_out_1_an_unanswered_call_ends_by_its_sip_response(hangup: str, outcome: Outcome) -> None:
    *_, hung_up = replay([("NEW_OUTBOUND_CALL", 0), ("RINGING", 1), (hangup, 30)], start=START)
    assert hung_up.report is not None
    result = hung_up.report.result
    assert (result.outcome, result.listened_seconds, result.vote) == (outcome, 0, -1)


def test_a_message_that_failed_to_play_is_a_free_failure() -> None:
    *_, failed, hung_up = replay(
        [("NEW_OUTBOUND_CALL", 0), ("CALL_ANSWERED", 5), ("ACTION_FAILED_PlayAudio", 6), ("HANGUP", 7)], start=START
    )
    assert [a["Type"] for a in failed.response["Actions"]] == ["Hangup"]
    assert hung_up.report is not None
    assert hung_up.report.result.outcome is Outcome.FAILED
    assert hung_up.report.result.detail == "message_not_played:InvalidAudioSource"


def test_r_out_4_an_inbound_call_the_rule_refuses_is_hung_up_and_reported_refused() -> None:
    refused = CallbackAnswer(CallbackOutcome.REFUSED, "+989120000001", "cmp_1", "acc_1", 4)
    [inbound] = replay([("NEW_INBOUND_CALL", 0)], start=START, callbacks=lambda number, at, dialled: refused)
    assert [a["Type"] for a in inbound.response["Actions"]] == ["Hangup"] and inbound.report is None
    assert inbound.callback is not None
    assert (inbound.callback.outcome, inbound.callback.seconds, inbound.callback.campaign_id) == (
        CallbackOutcome.REFUSED,
        0,
        "cmp_1",
    )


def test_r_out_4_a_connected_callback_hears_the_campaign_message_and_reports_its_seconds() -> None:
    asked: list[tuple[str, str | None]] = []

    def within_the_hour(number: str, at: datetime, dialled: str | None) -> CallbackAnswer:
        asked.append((number, dialled))
        return CallbackAnswer(
            CallbackOutcome.CONNECTED, number, "cmp_1", "acc_1", 4, tts_text="Your parcel", language="en"
        )

    inbound, played, hung_up = replay(
        [("NEW_INBOUND_CALL", 0), ("ACTION_SUCCESSFUL_PlayAudio", 20), ("HANGUP", 21.5)],
        start=START,
        callbacks=within_the_hour,
        transaction_id="inbound-1",
    )
    assert asked == [("+989120000001", "+13125550100")]  # the caller's number and the one dialled, from leg A
    assert [a["Type"] for a in inbound.response["Actions"]] == ["Speak"]
    assert [a["Type"] for a in played.response["Actions"]] == ["Hangup"]
    assert hung_up.report is None and hung_up.callback is not None
    callback = hung_up.callback
    assert (callback.outcome, callback.seconds, callback.campaign_id, callback.seq) == (
        CallbackOutcome.CONNECTED,
        21,
        "cmp_1",
        4,
    )
    assert callback.event_id == "chime:inbound-1"  # the call's own id: a repeated HANGUP is booked once


def _bridged(number: str, at: datetime, dialled: str | None) -> CallbackAnswer:
    return CallbackAnswer(
        CallbackOutcome.CONNECTED, number, "cmp_1", "acc_1", 4, tts_text="Your parcel", bridge_to="+982188001234"
    )


def test_r_out_4_a_bridged_callback_is_connected_to_the_business_line_and_charged_for_its_time() -> None:
    inbound, bridged, hung_up = replay(
        [("NEW_INBOUND_CALL", 0), ("ACTION_SUCCESSFUL_CallAndBridge", 4), ("HANGUP_bridged_leg_b", 95.4)],
        start=START,
        callbacks=_bridged,
        transaction_id="inbound-2",
    )
    [bridge] = inbound.response["Actions"]
    assert bridge == {
        "Type": "CallAndBridge",
        "Parameters": {
            "CallTimeoutSeconds": 30,
            "CallerIdNumber": "+989120000001",  # the business sees who calls
            "Endpoints": [{"BridgeEndpointType": "PSTN", "Uri": "+982188001234"}],
        },
    }
    assert bridged.response["Actions"] == [] and bridged.callback is None  # the two legs talk
    # the business hung up first: the caller's leg is hung up too, and the call is reported with its seconds
    assert hung_up.response["Actions"] == [
        {"Type": "Hangup", "Parameters": {"CallId": "inbound-call-1", "SipResponseCode": "0"}}
    ]
    callback = hung_up.callback
    assert callback is not None
    assert (callback.outcome, callback.seconds, callback.bridged, callback.event_id) == (
        CallbackOutcome.CONNECTED,
        95,
        True,
        "chime:inbound-2",
    )


def test_r_out_4_a_bridge_nobody_answers_plays_the_campaign_message_instead() -> None:
    _, failed, _, hung_up = replay(
        [
            ("NEW_INBOUND_CALL", 0),
            ("ACTION_FAILED_CallAndBridge", 30),
            ("ACTION_SUCCESSFUL_PlayAudio", 45),
            ("HANGUP", 46),
        ],
        start=START,
        callbacks=_bridged,
    )
    assert [a["Type"] for a in failed.response["Actions"]] == ["Speak"]
    assert hung_up.callback is not None
    assert (hung_up.callback.seconds, hung_up.callback.bridged) == (46, False)


RECORDING_SCRIPT = CallScript(CONFIG, "jarchi-media", "jarchi-recordings")


def _recorded_arguments() -> dict[str, str]:
    return {**load_event("chime/NEW_OUTBOUND_CALL")["ActionData"]["Parameters"]["Arguments"], "jarchi_record": "1"}


def test_r_out_5_a_recorded_campaign_s_call_asks_the_connector_to_record() -> None:
    assert arguments(call(1, record=True))["jarchi_record"] == "1"
    assert "jarchi_record" not in arguments(call(1))


def test_r_out_5_an_answered_call_is_recorded_under_the_campaign_and_its_result_names_the_file() -> None:
    _, answered, started, played, hung_up = replay(
        [
            ("NEW_OUTBOUND_CALL", 0),
            ("CALL_ANSWERED", 9),
            ("ACTION_SUCCESSFUL_StartCallRecording", 9.2),
            ("ACTION_SUCCESSFUL_PlayAudioAndGetDigits", 36),
            ("HANGUP", 37),
        ],
        start=START,
        arguments=_recorded_arguments(),
        script=RECORDING_SCRIPT,
    )
    [record] = answered.response["Actions"]
    assert record == {
        "Type": "StartCallRecording",
        "Parameters": {
            "CallId": "c0ffee00-1111-2222-3333-444455556666",
            "Track": "BOTH",
            "Destination": {"Type": "S3", "Location": "jarchi-recordings/recordings/cmp-voice"},
        },
    }
    assert [a["Type"] for a in started.response["Actions"]] == ["PlayAudioAndGetDigits"]  # then the message
    assert [a["Type"] for a in played.response["Actions"]] == ["Hangup"]
    assert hung_up.report is not None
    result = hung_up.report.result
    assert result.recording_key is not None and result.recording_key.startswith("recordings/cmp-voice/")
    assert result.recording_key.endswith(".wav") and result.recording_seconds == 28  # answer to hang-up
    assert (result.outcome, result.listened_seconds, result.vote) == (Outcome.ANSWERED, 24, 2)


def test_r_out_5_a_recording_that_could_not_start_leaves_the_call_unrecorded_but_played() -> None:
    *_, failed, _, hung_up = replay(
        [
            ("NEW_OUTBOUND_CALL", 0),
            ("CALL_ANSWERED", 9),
            ("ACTION_FAILED_StartCallRecording", 9.2),
            ("ACTION_SUCCESSFUL_PlayAudioAndGetDigits", 36),
            ("HANGUP", 37),
        ],
        start=START,
        arguments=_recorded_arguments(),
        script=RECORDING_SCRIPT,
    )
    assert [a["Type"] for a in failed.response["Actions"]] == ["PlayAudioAndGetDigits"]
    assert hung_up.report is not None
    assert (hung_up.report.result.outcome, hung_up.report.result.recording_key) == (Outcome.ANSWERED, None)


def test_r_out_5_without_a_recordings_bucket_or_record_flag_a_call_only_plays() -> None:
    *_, answered = replay(
        [("NEW_OUTBOUND_CALL", 0), ("CALL_ANSWERED", 9)], start=START, arguments=_recorded_arguments()
    )
    assert [a["Type"] for a in answered.response["Actions"]] == ["PlayAudioAndGetDigits"]


# The developer guide's list of InvocationEventType values.
SMA_EVENT_TYPES = {
    "NEW_INBOUND_CALL",
    "NEW_OUTBOUND_CALL",
    "RINGING",
    "CALL_ANSWERED",
    "ACTION_SUCCESSFUL",
    "ACTION_FAILED",
    "ACTION_INTERRUPTED",
    "DIGITS_RECEIVED",
    "CALL_UPDATE_REQUESTED",
    "INVALID_LAMBDA_RESPONSE",
    "HANGUP",
}


def test_every_sip_media_application_event_type_is_recorded_and_answered_in_schema_1_0() -> None:
    names = event_names("chime")
    assert {load_event(f"chime/{n}")["InvocationEventType"] for n in names} == SMA_EVENT_TYPES
    for name in names:
        [reply] = replay([(name, 0)], start=START)
        assert reply.response["SchemaVersion"] == "1.0"


@pytest.mark.parametrize("name", ["ACTION_INTERRUPTED", "DIGITS_RECEIVED", "CALL_UPDATE_REQUESTED"])
def test_events_the_script_does_not_ask_for_change_nothing(name: str) -> None:
    *_, answered, ignored, hung_up = replay(
        [("NEW_OUTBOUND_CALL", 0), ("CALL_ANSWERED", 5), (name, 6), ("HANGUP", 10)], start=START
    )
    assert ignored.response["Actions"] == []
    assert ignored.response["TransactionAttributes"] == answered.response["TransactionAttributes"]
    assert hung_up.report is not None and hung_up.report.result.outcome is Outcome.ANSWERED


def test_an_answer_the_service_could_not_read_hangs_up_and_the_call_is_a_free_failure() -> None:
    *_, invalid, hung_up = replay(
        [("NEW_OUTBOUND_CALL", 0), ("CALL_ANSWERED", 5), ("INVALID_LAMBDA_RESPONSE", 5), ("HANGUP", 6)], start=START
    )
    assert [a["Type"] for a in invalid.response["Actions"]] == ["Hangup"]
    assert hung_up.report is not None and hung_up.report.result.outcome is Outcome.FAILED
    assert hung_up.report.result.detail == "message_not_played:InvalidResponse"
