"""Binds pynamodb models to the table definitions and the deployment's table names."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

from pynamodb.exceptions import UpdateError

from jarchi.errors import BadRequest
from jarchi.settings import get_settings
from jarchi.store.tables import TableSpec


class _BoundMeta(type):
    """A pynamodb `Meta` whose table name follows the settings (resolved at use, not at import)."""

    logical: str

    @property
    def table_name(cls) -> str:
        return get_settings().table_name(cls.logical)

    @property
    def region(cls) -> str:
        return get_settings().region


def table_meta(spec: TableSpec) -> Any:
    return _BoundMeta("Meta", (), {"logical": spec.logical})


def encode_cursor(last_evaluated_key: dict[str, Any] | None) -> str | None:
    if not last_evaluated_key:
        return None
    raw = json.dumps(last_evaluated_key, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> dict[str, Any] | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError) as error:
        raise BadRequest("invalid_cursor", "the cursor is not one this API returned") from error
    if not isinstance(value, dict):
        raise BadRequest("invalid_cursor", "the cursor is not one this API returned")
    return value


def updated_if(update: Callable[[], object]) -> bool:
    """Run a conditional update: False if its condition refused it (nothing written)."""
    try:
        update()
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True
