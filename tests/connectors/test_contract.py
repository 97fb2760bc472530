"""Connector contract (R-DSP-4): the same subscribers behind every connector give the same results and the
same money. Each scenario is what happens at the subscriber's end; each connector's driver plays it the way
that provider reports it (the simulator by its overrides, End User Messaging by Stubber-checked requests and
its recorded events, Chime by Stubber-checked calls and its recorded SIP media application events, the HTTPS
provider by a real double on 127.0.0.1 and its signed callbacks), through the connector and the shared
event path back (`jarchi.connectors.callbacks`).

Voice calls come in two kinds: recorded audio with a vote (simulator, Chime, HTTPS), and text-to-speech, which
every voice connector carries, End User Messaging's `SendVoiceMessage` included (it cannot play audio or gather
digits, and reports no partial listening: its scenarios listen to the end)."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from jarchi.attempts import Attempt, AttemptResult, PlacementStatus
from jarchi.billing.charges import attempt_charge
from jarchi.channels import Category, Channel
from jarchi.clock import LocalClock, use_clock
from jarchi.compliance.adcap import releases_ad_cap
from jarchi.connectors.callbacks import ProviderReport, forward_reports
from jarchi.connectors.chime.config import ChimeConfig
from jarchi.connectors.chime.connector import ChimeConnector
from jarchi.connectors.chime.sma import CallScript
from jarchi.connectors.end_user_messaging.config import EndUserMessagingConfig
from jarchi.connectors.end_user_messaging.connector import EndUserMessagingConnector
from jarchi.connectors.end_user_messaging.events import report_from_event
from jarchi.connectors.https.config import HttpsConfig
from jarchi.connectors.https.connector import HttpsConnector
from jarchi.connectors.https.events import receive_callback
from jarchi.connectors.retrying import Budget
from jarchi.connectors.simulator import SimulatorConfig, SimulatorConnector
from jarchi.resources import RESULTS_QUEUE
from jarchi.signing import signature
from tests.connectors.chime_calls import replay
from tests.connectors.events import load_event
from tests.connectors.provider_double import provider_double
from tests.fakes.connectors import FakeReportClaims, RecordingQueue

START = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
MESSAGE_SECONDS = 24
VOICE_TARIFF, SMS_TARIFF = 120, 35
SECRET = "contract-secret"
CALLER = "+13125550100"


@dataclass(frozen=True)
class Subscriber:
    """What happens at one number. Voice: `answer` (None: the call is not answered), `listens` seconds,
    `presses` digits, `line` busy / no_answer / failed; `tts`: the call speaks a text (in Persian, which has no
    Polly voice: said in the fallback language) instead of playing audio with a vote. SMS: the operator's
    `report` (None: refused at submission)."""

    number: str
    channel: Channel
    answer: bool = False
    listens: int = MESSAGE_SECONDS
    presses: str = ""
    line: str = "no_answer"
    report: str | None = "DELIVRD"
    tts: bool = False


SUBSCRIBERS = (
    Subscriber("+989120000001", Channel.VOICE, answer=True, presses="2"),  # listens to the end, votes 2
    Subscriber("+989120000002", Channel.VOICE, answer=True, listens=10),  # hangs up after 10 s
    Subscriber("+989120000003", Channel.VOICE, line="busy"),
    Subscriber("+989120000004", Channel.VOICE, line="no_answer"),
    Subscriber("+989120000005", Channel.VOICE, answer=True, presses="11"),  # opts out of ads
    Subscriber("+989120000006", Channel.SMS, report="DELIVRD"),
    Subscriber("+989120000007", Channel.SMS, report="EXPIRED"),
    Subscriber("+989120000008", Channel.SMS, report="REJECTD"),  # blocked by the carrier
    Subscriber("+989120000009", Channel.SMS, report=None),  # refused at submission (opted out at the operator)
    Subscriber("+989120000010", Channel.VOICE, tts=True, answer=True),  # hears the spoken text to the end
    Subscriber("+989120000011", Channel.VOICE, tts=True, line="busy"),
    Subscriber("+989120000012", Channel.VOICE, tts=True, line="no_answer"),
    Subscriber("+989120000013", Channel.VOICE, tts=True, line="failed"),  # not a number in service
)


def attempt_for(seq: int, subscriber: Subscriber) -> Attempt:
    common: dict[str, Any] = {
        "attempt_id": f"cmp-c.{seq}.1",
        "campaign_id": "cmp-c",
        "account_id": "acc-1",
        "channel": subscriber.channel,
        "category": Category.ADVERTISING,
        "number": subscriber.number,
    }
    if subscriber.channel is Channel.SMS:
        return Attempt(**common, sms_text="Sale today", sender="JARCHI", units=2)
    if subscriber.tts:
        return Attempt(**common, tts_text="Sale today", language="fa", message_seconds=MESSAGE_SECONDS, units=1)
    return Attempt(**common, audio_key="audio/acc-1/aud-1.wav", message_seconds=MESSAGE_SECONDS, vote=True, units=1)


ATTEMPTS = {a.number: a for a in (attempt_for(seq, s) for seq, s in enumerate(SUBSCRIBERS, start=1))}
BY_NUMBER = {s.number: s for s in SUBSCRIBERS}

Driver = Callable[[list[Attempt]], list[AttemptResult]]


def through_the_event_path(completed: list[AttemptResult], reports: list[ProviderReport]) -> list[AttemptResult]:
    """Results known at placing, plus the provider's reports as the results queue gets them."""
    queue = RecordingQueue()
    forward_reports(reports, claims=FakeReportClaims(), queue=queue)
    arrived = [
        AttemptResult.from_message(r)
        for logical, body in queue.sent
        if logical == RESULTS_QUEUE.logical
        for r in body["results"]
    ]
    return completed + arrived


