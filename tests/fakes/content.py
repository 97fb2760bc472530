"""Audio and sender repositories, the media store and a speech engine, in memory."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import datetime

from jarchi.content.audio import AudioFormat
from jarchi.content.moderation import ModerationStatus
from jarchi.content.ports import DeleteOutcome
from jarchi.content.records import AudioRecord, Sender
from jarchi.content.tts import Speech, SpeechLanguage, ToneEngine
from jarchi.errors import NotFound
from tests.fakes._paging import page


class FakeAudio:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.records: dict[str, AudioRecord] = {}

    def put(self, record: AudioRecord) -> None:
        with self._lock:
            if record.id in self.records:
                raise KeyError(f"audio {record.id} exists")
            self.records[record.id] = record

    def get(self, audio_id: str) -> AudioRecord | None:
        return self.records.get(audio_id)

    def list_for_account(self, account_id: str, limit: int, cursor: str | None) -> tuple[list[AudioRecord], str | None]:
        mine = [r for r in self.records.values() if r.account_id == account_id]
        return page(sorted(mine, key=lambda r: (r.created_at, r.id), reverse=True), limit, cursor)

    def set_moderation(
        self, audio_id: str, expected: ModerationStatus, status: ModerationStatus, reason: str | None, at: datetime
    ) -> bool:
        with self._lock:
            record = self.records.get(audio_id)
            if record is None or record.status is not expected:
                return False
            self.records[audio_id] = replace(record, status=status, reason=reason or None, moderated_at=at)
            return True

    def mark_used(self, audio_id: str) -> None:
        with self._lock:
            record = self.records.get(audio_id)
            if record is None:
                raise NotFound.of("audio", audio_id)
            self.records[audio_id] = replace(record, used_by_campaigns=record.used_by_campaigns + 1)

    def delete_unused(self, audio_id: str) -> DeleteOutcome:
        with self._lock:
            record = self.records.get(audio_id)
            if record is None:
                return DeleteOutcome.MISSING
            if record.in_use:
                return DeleteOutcome.IN_USE
            del self.records[audio_id]
            return DeleteOutcome.DELETED


class FakeSenders:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.senders: dict[str, Sender] = {}
        self._names: dict[tuple[str, str], str] = {}  # (account_id, name key) -> sender id

    def put(self, sender: Sender, name_key: str) -> bool:
        with self._lock:
            if (sender.account_id, name_key) in self._names:
                return False
            if sender.id in self.senders:
                raise KeyError(f"sender {sender.id} exists")
            self._names[(sender.account_id, name_key)] = sender.id
            self.senders[sender.id] = sender
            return True

    def get(self, sender_id: str) -> Sender | None:
        return self.senders.get(sender_id)

    def find_by_name(self, account_id: str, name_key: str) -> Sender | None:
        sender_id = self._names.get((account_id, name_key))
        return self.senders.get(sender_id) if sender_id else None

    def list_for_account(self, account_id: str, limit: int, cursor: str | None) -> tuple[list[Sender], str | None]:
        mine = [s for s in self.senders.values() if s.account_id == account_id]
        return page(sorted(mine, key=lambda s: (s.created_at, s.id), reverse=True), limit, cursor)

    def set_moderation(
        self, sender_id: str, expected: ModerationStatus, status: ModerationStatus, reason: str | None, at: datetime
    ) -> bool:
        with self._lock:
            sender = self.senders.get(sender_id)
            if sender is None or sender.status is not expected:
                return False
            self.senders[sender_id] = replace(sender, status=status, reason=reason or None, moderated_at=at)
            return True


class FakeMedia:
    """The media bucket: key -> (bytes, content type)."""

    def __init__(self) -> None:
        self.objects: dict[str, tuple[bytes, str]] = {}

    def audio_key(self, account_id: str, audio_id: str, extension: str) -> str:
        return f"audio/{account_id}/{audio_id}.{extension}"

    def put_audio(self, key: str, data: bytes, content_type: str) -> None:
        self.objects[key] = (data, content_type)

    def get_audio(self, key: str) -> bytes | None:
        stored = self.objects.get(key)
        return stored[0] if stored else None

    def delete_audio(self, key: str) -> None:
        self.objects.pop(key, None)

    def listen_url(self, key: str, seconds: int) -> str:
        return f"https://media.invalid/{key}?expires={seconds}"


class FakeSpeech:
    """Speaks a tone as long as the text would take (like the local fallback) and remembers what it said."""

    engine_name = "fake"

    def __init__(self) -> None:
        self.spoken: list[tuple[str, SpeechLanguage]] = []

    def synthesize(self, text: str, language: SpeechLanguage) -> Speech:
        self.spoken.append((text, language))
        tone = ToneEngine().synthesize(text, language)
        return Speech(tone.audio, AudioFormat.WAV, self.engine_name)


class FakeRecordings:
    """The recordings bucket (R-OUT-5): key -> bytes."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def put(self, key: str, data: bytes) -> None:
        self.objects[key] = data

    def url(self, key: str, seconds: int) -> str:
        return f"https://recordings.invalid/{key}?expires={seconds}"
