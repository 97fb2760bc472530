"""Deployment settings: read from the environment once per cold start, every value checked (R-RUN-6)."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, field, fields
from datetime import datetime
from functools import cache, cached_property
from types import UnionType
from typing import Any, Literal, get_args, get_origin, get_type_hints

ENV_PREFIX = "JARCHI_"
# `JARCHI_` variables that are not settings: knobs of the fault-scenario tests (tests/integration).
NOT_SETTINGS = frozenset({"fault_scenarios", "fault_break"})
LOCAL_RESULT_DELAY_CAP_SECONDS = 1
CLOUD_RESULT_DELAY_CAP_SECONDS = 900
MAX_SMS_VALIDITY_MINUTES = 72 * 60


class ConfigurationError(ValueError):
    """A setting with a value the platform cannot run with; the message names its key (R-RUN-6)."""


def rule(**constraints: object) -> dict[str, object]:
    """A field's constraints, in pydantic `Field` terms (pattern, ge, gt, le, min_length, max_length)."""
    return {"rule": constraints}


def _default_region() -> str:
    return os.environ.get("AWS_DEFAULT_REGION", "eu-central-1")


def check_validity_rules(value: str) -> str:
    seen: set[str] = set()
    for item in filter(None, value.split(",")):
        prefix, minutes = item.split("=")
        if not 1 <= int(minutes) <= MAX_SMS_VALIDITY_MINUTES:
            raise ValueError(f"{item}: minutes must be 1..{MAX_SMS_VALIDITY_MINUTES}")
        if prefix in seen:
            raise ValueError(f"{prefix} has two rules")
        seen.add(prefix)
    return value


# Checks beyond a field's type and constraints; a ValueError's text is the problem's description.
VALIDATORS: Mapping[str, Callable[[str], str]] = {"sms_validity_rules": check_validity_rules}


