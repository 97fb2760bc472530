"""Deployment settings: one pydantic model read from the environment once per cold start."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime
from functools import cache
from typing import Literal

from pydantic import BaseModel, Field, field_validator

ENV_PREFIX = "JARCHI_"
LOCAL_RESULT_DELAY_CAP_SECONDS = 1
CLOUD_RESULT_DELAY_CAP_SECONDS = 900


class Settings(BaseModel):
    """Every field can be set as `JARCHI_<FIELD>` (upper case)."""

    stage: Literal["local", "cloud"] = "cloud"
    resource_prefix: str = "jarchi"
    region: str = Field(default_factory=lambda: os.environ.get("AWS_DEFAULT_REGION", "eu-central-1"))
    # Locally: where the clock starts (ISO 8601 with offset); R-RUN-3.
    now: datetime | None = None
    connector: str = "simulator"  # a name of jarchi.connectors.registry.CONNECTORS
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
    idempotency_ttl_seconds: int = 3600
    default_recipient_limit: int = 60_000
    contact_file_max_bytes: int = 20 * 1024 * 1024
    # S3 names are global: the cloud stack passes JARCHI_BUCKET_SUFFIX="-{account}-{region}"; empty locally.
    bucket_suffix: str = ""

    @field_validator("connector")
    @classmethod
    def _connector_known(cls, value: str) -> str:
        from jarchi.connectors.registry import CONNECTORS

        if value not in CONNECTORS:
            raise ValueError(f"no connector named {value!r}; known: {', '.join(CONNECTORS)}")
        return value

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        values = {k[len(ENV_PREFIX) :].lower(): v for k, v in env.items() if k.startswith(ENV_PREFIX)}
        return cls.model_validate({k: v for k, v in values.items() if k in cls.model_fields})

    def table_name(self, logical: str) -> str:
        return f"{self.resource_prefix}-{logical}"

    def queue_name(self, logical: str) -> str:
        return f"{self.resource_prefix}-{logical}"

    def bucket_name(self, logical: str) -> str:
        return f"{self.resource_prefix}-{logical}{self.bucket_suffix}"

    def result_delay_cap(self) -> int:
        """`result_delay_cap_seconds`, or its default for the stage (1 s locally, 900 s in the cloud)."""
        if self.result_delay_cap_seconds is not None:
            return self.result_delay_cap_seconds
        return LOCAL_RESULT_DELAY_CAP_SECONDS if self.stage == "local" else CLOUD_RESULT_DELAY_CAP_SECONDS


@cache
def get_settings() -> Settings:
    return Settings.from_env(os.environ)


def reset_settings() -> None:
    get_settings.cache_clear()
