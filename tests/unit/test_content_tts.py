"""R-TTS-1 text-to-speech: engines, Polly voice choice, OTP reading."""

from __future__ import annotations

import shutil

import pytest

from jarchi.content.audio import AudioFormat
from jarchi.content.tts import (
    EspeakEngine,
    SpeechLanguage,
    ToneEngine,
    local_speech_engine,
    otp_speech_text,
    polly_voice_for,
    speak,
    speech_language,
)
from jarchi.errors import BadRequest, Unprocessable

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")


@needs_espeak
@pytest.mark.parametrize(
    ("language", "text"),
    [("fa", "سلام، سفارش شما آماده است"), ("ru", "Здравствуйте, ваш заказ готов"), ("en", "Your order is ready")],
)
def test_r_tts_1_espeak_speaks_and_is_measured_like_an_upload(language: str, text: str) -> None:
    speech, info = speak(EspeakEngine(), text, language)
    assert speech.engine_name == "espeak-ng"
    assert info.format is AudioFormat.WAV
    assert 0.5 < info.duration_seconds < 10
    assert info.pulses == 1


@needs_espeak
def test_r_tts_1_local_engine_is_espeak_when_installed() -> None:
    assert local_speech_engine().engine_name == "espeak-ng"


def test_r_tts_1_falls_back_to_a_tone_without_espeak(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(shutil, "which", lambda _name: None)
    engine = local_speech_engine()
    assert engine.engine_name == "tone"
    assert "espeak-ng is not installed" in caplog.text


@pytest.mark.parametrize(("chars", "seconds", "pulses"), [(10, 3.0, 1), (100, 7.0, 1), (500, 35.0, 2)])
def test_r_tts_1_tone_lasts_as_long_as_speech_would(chars: int, seconds: float, pulses: int) -> None:
    speech, info = speak(ToneEngine(), "ب" * chars, "fa")
    assert speech.engine_name == "tone"
    assert info.duration_seconds == seconds
    assert info.pulses == pulses


def test_r_tts_1_text_limits() -> None:
    with pytest.raises(BadRequest) as empty:
        speak(ToneEngine(), "   ", "en")
    assert empty.value.code == "tts_text_empty"
    with pytest.raises(BadRequest) as long:
        speak(ToneEngine(), "a" * 1_501, "en")
    assert long.value.code == "tts_text_too_long"


@pytest.mark.parametrize(("given", "language"), [("fa", "fa"), ("fa-IR", "fa"), ("RU", "ru"), ("en_US", "en")])
def test_r_tts_1_language_tags(given: str, language: str) -> None:
    assert speech_language(given) is SpeechLanguage(language)


def test_r_tts_1_unknown_language_is_refused() -> None:
    with pytest.raises(BadRequest) as caught:
        speech_language("de")
    assert caught.value.code == "tts_language_unsupported"


def test_r_tts_1_polly_voices() -> None:
    assert polly_voice_for("ru").voice_id == "Tatyana"
    assert polly_voice_for("en-US").voice_id == "Joanna"
    assert polly_voice_for("en").engine == "neural"


@pytest.mark.parametrize("language", ["fa", "uk"])
def test_r_tts_1_polly_has_no_persian_or_ukrainian_voice(language: str) -> None:
    with pytest.raises(Unprocessable) as caught:
        polly_voice_for(language)
    assert caught.value.code == "tts_language_unsupported"


def test_r_tts_1_otp_is_read_digit_by_digit_twice() -> None:
    assert otp_speech_text("1234", "en") == ("Your code is: one, two, three, four. I repeat: one, two, three, four.")
    assert otp_speech_text("905", "ru") == "Ваш код: девять, ноль, пять. Повторяю: девять, ноль, пять."
    persian = otp_speech_text("۴۸۲۰", "fa")
    assert persian == "کد شما: چهار، هشت، دو، صفر. تکرار می‌کنم: چهار، هشت، دو، صفر."


@pytest.mark.parametrize("code", ["12", "12345678901", "12a4", "", "  "])
def test_r_tts_1_otp_code_must_be_3_to_10_digits(code: str) -> None:
    with pytest.raises(BadRequest) as caught:
        otp_speech_text(code, "en")
    assert caught.value.code == "otp_code_invalid"


def test_r_tts_1_otp_code_accepts_spaces_and_dashes() -> None:
    assert otp_speech_text("12-34", "en").count("one, two, three, four") == 2
