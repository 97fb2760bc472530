"""Stored content: an account's audio messages (R-AUD) and registered sender names (R-SMS-3)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from jarchi.content.audio import AudioFormat
from jarchi.content.moderation import ModerationStatus


class AudioSource(StrEnum):
    UPLOAD = "upload"
    TTS = "tts"


@dataclass(frozen=True, slots=True)
class AudioRecord:
    id: str
    account_id: str
    title: str
    source: AudioSource
    format: AudioFormat
    duration_ms: int
    pulses: int
    size_bytes: int
    key: str  # S3 key in the media bucket
    status: ModerationStatus
    created_at: datetime
    reason: str | None = None  # the moderator's, for a rejection or a clarification request
    moderated_at: datetime | None = None
    language: str | None = None  # text-to-speech only
    tts_text: str | None = None
    used_by_campaigns: int = 0

    @property
    def duration_seconds(self) -> float:
        return self.duration_ms / 1000

    @property
    def in_use(self) -> bool:
        return self.used_by_campaigns > 0


@dataclass(frozen=True, slots=True)
class Sender:
    id: str
    account_id: str
    name: str
    kind: str  # alphanumeric | numeric
    status: ModerationStatus
    created_at: datetime
    reason: str | None = None
    moderated_at: datetime | None = None
