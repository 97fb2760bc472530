"""`Settings.connector_config` read as plain JSON: inline (starting with `{`) or the path of a file, unset
meaning `{}`. Each connector validates its own section with its own model; `jarchi.connectors.config`
validates them all at start."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def read_sections(value: str | None) -> dict[str, Any]:
    if not value or not value.strip():
        return {}
    text = value if value.lstrip().startswith("{") else Path(value).read_text(encoding="utf-8")
    sections = json.loads(text)
    if not isinstance(sections, dict):
        raise ValueError("the connector configuration is a JSON object, one section per connector")
    return sections


def connector_section(value: str | None, name: str) -> dict[str, Any]:
    """One connector's section (`{}` when absent)."""
    section = read_sections(value).get(name) or {}
    if not isinstance(section, dict):
        raise ValueError(f"the {name} section of the connector configuration is a JSON object")
    return section