# --- drivers ---------------------------------------------------------------------------------------------


def simulator(attempts: list[Attempt]) -> list[AttemptResult]:
    overrides: dict[str, Any] = {}
    for attempt in attempts:
        s = BY_NUMBER[attempt.number]
        if s.channel is Channel.SMS:
            overrides[s.number] = s.report or "REJECTD"
        elif s.answer:
            overrides[s.number] = {"outcome": "answered", "listened_seconds": s.listens, "digits": s.presses}
        else:
            overrides[s.number] = s.line
    connector = SimulatorConnector(SimulatorConfig(overrides=overrides))
    return [p.result for p in connector.place(attempts) if p.result is not None]


EUM_EVENT = {"DELIVRD": "TEXT_DELIVERED", "EXPIRED": "TEXT_TTL_EXPIRED", "REJECTD": "TEXT_CARRIER_BLOCKED"}
EUM_CALL_EVENT = {"busy": "VOICE_BUSY", "no_answer": "VOICE_NO_ANSWER", "failed": "VOICE_FAILED"}


def eum_event(attempt: Attempt) -> str:
    """The recorded End User Messaging event that reports this subscriber's attempt."""
    s = BY_NUMBER[attempt.number]
    if s.channel is Channel.SMS:
        return EUM_EVENT[str(s.report)]
    return "VOICE_COMPLETED" if s.answer else EUM_CALL_EVENT[s.line]


