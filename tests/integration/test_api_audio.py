"""Audio messages over the API: upload, measure, moderate, delete, text-to-speech (R-AUD-1..3, R-TTS-1)."""

from __future__ import annotations

import base64
import io
from typing import Any

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber

from jarchi.connectors.polly import PollyEngine
from jarchi.content.tts import SpeechLanguage, SpeechSynthesisError
from jarchi.settings import Settings
from tests.api import Api, assert_error
from tests.fixtures.audio import adts_aac, adts_frames_for, encoded

FORMATS = ["wav", "flac", "ogg", "opus", "mp3", "aac"]


def audio_bytes(fmt: str, seconds: float) -> bytes:
    return adts_aac(adts_frames_for(seconds)) if fmt == "aac" else encoded(fmt, seconds)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def upload(api: Api, data: bytes, title: str = "Greeting") -> Any:
    return api.post("/v1/audio", {"title": title, "content_base64": b64(data)})


def customer(admin: Api, name: str = "Shop", **extra: Any) -> tuple[dict[str, Any], Api]:
    account = admin.new_account(name, **extra)
    return account, admin.as_(admin.new_token(account["id"]))


def s3_keys(settings: Settings, bucket: str) -> list[str]:
    listed = boto3.client("s3").list_objects_v2(Bucket=settings.bucket_name(bucket))
    return [o["Key"] for o in listed.get("Contents", [])]


