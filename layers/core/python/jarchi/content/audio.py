"""Uploaded audio: format, duration and pulses measured from the file (R-AUD-1, R-AUD-2, R-AUD-3).

Rules and the choices behind them:

- Size is checked before anything is parsed: more than 5 MB (5 × 1024 × 1024 bytes) is
  ``audio_too_large`` (413).
- The container is recognised from its first bytes, never from a name or a client's claim: WAV (RIFF/WAVE),
  FLAC, OGG Vorbis, OGG Opus, MP3 (MPEG audio frames, with or without an ID3v2 tag) and AAC (ADTS
  frames or ADIF). Anything else is ``audio_format_unsupported`` — 400, not 415: the request itself is
  JSON, it is the decoded content that we cannot use.
- A recognised file whose headers do not parse, whose measured length is not positive, or that is visibly
  cut short (a WAV ``data`` chunk longer than the file, an MP3 whose VBR header promises far more frames
  than it holds) is ``audio_unreadable`` (400). Truncation inside FLAC/OGG frames is not detected: we do
  not decode audio here, and OGG lengths come from the last page actually present anyway.
- Durations are rounded to whole milliseconds before any comparison, so container rounding noise
  (30.00002 s) does not buy an extra pulse: pulses = ceil(ms / 30,000), at least 1.
- Shorter than 3.000 s is ``audio_too_short`` (400; the seed's -5/-8); exactly 3.000 s is accepted.
"""

from __future__ import annotations

import io
import math
import struct
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from jarchi.content.moderation import ModerationStatus
from jarchi.errors import BadRequest, PayloadTooLarge

AudioStatus = ModerationStatus

MAX_AUDIO_BYTES = 5 * 1024 * 1024
MIN_AUDIO_MS = 3_000
PULSE_MS = 30_000
_MP3_SHORTFALL = 0.9  # an MP3 holding under 90 % of the bytes its VBR header promises is truncated


class AudioFormat(StrEnum):
    MP3 = "mp3"
    WAV = "wav"
    OGG = "ogg"  # OGG Vorbis
    OPUS = "opus"  # OGG Opus
    AAC = "aac"
    FLAC = "flac"


@dataclass(frozen=True, slots=True)
class AudioInfo:
    format: AudioFormat
    duration_ms: int
    pulses: int
    sample_rate: int
    channels: int
    size_bytes: int

    @property
    def duration_seconds(self) -> float:
        return self.duration_ms / 1000


