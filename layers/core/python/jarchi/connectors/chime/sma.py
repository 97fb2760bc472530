"""The call script: the SIP media application's events in, actions out, and the attempt's result at HANGUP.

Events (`InvocationEventType`) and what the script answers:
- NEW_OUTBOUND_CALL — the call we created is being dialled: no action; the attempt's arguments (our
  `ArgumentsMap`) become the call's `TransactionAttributes`, which the SIP media application hands back on
  every later event.
- RINGING — nothing to do.
- CALL_ANSWERED — note when (`jarchi_answered_at`); a recorded campaign's call (`jarchi_record`, R-OUT-5) first
  gets `StartCallRecording` (both tracks, into the recordings bucket under `recordings/<campaign>`), whose
  ACTION_SUCCESSFUL names the file (`CallRecordingDestination`, kept as `jarchi_recording`) and whose
  ACTION_FAILED is noted and ignored (the message plays unrecorded); then play the message: `PlayAudio` from
  the media bucket or `Speak` for TTS; when digits are gathered (a vote, or any advertising call, where 11 opts
  out: R-CPL-3) `PlayAudioAndGetDigits` / `SpeakAndGetDigits` with the 4–5 s pause for input after the message
  (R-OUT-2).
- ACTION_SUCCESSFUL — the message played to its end (`jarchi_played`); the digits pressed, if any
  (`ReceivedDigits`); then `Hangup`.
- ACTION_FAILED — the message could not play (audio missing or unreadable, a TTS error): noted
  (`jarchi_failed`), then `Hangup`. INVALID_LAMBDA_RESPONSE (the service could not read our answer) likewise.
- ACTION_INTERRUPTED, DIGITS_RECEIVED, CALL_UPDATE_REQUESTED — nothing to do (the script sends no
  `ReceiveDigits` action and makes no call updates): the attributes are kept.
- HANGUP — the result goes to the results path (`connector-events`): `answered` with the listened seconds
  (all of the message when it played to the end, else the time since the answer) and the vote; an
  unanswered call by its SIP response code: 486/600 busy, 404/410/484/604 failed (not a number), anything
  else no_answer; an answered call whose message failed to play is `failed` (nothing was heard: not
  charged). The report's event id is the transaction id, so a repeated HANGUP counts once.
- NEW_INBOUND_CALL — a subscriber calls one of our numbers back (R-OUT-4): the callback rule
  (`jarchi.results.callbacks.answer_callback`, handed in as `callbacks`) connects it within the hour of the
  campaign's last call to that number (the campaign's message plays again, `jarchi_callback*` attributes) or
  refuses it (hang up, reported `refused` at once); a connected callback's HANGUP reports its seconds. Both
  reports go to `connector-events` (event id `chime:<transaction id>`), where it is booked and charged once.
  A campaign with a callback bridge answers with `CallAndBridge` to its callback number instead (the caller's
  own number as caller ID, so the business sees who calls): its ACTION_SUCCESSFUL changes nothing (the legs talk),
  its ACTION_FAILED (the line busy or unanswered) plays the campaign's message instead, and when either leg hangs
  up the other is hung up too; the callback's seconds run from the answer of the caller's leg.

TTS language (R-TTS-1): the attempt's language when a Polly voice is configured for it, else
`fallback_language`; the result's `detail` says which (`tts:<language>`), Persian having no Polly voice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from jarchi.attempts import AttemptResult, Outcome, vote_code
from jarchi.campaigns.callbacks import CallbackOutcome
from jarchi.campaigns.recordings import campaign_prefix
from jarchi.connectors.callbacks import ProviderReport
from jarchi.connectors.chime.config import ChimeConfig
from jarchi.connectors.chime.connector import (
    ATTEMPT,
    AUDIO,
    CALLER_ID,
    CAMPAIGN,
    CONNECTOR_NAME,
    GATHER,
    LANGUAGE,
    NUMBER,
    RECORD,
    ROUTE_SLOT,
    SECONDS,
    TTS,
    UNITS,
)
from jarchi.results.callbacks import CallbackAnswer, CallbackReport

SCHEMA_VERSION: Final = "1.0"
ANSWERED_AT: Final = "jarchi_answered_at"  # epoch milliseconds
PLAYED: Final = "jarchi_played"
DIGITS: Final = "jarchi_digits"
FAILED: Final = "jarchi_failed"

BUSY_CODES: Final = frozenset({"486", "600"})
NOT_A_NUMBER_CODES: Final = frozenset({"404", "410", "484", "604"})
INTER_DIGIT_MILLISECONDS: Final = 1500


BRIDGE: Final = "jarchi_bridge"  # a callback bridged to this number (R-OUT-4)
CALL_AND_BRIDGE: Final = "CallAndBridge"
BRIDGE_TIMEOUT_SECONDS: Final = 30
RECORDING: Final = "jarchi_recording"  # the recording's key on the recordings bucket
RECORDING_FAILED: Final = "jarchi_recording_failed"
START_RECORDING: Final = "StartCallRecording"


@dataclass(frozen=True, slots=True)
class CallScript:
    config: ChimeConfig
    media_bucket: str
    recordings_bucket: str = ""  # empty: calls are not recorded


@dataclass(frozen=True, slots=True)
class SmaAnswer:
    response: dict[str, Any]  # what the Lambda returns to the SIP media application
    report: ProviderReport | None = None  # the attempt's result, at HANGUP
    callback: CallbackReport | None = None  # an inbound callback refused, or ended (R-OUT-4)


Callbacks = Callable[[str, datetime, str | None], CallbackAnswer]
CALLBACK: Final = "jarchi_callback"
CALLBACK_SEQ: Final = "jarchi_callback_seq"


def attributes_of(event: Mapping[str, Any]) -> dict[str, str]:
    """The call's attributes: what we returned before (`TransactionAttributes`), and the `ArgumentsMap` of
    `CreateSipMediaApplicationCall`, wherever this event carries it."""
    details = event.get("CallDetails") or {}
    parameters = (event.get("ActionData") or {}).get("Parameters") or {}
    found: dict[str, str] = {}
    for source in (parameters.get("Arguments") or {}, details.get("TransactionAttributes") or {}):
        found.update({str(k): str(v) for k, v in source.items() if str(k).startswith("jarchi_")})
    return found


def answer(
    event: Mapping[str, Any], script: CallScript, now: datetime, callbacks: Callbacks | None = None
) -> SmaAnswer:
    kind = str(event.get("InvocationEventType"))
    attributes = attributes_of(event)
    call_id = _leg_a(event).get("CallId", "")
    if kind == "NEW_INBOUND_CALL":
        return inbound_call(event, script, now, callbacks)
    if kind == "CALL_ANSWERED":
        return call_answered(attributes, call_id, script, now)
    if kind in ("ACTION_SUCCESSFUL", "ACTION_FAILED", "INVALID_LAMBDA_RESPONSE"):
        return action_ended(kind, event, attributes, call_id, script)
    if kind == "HANGUP":
        return hung_up(event, attributes, script, now)
    return SmaAnswer(_response([], attributes))  # NEW_OUTBOUND_CALL, RINGING, the events above, anything newer


def action_ended(
    kind: str, event: Mapping[str, Any], attributes: dict[str, str], call_id: str, script: CallScript
) -> SmaAnswer:
    """The recording started (or not): the message plays; the message played (or failed): hang up."""
    data = event.get("ActionData") or {}
    if data.get("Type") == START_RECORDING and kind != "INVALID_LAMBDA_RESPONSE":
        return recording_started(event, attributes, call_id, script)
    if data.get("Type") == CALL_AND_BRIDGE and kind == "ACTION_SUCCESSFUL":
        return SmaAnswer(_response([], attributes))  # bridged: the two legs talk until one hangs up
    if data.get("Type") == CALL_AND_BRIDGE:
        attributes.pop(BRIDGE, None)  # the business line did not answer: the caller hears the message instead
        return SmaAnswer(_response([play_action(attributes, call_id, script.config, script.media_bucket)], attributes))
    if kind == "ACTION_SUCCESSFUL":
        attributes[PLAYED] = "1"
        digits = data.get("ReceivedDigits")
        if digits:
            attributes[DIGITS] = str(digits)
        return SmaAnswer(_response([hangup(call_id)], attributes))
    error = data.get("ErrorType") or event.get("ErrorType")
    attributes[FAILED] = str(error or kind.lower())
    return SmaAnswer(_response([hangup(call_id)], attributes))


def hung_up(event: Mapping[str, Any], attributes: Mapping[str, str], script: CallScript, now: datetime) -> SmaAnswer:
    """A callback's end, or a call's result."""
    if CALLBACK in attributes:
        still_up = [
            hangup(str(leg.get("CallId")))
            for leg in (event.get("CallDetails") or {}).get("Participants") or []
            if leg.get("Status") == "Connected" and leg.get("CallId")
        ]
        return SmaAnswer(_response(still_up, attributes), callback=callback_ended(event, attributes, now))
    return SmaAnswer(_response([], attributes), call_report(event, attributes, script.config, now))


def _response(actions: list[dict[str, Any]], attributes: Mapping[str, str]) -> dict[str, Any]:
    response: dict[str, Any] = {"SchemaVersion": SCHEMA_VERSION, "Actions": actions}
    if attributes:
        response["TransactionAttributes"] = dict(attributes)
    return response


def _leg_a(event: Mapping[str, Any]) -> Mapping[str, Any]:
    participants = (event.get("CallDetails") or {}).get("Participants") or [{}]
    legs = [p for p in participants if str(p.get("ParticipantTag", "")).upper() == "LEG-A"]
    leg: Mapping[str, Any] = (legs or participants)[0]
    return leg


def speech(text: str, language: str | None, config: ChimeConfig) -> tuple[dict[str, str], str]:
    """Speak parameters for `text`, and the language actually used (R-TTS-1)."""
    wanted = (language or config.fallback_language).split("-")[0].lower()
    used = wanted if wanted in config.speak_voices else config.fallback_language
    parameters = {
        "Text": text,
        "Engine": config.speak_engine,
        "LanguageCode": config.speak_languages.get(used, "en-US"),
        "TextType": "text",
        "VoiceId": config.speak_voices.get(used, "Joanna"),
    }
    return parameters, used


def play_action(attributes: Mapping[str, str], call_id: str, config: ChimeConfig, bucket: str) -> dict[str, Any]:
    gather = attributes.get(GATHER) == "1"
    digits = {
        "InputDigitsRegex": rf"^\d{{1,{config.vote_max_digits}}}$",
        "MinNumberOfDigits": 1,
        "MaxNumberOfDigits": config.vote_max_digits,
        "TerminatorDigits": ["#"],
        "InBetweenDigitsDurationInMilliseconds": INTER_DIGIT_MILLISECONDS,
        "Repeat": 1,
        "RepeatDurationInMilliseconds": config.vote_pause_milliseconds,  # the pause for input (R-OUT-2)
    }
    if AUDIO in attributes:
        source = {"Type": "S3", "BucketName": bucket, "Key": attributes[AUDIO]}
        if gather:
            parameters = {"CallId": call_id, "AudioSource": source, "FailureAudioSource": source, **digits}
            return {"Type": "PlayAudioAndGetDigits", "Parameters": parameters}
        return {
            "Type": "PlayAudio",
            "Parameters": {"CallId": call_id, "ParticipantTag": "LEG-A", "AudioSource": source},
        }
    spoken, _ = speech(attributes.get(TTS, ""), attributes.get(LANGUAGE), config)
    if gather:
        parameters = {"CallId": call_id, "SpeechParameters": spoken, "FailureSpeechParameters": spoken, **digits}
        return {"Type": "SpeakAndGetDigits", "Parameters": parameters}
    return {"Type": "Speak", "Parameters": {"CallId": call_id, **spoken}}


def call_answered(attributes: dict[str, str], call_id: str, script: CallScript, now: datetime) -> SmaAnswer:
    """Note the answer; start the recording first when the campaign records (R-OUT-5), else play the message."""
    attributes[ANSWERED_AT] = str(int(now.timestamp() * 1000))
    if attributes.get(RECORD) == "1" and script.recordings_bucket:
        return SmaAnswer(_response([start_recording(attributes, call_id, script.recordings_bucket)], attributes))
    return SmaAnswer(_response([play_action(attributes, call_id, script.config, script.media_bucket)], attributes))


def start_recording(attributes: Mapping[str, str], call_id: str, bucket: str) -> dict[str, Any]:
    location = f"{bucket}/{campaign_prefix(attributes.get(CAMPAIGN, 'unknown')).rstrip('/')}"
    return {
        "Type": START_RECORDING,
        "Parameters": {"CallId": call_id, "Track": "BOTH", "Destination": {"Type": "S3", "Location": location}},
    }


def recording_started(
    event: Mapping[str, Any], attributes: dict[str, str], call_id: str, script: CallScript
) -> SmaAnswer:
    """The recording started (its file's key kept) or could not (noted): either way the message plays now."""
    data = event.get("ActionData") or {}
    if event.get("InvocationEventType") == "ACTION_SUCCESSFUL":
        location = str((data.get("CallRecordingDestination") or {}).get("Location", ""))
        _bucket, _, key = location.partition("/")
        if key:
            attributes[RECORDING] = key
    else:
        attributes[RECORDING_FAILED] = str(data.get("ErrorType") or "failed")
    if AUDIO not in attributes and TTS not in attributes:
        return SmaAnswer(_response([], attributes))  # not a call of ours
    return SmaAnswer(_response([play_action(attributes, call_id, script.config, script.media_bucket)], attributes))


def hangup(call_id: str) -> dict[str, Any]:
    return {"Type": "Hangup", "Parameters": {"CallId": call_id, "SipResponseCode": "0"}}


def _transaction(event: Mapping[str, Any]) -> str:
    return str((event.get("CallDetails") or {}).get("TransactionId", ""))


def inbound_call(event: Mapping[str, Any], script: CallScript, now: datetime, callbacks: Callbacks | None) -> SmaAnswer:
    """A subscriber calling one of our numbers (R-OUT-4): the campaign's message within the hour, else hung up."""
    leg = _leg_a(event)
    call_id, number = str(leg.get("CallId", "")), str(leg.get("From", ""))
    dialled = str(leg.get("To") or "") or None  # the caller ID they saw (R-DSP-5)
    decided = callbacks(number, now, dialled) if callbacks is not None else None
    if decided is None or decided.outcome is not CallbackOutcome.CONNECTED:
        refused = CallbackReport(
            event_id=f"{CONNECTOR_NAME}:{_transaction(event)}",
            number=number,
            outcome=CallbackOutcome.REFUSED,
            campaign_id=decided.campaign_id if decided else None,
            seq=decided.seq if decided else None,
        )
        return SmaAnswer(_response([hangup(call_id)], {}), callback=refused)
    attributes = {
        CALLBACK: str(decided.campaign_id),
        CALLBACK_SEQ: str(decided.seq),
        NUMBER: number,
        ANSWERED_AT: str(int(now.timestamp() * 1000)),
        GATHER: "0",
    }
    if decided.audio_key:
        attributes[AUDIO] = decided.audio_key
    else:
        attributes[TTS] = decided.tts_text or ""
    if decided.language:
        attributes[LANGUAGE] = decided.language
    if decided.bridge_to:
        attributes[BRIDGE] = decided.bridge_to
        return SmaAnswer(_response([bridge_action(number, decided.bridge_to)], attributes))
    return SmaAnswer(_response([play_action(attributes, call_id, script.config, script.media_bucket)], attributes))


def bridge_action(caller: str, to: str) -> dict[str, Any]:
    """Connect the caller to `to` on a new leg, showing the caller's own number (R-OUT-4)."""
    return {
        "Type": CALL_AND_BRIDGE,
        "Parameters": {
            "CallTimeoutSeconds": BRIDGE_TIMEOUT_SECONDS,
            "CallerIdNumber": caller,
            "Endpoints": [{"BridgeEndpointType": "PSTN", "Uri": to}],
        },
    }


def callback_ended(event: Mapping[str, Any], attributes: Mapping[str, str], now: datetime) -> CallbackReport:
    """A connected callback hung up: how long it was on the line."""
    seconds = max(0, int(now.timestamp() * 1000) - int(attributes[ANSWERED_AT])) // 1000
    return CallbackReport(
        event_id=f"{CONNECTOR_NAME}:{_transaction(event)}",
        number=attributes.get(NUMBER, ""),
        outcome=CallbackOutcome.CONNECTED,
        seconds=seconds,
        campaign_id=attributes[CALLBACK],
        seq=int(attributes[CALLBACK_SEQ]),
        bridged=BRIDGE in attributes,
    )


def call_report(
    event: Mapping[str, Any], attributes: Mapping[str, str], config: ChimeConfig, now: datetime
) -> ProviderReport | None:
    """The attempt's result from the call's attributes at HANGUP (None: not a call Jarchi placed)."""
    if ATTEMPT not in attributes or CAMPAIGN not in attributes:
        return None
    transaction = str((event.get("CallDetails") or {}).get("TransactionId", ""))
    seconds = int(attributes.get(SECONDS, "0"))
    listened = elapsed = 0
    digits: str | None = None
    detail: str | None = None
    if ANSWERED_AT in attributes and FAILED in attributes:
        outcome, detail = Outcome.FAILED, f"message_not_played:{attributes[FAILED]}"
    elif ANSWERED_AT in attributes:
        outcome = Outcome.ANSWERED
        elapsed = max(0, int(now.timestamp() * 1000) - int(attributes[ANSWERED_AT])) // 1000
        listened = seconds if attributes.get(PLAYED) == "1" else min(seconds, elapsed)
        digits = attributes.get(DIGITS)
    else:
        code = str(((event.get("ActionData") or {}).get("Parameters") or {}).get("SipResponseCode", ""))
        outcome = (
            Outcome.BUSY if code in BUSY_CODES else Outcome.FAILED if code in NOT_A_NUMBER_CODES else Outcome.NO_ANSWER
        )
        detail = f"sip:{code}" if code else None
    if TTS in attributes and outcome is Outcome.ANSWERED:
        detail = f"tts:{speech('', attributes.get(LANGUAGE), config)[1]}"
    result = AttemptResult(
        attempt_id=attributes[ATTEMPT],
        campaign_id=attributes[CAMPAIGN],
        number=attributes.get(NUMBER) or str(_leg_a(event).get("To", "")),
        outcome=outcome,
        completed_at=now.astimezone(UTC),
        connector=CONNECTOR_NAME,
        listened_seconds=listened,
        vote=vote_code(outcome, digits),
        digits=digits if outcome is Outcome.ANSWERED else None,
        reference=transaction or None,
        detail=detail,
        units=int(attributes.get(UNITS, "1")),
        caller_id=attributes.get(CALLER_ID),
        route_slot=attributes.get(ROUTE_SLOT),
        recording_key=attributes.get(RECORDING) if outcome is Outcome.ANSWERED else None,
        recording_seconds=elapsed if outcome is Outcome.ANSWERED and RECORDING in attributes else 0,
    )
    return ProviderReport(event_id=f"chime:{transaction}", result=result)
