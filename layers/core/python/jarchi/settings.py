"""Deployment settings: one pydantic model read from the environment once per cold start."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime
from functools import cache, cached_property
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

ENV_PREFIX = "JARCHI_"
# `JARCHI_` variables that are not settings: knobs of the fault-scenario tests (tests/integration).
NOT_SETTINGS = frozenset({"fault_scenarios", "fault_break"})
LOCAL_RESULT_DELAY_CAP_SECONDS = 1
CLOUD_RESULT_DELAY_CAP_SECONDS = 900
MAX_SMS_VALIDITY_MINUTES = 72 * 60


class ConfigurationError(ValueError):
    """A setting with a value the platform cannot run with; the message names its key (R-RUN-6)."""


class Settings(BaseModel):
    """Every field can be set as `JARCHI_<FIELD>` (upper case). Every value is checked when the settings are
    first read: a bad one, or an unknown `JARCHI_` key, is a `ConfigurationError` naming it. The connector's
    own configuration is checked with them at start (jarchi.configuration)."""

    model_config = ConfigDict(extra="forbid")

    stage: Literal["local", "cloud"] = "cloud"
    resource_prefix: str = Field(default="jarchi", pattern=r"^[a-z][a-z0-9-]{0,39}$")
    region: str = Field(default_factory=lambda: os.environ.get("AWS_DEFAULT_REGION", "eu-central-1"))
    # Locally: where the clock starts (ISO 8601 with offset); R-RUN-3.
    now: datetime | None = None
    connector: str = "simulator"  # a name of jarchi.connectors.registry.CONNECTORS (checked by jarchi.configuration)
    simulator_config: str | None = None
    # The cloud connectors' settings, inline JSON or a file: {"end_user_messaging": {…}, "chime": {…},
    # "https": {…}} (jarchi.connectors.config.ConnectorConfig).
    connector_config: str | None = None
    # The longest SQS delay a results message waits before its due time is checked again (R-DSP-4).
    # None: 900 s (SQS's maximum) in the cloud, 1 s locally, where the clock can jump but a delay cannot.
    result_delay_cap_seconds: int | None = Field(default=None, ge=1, le=900)
    state_machine_arn: str = ""
    scheduler_role_arn: str = "arn:aws:iam::123456789012:role/jarchi-scheduler"
    scheduler_group: str = "default"
    idempotency_ttl_seconds: int = Field(default=3600, ge=60, le=7 * 24 * 3600)
    default_recipient_limit: int = Field(default=60_000, ge=1, le=10_000_000)
    # R-CPL-4: campaigns of accounts younger than this many days start in moderation (0: none do).
    campaign_moderation_days: int = Field(default=7, ge=0, le=3650)
    contact_file_max_bytes: int = Field(default=20 * 1024 * 1024, ge=1024, le=1024 * 1024 * 1024)
    # S3 names are global: the cloud stack passes JARCHI_BUCKET_SUFFIX="-{account}-{region}"; empty locally.
    bucket_suffix: str = ""
    # Seals pagination cursors (functions.api.cursors); set it to a secret in production.
    cursor_key: str | None = Field(default=None, min_length=16, max_length=256)
    # Keys the stored hashes of one-time codes (jarchi.otp.codes); set it to a secret in production.
    otp_key: str | None = Field(default=None, min_length=16, max_length=256)
    # A local fault plan (JSON): read and validated by local.faults when the local runtime starts.
    faults: str | None = None
    # The local platform's data folder (local.durability; default `.jarchi/` in the checkout).
    data_dir: str | None = None
    # Per API token (R-API). None: jarchi.limits' numbers, which API Gateway's throttle has in the cloud.
    api_rate_limit_per_second: float | None = Field(default=None, gt=0, le=10_000)
    api_rate_limit_burst: int | None = Field(default=None, ge=1, le=100_000)
    # White-label domains (jarchi.aws.domains): the REST API and stage a reseller's custom domain maps to.
    rest_api_id: str = ""
    api_stage: str = "api"
    # SMS-pumping guard (jarchi.accounts.reach, jarchi.compliance.pumping): E.164 prefixes nobody may reach,
    # comma-separated; and when an admission batch looks like pumping (its share of refused or never-seen
    # foreign ranges, once at least `pumping_min_numbers` of them are in one batch).
    blocked_prefixes: str = Field(default="+870,+881,+882,+883", pattern=r"^(\+\d{1,15})?(,\+\d{1,15})*$")
    pumping_share: float = Field(default=0.2, gt=0, le=1)
    pumping_min_numbers: int = Field(default=10, ge=1, le=100_000)
    # The voice quality gate's checkpoint and circuit breaker (R-CPL-5, jarchi.compliance.quality): the fewest
    # answered calls it judges, the lowest answer rate, the highest shares of calls under 6 s and of opt-outs.
    quality_min_answered: int = Field(default=10, ge=1, le=100_000)
    quality_min_answer_rate_percent: int = Field(default=10, ge=0, le=100)
    quality_max_short_call_percent: int = Field(default=80, ge=0, le=100)
    quality_max_opt_out_percent: int = Field(default=20, ge=0, le=100)
    # Concurrent calls (R-DSP-3, jarchi.campaigns.routes): per route (a fixed line's area code), shared by every
    # campaign of the platform; and per account, over its sending campaigns.
    route_max_concurrent_calls: int = Field(default=2_000, ge=1, le=1_000_000)
    account_max_concurrent_calls: int = Field(default=10_000, ge=1, le=1_000_000)
    # R-SMS-5: how long the operator keeps trying an SMS whose campaign sets no `validity_minutes`. Operators
    # keep 24 h or 72 h, by contract: rules `<E.164 prefix>=<minutes>`, comma-separated, the longest matching
    # prefix wins (an operator's ranges, e.g. "+98935=4320,+98936=4320"; a whole country, "+49=4320"); else
    # `sms_validity_default_minutes`. Minutes 1..4320 (72 h, what End User Messaging accepts).
    sms_validity_rules: str = Field(default="", pattern=r"^(\+\d{1,15}=\d{1,4})?(,\+\d{1,15}=\d{1,4})*$")
    sms_validity_default_minutes: int = Field(default=24 * 60, ge=1, le=MAX_SMS_VALIDITY_MINUTES)

    @field_validator("sms_validity_rules")
    @classmethod
    def _check_validity_rules(cls, value: str) -> str:
        seen: set[str] = set()
        for rule in filter(None, value.split(",")):
            prefix, minutes = rule.split("=")
            if not 1 <= int(minutes) <= MAX_SMS_VALIDITY_MINUTES:
                raise ValueError(f"{rule}: minutes must be 1..{MAX_SMS_VALIDITY_MINUTES}")
            if prefix in seen:
                raise ValueError(f"{prefix} has two rules")
            seen.add(prefix)
        return value

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
        try:
            return cls.model_validate(values)
        except ValidationError as error:
            lines = [describe_problem(e, cls.model_fields, prefix=ENV_PREFIX) for e in error.errors()]
            raise ConfigurationError("bad configuration: " + "; ".join(lines)) from None

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
