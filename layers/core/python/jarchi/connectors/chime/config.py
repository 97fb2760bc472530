"""`connector_config["chime"]`: the SIP media application, the caller-ID pool and the call script's knobs."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

E164 = Annotated[str, Field(pattern=r"^\+[1-9]\d{6,14}$")]


def _numbers(value: object) -> object:
    """A list, or the comma-separated string a CloudFormation parameter gives ("" for none)."""
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return value


class ChimeConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    region: str | None = None  # PSTN audio runs in us-east-1 / us-west-2; default: the deployment's region
    sip_media_application_id: str = ""  # set per deployment (docs/deploy.md); empty: no call can be placed
    # The pool (R-DSP-5): numbers bought and associated per deployment.
    caller_ids: Annotated[tuple[E164, ...], BeforeValidator(_numbers)] = ()
    budget_seconds: float = Field(default=10.0, gt=0, le=900)
    in_flight: int = Field(default=5, ge=1, le=50)  # CreateSipMediaApplicationCall requests at once
    # The 4–5 s pause for input after the message (R-OUT-2).
    vote_pause_milliseconds: int = Field(default=4500, ge=4000, le=5000)
    vote_max_digits: int = Field(default=2, ge=1, le=2)  # "11" is the ad opt-out
    # Speak / SpeakAndGetDigits (Polly inside Chime) for text-to-speech attempts; R-TTS-1.
    speak_engine: str = Field(default="neural", pattern=r"^(standard|neural)$")
    speak_voices: dict[str, str] = Field(default_factory=lambda: {"en": "Joanna", "ru": "Tatyana"})
    speak_languages: dict[str, str] = Field(default_factory=lambda: {"en": "en-US", "ru": "ru-RU"})
    fallback_language: str = "en"  # no Polly voice for Persian: said in this language, recorded on the result

    @property
    def configured(self) -> bool:
        """A call can be placed: a SIP media application and at least one number to call from."""
        return bool(self.sip_media_application_id and self.caller_ids)