def end_user_messaging(attempts: list[Attempt]) -> list[AttemptResult]:
    client = boto3.client("pinpoint-sms-voice-v2", region_name="eu-central-1")
    connector = EndUserMessagingConnector(
        EndUserMessagingConfig(configuration_set="jarchi-sms", voice_origination_identity=CALLER, in_flight=1),
        region="eu-central-1",
        client=client,
    )
    reports: list[ProviderReport] = []
    with Stubber(client) as stubber:
        for attempt in attempts:
            if attempt.channel is Channel.VOICE:
                stubber.add_response("send_voice_message", {"MessageId": f"msg-{attempt.attempt_id}"}, _call(attempt))
                continue
            request = connector.request(attempt)
            if BY_NUMBER[attempt.number].report is None:
                stubber.add_client_error(
                    "send_text_message",
                    "ConflictException",
                    http_status_code=409,
                    expected_params=request,
                    modeled_fields={"Reason": "DESTINATION_PHONE_NUMBER_OPTED_OUT"},
                )
            else:
                stubber.add_response("send_text_message", {"MessageId": f"msg-{attempt.attempt_id}"}, request)
        placements = connector.place(attempts)
        stubber.assert_no_pending_responses()
    for attempt, placement in zip(attempts, placements, strict=True):
        if placement.status is not PlacementStatus.SUBMITTED:
            continue
        event = copy.deepcopy(load_event(f"end_user_messaging/{eum_event(attempt)}"))
        event |= {"messageId": placement.reference, "destinationPhoneNumber": attempt.number}
        sent = connector.voice_request(attempt) if attempt.channel is Channel.VOICE else connector.request(attempt)
        event["context"] = sent["Context"]
        report = report_from_event(event)
        assert report is not None
        reports.append(report)
    return through_the_event_path([p.result for p in placements if p.result is not None], reports)


def _call(attempt: Attempt) -> dict[str, Any]:
    """SendVoiceMessage as the service model has it, written out here rather than taken from the connector."""
    return {
        "DestinationPhoneNumber": attempt.number,
        "MessageBody": "Sale today",
        "MessageBodyTextType": "TEXT",
        "VoiceId": "JOANNA",  # Persian has no Polly voice: the fallback language's (en)
        "OriginationIdentity": CALLER,
        "ConfigurationSetName": "jarchi-sms",
        "Context": {
            "jarchi_campaign": attempt.campaign_id,
            "jarchi_attempt": attempt.attempt_id,
            "jarchi_units": "1",
            "jarchi_seconds": str(MESSAGE_SECONDS),
            "jarchi_spoken": "en",
        },
    }


def chime(attempts: list[Attempt]) -> list[AttemptResult]:
    client = boto3.client("chime-sdk-voice", region_name="us-east-1")
    config = ChimeConfig(sip_media_application_id="sma-1", caller_ids=(CALLER,), in_flight=1)
    connector = ChimeConnector(config, region="us-east-1", client=client)
    with Stubber(client) as stubber:
        for attempt in attempts:
            answer = {"SipMediaApplicationCall": {"TransactionId": f"tx-{attempt.attempt_id}"}}
            stubber.add_response("create_sip_media_application_call", answer, connector.request(attempt))
        placements = connector.place(attempts)
    reports = []
    for attempt, placement in zip(attempts, placements, strict=True):
        s = BY_NUMBER[attempt.number]
        gathered = "ACTION_SUCCESSFUL_SpeakAndGetDigits" if s.tts else "ACTION_SUCCESSFUL_PlayAudioAndGetDigits"
        if s.answer and s.listens >= MESSAGE_SECONDS:
            steps = [("NEW_OUTBOUND_CALL", 0), ("RINGING", 1), ("CALL_ANSWERED", 5)]
            steps += [(gathered, 5 + s.listens + 4), ("HANGUP", 5 + s.listens + 5)]
        elif s.line == "failed":
            steps = [("NEW_OUTBOUND_CALL", 0), ("HANGUP_not_a_number", 2)]
        elif s.answer:
            steps = [("NEW_OUTBOUND_CALL", 0), ("CALL_ANSWERED", 5), ("HANGUP", 5 + s.listens)]
        else:
            steps = [("NEW_OUTBOUND_CALL", 0), ("RINGING", 1), (f"HANGUP_{s.line}", 30)]
        hung_up = replay(
            steps,
            start=START,
            arguments=connector.request(attempt)["ArgumentsMap"],
            script=CallScript(config, "jarchi-media"),
            transaction_id=placement.reference,
            digits=s.presses,
        )[-1]
        assert hung_up.report is not None
        reports.append(hung_up.report)
    return through_the_event_path([], reports)


