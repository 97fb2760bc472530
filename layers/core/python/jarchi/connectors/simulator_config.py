"""How the simulator behaves (`JARCHI_SIMULATOR_CONFIG`), apart from the simulator: the configuration check at
every cold start (R-RUN-6) reads it without loading the simulator and the result paths it drives."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Literal, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from jarchi.attempts import MACHINE, VOICE_OUTCOMES, DeliveryStatus, Outcome

Weight = Annotated[float, Field(ge=0)]
Probability = Annotated[float, Field(ge=0, le=1)]


def _check_weights(weights: Mapping[str, float], what: str) -> None:
    if sum(weights.values()) <= 0:
        raise ValueError(f"{what}: at least one weight must be positive")


class VoiceRates(BaseModel):
    """Relative weights of voice outcomes (normalised: they need not sum to 1)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    answered: Weight = 0.60
    no_answer: Weight = 0.20
    busy: Weight = 0.08
    unreachable: Weight = 0.06
    failed: Weight = 0.03
    answering_machine: Weight = 0.03

    @model_validator(mode="after")
    def _positive(self) -> Self:
        _check_weights(self.model_dump(), "voice rates")
        return self


class SmsRates(BaseModel):
    """Relative weights of final SMS delivery statuses (R-SMS-5; ENROUTE is never final)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    DELIVRD: Weight = 0.92
    UNDELIV: Weight = 0.03
    EXPIRED: Weight = 0.02
    REJECTD: Weight = 0.02
    NOREPORT: Weight = 0.01
    FAILED: Weight = 0.0

    @model_validator(mode="after")
    def _positive(self) -> Self:
        _check_weights(self.model_dump(), "sms rates")
        return self


def _override_shorthand(value: object) -> object:
    """`"busy"` → `{"outcome": "busy"}`; upper case `"UNDELIV"` → `{"delivery_status": "UNDELIV"}`
    (so `"failed"` is a failed submission and `"FAILED"` a FAILED delivery report)."""
    if isinstance(value, str):
        if value in DeliveryStatus.__members__:
            return {"delivery_status": value}
        return {"outcome": value}
    return value


class Override(BaseModel):
    """A forced result for one number. Unset fields are drawn as usual.

    Voice: `outcome` (answered, no_answer, busy, unreachable, failed, or `machine`: an answering machine),
    `listened_seconds`, `digits`.
    SMS: `delivery_status` (DELIVRD, UNDELIV, EXPIRED, FAILED, NOREPORT, REJECTD), or `outcome: failed`
    for a submission failure.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    outcome: Outcome | Literal["machine"] | None = None
    listened_seconds: int | None = Field(default=None, ge=0)
    digits: str | None = Field(default=None, pattern=r"^[0-9*#]*$")
    delivery_status: DeliveryStatus | None = None

    @field_validator("outcome")
    @classmethod
    def _connector_outcome(cls, outcome: Outcome | str | None) -> Outcome | str | None:
        if outcome is not None and outcome != MACHINE and outcome not in VOICE_OUTCOMES:
            raise ValueError(f"{outcome} is decided before dialling, not by a connector")
        return outcome

    @field_validator("delivery_status")
    @classmethod
    def _final_status(cls, status: DeliveryStatus | None) -> DeliveryStatus | None:
        if status is DeliveryStatus.ENROUTE:
            raise ValueError("ENROUTE is not a final delivery status")
        return status


