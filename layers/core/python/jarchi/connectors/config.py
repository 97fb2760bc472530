"""The cloud connectors' settings, one section each, read from `Settings.connector_config` (inline JSON
starting with `{`, or the path of a JSON file; unset: every section at its defaults). Checked at start with
the other settings (R-RUN-6): an unknown section or key, or a bad value, stops the start naming it."""

from __future__ import annotations

from pathlib import Path
from typing import Self

from pydantic import BaseModel, ConfigDict

from jarchi.connectors.chime.config import ChimeConfig
from jarchi.connectors.end_user_messaging.config import EndUserMessagingConfig
from jarchi.connectors.https.config import HttpsConfig


class ConnectorConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    end_user_messaging: EndUserMessagingConfig = EndUserMessagingConfig()
    chime: ChimeConfig = ChimeConfig()
    https: HttpsConfig = HttpsConfig()

    @classmethod
    def load(cls, value: str | None) -> Self:
        """Inline JSON, a file, or unset (all defaults); raises pydantic's `ValidationError` naming the key."""
        if not value or not value.strip():
            return cls()
        if value.lstrip().startswith("{"):
            return cls.model_validate_json(value)
        return cls.model_validate_json(Path(value).read_text(encoding="utf-8"))
