"""`connector_config["https"]`: the provider's endpoint and the shared HMAC secret."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class HttpsConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    # Plain HTTP only on the loopback (the provider double in the tests).
    endpoint: str = Field(default="", pattern=r"^(https://\S+|http://127\.0\.0\.1(:\d+)?/\S*)?$")
    secret: str = Field(default="", repr=False)  # HMAC-SHA256 key, both ways; empty: nothing is sent or accepted
    timeout_seconds: float = Field(default=5.0, gt=0, le=30)
    budget_seconds: float = Field(default=10.0, gt=0, le=900)
    in_flight: int = Field(default=8, ge=1, le=50)  # POSTs at once
    replay_window_seconds: int = Field(default=300, ge=30, le=3600)