def audio_items(settings: Settings) -> list[dict[str, Any]]:
    return boto3.client("dynamodb").scan(TableName=settings.table_name("audio"))["Items"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_r_aud_1_every_format_is_measured_and_short_audio_refused(admin: Api, aws: Settings, fmt: str) -> None:
    account, shop = customer(admin)

    assert_error(upload(shop, audio_bytes(fmt, 2.9)), 400, "audio_too_short")

    exact = upload(shop, audio_bytes(fmt, 3.0))
    assert exact.status == 201, exact.body
    body = exact.json()
    assert body["format"] == fmt and body["pulses"] == 1 and body["status"] == "pending"
    assert body["duration_seconds"] == pytest.approx(3.0, abs=0.1) and body["source"] == "upload"

    long = upload(shop, audio_bytes(fmt, 31.0)).json()
    assert long["pulses"] == 2 and long["duration_seconds"] > 30  # R-AUD-2: started pulses count

    keys = s3_keys(aws, "media")
    assert f"audio/{account['id']}/{body['id']}.{fmt}" in keys and len(keys) == 2
    assert len(audio_items(aws)) == 2


def test_r_aud_1_corrupt_unknown_oversize_and_bad_base64_are_refused(admin: Api, aws: Settings) -> None:
    _, shop = customer(admin)
    wav = encoded("wav", 4.0)
    assert_error(upload(shop, wav[: len(wav) // 2]), 400, "audio_unreadable")
    assert_error(upload(shop, b"%PDF-1.4 not audio at all" * 10), 400, "audio_format_unsupported")
    assert_error(upload(shop, b"RIFF" + bytes(5 * 1024 * 1024)), 413, "audio_too_large")
    assert_error(upload(shop, b"RIFF" + bytes(6 * 1024 * 1024)), 413, "payload_too_large")  # refused unread
    assert_error(shop.post("/v1/audio", {"title": "x", "content_base64": "not base64!"}), 400, "invalid_base64")
    assert_error(shop.post("/v1/audio", {"title": "x"}), 422, "audio_content_required")
    both = {"title": "x", "content_base64": b64(wav), "tts_text": "hello"}
    assert_error(shop.post("/v1/audio", both), 422, "audio_content_required")
    assert audio_items(aws) == [] and s3_keys(aws, "media") == []


def test_r_aud_3_moderation_by_admin_with_tenant_isolation(admin: Api) -> None:
    _, as_reseller = customer(admin, "Reseller", type_="reseller_1")
    shop = as_reseller.new_account("Bakery")
    as_shop = admin.as_(as_reseller.new_token(shop["id"]))
    _, stranger = customer(admin, "Stranger")
    audio = upload(as_shop, encoded("wav", 5.0)).json()
    path = f"/v1/audio/{audio['id']}"

    # another tenant: 404 for reading, moderating and deleting, like a missing id
    assert_error(stranger.get(path), 404, "audio_not_found")
    assert_error(stranger.post(f"{path}/moderation", {"decision": "approve"}), 404, "audio_not_found")
    assert_error(stranger.delete(path), 404, "audio_not_found")
    # the reseller sees its customer's audio but may not approve it; nor may the owner
    assert as_reseller.get(path).json()["status"] == "pending"
    assert_error(as_reseller.post(f"{path}/moderation", {"decision": "approve"}), 403, "admin_only")
    assert_error(as_shop.post(f"{path}/moderation", {"decision": "approve"}), 403, "admin_only")

    assert_error(admin.post(f"{path}/moderation", {"decision": "reject"}), 400, "moderation_reason_required")
    asked = admin.post(f"{path}/moderation", {"decision": "clarify", "reason": "who is speaking?"}).json()
    assert asked["status"] == "clarification_requested" and asked["reason"] == "who is speaking?"
    approved = admin.post(f"{path}/moderation", {"decision": "approve"}).json()
    assert approved["status"] == "approved" and approved["reason"] is None and approved["moderated_at"]
    assert_error(
        admin.post(f"{path}/moderation", {"decision": "reject", "reason": "x"}), 409, "moderation_already_decided"
    )
    assert as_shop.get(path).json()["status"] == "approved"


def test_r_aud_3_list_newest_first_and_paginated(admin: Api, aws: Settings) -> None:
    _, shop = customer(admin)
    _, other = customer(admin, "Other")
    ids = [upload(shop, encoded("wav", 3.5), title=f"t{i}").json()["id"] for i in range(3)]
    upload(other, encoded("wav", 3.5))
    first = shop.get("/v1/audio", limit=2).json()
    assert [a["id"] for a in first["items"]] == [ids[2], ids[1]] and first["next_cursor"]
    rest = shop.get("/v1/audio", limit=2, cursor=first["next_cursor"]).json()
    assert [a["id"] for a in rest["items"]] == [ids[0]]


def test_r_aud_3_unused_audio_is_deleted_used_audio_is_kept(admin: Api, aws: Settings) -> None:
    from jarchi.content.audio_service import mark_audio_used

    account, shop = customer(admin)
    unused = upload(shop, encoded("wav", 4.0)).json()
    used = upload(shop, encoded("mp3", 4.0)).json()
    mark_audio_used(used["id"])

    assert shop.delete(f"/v1/audio/{unused['id']}").status == 204
    assert_error(shop.get(f"/v1/audio/{unused['id']}"), 404, "audio_not_found")
    assert_error(shop.delete(f"/v1/audio/{unused['id']}"), 404, "audio_not_found")
    assert_error(shop.delete(f"/v1/audio/{used['id']}"), 409, "audio_in_use")
    assert shop.get(f"/v1/audio/{used['id']}").json()["in_use"] is True
    assert s3_keys(aws, "media") == [f"audio/{account['id']}/{used['id']}.mp3"]


def test_r_aud_3_campaigns_get_only_approved_audio_of_their_account(admin: Api) -> None:
    from jarchi.content.audio_service import get_usable_audio
    from jarchi.errors import NotFound, Unprocessable

    account, shop = customer(admin)
    other, _ = customer(admin, "Other")
    audio = upload(shop, encoded("wav", 4.0)).json()
    with pytest.raises(Unprocessable) as refused:
        get_usable_audio(account["id"], audio["id"])
    assert refused.value.code == "audio_not_approved"
    with pytest.raises(NotFound):
        get_usable_audio(other["id"], audio["id"])
    admin.post(f"/v1/audio/{audio['id']}/moderation", {"decision": "approve"})
    assert get_usable_audio(account["id"], audio["id"]).pulses == 1


def test_r_tts_1_text_to_speech_is_measured_stored_and_moderated(admin: Api, aws: Settings) -> None:
    account, shop = customer(admin)  # region IR: Persian by default
    response = shop.post("/v1/audio", {"title": "Persian", "tts_text": "سلام، این یک پیام آزمایشی است."})
    assert response.status == 201, response.body
    spoken = response.json()
    assert spoken["source"] == "tts" and spoken["language"] == "fa" and spoken["status"] == "pending"
    assert spoken["duration_seconds"] > 0 and spoken["pulses"] >= 1 and spoken["format"] == "wav"
    assert f"audio/{account['id']}/{spoken['id']}.wav" in s3_keys(aws, "media")

    english = shop.post("/v1/audio", {"title": "English", "tts_text": "Hello there", "language": "en"}).json()
    assert english["language"] == "en"
    assert_error(
        shop.post("/v1/audio", {"title": "x", "tts_text": "hi", "language": "klingon"}), 400, "tts_language_unsupported"
    )
    assert_error(shop.post("/v1/audio", {"title": "x", "tts_text": "   "}), 400, "tts_text_empty")


def _polly_stream(data: bytes) -> StreamingBody:
    return StreamingBody(io.BytesIO(data), len(data))


def test_r_tts_1_polly_adapter_asks_for_mp3_with_the_language_voice() -> None:
    client = boto3.client("polly", region_name="eu-central-1")
    mp3 = encoded("mp3", 3.0)
    with Stubber(client) as stub:
        stub.add_response(
            "synthesize_speech",
            {"AudioStream": _polly_stream(mp3), "ContentType": "audio/mpeg", "RequestCharacters": 5},
            {
                "Text": "Privet",
                "OutputFormat": "mp3",
                "VoiceId": "Tatyana",
                "LanguageCode": "ru-RU",
                "Engine": "standard",
            },
        )
        speech = PollyEngine(client).synthesize("Privet", SpeechLanguage.RUSSIAN)
        stub.assert_no_pending_responses()
    assert speech.audio == mp3 and speech.format.value == "mp3" and speech.engine_name == "polly"

    with Stubber(client) as stub:
        stub.add_client_error("synthesize_speech", "ServiceFailureException", http_status_code=500)
        with pytest.raises(SpeechSynthesisError):
            PollyEngine(client).synthesize("Hello", SpeechLanguage.ENGLISH)


def test_r_tts_1_polly_has_no_persian_voice() -> None:
    from jarchi.errors import Unprocessable

    client = boto3.client("polly", region_name="eu-central-1")
    with Stubber(client), pytest.raises(Unprocessable) as refused:
        PollyEngine(client).synthesize("سلام", SpeechLanguage.PERSIAN)
    assert refused.value.code == "tts_language_unsupported"