@dataclass(frozen=True)
class Settings:
    """Every field can be set as `JARCHI_<FIELD>` (upper case). Every value is checked when the settings are
    first read: a bad one, or an unknown `JARCHI_` key, is a `ConfigurationError` naming it. The connector's
    own configuration is checked with them at start (jarchi.configuration).

    A plain dataclass read by `from_env` (issue 10, cold start): pydantic and a model class cost ~150–200 ms of
    every function's cold start. Values in their plain form (digits, a listed literal, a string matching its
    pattern) are read here; anything else, and every problem, goes to the pydantic model built from these same
    fields (`_pydantic_model`), so what is accepted, and the message naming a bad key, are pydantic's as before."""

    stage: Literal["local", "cloud"] = "cloud"
    resource_prefix: str = field(default="jarchi", metadata=rule(pattern=r"^[a-z][a-z0-9-]{0,39}$"))
    region: str = field(default_factory=_default_region)
    # Locally: where the clock starts (ISO 8601 with offset); R-RUN-3.
    now: datetime | None = None
    connector: str = "simulator"  # a name of jarchi.connectors.registry.CONNECTORS (checked by jarchi.configuration)
    simulator_config: str | None = None
    # The cloud connectors' settings, inline JSON or a file: {"end_user_messaging": {…}, "chime": {…},
    # "https": {…}} (jarchi.connectors.config.ConnectorConfig).
    connector_config: str | None = None
    # The longest SQS delay a results message waits before its due time is checked again (R-DSP-4).
    # None: 900 s (SQS's maximum) in the cloud, 1 s locally, where the clock can jump but a delay cannot.
    result_delay_cap_seconds: int | None = field(default=None, metadata=rule(ge=1, le=900))
    state_machine_arn: str = ""
    scheduler_role_arn: str = "arn:aws:iam::123456789012:role/jarchi-scheduler"
    scheduler_group: str = "default"
    idempotency_ttl_seconds: int = field(default=3600, metadata=rule(ge=60, le=7 * 24 * 3600))
    default_recipient_limit: int = field(default=60_000, metadata=rule(ge=1, le=10_000_000))
    # R-CPL-4: campaigns of accounts younger than this many days start in moderation (0: none do).
    campaign_moderation_days: int = field(default=7, metadata=rule(ge=0, le=3650))
    contact_file_max_bytes: int = field(default=20 * 1024 * 1024, metadata=rule(ge=1024, le=1024 * 1024 * 1024))
    # S3 names are global: the cloud stack passes JARCHI_BUCKET_SUFFIX="-{account}-{region}"; empty locally.
    bucket_suffix: str = ""
    # Seals pagination cursors (functions.api.cursors); set it to a secret in production.
    cursor_key: str | None = field(default=None, metadata=rule(min_length=16, max_length=256))
    # Keys the stored hashes of one-time codes (jarchi.otp.codes); set it to a secret in production.
    otp_key: str | None = field(default=None, metadata=rule(min_length=16, max_length=256))
    # A local fault plan (JSON): read and validated by local.faults when the local runtime starts.
    faults: str | None = None
    # The local platform's data folder (local.durability; default `.jarchi/` in the checkout).
    data_dir: str | None = None
    # Per API token (R-API). None: jarchi.limits' numbers, which API Gateway's throttle has in the cloud.
    api_rate_limit_per_second: float | None = field(default=None, metadata=rule(gt=0, le=10_000))
    api_rate_limit_burst: int | None = field(default=None, metadata=rule(ge=1, le=100_000))
    # White-label domains (jarchi.aws.domains): the REST API and stage a reseller's custom domain maps to.
    rest_api_id: str = ""
    api_stage: str = "api"
    # SMS-pumping guard (jarchi.accounts.reach, jarchi.compliance.pumping): E.164 prefixes nobody may reach,
    # comma-separated; and when an admission batch looks like pumping (its share of refused or never-seen
    # foreign ranges, once at least `pumping_min_numbers` of them are in one batch).
    blocked_prefixes: str = field(
        default="+870,+881,+882,+883", metadata=rule(pattern=r"^(\+\d{1,15})?(,\+\d{1,15})*$")
    )
    pumping_share: float = field(default=0.2, metadata=rule(gt=0, le=1))
    pumping_min_numbers: int = field(default=10, metadata=rule(ge=1, le=100_000))
    # The voice quality gate's checkpoint and circuit breaker (R-CPL-5, jarchi.compliance.quality): the fewest
    # answered calls it judges, the lowest answer rate, the highest shares of calls under 6 s and of opt-outs.
    quality_min_answered: int = field(default=10, metadata=rule(ge=1, le=100_000))
    quality_min_answer_rate_percent: int = field(default=10, metadata=rule(ge=0, le=100))
    quality_max_short_call_percent: int = field(default=80, metadata=rule(ge=0, le=100))
    quality_max_opt_out_percent: int = field(default=20, metadata=rule(ge=0, le=100))
    # Concurrent calls (R-DSP-3, jarchi.campaigns.routes): per route (a fixed line's area code), shared by every
    # campaign of the platform; and per account, over its sending campaigns.
    route_max_concurrent_calls: int = field(default=2_000, metadata=rule(ge=1, le=1_000_000))
    account_max_concurrent_calls: int = field(default=10_000, metadata=rule(ge=1, le=1_000_000))
    # R-SMS-5: how long the operator keeps trying an SMS whose campaign sets no `validity_minutes`. Operators
    # keep 24 h or 72 h, by contract: rules `<E.164 prefix>=<minutes>`, comma-separated, the longest matching
    # prefix wins (an operator's ranges, e.g. "+98935=4320,+98936=4320"; a whole country, "+49=4320"); else
    # `sms_validity_default_minutes`. Minutes 1..4320 (72 h, what End User Messaging accepts).
    sms_validity_rules: str = field(default="", metadata=rule(pattern=r"^(\+\d{1,15}=\d{1,4})?(,\+\d{1,15}=\d{1,4})*$"))
    sms_validity_default_minutes: int = field(default=24 * 60, metadata=rule(ge=1, le=MAX_SMS_VALIDITY_MINUTES))

    @cached_property
    def sms_validity_by_prefix(self) -> tuple[tuple[str, int], ...]:
        """`sms_validity_rules` as (prefix, minutes), longest prefix first."""
        pairs = [rule.split("=") for rule in self.sms_validity_rules.split(",") if rule]
        return tuple(sorted(((p, int(m)) for p, m in pairs), key=lambda pair: -len(pair[0])))

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """From `JARCHI_*` variables; an unknown one, or a value out of range, is a `ConfigurationError`."""
        values = {k[len(ENV_PREFIX) :].lower(): v for k, v in env.items() if k.startswith(ENV_PREFIX)}
        values = {k: v for k, v in values.items() if k not in NOT_SETTINGS}
        plain = _read_plain(values)
        if plain is not None:
            return cls(**plain)
        return cls(**_read_with_pydantic(values))

    def table_name(self, logical: str) -> str:
        return f"{self.resource_prefix}-{logical}"

    def queue_name(self, logical: str) -> str:
        return f"{self.resource_prefix}-{logical}"

    def bucket_name(self, logical: str) -> str:
        return f"{self.resource_prefix}-{logical}{self.bucket_suffix}"

    def blocked_prefix_list(self) -> tuple[str, ...]:
        return tuple(p for p in self.blocked_prefixes.split(",") if p)

    def result_delay_cap(self) -> int:
        """`result_delay_cap_seconds`, or its default for the stage (1 s locally, 900 s in the cloud)."""
        if self.result_delay_cap_seconds is not None:
            return self.result_delay_cap_seconds
        return LOCAL_RESULT_DELAY_CAP_SECONDS if self.stage == "local" else CLOUD_RESULT_DELAY_CAP_SECONDS