def pulses_for(duration_ms: int) -> int:
    """Started 30-second pulses; a message is at least one pulse."""
    return max(1, -(-duration_ms // PULSE_MS))


def _id3v2_size(data: bytes) -> int:
    if len(data) < 10 or not data.startswith(b"ID3"):
        return 0
    size = 0
    for byte in data[6:10]:
        size = (size << 7) | (byte & 0x7F)
    footer = 10 if data[5] & 0x10 else 0
    return 10 + size + footer


def _detect_ogg(head: bytes) -> AudioFormat | None:
    if b"OpusHead" in head:
        return AudioFormat.OPUS
    if b"\x01vorbis" in head:
        return AudioFormat.OGG
    return None  # OGG FLAC, Speex, Theora…


def _detect_mpeg(body: bytes) -> AudioFormat | None:
    """MPEG audio frame sync (11 bits set): layer 00 is ADTS AAC, any other layer is MP3."""
    if len(body) < 2 or body[0] != 0xFF or body[1] & 0xE0 != 0xE0:
        return None
    layer = (body[1] >> 1) & 0b11
    if layer == 0:
        return AudioFormat.AAC if body[1] & 0xF0 == 0xF0 else None
    return AudioFormat.MP3


def detect_format(data: bytes) -> AudioFormat | None:
    """The container from its magic bytes (None when it is none of ours)."""
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return AudioFormat.WAV
    if data[:4] == b"OggS":
        return _detect_ogg(data[:512])
    if data[:4] == b"ADIF":
        return AudioFormat.AAC
    body = data[_id3v2_size(data) :]
    if body[:4] == b"fLaC":
        return AudioFormat.FLAC
    return _detect_mpeg(body)


def _mutagen_class(fmt: AudioFormat) -> Any:
    # Imported here: mutagen is only needed by the code paths that measure audio.
    from mutagen.aac import AAC
    from mutagen.flac import FLAC
    from mutagen.mp3 import MP3
    from mutagen.oggopus import OggOpus
    from mutagen.oggvorbis import OggVorbis
    from mutagen.wave import WAVE

    return {
        AudioFormat.MP3: MP3,
        AudioFormat.WAV: WAVE,
        AudioFormat.OGG: OggVorbis,
        AudioFormat.OPUS: OggOpus,
        AudioFormat.AAC: AAC,
        AudioFormat.FLAC: FLAC,
    }[fmt]


def _wav_truncated(data: bytes) -> bool:
    offset = 12
    while offset + 8 <= len(data):
        chunk_id = data[offset : offset + 4]
        size: int = struct.unpack_from("<I", data, offset + 4)[0]
        if chunk_id == b"data":
            return offset + 8 + size > len(data)
        offset += 8 + size + (size & 1)
    return True  # no data chunk at all


def _mp3_truncated(info: Any, data: bytes) -> bool:
    if not info.bitrate or info.length <= 0:
        return False
    promised = float(info.length) * int(info.bitrate) / 8
    present = len(data) - int(getattr(info, "frame_offset", 0))
    return present < promised * _MP3_SHORTFALL


def _unreadable(fmt: AudioFormat, why: str) -> BadRequest:
    return BadRequest("audio_unreadable", f"the {fmt.value} file cannot be read: {why}", format=fmt.value)


def _parse(fmt: AudioFormat, data: bytes) -> Any:
    try:
        parsed = _mutagen_class(fmt)(io.BytesIO(data))
    except Exception as error:  # any parser failure on untrusted bytes
        raise _unreadable(fmt, str(error) or type(error).__name__) from None
    if parsed is None or getattr(parsed, "info", None) is None:  # a tag-less mutagen file is falsy
        raise _unreadable(fmt, "no audio stream")
    return parsed.info


def measure_audio(data: bytes, *, max_bytes: int | None = MAX_AUDIO_BYTES) -> AudioInfo:
    """Format and duration of an audio file, with no minimum length (text-to-speech output uses this)."""
    if max_bytes is not None and len(data) > max_bytes:
        raise PayloadTooLarge(
            "audio_too_large",
            f"the audio is {len(data)} bytes; at most {max_bytes} are allowed",
            size_bytes=len(data),
            max_bytes=max_bytes,
        )
    fmt = detect_format(data)
    if fmt is None:
        raise BadRequest(
            "audio_format_unsupported",
            "the audio must be MP3, WAV, OGG (Vorbis), OPUS, AAC (ADTS) or FLAC",
            supported=[f.value for f in AudioFormat],
        )
    info = _parse(fmt, data)
    length = float(info.length or 0.0)
    if not (math.isfinite(length) and length > 0):
        raise _unreadable(fmt, "no measurable duration")
    if fmt is AudioFormat.WAV and _wav_truncated(data):
        raise _unreadable(fmt, "the data chunk is cut short")
    if fmt is AudioFormat.MP3 and _mp3_truncated(info, data):
        raise _unreadable(fmt, "the stream is cut short")
    duration_ms = round(length * 1000)
    return AudioInfo(
        format=fmt,
        duration_ms=duration_ms,
        pulses=pulses_for(duration_ms),
        sample_rate=int(getattr(info, "sample_rate", 0) or 0),
        channels=int(getattr(info, "channels", 0) or 0),
        size_bytes=len(data),
    )


def probe_audio(data: bytes) -> AudioInfo:
    """Validate an uploaded audio file (R-AUD-1) and measure it (R-AUD-2)."""
    info = measure_audio(data)
    if info.duration_ms < MIN_AUDIO_MS:
        raise BadRequest(
            "audio_too_short",
            f"the audio lasts {info.duration_seconds:.3f} s; at least {MIN_AUDIO_MS / 1000:.0f} s is required",
            duration_seconds=info.duration_seconds,
            min_seconds=MIN_AUDIO_MS / 1000,
        )
    return info
