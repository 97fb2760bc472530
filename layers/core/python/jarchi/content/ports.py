"""What content needs from outside (R-AUD-1..3, R-TTS-1, R-SMS-3): the audio and sender repositories, the
media store for the audio files, and the speech engine (`SpeechEngine`, next to the engines in `tts`).
Adapters: `DynamoAudio` and `DynamoSenders` (the store package), `S3MediaStore` (the AWS package), Amazon
Polly (the connectors package; espeak-ng locally: the wiring chooses); in-memory fakes in `tests/fakes`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from jarchi.content.moderation import ModerationStatus
from jarchi.content.records import AudioRecord, Sender
from jarchi.content.tts import SpeechEngine
from jarchi.ports import resolve


class DeleteOutcome(StrEnum):
    DELETED = "deleted"
    MISSING = "missing"
    IN_USE = "in_use"


class AudioRepository(Protocol):
    """Audio records. `used_by_campaigns` only grows; an audio in use cannot be deleted (R-AUD-3)."""

    def put(self, record: AudioRecord) -> None:
        """A new record; raises if the id is taken."""
        ...

    def get(self, audio_id: str) -> AudioRecord | None:
        """Consistently read."""
        ...

    def list_for_account(self, account_id: str, limit: int, cursor: str | None) -> tuple[list[AudioRecord], str | None]:
        """Newest first."""
        ...

    def set_moderation(
        self, audio_id: str, expected: ModerationStatus, status: ModerationStatus, reason: str | None, at: datetime
    ) -> bool:
        """Move the status from `expected` to `status` (the reason replaced, or cleared when None); False,
        nothing written, when the status is no longer `expected`."""
        ...

    def mark_used(self, audio_id: str) -> None:
        """One more campaign uses the audio; `audio_not_found` when it does not exist."""
        ...

    def delete_unused(self, audio_id: str) -> DeleteOutcome:
        """Delete the record only while no campaign uses it."""
        ...


class SenderRepository(Protocol):
    """Sender names, unique per account by their name key (`sender_name_key`)."""

    def put(self, sender: Sender, name_key: str) -> bool:
        """Register; False, nothing written, when the account already has a sender with this name key."""
        ...

    def get(self, sender_id: str) -> Sender | None: ...

    def find_by_name(self, account_id: str, name_key: str) -> Sender | None:
        """The account's sender with this name key, consistently read."""
        ...

    def list_for_account(self, account_id: str, limit: int, cursor: str | None) -> tuple[list[Sender], str | None]:
        """Newest first."""
        ...

    def set_moderation(
        self, sender_id: str, expected: ModerationStatus, status: ModerationStatus, reason: str | None, at: datetime
    ) -> bool:
        """As `AudioRepository.set_moderation`."""
        ...


class MediaStore(Protocol):
    """The audio files (the media bucket). The store names the keys, so every writer and reader agrees."""

    def audio_key(self, account_id: str, audio_id: str, extension: str) -> str: ...

    def put_audio(self, key: str, data: bytes, content_type: str) -> None: ...

    def get_audio(self, key: str) -> bytes | None:
        """None when there is no such object."""
        ...

    def delete_audio(self, key: str) -> None:
        """Gone already is fine."""
        ...

    def listen_url(self, key: str, seconds: int) -> str:
        """A short-lived presigned GET of the audio."""
        ...


@dataclass(frozen=True, slots=True)
class AudioPorts:
    audio: AudioRepository
    media: MediaStore
    speech: SpeechEngine

    @classmethod
    def wired(cls) -> AudioPorts:
        return cls(audio=resolve(AudioRepository), media=resolve(MediaStore), speech=resolve(SpeechEngine))
