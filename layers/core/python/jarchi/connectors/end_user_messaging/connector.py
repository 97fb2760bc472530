"""The End User Messaging connector (R-DSP-4, R-SMS-3, R-SMS-5, R-TTS-1): one `SendTextMessage` per SMS
attempt, one `SendVoiceMessage` per text-to-speech call (the voice route of deployments without a Chime SIP
media application; End User Messaging speaks text only, so a call with recorded audio is refused, free).

- `MessageType` is PROMOTIONAL for advertising, TRANSACTIONAL for service and OTP (carriers route and filter
  on it; some countries require it).
- The origination identity is the attempt's sender, mapped through `sender_identities` (the registered
  sender name → its EUM SenderId / pool / phone-number ARN) when listed, else the sender name itself (EUM
  accepts a SenderId), else `origination_identity` (a pool for senderless messages).
- `TimeToLive` is the attempt's validity (clipped to EUM's 5 s..72 h); none: the operator's default.
- The configuration set names the event destination that reports deliveries back; `Context` carries the
  campaign, the attempt and its billable units, and comes back on every event
  (`jarchi.connectors.end_user_messaging.events`).

A call speaks the attempt's text with the Polly voice of its language (`voice_ids`); a language without a
voice (Persian) is spoken with `fallback_language`'s, and the result says which (`tts:<language>`). It calls
from `voice_origination_identity` (a voice-capable number or pool: sender IDs cannot call).

Each accepted attempt is `submitted` (its result comes with the delivery event). Throttling and server
errors are retried inside the budget (`jarchi.connectors.retrying`); a refusal of the attempt itself (an
invalid or opted-out number, a destination the identity may not reach) is a final `rejected` result, free,
that gives the ad cap back; a refusal of the whole connector (credentials, a missing configuration set) sends
the batch back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

from jarchi.attempts import Attempt, Placement
from jarchi.channels import Category, Channel
from jarchi.connectors.aws_requests import PerAttemptConnector, error_code, judge_by_code
from jarchi.connectors.end_user_messaging.config import EndUserMessagingConfig
from jarchi.connectors.end_user_messaging.context import (
    ATTEMPT_KEY,
    CALLER_ID_KEY,
    CAMPAIGN_KEY,
    CONNECTOR_NAME,
    ROUTE_SLOT_KEY,
    SECONDS_KEY,
    SPOKEN_KEY,
    UNITS_KEY,
)
from jarchi.connectors.retrying import Verdict

if TYPE_CHECKING:
    from mypy_boto3_pinpoint_sms_voice_v2 import PinpointSMSVoiceV2Client

MIN_TTL_SECONDS: Final = 5
MAX_TTL_SECONDS: Final = 259_200
AUDIO_NOT_SUPPORTED: Final = "audio_not_supported"

_RETRY_CODES: Final = frozenset({"ThrottlingException", "InternalServerException"})
_REFUSED_CODES: Final = frozenset({"ValidationException", "ConflictException"})


def message_type(category: Category | str) -> str:
    return "PROMOTIONAL" if Category(category) is Category.ADVERTISING else "TRANSACTIONAL"


def time_to_live(validity_seconds: int | None) -> int | None:
    if validity_seconds is None:
        return None
    return max(MIN_TTL_SECONDS, min(MAX_TTL_SECONDS, validity_seconds))


def spoken_language(config: EndUserMessagingConfig, language: str | None) -> str:
    """The language a call is spoken in: its own when a voice speaks it, else the fallback."""
    return language if language in config.voice_ids else config.fallback_language


def unsupported(attempt: Attempt) -> str | None:
    """SMS and text-to-speech calls go out; a call with recorded audio cannot (End User Messaging speaks text)."""
    return AUDIO_NOT_SUPPORTED if Channel(attempt.channel) is Channel.VOICE and attempt.tts_text is None else None


def judge(error: Exception) -> Verdict:
    """Throttling and server errors are retried; a refusal of the attempt is final; anything else is the
    connector's (credentials, a missing configuration set or identity)."""
    return judge_by_code(error, retry=_RETRY_CODES, refused=_REFUSED_CODES)