_INT = re.compile(r"0|[1-9][0-9]{0,17}")
_FLOAT = re.compile(r"(0|[1-9][0-9]{0,17})(\.[0-9]{1,17})?")


@cache
def _fields() -> tuple[tuple[str, Any, Mapping[str, Any]], ...]:
    """Each field's name, type hint (without `| None`) and constraints."""
    hints = get_type_hints(Settings)
    described = []
    for f in fields(Settings):
        hint = hints[f.name]
        if get_origin(hint) is UnionType:
            hint = next(arg for arg in get_args(hint) if arg is not type(None))
        described.append((f.name, hint, f.metadata.get("rule", {})))
    return tuple(described)


def _plain_value(text: str, hint: Any, constraints: Mapping[str, Any]) -> object:
    """The value pydantic gives `text` when it is in its plain form and within its constraints, else None."""
    value: object
    if get_origin(hint) is Literal:
        return text if text in get_args(hint) else None
    if hint is str:
        if "pattern" in constraints and not (text.isascii() and re.fullmatch(constraints["pattern"], text)):
            return None
        if not constraints.get("min_length", 0) <= len(text) <= constraints.get("max_length", len(text)):
            return None
        return text
    if hint is int and _INT.fullmatch(text):
        value = int(text)
    elif hint is float and _FLOAT.fullmatch(text):
        value = float(text)
    else:
        return None  # a datetime, or a number in another form: pydantic reads it
    number: Any = value
    within = (
        number >= constraints.get("ge", number)
        and number <= constraints.get("le", number)
        and ("gt" not in constraints or number > constraints["gt"])
    )
    return value if within else None


def _read_plain(values: Mapping[str, str]) -> dict[str, Any] | None:
    """The settings when every value is in its plain form and within its constraints; None otherwise (an unknown
    key, a value out of range or in another form: pydantic decides, and names what is wrong)."""
    known = {name: (hint, constraints) for name, hint, constraints in _fields()}
    read: dict[str, Any] = {}
    for name, text in values.items():
        if name not in known or not isinstance(text, str):
            return None
        value = _plain_value(text, *known[name])
        if value is None:
            return None
        if name in VALIDATORS:
            try:
                VALIDATORS[name](text)
            except ValueError:
                return None
        read[name] = value
    return read


@cache
def _pydantic_model() -> Any:
    """The settings as a pydantic model (extra keys forbidden), built from the dataclass's fields."""
    from typing import Annotated

    from pydantic import ConfigDict, Field, create_model, field_validator

    hints = get_type_hints(Settings)
    definitions: dict[str, Any] = {}
    for f in fields(Settings):
        default: dict[str, Any] = (
            {"default_factory": f.default_factory} if f.default is MISSING else {"default": f.default}
        )
        definitions[f.name] = (Annotated[hints[f.name], Field(**f.metadata.get("rule", {}))], Field(**default))
    validators = {f"_check_{name}": field_validator(name)(_as_validator(check)) for name, check in VALIDATORS.items()}
    return create_model("Settings", __config__=ConfigDict(extra="forbid"), __validators__=validators, **definitions)


def _as_validator(check: Callable[[str], str]) -> Any:
    def validate(cls: type, value: str) -> str:
        return check(value)

    return classmethod(validate)


def _read_with_pydantic(values: Mapping[str, object]) -> dict[str, Any]:
    from pydantic import ValidationError

    model = _pydantic_model()
    try:
        validated = model.model_validate(values)
    except ValidationError as error:
        lines = [describe_problem(e, model.model_fields, prefix=ENV_PREFIX) for e in error.errors()]
        raise ConfigurationError("bad configuration: " + "; ".join(lines)) from None
    return {name: getattr(validated, name) for name in model.model_fields}


def describe_problem(error: Any, fields: Mapping[str, object], prefix: str = "") -> str:
    """One pydantic error as `KEY: what is wrong (what is allowed)`."""
    location = [str(part) for part in error.get("loc", ())]
    key = f"{prefix}{location[0].upper()}" if prefix and location else ".".join(location) or "(value)"
    where = ".".join(location[1:]) if prefix else ""
    message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    if error.get("type") == "extra_forbidden":
        allowed = ", ".join(f"{prefix}{name.upper()}" if prefix else name for name in fields)
        message = f"unknown {'setting' if prefix else 'key'}; allowed: {allowed}"
    return f"{key}{f' ({where})' if where else ''}: {message}"


@cache
def get_settings() -> Settings:
    return Settings.from_env(os.environ)


def reset_settings() -> None:
    get_settings.cache_clear()
