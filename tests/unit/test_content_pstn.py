"""Audio for the telephone network (R-AUD-1, R-DSP-4): Chime SDK PSTN audio plays only 8 kHz mono 16-bit WAV,
so a deployment that calls through Chime keeps such a copy of every approved audio and the call plays it."""

from __future__ import annotations

import io
from collections.abc import Iterator

import numpy as np
import pytest
import soundfile as sf

from jarchi.accounts.models import AccountType, Caller
from jarchi.accounts.service import NewAccount, create_account, seed_account
from jarchi.clock import LocalClock
from jarchi.content import audio_service
from jarchi.content.audio_service import NewAudio
from jarchi.content.pstn import PSTN_RATE, pstn_key, to_pstn_wav
from jarchi.errors import Unprocessable
from jarchi.settings import reset_settings
from tests.fakes import Fakes
from tests.fixtures.audio import adts_aac, adts_frames_for, encoded


def _stereo(seconds: float, rate: int, *frequencies: float) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    wave = sum(0.2 * np.sin(2 * np.pi * f * t) for f in frequencies)
    return np.stack([wave, wave], axis=1).astype("float32")


def _encode(samples: np.ndarray, rate: int, container: str, subtype: str) -> bytes:
    out = io.BytesIO()
    sf.write(out, samples, rate, format=container, subtype=subtype)
    return out.getvalue()


def _spectrum_peak(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples))
    return float(np.fft.rfftfreq(len(samples), 1 / rate)[int(np.argmax(spectrum))])


@pytest.mark.parametrize("fmt", ["wav", "flac", "ogg", "opus", "mp3"])
def test_r_aud_1_every_readable_format_becomes_8_khz_mono_16_bit_wav_of_the_same_length(fmt: str) -> None:
    wav = to_pstn_wav(encoded(fmt, 3.0))
    info = sf.info(io.BytesIO(wav))
    assert (info.format, info.subtype, info.samplerate, info.channels) == ("WAV", "PCM_16", PSTN_RATE, 1)
    assert info.duration == pytest.approx(3.0, abs=0.1)


def test_a_44_1_khz_stereo_tone_keeps_its_pitch_and_what_the_phone_cannot_carry_is_filtered_out() -> None:
    source = _encode(_stereo(2.0, 44_100, 1000.0, 6000.0), 44_100, "WAV", "PCM_16")
    samples, rate = sf.read(io.BytesIO(to_pstn_wav(source)))
    assert rate == PSTN_RATE and samples.ndim == 1
    assert _spectrum_peak(samples, rate) == pytest.approx(1000.0, abs=5)  # no shift in pitch
    # 6 kHz is above the new Nyquist (4 kHz): unfiltered it would fold back to 2 kHz at full strength
    spectrum = np.abs(np.fft.rfft(samples))
    frequencies = np.fft.rfftfreq(len(samples), 1 / rate)
    folded = spectrum[np.abs(frequencies - 2000) < 20].max()
    assert folded < 0.05 * spectrum[np.abs(frequencies - 1000) < 20].max()


def test_an_aac_upload_cannot_be_converted_and_says_so() -> None:
    with pytest.raises(Unprocessable) as refused:
        to_pstn_wav(adts_aac(adts_frames_for(3.0)))
    assert refused.value.code == "audio_not_playable_by_phone"


def test_the_telephone_copy_sits_beside_the_original() -> None:
    assert pstn_key("audio/acc-1/aud-1.mp3") == "audio/acc-1/aud-1.pstn.wav"
    assert pstn_key("audio/acc-1/aud-1") == "audio/acc-1/aud-1.pstn.wav"


# --- when it is made -------------------------------------------------------------------------------------


@pytest.fixture
def fakes(clock: LocalClock) -> Iterator[Fakes]:
    with Fakes().installed() as installed:
        yield installed


@pytest.fixture
def connector(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Iterator[str]:
    monkeypatch.setenv("JARCHI_CONNECTOR", request.param)
    reset_settings()
    yield request.param
    monkeypatch.undo()
    reset_settings()


def _upload(fakes: Fakes, data: bytes) -> tuple[Caller, str, str]:
    admin = Caller(account=seed_account(NewAccount(name="admin", type=AccountType.ADMIN)), token_id="tok_seed")
    shop = Caller(account=create_account(admin, NewAccount(name="Shop", type=AccountType.CUSTOMER)), token_id="t")
    record = audio_service.create_audio(shop, NewAudio(title="Hello", data=data))
    return admin, record.id, record.key


@pytest.mark.parametrize("connector", ["chime", "aws"], indirect=True)
def test_r_dsp_4_approving_an_audio_in_a_chime_deployment_stores_its_telephone_copy(
    fakes: Fakes, connector: str
) -> None:
    admin, audio_id, key = _upload(fakes, encoded("mp3", 3.0))
    assert fakes.media.get_audio(pstn_key(key)) is None  # not for audio that may be rejected
    audio_service.moderate_audio(admin, audio_id, "approve", None)
    copy = fakes.media.get_audio(pstn_key(key))
    assert copy is not None and sf.info(io.BytesIO(copy)).samplerate == PSTN_RATE


@pytest.mark.parametrize("connector", ["chime"], indirect=True)
def test_an_audio_a_phone_cannot_play_is_not_approved_in_a_chime_deployment(fakes: Fakes, connector: str) -> None:
    admin, audio_id, _ = _upload(fakes, adts_aac(adts_frames_for(3.0)))
    with pytest.raises(Unprocessable, match="telephone"):
        audio_service.moderate_audio(admin, audio_id, "approve", None)
    assert fakes.audio.get(audio_id).status.value == "pending"  # type: ignore[union-attr]


@pytest.mark.parametrize("connector", ["simulator", "end_user_messaging", "https"], indirect=True)
def test_other_deployments_make_no_copy(fakes: Fakes, connector: str) -> None:
    admin, audio_id, key = _upload(fakes, adts_aac(adts_frames_for(3.0)))
    audio_service.moderate_audio(admin, audio_id, "approve", None)
    assert fakes.media.get_audio(pstn_key(key)) is None