def refusal_detail(error: Exception) -> str:
    code = error_code(error)
    if not code:
        return f"refused:{type(error).__name__}"
    response: dict[str, Any] = getattr(error, "response", {})
    reason = response.get("Reason") or response.get("Error", {}).get("Reason")
    return f"refused:{code}:{reason}" if reason else f"refused:{code}"


if TYPE_CHECKING:
    _Connector = PerAttemptConnector[EndUserMessagingConfig, PinpointSMSVoiceV2Client]
else:
    _Connector = PerAttemptConnector[EndUserMessagingConfig, Any]


class EndUserMessagingConnector(_Connector):
    """`Connector` for SMS (and text-to-speech calls) through End User Messaging."""

    CONNECTOR_NAME = CONNECTOR_NAME
    SERVICE = "pinpoint-sms-voice-v2"

    def voice_request(self, attempt: Attempt) -> dict[str, Any]:
        """The SendVoiceMessage parameters for one text-to-speech call."""
        if attempt.tts_text is None:
            raise ValueError(f"{attempt.attempt_id}: End User Messaging calls with text-to-speech only")
        language = spoken_language(self.config, attempt.language)
        params: dict[str, Any] = {
            "DestinationPhoneNumber": attempt.number,
            "MessageBody": attempt.tts_text,
            "MessageBodyTextType": "TEXT",
            "VoiceId": self.config.voice_ids[language],
            "Context": {
                CAMPAIGN_KEY: attempt.campaign_id,
                ATTEMPT_KEY: attempt.attempt_id,
                UNITS_KEY: str(attempt.units),
                SECONDS_KEY: str(attempt.message_seconds),
                SPOKEN_KEY: language,
            },
        }
        identity = attempt.caller_id or self.config.voice_origination_identity or self.config.origination_identity
        if identity:
            params["OriginationIdentity"] = identity
        if attempt.caller_id:
            params["Context"][CALLER_ID_KEY] = attempt.caller_id
        if attempt.route_slot:
            params["Context"][ROUTE_SLOT_KEY] = attempt.route_slot
        if self.config.configuration_set:
            params["ConfigurationSetName"] = self.config.configuration_set
        if self.config.max_price_per_minute:
            params["MaxPricePerMinute"] = self.config.max_price_per_minute
        return params

    def request(self, attempt: Attempt) -> dict[str, Any]:
        """The SendTextMessage parameters for one SMS attempt."""
        if attempt.sms_text is None:
            raise ValueError(f"{attempt.attempt_id}: SendTextMessage sends SMS attempts only")
        params: dict[str, Any] = {
            "DestinationPhoneNumber": attempt.number,
            "MessageBody": attempt.sms_text,
            "MessageType": message_type(attempt.category),
            "Context": {
                CAMPAIGN_KEY: attempt.campaign_id,
                ATTEMPT_KEY: attempt.attempt_id,
                UNITS_KEY: str(attempt.units),
            },
        }
        identity = self.config.sender_identities.get(attempt.sender or "") or attempt.sender
        identity = identity or self.config.origination_identity
        if identity:
            params["OriginationIdentity"] = identity
        ttl = time_to_live(attempt.validity_seconds)
        if ttl is not None:
            params["TimeToLive"] = ttl
        if self.config.configuration_set:
            params["ConfigurationSetName"] = self.config.configuration_set
        if self.config.max_price:
            params["MaxPrice"] = self.config.max_price
        return params

    def send(self, attempt: Attempt) -> str | None:
        """Place one attempt; its message id."""
        if Channel(attempt.channel) is Channel.SMS:
            return self.client.send_text_message(**self.request(attempt)).get("MessageId")
        return self.client.send_voice_message(**self.voice_request(attempt)).get("MessageId")

    def place(self, attempts: Sequence[Attempt]) -> list[Placement]:
        return self.place_each(attempts, send=self.send, judge=judge, refusal=refusal_detail, unsupported=unsupported)
