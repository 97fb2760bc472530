"""Estimates over the API: a campaign body checked and priced, nothing reserved (R-BIL-2, R-SMS-1..4, R-ACC-4)."""

from __future__ import annotations

import base64
from typing import Any

from tests.api import Api, assert_error
from tests.fixtures.audio import encoded

PADDING = "x" * 140  # with "Hi " and ", " a short name stays within 160 GSM-7 characters


def customer(admin: Api, name: str = "Shop", type_: str = "customer") -> tuple[dict[str, Any], Api]:
    account = admin.new_account(name, type_)
    return account, admin.as_(admin.new_token(account["id"]))


def approved_sender(admin: Api, api: Api, name: str = "Bakery") -> str:
    sender = api.post("/v1/senders", {"name": name}).json()
    admin.post(f"/v1/senders/{sender['id']}/moderation", {"decision": "approve"})
    return name


def approved_audio(admin: Api, api: Api, seconds: float) -> str:
    data = base64.b64encode(encoded("wav", seconds)).decode()
    audio = api.post("/v1/audio", {"title": "msg", "content_base64": data}).json()
    admin.post(f"/v1/audio/{audio['id']}/moderation", {"decision": "approve"})
    return str(audio["id"])


def sms(**fields: Any) -> dict[str, Any]:
    return {"name": "Promo", "channel": "sms", "category": "advertising", **fields}


def voice(**fields: Any) -> dict[str, Any]:
    return {"name": "Call", "channel": "voice", "category": "advertising", **fields}


def test_r_sms_4_segments_are_counted_per_recipient_after_personalisation(admin: Api) -> None:
    _, shop = customer(admin)
    sender = approved_sender(admin, shop)
    rows = ["09121234567,Ali", "09121234568,Sara", f"09121234569,{'Maximilian-Alexander' * 2}"]
    data = base64.b64encode(("phone,name\n" + "\n".join(rows)).encode()).decode()
    contact_list = shop.post("/v1/contact-lists", {"name": "L", "file": {"name": "l.csv", "content_base64": data}})
    body = sms(sms_text=f"Hi #name#, {PADDING}", sender=sender, contact_list_id=contact_list.json()["id"])

    estimate = shop.post("/v1/estimates", body)
    assert estimate.status == 200, estimate.body
    # 1 + 1 + 2 segments at the customer SMS tariff (1,200 rials per segment)
    assert estimate.json() == {
        "estimated": 4 * 1_200,
        "recipients": 3,
        "parts": 4,
        "per_unit": 1_200,
        "unit": "segment",
        "currency": "IRR",
        "message_seconds": None,
        "follow_ups": 0,
    }
    assert shop.get("/v1/credit").json()["reserved"] == 0  # nothing reserved

    # a Persian text is UCS-2: 70 characters per single part
    persian = sms(sms_text="سلام " * 15, sender=sender, recipients=["09121234567"])
    assert shop.post("/v1/estimates", persian).json()["parts"] == 2


def test_r_sms_4_placeholders_must_name_list_columns(admin: Api) -> None:
    _, shop = customer(admin)
    sender = approved_sender(admin, shop)
    inline = sms(sms_text="Hi #name#", sender=sender, recipients=["09121234567"])
    error = assert_error(shop.post("/v1/estimates", inline), 422, "unknown_placeholder")
    assert error["placeholder"] == "name"


def test_r_bil_2_voice_costs_pulses_times_recipients_times_tariff(admin: Api) -> None:
    _, shop = customer(admin)
    audio_id = approved_audio(admin, shop, 31.0)
    recipients = ["09121234567", "09121234568", "0912 123 4567"]  # a duplicate is dropped
    estimate = shop.post("/v1/estimates", voice(audio_id=audio_id, recipients=recipients)).json()
    assert (estimate["recipients"], estimate["parts"], estimate["estimated"]) == (2, 4, 4 * 1_000)
    assert estimate["unit"] == "pulse" and estimate["message_seconds"] == 31

    spoken = shop.post("/v1/estimates", voice(tts_text="Hello from the bakery", language="en", recipients=recipients))
    assert spoken.status == 200, spoken.body
    assert spoken.json()["parts"] >= 2 and spoken.json()["message_seconds"] > 0


