"""`connector_config["end_user_messaging"]`, apart from the connector: the configuration check at every cold
start (R-RUN-6) reads it without loading the connector, its placing pool and botocore's errors."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


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
    # SendVoiceMessage (text-to-speech calls, R-TTS-1).
    voice_origination_identity: str | None = None  # a voice-capable number or pool (ARN or id)
    voice_ids: dict[str, str] = Field(default_factory=lambda: {"en": "JOANNA", "ru": "TATYANA"})
    fallback_language: str = "en"  # no voice for Persian: spoken in this language, recorded on the result
    max_price_per_minute: str | None = Field(default=None, pattern=r"^[0-9]{0,2}\.[0-9]{1,5}$")  # USD
