"""Amazon Polly as the cloud's text-to-speech engine (R-TTS-1): a `SpeechEngine` (jarchi.content.tts), picked
by `jarchi.wiring` outside the local stage.

MP3 output; the voice and engine (standard / neural) come from `polly_voice_for`, which refuses languages
Polly cannot speak (Persian, Ukrainian) with `tts_language_unsupported`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from jarchi.content.audio import AudioFormat
from jarchi.content.tts import Speech, SpeechLanguage, SpeechSynthesisError, polly_voice_for

if TYPE_CHECKING:
    from mypy_boto3_polly.client import PollyClient


class PollyEngine:
    engine_name = "polly"

    def __init__(self, client: PollyClient | None = None, region: str | None = None) -> None:
        self._given = client
        self._region = region

    @property
    def _client(self) -> PollyClient:
        """The client it was given, else one made on first use (the wiring creates no client)."""
        if self._given is None:
            self._given = boto3.client("polly", region_name=self._region)
        return self._given

    def synthesize(self, text: str, language: SpeechLanguage) -> Speech:
        voice = polly_voice_for(language.value)
        request: Any = {
            "Text": text,
            "OutputFormat": "mp3",
            "VoiceId": voice.voice_id,
            "LanguageCode": voice.language_code,
            "Engine": voice.engine,
        }
        try:
            response = self._client.synthesize_speech(**request)
            audio = response["AudioStream"].read()
        except (ClientError, BotoCoreError) as error:
            raise SpeechSynthesisError(f"Amazon Polly failed: {error}") from error
        if not audio:
            raise SpeechSynthesisError("Amazon Polly returned no audio")
        return Speech(audio, AudioFormat.MP3, self.engine_name)
