"""Text-to-speech for voice messages (R-TTS-1).

A ``SpeechEngine`` turns text into audio; the result is measured like an upload (``measure_audio``),
so pulses come from the audio actually produced, never from an estimate.

Engines here:

- ``EspeakEngine``: the local platform's voice, the ``espeak-ng`` binary (``-v fa`` Persian, ``-v ru``
  Russian, ``-v uk`` Ukrainian, ``-v en`` English), WAV on stdout. espeak-ng streams its WAV with
  placeholder sizes; we write the real sizes into the header.
- ``ToneEngine``: when espeak-ng is not installed, a quiet 400 Hz tone as long as the text would take
  to say (0.07 s per character, at least 3 s), so that durations and pulses stay realistic.
  ``local_speech_engine()`` picks one and logs a warning when it has to fall back; ``engine_name``
  says which one spoke.

In the cloud the connectors use Amazon Polly; ``polly_voice_for`` is the voice choice. Polly has no
Persian or Ukrainian voice: rather than read Persian with a foreign voice (unintelligible), the cloud
refuses those languages with ``tts_language_unsupported`` (422) and the message must be recorded as
audio. Russian is Tatyana (standard engine; Polly has no neural Russian voice), English is Joanna
(neural).

OTP calls read the code digit by digit, twice (``otp_speech_text``), with the digits as words of the
language so that every engine pronounces them the same way.
"""

from __future__ import annotations

import logging
import math
import shutil
import struct
import subprocess
import wave
from dataclasses import dataclass
from enum import StrEnum
from io import BytesIO
from typing import Protocol

from jarchi.content.audio import AudioFormat, AudioInfo, measure_audio
from jarchi.errors import BadRequest, Unprocessable

logger = logging.getLogger(__name__)

TTS_MAX_CHARS = 1_500
ESPEAK_TIMEOUT_SECONDS = 30
TONE_SECONDS_PER_CHAR = 0.07
TONE_MIN_SECONDS = 3.0
TONE_RATE = 8_000
TONE_HZ = 400
OTP_MIN_DIGITS = 3
OTP_MAX_DIGITS = 10


class SpeechLanguage(StrEnum):
    PERSIAN = "fa"
    RUSSIAN = "ru"
    UKRAINIAN = "uk"
    ENGLISH = "en"


def speech_language(language: str) -> SpeechLanguage:
    """``fa``, ``fa-IR``, ``RU``… → the language; anything else is ``tts_language_unsupported``."""
    primary = language.strip().replace("_", "-").split("-")[0].lower()
    try:
        return SpeechLanguage(primary)
    except ValueError:
        raise BadRequest(
            "tts_language_unsupported",
            f"text-to-speech speaks {', '.join(x.value for x in SpeechLanguage)}, not {language!r}",
            language=language,
        ) from None


@dataclass(frozen=True, slots=True)
class Speech:
    audio: bytes
    format: AudioFormat
    engine_name: str


class SpeechEngine(Protocol):
    @property
    def engine_name(self) -> str: ...

    def synthesize(self, text: str, language: SpeechLanguage) -> Speech: ...


class SpeechSynthesisError(RuntimeError):
    """The engine failed (our side, not the client's): a 5xx for the API."""


def _fix_streamed_wav(data: bytes) -> bytes:
    """espeak-ng --stdout leaves 0x7ffff000 as RIFF and data sizes; write the real ones."""
    position = data.find(b"data", 12)
    if data[:4] != b"RIFF" or position < 0:
        raise SpeechSynthesisError("espeak-ng did not produce a WAV stream")
    fixed = bytearray(data)
    struct.pack_into("<I", fixed, 4, len(data) - 8)
    struct.pack_into("<I", fixed, position + 4, len(data) - position - 8)
    return bytes(fixed)


