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
- The engine is a port (`SpeechEngine`) chosen by the wiring: the local platform speaks with espeak-ng (or a
  tone of speech length when it is missing), the cloud with Amazon Polly. Durations always come from the
  produced file.
- **Audio for the telephone network** (`jarchi.content.pstn`): in a deployment that calls through Chime SDK
  PSTN audio (`JARCHI_CONNECTOR` chime or aws), an audio gets its 8 kHz mono 16-bit WAV copy when it becomes
  usable (approved, or stored approved), before its status changes: an audio that cannot be converted is not
  approved (422 `audio_not_playable_by_phone`) rather than approved and silent on every call.
- Deleting removes the item first (conditionally: only while no campaign uses it), then the S3 object: an
  orphan object is harmless, an item pointing to a missing file is not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from jarchi import clock
from jarchi.accounts import access
from jarchi.accounts.models import Account, Caller
from jarchi.accounts.ports import AccountRepository
from jarchi.accounts.service import AccountScope, require_owned
from jarchi.content.audio import AudioFormat, AudioInfo, probe_audio
from jarchi.content.moderation import ModerationOutcome, ModerationStatus, moderate
from jarchi.content.ports import AudioPorts, DeleteOutcome
from jarchi.content.pstn import PSTN_CONNECTORS, pstn_key, to_pstn_wav
from jarchi.content.records import AudioRecord, AudioSource
from jarchi.content.tts import Speech, speak, speech_language
from jarchi.errors import Conflict, NotFound, Unprocessable
from jarchi.ids import new_id
from jarchi.settings import get_settings

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


def default_language(account: Account) -> str:
    return REGION_LANGUAGES.get(account.default_region.upper(), DEFAULT_LANGUAGE)


def synthesize(
    account: Account, text: str, language: str | None = None, *, ports: AudioPorts | None = None
) -> SynthesizedSpeech:
    """Speak `text` (in the account's language unless told) and measure the result; nothing is stored."""
    ports = ports or AudioPorts.wired()
    chosen = speech_language(language or default_language(account)).value
    speech, info = speak(ports.speech, text, chosen)
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


def _store(
    ports: AudioPorts,
    account: Account,
    title: str,
    audio: bytes,
    info: AudioInfo,
    *,
    tts: SynthesizedSpeech | None = None,
    status: ModerationStatus = ModerationStatus.PENDING,
) -> AudioRecord:
    audio_id = new_id("aud")
    key = ports.media.audio_key(account.id, audio_id, info.format.value)
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
    ports.media.put_audio(key, audio, CONTENT_TYPES[info.format])  # the files first, the item last
    if status is ModerationStatus.APPROVED:
        _prepare_for_phone(ports, key, audio)
    ports.audio.put(record)
    return record


def _prepare_for_phone(ports: AudioPorts, key: str, audio: bytes | None = None) -> None:
    """Store the telephone copy of the audio at `key` when this deployment plays audio through Chime."""
    if get_settings().connector not in PSTN_CONNECTORS:
        return
    data = audio if audio is not None else ports.media.get_audio(key)
    if data is None:
        raise Unprocessable("audio_not_playable_by_phone", "the audio file is missing; upload it again", key=key)
    ports.media.put_audio(pstn_key(key), to_pstn_wav(data), CONTENT_TYPES[AudioFormat.WAV])


def create_audio(caller: Caller, request: NewAudio, *, ports: AudioPorts | None = None) -> AudioRecord:
    """`POST /v1/audio`: an upload (probed: R-AUD-1, R-AUD-2) or text-to-speech (R-TTS-1); `pending`."""
    ports = ports or AudioPorts.wired()
    title = request.title.strip()
    if not title:
        raise Unprocessable("invalid_title", "an audio needs a title")
    if (request.data is None) == (request.tts_text is None):
        raise Unprocessable("audio_content_required", "give exactly one of content_base64 and tts_text")
    if request.data is not None:
        return _store(ports, caller.account, title, request.data, probe_audio(request.data))
    assert request.tts_text is not None
    spoken = synthesize(caller.account, request.tts_text, request.language, ports=ports)
    return _store(ports, caller.account, title, spoken.speech.audio, spoken.info, tts=spoken)