def test_r_aud_3_unapproved_audio_cannot_be_estimated(admin: Api) -> None:
    _, shop = customer(admin)
    data = base64.b64encode(encoded("wav", 4.0)).decode()
    audio = shop.post("/v1/audio", {"title": "msg", "content_base64": data}).json()
    assert_error(
        shop.post("/v1/estimates", voice(audio_id=audio["id"], recipients=["09121234567"])), 422, "audio_not_approved"
    )
    _, other = customer(admin, "Other")
    assert_error(
        other.post("/v1/estimates", voice(audio_id=audio["id"], recipients=["09121234567"])), 404, "audio_not_found"
    )


def test_r_acc_4_demo_tariff_and_four_recipients_at_most(admin: Api) -> None:
    _, demo = customer(admin, "Trial", "demo")
    audio_id = approved_audio(admin, demo, 10.0)
    four = [f"0912123456{i}" for i in range(4)]
    estimate = demo.post("/v1/estimates", voice(audio_id=audio_id, recipients=four)).json()
    assert (estimate["per_unit"], estimate["estimated"]) == (1_350, 4 * 1_350)  # 135 toman per pulse
    error = assert_error(
        demo.post("/v1/estimates", voice(audio_id=audio_id, recipients=[*four, "09121234569"])),
        400,
        "too_many_recipients",
    )
    assert error["limit"] == 4


def test_r_sms_1_service_sms_content_rules_name_the_rule(admin: Api) -> None:
    _, shop = customer(admin)
    sender = approved_sender(admin, shop)
    to = ["09121234567"]
    link = sms(category="service", sms_text="Bakery: order at shop.ir", sender=sender, recipients=to)
    assert assert_error(shop.post("/v1/estimates", link), 400, "content_not_allowed")["rule"] == "no_links"
    anonymous = sms(category="service", sms_text="Your bread is ready", sender=sender, recipients=to)
    error = assert_error(shop.post("/v1/estimates", anonymous), 400, "content_not_allowed")
    assert error["rule"] == "sender_name_missing"
    fine = sms(category="service", sms_text="Bakery: your bread is ready", sender=sender, recipients=to)
    assert shop.post("/v1/estimates", fine).status == 200
    # advertising SMS is not subject to the service rules
    assert shop.post("/v1/estimates", sms(sms_text="Visit shop.ir", sender=sender, recipients=to)).status == 200


def test_r_sms_3_unregistered_or_unapproved_sender_is_refused(admin: Api) -> None:
    _, shop = customer(admin)
    to = ["09121234567"]
    assert_error(
        shop.post("/v1/estimates", sms(sms_text="Hi", sender="Nobody", recipients=to)), 422, "sender_not_registered"
    )
    shop.post("/v1/senders", {"name": "Pending"})
    assert_error(
        shop.post("/v1/estimates", sms(sms_text="Hi", sender="Pending", recipients=to)), 422, "sender_not_registered"
    )
    assert_error(shop.post("/v1/estimates", sms(sms_text="Hi", recipients=to)), 422, "sender_required")


def test_r_cmp_campaign_body_shape_recipients_and_windows_are_checked(admin: Api) -> None:
    _, shop = customer(admin)
    audio_id = approved_audio(admin, shop, 4.0)
    to = ["09121234567"]
    error = assert_error(
        shop.post("/v1/estimates", voice(audio_id=audio_id, recipients=["09121234567", "123", "abc"])),
        422,
        "invalid_recipients",
    )
    assert [x["position"] for x in error["invalid"]] == [2, 3]
    assert_error(shop.post("/v1/estimates", voice(audio_id=audio_id)), 422, "recipients_required")
    assert_error(shop.post("/v1/estimates", voice(recipients=to)), 422, "content_required")
    assert_error(
        shop.post("/v1/estimates", voice(audio_id=audio_id, sms_text="x", recipients=to)), 422, "content_required"
    )
    assert_error(
        shop.post("/v1/estimates", voice(audio_id=audio_id, recipients=to, speed_per_hour=0)), 422, "invalid_speed"
    )
    night = voice(audio_id=audio_id, recipients=to, windows=[{"start": "22:00", "end": "23:00"}])
    assert_error(shop.post("/v1/estimates", night), 422, "window_not_allowed")
    narrowed = voice(
        audio_id=audio_id, recipients=to, windows=[{"start": "10:00", "end": "12:00"}], days_of_week=[1, 2]
    )
    assert shop.post("/v1/estimates", narrowed).status == 200
    assert_error(
        shop.post("/v1/estimates", {**voice(audio_id=audio_id, recipients=to), "colour": 1}), 422, "validation_error"
    )