def https(attempts: list[Attempt]) -> list[AttemptResult]:
    with provider_double(SECRET) as double:
        for attempt in attempts:
            s = BY_NUMBER[attempt.number]
            if s.channel is Channel.SMS and s.report is not None:
                outcome = {"DELIVRD": "delivered", "EXPIRED": "undelivered", "REJECTD": "rejected"}[s.report]
                double.outcomes[s.number] = {"outcome": outcome, "delivery_status": s.report}
            elif s.channel is Channel.VOICE:
                scripted = {"outcome": "answered", "listened_seconds": s.listens, "digits": s.presses}
                double.outcomes[s.number] = scripted if s.answer else {"outcome": s.line}
        refused = [
            a for a in attempts if BY_NUMBER[a.number].channel is Channel.SMS and BY_NUMBER[a.number].report is None
        ]
        config = HttpsConfig(endpoint=double.url, secret=SECRET)
        connector = HttpsConnector(config, budget=lambda: Budget(2.0, sleep=lambda _: None))
        placements = []
        for attempt in attempts:  # the provider refuses an opted-out number with 422
            double.statuses = [422] if attempt in refused else []
            placements += connector.place([attempt])
        queue = RecordingQueue()
        for event in double.pending:
            body = json.dumps(event).encode()
            receive_callback(
                body, signature(SECRET, body, int(START.timestamp())), config, queue=queue, now=START.timestamp
            )
    reports = [ProviderReport.from_message(body) for _, body in queue.sent]
    return through_the_event_path([p.result for p in placements if p.result is not None], reports)


Carries = Callable[[Subscriber], bool]
DRIVERS: dict[str, tuple[Driver, Carries]] = {
    "end_user_messaging": (end_user_messaging, lambda s: s.channel is Channel.SMS or s.tts),
    "chime": (chime, lambda s: s.channel is Channel.VOICE),
    "https": (https, lambda s: True),
}


@pytest.fixture(autouse=True)
def frozen_clock() -> Iterator[None]:
    use_clock(LocalClock(START + timedelta(minutes=1), ticking=False))
    yield


def outcomes(results: list[AttemptResult]) -> dict[str, tuple[Any, ...]]:
    return {
        r.attempt_id: (r.number, r.outcome, r.listened_seconds, r.vote, r.digits or None, r.delivery_status, r.units)
        for r in results
    }


def money(attempts: list[Attempt], results: list[AttemptResult]) -> tuple[int, int]:
    """What the results charge, and how many ad-cap claims they give back."""
    channel = {a.attempt_id: a.channel for a in attempts}
    tariff = {Channel.VOICE: VOICE_TARIFF, Channel.SMS: SMS_TARIFF}
    charged = sum(
        attempt_charge(channel[r.attempt_id], r.outcome, units=r.units, tariff=tariff[channel[r.attempt_id]])
        for r in results
    )
    return charged, sum(releases_ad_cap(r.outcome) for r in results)


@pytest.mark.parametrize("name", sorted(DRIVERS))
def test_r_dsp_4_every_connector_gives_the_simulators_results_and_money(name: str) -> None:
    driver, carries = DRIVERS[name]
    attempts = [a for a in ATTEMPTS.values() if carries(BY_NUMBER[a.number])]
    expected = simulator(attempts)
    got = driver(attempts)
    assert len(got) == len(attempts)  # one final result per attempt, none twice
    assert outcomes(got) == outcomes(expected)
    assert money(attempts, got) == money(attempts, expected)
    assert {r.connector for r in got} == {name}


def test_the_scenarios_cover_every_kind_of_result() -> None:
    kinds = {r.outcome.value for r in simulator(list(ATTEMPTS.values()))}
    assert kinds == {"answered", "busy", "no_answer", "failed", "delivered", "undelivered", "rejected"}
    charged, released = money(list(ATTEMPTS.values()), simulator(list(ATTEMPTS.values())))
    assert (charged, released) == (4 * VOICE_TARIFF + 2 * 2 * SMS_TARIFF, 3)


def test_r_tts_1_every_voice_connector_carries_the_text_to_speech_scenarios() -> None:
    spoken = {s.number for s in SUBSCRIBERS if s.tts}
    for name, (_, carries) in DRIVERS.items():
        assert spoken <= {s.number for s in SUBSCRIBERS if carries(s)}, name
