"""Audio messages: upload or text-to-speech, moderation, deletion (R-AUD-1..3, R-TTS-1)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from functions.api.auth import current_caller
from functions.api.schemas.audio import AudioCreate, AudioOut, AudioPage, ModerationBody, decode_base64
from jarchi.content import audio_service
from jarchi.content.audio_service import NewAudio

router = Router()
Limit = Annotated[int, Query(ge=1, le=200)]


@router.post("/audio", status_code=201, tags=["audio"], summary="Upload audio or generate it from text")
def create_audio(body: AudioCreate) -> AudioOut:
    data = decode_base64(body.content_base64, "content_base64") if body.content_base64 is not None else None
    request = NewAudio(body.title, data=data, tts_text=body.tts_text, language=body.language)
    return AudioOut.of(audio_service.create_audio(current_caller(), request))


@router.get("/audio", tags=["audio"], summary="The caller's audio, newest first")
def list_audio(account_id: str | None = None, limit: Limit = 50, cursor: str | None = None) -> AudioPage:
    items, next_cursor = audio_service.list_audio(current_caller(), account_id, limit, cursor)
    return AudioPage(items=[AudioOut.of(a) for a in items], next_cursor=next_cursor)


@router.get("/audio/<audio_id>", tags=["audio"], summary="One audio")
def get_audio(audio_id: str) -> AudioOut:
    audio = audio_service.get_audio(current_caller(), audio_id)
    return AudioOut.of(audio, url=audio_service.listen_url(audio.key))


@router.delete("/audio/<audio_id>", status_code=204, tags=["audio"], summary="Delete audio no campaign uses")
def delete_audio(audio_id: str) -> None:
    audio_service.delete_audio(current_caller(), audio_id)


@router.post("/audio/<audio_id>/moderation", tags=["audio"], summary="Approve, reject or ask (admin)")
def moderate_audio(audio_id: str, body: ModerationBody) -> AudioOut:
    return AudioOut.of(audio_service.moderate_audio(current_caller(), audio_id, body.decision, body.reason))