class SimulatorConfig(BaseModel):
    """How the simulator behaves. Every field has a default; JSON files or inline JSON give any subset.

    Fields:
    - `seed` (int or str, default 0): with the attempt id, seeds each attempt's draws; same seed, same run.
    - `voice` (`VoiceRates`): relative weights of answered / no_answer / busy / unreachable / failed /
      answering_machine (default 60/20/8/6/3/3 %).
    - `full_listen_probability` (0..1, default 0.6): an answered person listens to the whole message;
      otherwise they hang up after a uniform fraction in [`min_listen_fraction`, 1) of it.
    - `min_listen_fraction` (0..1, default 0.1): the shortest partial listen, as a fraction of the message.
    - `max_listen_fraction` (0..1, default 1.0): the longest partial listen (early hang-ups: set it low and
      `full_listen_probability` to 0).
    - `opt_out_probability` (0..1, default 0.02): an answered person presses 11 in an advertising call
      (vote code 11: the number goes on the ad opt-out list).
    - `vote_probability` (0..1, default 0.5): when the campaign has a vote, an answered person (who did not
      opt out) presses a digit; else vote code 0.
    - `vote_digits` (digit → relative weight, default {"1": 0.5, "2": 0.3, "3": 0.2}): which digits.
    - `sms` (`SmsRates`): relative weights of final delivery statuses DELIVRD / UNDELIV / EXPIRED /
      REJECTD / NOREPORT / FAILED (default 92/3/2/2/1/0 %).
    - `voice_latency_seconds` ([min, max], default [0, 0]): seconds from placing a call to its result
      (ringing); uniform in the range.
    - `include_call_duration` (bool, default false): an answered call's result also waits its listened
      seconds.
    - `sms_latency_seconds` ([min, max], default [0, 0]): seconds from submission to the delivery report.
    - `answer_seconds` (default 0): real seconds the provider takes to answer a batch it has taken (a request's
      round trip): the dispatch poller waits that long per batch, and a crash meanwhile leaves the batch in
      doubt (placed, its answer lost), which the crash tests aim at.
    - `overrides` (E.164 number → `Override` or shorthand string): forced results per number, e.g.
      `{"+989120000001": "busy", "+989120000002": {"outcome": "answered", "digits": "2"},
      "+989120000003": "UNDELIV"}`.

    A realistic local demo: `{"voice_latency_seconds": [5, 25], "include_call_duration": true,
    "sms_latency_seconds": [1, 10]}`.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    seed: int | str = 0
    voice: VoiceRates = VoiceRates()
    full_listen_probability: Probability = 0.6
    min_listen_fraction: Probability = 0.1
    max_listen_fraction: Probability = 1.0
    opt_out_probability: Probability = 0.02
    vote_probability: Probability = 0.5
    vote_digits: dict[Annotated[str, Field(pattern=r"^[0-9]{1,2}$")], Weight] = Field(
        default_factory=lambda: {"1": 0.5, "2": 0.3, "3": 0.2}
    )
    sms: SmsRates = SmsRates()
    voice_latency_seconds: tuple[Annotated[float, Field(ge=0)], Annotated[float, Field(ge=0)]] = (0.0, 0.0)
    include_call_duration: bool = False
    sms_latency_seconds: tuple[Annotated[float, Field(ge=0)], Annotated[float, Field(ge=0)]] = (0.0, 0.0)
    answer_seconds: Annotated[float, Field(ge=0, le=10)] = 0.0
    overrides: dict[str, Annotated[Override, BeforeValidator(_override_shorthand)]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check(self) -> Self:
        _check_weights(self.vote_digits, "vote digits")
        if self.min_listen_fraction > self.max_listen_fraction:
            raise ValueError("min_listen_fraction is above max_listen_fraction")
        for name in ("voice_latency_seconds", "sms_latency_seconds"):
            low, high = getattr(self, name)
            if low > high:
                raise ValueError(f"{name}: min is above max")
        return self

    @classmethod
    def from_json(cls, path: str | Path) -> Self:
        return cls.model_validate_json(Path(path).read_text(encoding="utf-8"))

    @classmethod
    def load(cls, value: str | None) -> Self:
        """From settings' `simulator_config` (`JARCHI_SIMULATOR_CONFIG`): unset → defaults; a value
        starting with `{` → inline JSON; anything else → the path of a JSON file."""
        if not value or not value.strip():
            return cls()
        if value.lstrip().startswith("{"):
            return cls.model_validate_json(value)
        return cls.from_json(value)
