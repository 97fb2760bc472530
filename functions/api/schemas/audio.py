"""Audio messages (R-AUD, R-TTS) and the moderation body shared with senders."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Literal

from pydantic import Field

from functions.api.schemas.common import Request, Shape, Timestamp
from functions.api.schemas.fields import Name, Text
from jarchi.content.records import AudioRecord
from jarchi.errors import BadRequest

_DATA_URL_MARK = ";base64,"


def decode_base64(value: str, field: str) -> bytes:
    """Standard base64 (whitespace ignored; a `data:…;base64,` prefix accepted); `invalid_base64` (400)."""
    text = value.split(_DATA_URL_MARK, 1)[1] if value.startswith("data:") and _DATA_URL_MARK in value else value
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise BadRequest("invalid_base64", f"{field} is not valid base64", field=field) from None


class AudioCreate(Request):
    """Exactly one of `content_base64` (an audio file) and `tts_text` (text to speak)."""

    title: Name
    content_base64: str | None = None
    tts_text: Text | None = None
    language: Annotated[str, Field(min_length=2, max_length=10)] | None = None


class AudioOut(Shape):
    id: str
    account_id: str
    title: str
    source: str
    format: str
    duration_seconds: float
    pulses: int
    size_bytes: int
    status: str
    reason: str | None
    created_at: Timestamp
    moderated_at: Timestamp | None
    language: str | None
    in_use: bool
    url: str | None = None  # one audio's view: a short-lived presigned URL to listen to it

    @classmethod
    def of(cls, audio: AudioRecord, *, url: str | None = None) -> AudioOut:
        return cls(
            id=audio.id,
            account_id=audio.account_id,
            title=audio.title,
            source=audio.source.value,
            format=audio.format.value,
            duration_seconds=audio.duration_seconds,
            pulses=audio.pulses,
            size_bytes=audio.size_bytes,
            status=audio.status.value,
            reason=audio.reason,
            created_at=audio.created_at,
            moderated_at=audio.moderated_at,
            language=audio.language,
            in_use=audio.in_use,
            url=url,
        )


class AudioPage(Shape):
    items: list[AudioOut]
    next_cursor: str | None


class ModerationBody(Request):
    decision: Literal["approve", "reject", "clarify"]
    reason: Annotated[str, Field(max_length=1000)] | None = None
