"""Audio for the telephone network: Chime SDK PSTN audio plays only WAV, 16-bit PCM, 8 kHz, mono, from S3
(R-DSP-4, R-AUD-1). An approved audio of a deployment that calls through Chime gets a copy in that form beside
its original (`pstn_key`), made once when it becomes usable; the call script plays the copy.

Decoding is libsndfile's (soundfile): WAV, FLAC, OGG Vorbis/Opus and MP3. AAC is not among them, so an AAC
upload cannot be approved for such a deployment (`audio_not_playable_by_phone`: ask for another format).
Resampling is a windowed-sinc low-pass below the new Nyquist frequency, then linear interpolation: the
telephone band (300–3,400 Hz) passes, nothing above 4 kHz folds back into it.
"""

from __future__ import annotations

import io
from typing import Final

from jarchi.errors import Unprocessable

PSTN_RATE: Final = 8000
PSTN_SUFFIX: Final = ".pstn.wav"
# The connectors that play audio files through Chime SDK PSTN audio (`jarchi.connectors.registry` names).
PSTN_CONNECTORS: Final = frozenset({"chime", "aws"})
_TAPS: Final = 101
_CUTOFF_HZ: Final = 3600.0


def pstn_key(audio_key: str) -> str:
    """Where the telephone copy of the audio at `audio_key` is kept (same folder, its own suffix)."""
    stem = audio_key.rsplit(".", 1)[0] if "." in audio_key.rsplit("/", 1)[-1] else audio_key
    return f"{stem}{PSTN_SUFFIX}"


def to_pstn_wav(data: bytes) -> bytes:
    """`data` (any format libsndfile reads) as WAV, 16-bit PCM, 8 kHz, mono."""
    import numpy as np
    import soundfile as sf

    try:
        samples, rate = sf.read(io.BytesIO(data), dtype="float64", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, TypeError) as error:
        raise Unprocessable(
            "audio_not_playable_by_phone",
            "this audio cannot be converted for the telephone network (WAV, FLAC, OGG or MP3 can)",
            reason=str(error),
        ) from None
    mono = samples.mean(axis=1)
    if rate != PSTN_RATE and len(mono):
        if rate > PSTN_RATE:
            centre = np.arange(_TAPS) - (_TAPS - 1) / 2
            taps = np.sinc(2 * _CUTOFF_HZ / rate * centre) * np.hamming(_TAPS)
            mono = np.convolve(mono, taps / taps.sum(), mode="same")
        count = max(1, round(len(mono) * PSTN_RATE / rate))
        mono = np.interp(np.arange(count) * (rate / PSTN_RATE), np.arange(len(mono)), mono)
    out = io.BytesIO()
    sf.write(out, np.clip(mono, -1.0, 1.0), PSTN_RATE, format="WAV", subtype="PCM_16")
    return out.getvalue()
