"""Call recordings (R-OUT-5): a voice campaign with `record: true` has its answered calls recorded by the
connector into the recordings bucket under the campaign (`recordings/<campaign>/…`); the key and the length
ride the call's result onto its recipient item (the write that stores the result), and
`GET /v1/campaigns/{id}/recordings` lists them with short-lived links. The bucket's lifecycle rule deletes them
after `jarchi.resources.RECORDING_DAYS` days; a link to a deleted recording answers 404 from S3."""

from __future__ import annotations

import io
import wave
from typing import Final

from jarchi.resources import RECORDING_DAYS

URL_SECONDS: Final = 15 * 60  # a listing's links last 15 minutes: list again for fresh ones
KEEP_DAYS: Final = RECORDING_DAYS
PREFIX: Final = "recordings"
_SAMPLE_RATE: Final = 8000


def campaign_prefix(campaign_id: str) -> str:
    """Where a campaign's recordings land (Chime appends its own file name to it)."""
    return f"{PREFIX}/{campaign_id}/"


def recording_key(campaign_id: str, attempt_id: str) -> str:
    """The simulator's key for one attempt's recording."""
    return f"{campaign_prefix(campaign_id)}{attempt_id}.wav"


def stand_in_wav(seconds: float = 0.25) -> bytes:
    """A small WAV of silence (8 kHz, 8-bit mono): the simulator's recording, whatever the call's length."""
    frames = int(_SAMPLE_RATE * seconds)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(1)
        out.setframerate(_SAMPLE_RATE)
        out.writeframes(b"\x80" * frames)
    return buffer.getvalue()
