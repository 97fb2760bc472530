"""The End User Messaging SMS connector (R-DSP-4, R-SMS-3, R-SMS-5): one `SendTextMessage` per attempt.

- `MessageType` is PROMOTIONAL for advertising, TRANSACTIONAL for service and OTP (carriers route and filter
  on it; some countries require it).
- The origination identity is the attempt's sender, mapped through `sender_identities` (the registered
  sender name → its EUM SenderId / pool / phone-number ARN) when listed, else the sender name itself (EUM
  accepts a SenderId), else `origination_identity` (a pool for senderless messages).
- `TimeToLive` is the attempt's validity (clipped to EUM's 5 s..72 h); none: the operator's default.
- The configuration set names the event destination that reports deliveries back; `Context` carries the
  campaign, the attempt and its billable units, and comes back on every event
  (`jarchi.connectors.end_user_messaging.events`).

Each accepted attempt is `submitted` (its result comes with the delivery event). Throttling and server
errors are retried inside the budget (`jarchi.connectors.retrying`); a refusal of the attempt itself (an
invalid or opted-out number, a destination the identity may not reach) is a final `rejected` result, free,
that gives the ad cap back; a refusal of the whole connector (credentials, a missing configuration set) sends
the batch back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any, Final

from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict, Field

from jarchi.attempts import Attempt, Placement
from jarchi.channels import Category, Channel
from jarchi.connectors.placing import place_each
from jarchi.connectors.retrying import Budget, Verdict

if TYPE_CHECKING:
    from mypy_boto3_pinpoint_sms_voice_v2 import PinpointSMSVoiceV2Client

CONNECTOR_NAME: Final = "end_user_messaging"
MIN_TTL_SECONDS: Final = 5
MAX_TTL_SECONDS: Final = 259_200
# Context keys (the events bring them back).
CAMPAIGN_KEY: Final = "jarchi_campaign"
ATTEMPT_KEY: Final = "jarchi_attempt"
UNITS_KEY: Final = "jarchi_units"

_RETRY_CODES: Final = frozenset({"ThrottlingException", "InternalServerException"})
_REFUSED_CODES: Final = frozenset({"ValidationException", "ConflictException"})


class EndUserMessagingConfig(BaseModel):
    """`connector_config["end_user_messaging"]`: every field optional."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    region: str | None = None  # default: the deployment's region
    configuration_set: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_:/-]{1,256}$")
    origination_identity: str | None = None  # for attempts without a sender (a pool id or ARN)
    sender_identities: dict[str, str] = Field(default_factory=dict)  # sender name -> identity
    max_price: str | None = Field(default=None, pattern=r"^[0-9]{0,2}\.[0-9]{1,5}$")  # per part, USD
    budget_seconds: float = Field(default=10.0, gt=0, le=900)  # of the dispatch function's 20 s
    in_flight: int = Field(default=10, ge=1, le=50)  # SendTextMessage requests at once


def message_type(category: Category | str) -> str:
    return "PROMOTIONAL" if Category(category) is Category.ADVERTISING else "TRANSACTIONAL"


def time_to_live(validity_seconds: int | None) -> int | None:
    if validity_seconds is None:
        return None
    return max(MIN_TTL_SECONDS, min(MAX_TTL_SECONDS, validity_seconds))


def judge(error: Exception) -> Verdict:
    """Throttling and server errors are retried; a refusal of the attempt is final; anything else is the
    connector's (credentials, a missing configuration set or identity)."""
    if not isinstance(error, ClientError):
        return Verdict.BROKEN
    code = error.response.get("Error", {}).get("Code", "")
    if code in _RETRY_CODES:
        return Verdict.RETRY
    if code in _REFUSED_CODES:
        return Verdict.REFUSED
    return Verdict.BROKEN


def refusal_detail(error: Exception) -> str:
    if not isinstance(error, ClientError):
        return f"refused:{type(error).__name__}"
    code = error.response.get("Error", {}).get("Code", "")
    reason = error.response.get("Reason") or error.response.get("Error", {}).get("Reason")
    return f"refused:{code}:{reason}" if reason else f"refused:{code}"


class EndUserMessagingConnector:
    """`Connector` for SMS through End User Messaging. `client` and `budget` are for tests."""

    def __init__(
        self,
        config: EndUserMessagingConfig,
        *,
        region: str,
        client: PinpointSMSVoiceV2Client | None = None,
        budget: Callable[[], Budget] | None = None,
    ) -> None:
        self.config = config
        self._region = config.region or region
        self._client = client
        self._budget = budget or (lambda: Budget(config.budget_seconds))

    @property
    def name(self) -> str:
        return CONNECTOR_NAME

    @cached_property
    def client(self) -> PinpointSMSVoiceV2Client:
        if self._client is not None:
            return self._client
        import boto3

        return boto3.client("pinpoint-sms-voice-v2", region_name=self._region)

    def request(self, attempt: Attempt) -> dict[str, Any]:
        """The SendTextMessage parameters for one SMS attempt."""
        if attempt.sms_text is None:
            raise ValueError(f"{attempt.attempt_id}: End User Messaging sends SMS attempts only")
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

    def send(self, params: dict[str, Any]) -> dict[str, Any]:
        answer: dict[str, Any] = dict(self.client.send_text_message(**params))
        return answer

    def place(self, attempts: Sequence[Attempt]) -> list[Placement]:
        return place_each(
            attempts,
            connector=CONNECTOR_NAME,
            send=lambda attempt: self.send(self.request(attempt)).get("MessageId"),
            judge=judge,
            refusal=refusal_detail,
            budget=self._budget(),
            in_flight=self.config.in_flight,
            carries=lambda attempt: Channel(attempt.channel) is Channel.SMS,
        )
