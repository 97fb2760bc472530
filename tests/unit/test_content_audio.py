"""R-AUD-1 / R-AUD-2: audio formats, limits and duration measured from the file."""

from __future__ import annotations

import struct
from functools import cache

import pytest

from jarchi.content.audio import (
    MAX_AUDIO_BYTES,
    AudioFormat,
    AudioStatus,
    detect_format,
    measure_audio,
    probe_audio,
    pulses_for,
)
from jarchi.errors import BadRequest, PayloadTooLarge
from tests.fixtures.audio import adts_aac, adts_frames_for, encoded

SOUNDFILE_FORMATS = ["wav", "flac", "ogg", "opus", "mp3"]
EXPECTED_FORMAT = {
    "wav": AudioFormat.WAV,
    "flac": AudioFormat.FLAC,
    "ogg": AudioFormat.OGG,
    "opus": AudioFormat.OPUS,
    "mp3": AudioFormat.MP3,
}


@cache
def audio(fmt: str, seconds: float) -> bytes:
    return encoded(fmt, seconds)


@pytest.mark.parametrize("fmt", SOUNDFILE_FORMATS)
def test_r_aud_1_three_seconds_is_accepted(fmt: str) -> None:
    info = probe_audio(audio(fmt, 3.0))
    assert info.format is EXPECTED_FORMAT[fmt]
    assert info.duration_seconds == 3.0
    assert info.pulses == 1


@pytest.mark.parametrize("fmt", SOUNDFILE_FORMATS)
def test_r_aud_1_under_three_seconds_is_too_short(fmt: str) -> None:
    with pytest.raises(BadRequest) as caught:
        probe_audio(audio(fmt, 2.9))
    assert caught.value.code == "audio_too_short"
    assert caught.value.details["duration_seconds"] == 2.9


@pytest.mark.parametrize("fmt", SOUNDFILE_FORMATS)
def test_r_aud_2_thirty_one_seconds_is_two_pulses(fmt: str) -> None:
    info = probe_audio(audio(fmt, 31.0))
    assert info.duration_seconds == 31.0
    assert info.pulses == 2


@pytest.mark.parametrize("fmt", ["wav", "flac"])
def test_r_aud_2_thirty_seconds_is_one_pulse(fmt: str) -> None:
    assert probe_audio(audio(fmt, 30.0)).pulses == 1


def test_r_aud_1_aac_adts_is_measured() -> None:
    info = probe_audio(adts_aac(adts_frames_for(31.0)))  # 484 frames: 30.976 s
    assert info.format is AudioFormat.AAC
    assert info.pulses == 2
    assert info.sample_rate == 16_000
    assert probe_audio(adts_aac(47)).duration_seconds == pytest.approx(3.008, abs=0.002)


def test_r_aud_1_aac_under_three_seconds_is_too_short() -> None:
    with pytest.raises(BadRequest) as caught:
        probe_audio(adts_aac(46))  # 2.944 s
    assert caught.value.code == "audio_too_short"


def test_r_aud_1_aac_with_id3_tag_is_recognised() -> None:
    tag = b"ID3\x04\x00\x00\x00\x00\x00\x0a" + b"\x00" * 10  # empty ID3v2.4 tag of 10 bytes
    assert detect_format(tag + adts_aac(3)) is AudioFormat.AAC


@pytest.mark.parametrize(
    ("duration_ms", "pulses"),
    [(1, 1), (3_000, 1), (29_999, 1), (30_000, 1), (30_001, 2), (31_000, 2), (60_000, 2), (60_001, 3)],
)
def test_r_aud_2_pulses_are_started_thirty_second_units(duration_ms: int, pulses: int) -> None:
    assert pulses_for(duration_ms) == pulses


def wav_header_claiming(seconds: float, data: bytes, rate: int = 8_000) -> bytes:
    size = round(seconds * rate) * 2
    header = b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVE"
    fmt = b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16)
    return header + fmt + b"data" + struct.pack("<I", size) + data


def test_r_aud_2_float_noise_does_not_buy_a_pulse() -> None:
    # a 30.0 s WAV whose data chunk holds one extra sample (30.000125 s) is still 1 pulse
    data = b"\x00\x00" * (30 * 8_000 + 1)
    info = probe_audio(wav_header_claiming(30.000125, data))
    assert info.duration_ms == 30_000
    assert info.pulses == 1


def test_r_aud_1_size_is_checked_before_parsing() -> None:
    with pytest.raises(PayloadTooLarge) as caught:
        probe_audio(b"\x00" * (MAX_AUDIO_BYTES + 1))  # not audio at all, but too large first
    assert caught.value.code == "audio_too_large"
    assert caught.value.status == 413


def test_r_aud_1_exactly_5_mb_is_not_too_large() -> None:
    padded = audio("wav", 3.0) + b"\x00" * (MAX_AUDIO_BYTES - len(audio("wav", 3.0)))
    assert len(padded) == MAX_AUDIO_BYTES
    assert probe_audio(padded).format is AudioFormat.WAV


@pytest.mark.parametrize(
    "data",
    [b"", b"hello, this is text", b"%PDF-1.7 ...", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, b"OggS" + b"\x00" * 60],
)
def test_r_aud_1_unknown_content_is_unsupported(data: bytes) -> None:
    with pytest.raises(BadRequest) as caught:
        probe_audio(data)
    assert caught.value.code == "audio_format_unsupported"


@pytest.mark.parametrize("fmt", SOUNDFILE_FORMATS)
def test_r_aud_1_header_only_fragment_is_unreadable(fmt: str) -> None:
    with pytest.raises(BadRequest) as caught:
        probe_audio(audio(fmt, 10.0)[:60])
    assert caught.value.code == "audio_unreadable"


@pytest.mark.parametrize("fmt", ["wav", "mp3"])
def test_r_aud_1_truncated_file_is_unreadable(fmt: str) -> None:
    whole = audio(fmt, 10.0)
    with pytest.raises(BadRequest) as caught:
        probe_audio(whole[: len(whole) // 2])
    assert caught.value.code == "audio_unreadable"


def test_r_aud_1_corrupt_aac_is_unreadable() -> None:
    with pytest.raises(BadRequest) as caught:
        probe_audio(adts_aac(1)[:7] + b"\xff\xf1" + b"\x00" * 5)
    assert caught.value.code == "audio_unreadable"


def test_r_aud_1_ogg_truncated_is_measured_by_what_is_there() -> None:
    whole = audio("opus", 10.0)
    info = measure_audio(whole[: len(whole) // 2])
    assert 0 < info.duration_seconds < 10.0


def test_r_aud_3_audio_status_values() -> None:
    assert AudioStatus("pending") is AudioStatus.PENDING
    assert not AudioStatus.PENDING.is_usable
