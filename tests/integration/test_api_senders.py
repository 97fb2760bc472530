"""Sender names over the API: register, moderate, use only when approved (R-SMS-3)."""

from __future__ import annotations

from typing import Any

import pytest

from jarchi.errors import Unprocessable
from tests.api import Api, assert_error


def customer(admin: Api, name: str = "Shop", **extra: Any) -> tuple[dict[str, Any], Api]:
    account = admin.new_account(name, **extra)
    return account, admin.as_(admin.new_token(account["id"]))


def test_r_sms_3_register_list_and_duplicate_names(admin: Api) -> None:
    _, shop = customer(admin)
    _, other = customer(admin, "Other")
    created = shop.post("/v1/senders", {"name": "SMSClub"})
    assert created.status == 201, created.body
    sender = created.json()
    assert (sender["name"], sender["status"], sender["kind"]) == ("SMSClub", "pending", "alphanumeric")

    assert_error(shop.post("/v1/senders", {"name": "smsclub"}), 409, "sender_exists")
    assert other.post("/v1/senders", {"name": "SMSClub"}).status == 201  # unique per account only
    assert shop.post("/v1/senders", {"name": "+3000123"}).json()["kind"] == "numeric"
    assert_error(shop.post("/v1/senders", {"name": "TooLongSender1"}), 400, "sender_invalid")
    assert_error(shop.post("/v1/senders", {"name": "فروشگاه"}), 400, "sender_invalid")
    assert_error(shop.post("/v1/senders", {"name": "Shop A"}), 400, "sender_invalid")  # no spaces (R-SMS-3)

    names = [s["name"] for s in shop.get("/v1/senders").json()["items"]]
    assert names == ["3000123", "SMSClub"]
    assert_error(other.get(f"/v1/senders/{sender['id']}"), 404, "sender_not_found")


def test_r_sms_3_only_admin_approves_and_only_approved_senders_are_used(admin: Api) -> None:
    from jarchi.content.senders_service import require_approved_sender

    account, shop = customer(admin)
    _, stranger = customer(admin, "Stranger")
    sender = shop.post("/v1/senders", {"name": "Bakery"}).json()
    path = f"/v1/senders/{sender['id']}/moderation"

    with pytest.raises(Unprocessable) as pending:
        require_approved_sender(account["id"], "Bakery")
    assert pending.value.code == "sender_not_registered" and pending.value.details["moderation_status"] == "pending"
    with pytest.raises(Unprocessable) as unknown:
        require_approved_sender(account["id"], "Nobody")
    assert unknown.value.code == "sender_not_registered"

    assert_error(stranger.post(path, {"decision": "approve"}), 404, "sender_not_found")
    assert_error(shop.post(path, {"decision": "approve"}), 403, "admin_only")
    assert admin.post(path, {"decision": "approve"}).json()["status"] == "approved"
    assert require_approved_sender(account["id"], "bakery").id == sender["id"]  # any case

    rejected = shop.post("/v1/senders", {"name": "Promo"}).json()
    denied = admin.post(f"/v1/senders/{rejected['id']}/moderation", {"decision": "reject", "reason": "brand"}).json()
    assert (denied["status"], denied["reason"]) == ("rejected", "brand")
    with pytest.raises(Unprocessable):
        require_approved_sender(account["id"], "Promo")