def store_campaign_speech(
    account: Account,
    text: str,
    language: str | None = None,
    *,
    speech: SynthesizedSpeech | None = None,
    approved: bool = False,
    ports: AudioPorts | None = None,
) -> AudioRecord:
    """Store a campaign's text-to-speech message as the account's audio (source `tts`).

    Pass the `speech` that `prepare_campaign` measured to store exactly what was estimated instead of
    synthesizing again. `pending` unless `approved` (only for texts the platform writes, e.g. OTP)."""
    ports = ports or AudioPorts.wired()
    spoken = speech or synthesize(account, text, language, ports=ports)
    title = spoken.text if len(spoken.text) <= 80 else spoken.text[:79] + "…"
    status = ModerationStatus.APPROVED if approved else ModerationStatus.PENDING
    return _store(ports, account, title, spoken.speech.audio, spoken.info, tts=spoken, status=status)


LISTEN_URL_SECONDS: Final = 15 * 60


def listen_url(key: str | None, *, ports: AudioPorts | None = None) -> str | None:
    """A presigned URL to listen to an audio (or a campaign's generated speech) for `LISTEN_URL_SECONDS`."""
    if key is None:
        return None
    ports = ports or AudioPorts.wired()
    return ports.media.listen_url(key, LISTEN_URL_SECONDS)


def get_audio(
    caller: Caller, audio_id: str, *, ports: AudioPorts | None = None, accounts: AccountRepository | None = None
) -> AudioRecord:
    ports = ports or AudioPorts.wired()
    return require_owned(caller, ports.audio.get(audio_id), "audio", audio_id, accounts=accounts)


def list_audio(
    caller: Caller,
    account_id: str | None,
    limit: int,
    cursor: str | None,
    *,
    ports: AudioPorts | None = None,
    accounts: AccountRepository | None = None,
) -> tuple[list[AudioRecord], str | None]:
    """The caller's audio (or a visible account's), newest first."""
    ports = ports or AudioPorts.wired()
    owner = account_id or caller.account_id
    require_owned(caller, AccountScope(owner), "account", owner, accounts=accounts)
    return ports.audio.list_for_account(owner, limit, cursor)


def delete_audio(
    caller: Caller, audio_id: str, *, ports: AudioPorts | None = None, accounts: AccountRepository | None = None
) -> None:
    ports = ports or AudioPorts.wired()
    record = get_audio(caller, audio_id, ports=ports, accounts=accounts)
    outcome = ports.audio.delete_unused(record.id)
    if outcome is DeleteOutcome.IN_USE:
        raise Conflict("audio_in_use", "this audio is used by a campaign and is kept for the record", audio_id=audio_id)
    if outcome is DeleteOutcome.MISSING:
        raise NotFound.of("audio", audio_id)
    ports.media.delete_audio(record.key)


def moderate_audio(
    caller: Caller,
    audio_id: str,
    decision: str,
    reason: str | None,
    *,
    ports: AudioPorts | None = None,
    accounts: AccountRepository | None = None,
) -> AudioRecord:
    """The operator's decision (R-AUD-3): visible first (404), then admin only (403)."""
    ports = ports or AudioPorts.wired()
    record = get_audio(caller, audio_id, ports=ports, accounts=accounts)
    access.require_admin(caller)
    outcome = decide(record.status, decision, reason)
    if outcome.status is ModerationStatus.APPROVED:
        _prepare_for_phone(ports, record.key)
    if not ports.audio.set_moderation(record.id, record.status, outcome.status, outcome.reason, clock.now()):
        raise Conflict("moderation_conflict", "another decision was made at the same time; read the audio again")
    updated = ports.audio.get(record.id)
    if updated is None:
        raise NotFound.of("audio", audio_id)
    return updated


def get_usable_audio(account_id: str, audio_id: str, *, ports: AudioPorts | None = None) -> AudioRecord:
    """The account's approved audio for a campaign: 404 when it is not the account's, 422 unless approved."""
    ports = ports or AudioPorts.wired()
    record = ports.audio.get(audio_id)
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


def mark_audio_used(audio_id: str, *, ports: AudioPorts | None = None) -> None:
    """A campaign now uses this audio: it is kept for the record and can no longer be deleted."""
    (ports or AudioPorts.wired()).audio.mark_used(audio_id)
