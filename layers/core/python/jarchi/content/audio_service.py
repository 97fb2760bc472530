"""Audio messages of an account: upload or text-to-speech, moderation, deletion (R-AUD-1..3, R-TTS-1).

Decisions:

- **Moderation is the platform admin's only.** R-AUD-3 is a regulator rule ("operator approval"): the
  operator is the platform, not a reseller, so a reseller sees its customers' audio but cannot approve it
  (403 `admin_only`). Another tenant's audio answers 404 before the admin check, so a non-admin learns
  nothing about audio it cannot see.
- **Generated speech is moderated like an upload.** The regulator rule is about the message, not about how
  it was recorded: `POST /v1/audio` with `tts_text` stores the synthesized file as `pending`. A campaign's
  inline `tts_text` is stored at campaign creation through `store_campaign_speech`, `pending` by default;
  the campaign work passes `approved=True` only for texts the platform itself writes (OTP codes read by
  `otp_speech_text`).
- The engine: the local platform speaks with espeak-ng (or a tone of speech length when it is missing),
  the cloud with Amazon Polly (jarchi.connectors.polly). Durations always come from the produced file.
- Deleting removes the item first (conditionally: only while no campaign uses it), then the S3 object: an
  orphan object is harmless, an item pointing to a missing file is not.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from jarchi import clock
from jarchi.accounts import access
from jarchi.accounts.models import Account, Caller
from jarchi.aws import media
from jarchi.content.audio import AudioFormat, AudioInfo, probe_audio
from jarchi.content.moderation import ModerationOutcome, ModerationStatus, moderate
from jarchi.content.records import AudioRecord, AudioSource
from jarchi.content.tts import Speech, SpeechEngine, local_speech_engine, speak, speech_language
from jarchi.errors import Conflict, NotFound, Unprocessable
from jarchi.ids import new_id
from jarchi.settings import get_settings
from jarchi.store import accounts as account_store
from jarchi.store import audio as store

CONTENT_TYPES = {
    AudioFormat.MP3: "audio/mpeg",
    AudioFormat.WAV: "audio/wav",
    AudioFormat.OGG: "audio/ogg",
    AudioFormat.OPUS: "audio/ogg; codecs=opus",
    AudioFormat.AAC: "audio/aac",
    AudioFormat.FLAC: "audio/flac",
}
# The default text-to-speech language of an account's phone region.
REGION_LANGUAGES = {"IR": "fa", "RU": "ru", "UA": "uk"}
DEFAULT_LANGUAGE = "en"


@dataclass(frozen=True, slots=True)
class NewAudio:
    """Exactly one of `data` (the decoded upload) and `tts_text`."""

    title: str
    data: bytes | None = None
    tts_text: str | None = None
    language: str | None = None


@dataclass(frozen=True, slots=True)
class SynthesizedSpeech:
    text: str
    language: str
    speech: Speech
    info: AudioInfo


@cache
def _engine(stage: str, region: str) -> SpeechEngine:
    if stage == "local":
        return local_speech_engine()
    from jarchi.connectors.polly import PollyEngine

    return PollyEngine(region=region)


def speech_engine() -> SpeechEngine:
    settings = get_settings()
    return _engine(settings.stage, settings.region)


def default_language(account: Account) -> str:
    return REGION_LANGUAGES.get(account.default_region.upper(), DEFAULT_LANGUAGE)


def synthesize(account: Account, text: str, language: str | None = None) -> SynthesizedSpeech:
    """Speak `text` (in the account's language unless told) and measure the result; nothing is stored."""
    chosen = speech_language(language or default_language(account)).value
    speech, info = speak(speech_engine(), text, chosen)
    return SynthesizedSpeech(text.strip(), chosen, speech, info)


def decide(current: ModerationStatus, decision: str, reason: str | None) -> ModerationOutcome:
    """`moderate`, with its `status` detail renamed `moderation_status`: the API's error body builder takes
    `status` as the HTTP status, so a detail of that name cannot pass through it."""
    try:
        return moderate(current, decision, reason)
    except Conflict as error:
        if "status" not in error.details:
            raise
        details = {("moderation_status" if k == "status" else k): v for k, v in error.details.items()}
        raise Conflict(error.code, error.message, **details) from None


def _visible(caller: Caller, account_id: str) -> bool:
    if caller.account.is_admin or caller.account_id == account_id:
        return True
    owner = account_store.get_account(account_id)
    return owner is not None and access.can_see(caller, owner)


def _store(
    account: Account,
    title: str,
    audio: bytes,
    info: AudioInfo,
    *,
    tts: SynthesizedSpeech | None = None,
    status: ModerationStatus = ModerationStatus.PENDING,
) -> AudioRecord:
    audio_id = new_id("aud")
    key = media.audio_key(account.id, audio_id, info.format.value)
    now = clock.now()
    record = AudioRecord(
        id=audio_id,
        account_id=account.id,
        title=title,
        source=AudioSource.TTS if tts else AudioSource.UPLOAD,
        format=info.format,
        duration_ms=info.duration_ms,
        pulses=info.pulses,
        size_bytes=len(audio),
        key=key,
        status=status,
        created_at=now,
        moderated_at=now if status is ModerationStatus.APPROVED else None,
        language=tts.language if tts else None,
        tts_text=tts.text if tts else None,
    )
    media.put_audio(key, audio, CONTENT_TYPES[info.format])  # the file first, the item last
    store.put_audio(record)
    return record


def create_audio(caller: Caller, request: NewAudio) -> AudioRecord:
    """`POST /v1/audio`: an upload (probed: R-AUD-1, R-AUD-2) or text-to-speech (R-TTS-1); `pending`."""
    title = request.title.strip()
    if not title:
        raise Unprocessable("invalid_title", "an audio needs a title")
    if (request.data is None) == (request.tts_text is None):
        raise Unprocessable("audio_content_required", "give exactly one of content_base64 and tts_text")
    if request.data is not None:
        return _store(caller.account, title, request.data, probe_audio(request.data))
    assert request.tts_text is not None
    spoken = synthesize(caller.account, request.tts_text, request.language)
    return _store(caller.account, title, spoken.speech.audio, spoken.info, tts=spoken)


def store_campaign_speech(
    account: Account,
    text: str,
    language: str | None = None,
    *,
    speech: SynthesizedSpeech | None = None,
    approved: bool = False,
) -> AudioRecord:
    """Store a campaign's text-to-speech message as the account's audio (source `tts`).

    Pass the `speech` that `prepare_campaign` measured to store exactly what was estimated instead of
    synthesizing again. `pending` unless `approved` (only for texts the platform writes, e.g. OTP)."""
    spoken = speech or synthesize(account, text, language)
    title = spoken.text if len(spoken.text) <= 80 else spoken.text[:79] + "…"
    status = ModerationStatus.APPROVED if approved else ModerationStatus.PENDING
    return _store(account, title, spoken.speech.audio, spoken.info, tts=spoken, status=status)


def get_audio(caller: Caller, audio_id: str) -> AudioRecord:
    record = store.get_audio(audio_id)
    if record is None or not _visible(caller, record.account_id):
        raise NotFound.of("audio", audio_id)
    return record


def list_audio(
    caller: Caller, account_id: str | None, limit: int, cursor: str | None
) -> tuple[list[AudioRecord], str | None]:
    """The caller's audio (or a visible account's), newest first."""
    owner = account_id or caller.account_id
    if not _visible(caller, owner):
        raise NotFound.of("account", owner)
    return store.list_audio(owner, limit, cursor)


def delete_audio(caller: Caller, audio_id: str) -> None:
    record = get_audio(caller, audio_id)
    outcome = store.delete_unused_audio(record.id)
    if outcome is store.DeleteOutcome.IN_USE:
        raise Conflict("audio_in_use", "this audio is used by a campaign and is kept for the record", audio_id=audio_id)
    if outcome is store.DeleteOutcome.MISSING:
        raise NotFound.of("audio", audio_id)
    media.delete_audio(record.key)


def moderate_audio(caller: Caller, audio_id: str, decision: str, reason: str | None) -> AudioRecord:
    """The operator's decision (R-AUD-3): visible first (404), then admin only (403)."""
    record = get_audio(caller, audio_id)
    access.require_admin(caller)
    outcome = decide(record.status, decision, reason)
    if not store.set_moderation(record.id, record.status, outcome.status, outcome.reason, clock.now()):
        raise Conflict("moderation_conflict", "another decision was made at the same time; read the audio again")
    updated = store.get_audio(record.id)
    if updated is None:
        raise NotFound.of("audio", audio_id)
    return updated


def get_usable_audio(account_id: str, audio_id: str) -> AudioRecord:
    """The account's approved audio for a campaign: 404 when it is not the account's, 422 unless approved."""
    record = store.get_audio(audio_id)
    if record is None or record.account_id != account_id:
        raise NotFound.of("audio", audio_id)
    if not record.status.is_usable:
        raise Unprocessable(
            "audio_not_approved",
            f"audio {audio_id!r} is {record.status.value}; only approved audio can be used",
            audio_id=audio_id,
            moderation_status=record.status.value,
        )
    return record


def mark_audio_used(audio_id: str) -> None:
    """A campaign now uses this audio: it is kept for the record and can no longer be deleted."""
    store.mark_audio_used(audio_id)