class EspeakEngine:
    engine_name = "espeak-ng"

    def __init__(self, binary: str = "espeak-ng") -> None:
        self.binary = binary

    def synthesize(self, text: str, language: SpeechLanguage) -> Speech:
        try:
            completed = subprocess.run(  # text on stdin: never parsed as options
                [self.binary, "-v", language.value, "--stdout"],
                input=text.encode("utf-8"),
                capture_output=True,
                timeout=ESPEAK_TIMEOUT_SECONDS,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            raise SpeechSynthesisError(f"espeak-ng failed: {error}") from error
        if completed.returncode != 0 or not completed.stdout:
            stderr = completed.stderr.decode("utf-8", "replace").strip()
            raise SpeechSynthesisError(f"espeak-ng failed ({completed.returncode}): {stderr}")
        return Speech(_fix_streamed_wav(completed.stdout), AudioFormat.WAV, self.engine_name)


def tone_wav(seconds: float) -> bytes:
    """A quiet 400 Hz mono tone, 8 kHz 16-bit PCM."""
    period = TONE_RATE // TONE_HZ
    cycle = struct.pack(f"<{period}h", *(round(3000 * math.sin(2 * math.pi * i / period)) for i in range(period)))
    frames = round(seconds * TONE_RATE)
    pcm = (cycle * (frames // period + 1))[: frames * 2]
    out = BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(TONE_RATE)
        wav.writeframes(pcm)
    return out.getvalue()


class ToneEngine:
    """Stands in for speech when no synthesizer is installed: a tone as long as the speech would be."""

    engine_name = "tone"

    def synthesize(self, text: str, language: SpeechLanguage) -> Speech:
        seconds = max(TONE_MIN_SECONDS, TONE_SECONDS_PER_CHAR * len(text))
        return Speech(tone_wav(seconds), AudioFormat.WAV, self.engine_name)


def local_speech_engine() -> SpeechEngine:
    binary = shutil.which("espeak-ng")
    if binary:
        return EspeakEngine(binary)
    logger.warning("espeak-ng is not installed: text-to-speech falls back to a tone of speech length")
    return ToneEngine()


def validate_tts_text(text: str) -> str:
    cleaned = text.strip()
    if not cleaned:
        raise BadRequest("tts_text_empty", "the text to speak is empty")
    if len(cleaned) > TTS_MAX_CHARS:
        raise BadRequest(
            "tts_text_too_long",
            f"the text to speak has {len(cleaned)} characters; at most {TTS_MAX_CHARS} are allowed",
            max_chars=TTS_MAX_CHARS,
        )
    return cleaned


def speak(engine: SpeechEngine, text: str, language: str) -> tuple[Speech, AudioInfo]:
    """Synthesize and measure: the audio plus its format, duration and pulses (R-AUD-2)."""
    speech = engine.synthesize(validate_tts_text(text), speech_language(language))
    return speech, measure_audio(speech.audio, max_bytes=None)


# --- Amazon Polly voice choice ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PollyVoice:
    voice_id: str
    language_code: str
    engine: str  # "standard" | "neural"


_POLLY_VOICES = {
    SpeechLanguage.ENGLISH: PollyVoice("Joanna", "en-US", "neural"),
    SpeechLanguage.RUSSIAN: PollyVoice("Tatyana", "ru-RU", "standard"),
}


def polly_voice_for(language: str) -> PollyVoice:
    chosen = speech_language(language)
    voice = _POLLY_VOICES.get(chosen)
    if voice is None:
        raise Unprocessable(
            "tts_language_unsupported",
            f"Amazon Polly has no {chosen.name.title()} voice; upload the message as recorded audio",
            language=chosen.value,
        )
    return voice


# --- OTP -------------------------------------------------------------------------------------------

_DIGIT_WORDS = {
    SpeechLanguage.ENGLISH: ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"),
    SpeechLanguage.RUSSIAN: (
        "ноль",
        "один",
        "два",
        "три",
        "четыре",
        "пять",
        "шесть",
        "семь",
        "восемь",
        "девять",
    ),
    SpeechLanguage.UKRAINIAN: (
        "нуль",
        "один",
        "два",
        "три",
        "чотири",
        "п'ять",
        "шість",
        "сім",
        "вісім",
        "дев'ять",
    ),
    SpeechLanguage.PERSIAN: ("صفر", "یک", "دو", "سه", "چهار", "پنج", "شش", "هفت", "هشت", "نه"),
}
_OTP_PHRASES = {  # (introduction, repetition)
    SpeechLanguage.ENGLISH: ("Your code is", "I repeat"),
    SpeechLanguage.RUSSIAN: ("Ваш код", "Повторяю"),
    SpeechLanguage.UKRAINIAN: ("Ваш код", "Повторюю"),
    SpeechLanguage.PERSIAN: ("کد شما", "تکرار می‌کنم"),
}
_LIST_SEPARATOR = {SpeechLanguage.PERSIAN: "، "}


def otp_code_digits(code: str) -> str:
    """The code as ASCII digits (Persian and Arabic-Indic digits accepted, spaces and dashes ignored)."""
    compact = "".join(ch for ch in code if ch not in " -")
    if not compact or not all(ch.isdecimal() for ch in compact):
        raise BadRequest("otp_code_invalid", "an OTP code is made of digits only")
    digits = "".join(str(int(ch)) for ch in compact)
    if not OTP_MIN_DIGITS <= len(digits) <= OTP_MAX_DIGITS:
        raise BadRequest("otp_code_invalid", f"an OTP code has {OTP_MIN_DIGITS} to {OTP_MAX_DIGITS} digits")
    return digits


def otp_speech_text(code: str, language: str) -> str:
    """What an OTP call says: the code digit by digit, twice."""
    chosen = speech_language(language)
    words = _DIGIT_WORDS[chosen]
    separator = _LIST_SEPARATOR.get(chosen, ", ")
    spoken = separator.join(words[int(d)] for d in otp_code_digits(code))
    intro, repeat = _OTP_PHRASES[chosen]
    return f"{intro}: {spoken}. {repeat}: {spoken}."
