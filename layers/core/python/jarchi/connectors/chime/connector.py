"""The Amazon Chime SDK PSTN audio connector (R-DSP-4, R-DSP-5): one `CreateSipMediaApplicationCall` per
voice attempt. The SIP media application then invokes our telephony function with the call's events
(`jarchi.connectors.chime.sma`), which plays the message, gathers the vote and reports the result.

- The caller ID is the attempt's own (chosen from the account's pool at admission) when it is one of the
  deployment's numbers, else one of `caller_ids` picked by the attempt id (the carousel: spread, and stable
  for a retried placement).
- `ArgumentsMap` carries what the call script needs: campaign, attempt, part, the content (the S3 key of the
  audio's telephone copy, `jarchi.content.pstn`, or the TTS text), its length, whether to gather digits, the
  category and the billable units.

Throttling (`ThrottledClientException`), the concurrent-call limit (`ResourceLimitExceededException`) and
service failures are retried inside the budget; a `BadRequestException` for one number is a final free
`failed`; anything else (credentials, an unknown SIP media application) sends the batch back.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

from jarchi.attempts import Attempt, Placement
from jarchi.channels import Category, Channel
from jarchi.connectors.aws_requests import PerAttemptConnector, error_code, judge_by_code
from jarchi.connectors.chime.config import ChimeConfig
from jarchi.connectors.placing import CHANNEL_NOT_SUPPORTED
from jarchi.connectors.retrying import Verdict
from jarchi.content.pstn import pstn_key
from jarchi.ports import ConnectorError

if TYPE_CHECKING:
    from mypy_boto3_chime_sdk_voice import ChimeSDKVoiceClient

CONNECTOR_NAME: Final = "chime"

# ArgumentsMap keys (the call script reads them back).
ATTEMPT: Final = "jarchi_attempt"
CAMPAIGN: Final = "jarchi_campaign"
NUMBER: Final = "jarchi_number"
PART: Final = "jarchi_part"
UNITS: Final = "jarchi_units"
SECONDS: Final = "jarchi_seconds"
GATHER: Final = "jarchi_gather"
CATEGORY: Final = "jarchi_category"
AUDIO: Final = "jarchi_audio"
TTS: Final = "jarchi_tts"
LANGUAGE: Final = "jarchi_language"
CALLER_ID: Final = "jarchi_caller_id"  # the campaign's pool number the call goes out from (R-DSP-5)
ROUTE_SLOT: Final = "jarchi_route_slot"  # the fixed line's route slot its result gives back (R-DSP-3)
RECORD: Final = "jarchi_record"  # "1": record the answered call into the recordings bucket (R-OUT-5)

_RETRY_CODES: Final = frozenset(
    {
        "ThrottledClientException",
        "ResourceLimitExceededException",
        "ServiceUnavailableException",
        "ServiceFailureException",
    }
)
_REFUSED_CODES: Final = frozenset({"BadRequestException"})


def judge(error: Exception) -> Verdict:
    return judge_by_code(error, retry=_RETRY_CODES, refused=_REFUSED_CODES)


def refusal_detail(error: Exception) -> str:
    return f"refused:{error_code(error) or type(error).__name__}"


def gathers_digits(attempt: Attempt) -> bool:
    """A vote, or an advertising call (pressing 11 opts out of ads, R-CPL-3), listens for digits."""
    return attempt.vote or Category(attempt.category) is Category.ADVERTISING


def arguments(attempt: Attempt) -> dict[str, str]:
    args = {
        ATTEMPT: attempt.attempt_id,
        CAMPAIGN: attempt.campaign_id,
        NUMBER: attempt.number,
        PART: str(attempt.part),
        UNITS: str(attempt.units),
        SECONDS: str(attempt.message_seconds),
        GATHER: "1" if gathers_digits(attempt) else "0",
        CATEGORY: str(attempt.category),
    }
    if attempt.audio_key is not None:
        args[AUDIO] = pstn_key(attempt.audio_key)  # the 8 kHz mono WAV copy made at approval
    if attempt.tts_text is not None:
        args[TTS] = attempt.tts_text
    if attempt.language:
        args[LANGUAGE] = attempt.language
    if attempt.route_slot:
        args[ROUTE_SLOT] = attempt.route_slot
    if attempt.record:
        args[RECORD] = "1"
    return args


if TYPE_CHECKING:
    _Connector = PerAttemptConnector[ChimeConfig, ChimeSDKVoiceClient]
else:
    _Connector = PerAttemptConnector[ChimeConfig, Any]


class ChimeConnector(_Connector):
    """`Connector` for voice through a SIP media application."""

    CONNECTOR_NAME = CONNECTOR_NAME
    SERVICE = "chime-sdk-voice"

    def caller_id(self, attempt: Attempt) -> str:
        pool = self.config.caller_ids
        if attempt.caller_id and attempt.caller_id in pool:
            return attempt.caller_id
        index = int(hashlib.sha256(attempt.attempt_id.encode()).hexdigest(), 16) % len(pool)
        return pool[index]

    def request(self, attempt: Attempt) -> dict[str, Any]:
        from_number = self.caller_id(attempt)
        args = arguments(attempt)
        if attempt.caller_id == from_number:
            args[CALLER_ID] = from_number  # kept on the recipient: a callback to it finds the campaign
        return {
            "FromPhoneNumber": from_number,
            "ToPhoneNumber": attempt.number,
            "SipMediaApplicationId": self.config.sip_media_application_id,
            "ArgumentsMap": args,
        }

    def call(self, params: dict[str, Any]) -> str | None:
        answer = self.client.create_sip_media_application_call(**params)
        return answer.get("SipMediaApplicationCall", {}).get("TransactionId")

    def place(self, attempts: Sequence[Attempt]) -> list[Placement]:
        if not self.config.sip_media_application_id or not self.config.caller_ids:
            raise ConnectorError("the chime connector needs sip_media_application_id and caller_ids", retryable=False)
        return self.place_each(
            attempts,
            send=lambda attempt: self.call(self.request(attempt)),
            judge=judge,
            refusal=refusal_detail,
            unsupported=lambda attempt: None if Channel(attempt.channel) is Channel.VOICE else CHANNEL_NOT_SUPPORTED,
        )
