"""R-SMS-3 sender ids and the moderation shared with audio (R-AUD-3)."""

from __future__ import annotations

import pytest

from jarchi.content.moderation import ModerationStatus, moderate
from jarchi.content.senders import SenderKind, SenderStatus, validate_sender_id
from jarchi.errors import BadRequest, Conflict


@pytest.mark.parametrize(
    ("name", "value", "kind"),
    [
        ("AvaShop", "AvaShop", SenderKind.ALPHANUMERIC),
        ("SMSCLUB", "SMSCLUB", SenderKind.ALPHANUMERIC),  # the seed's "SMS CLUB" without its space
        ("A", "A", SenderKind.ALPHANUMERIC),
        ("Shop2026abc", "Shop2026abc", SenderKind.ALPHANUMERIC),  # 11
        ("  Ava  ", "Ava", SenderKind.ALPHANUMERIC),
        ("30001234", "30001234", SenderKind.NUMERIC),
        ("+989121234567", "989121234567", SenderKind.NUMERIC),
        ("123", "123", SenderKind.NUMERIC),
        ("123456789012345", "123456789012345", SenderKind.NUMERIC),
    ],
)
def test_r_sms_3_valid_senders(name: str, value: str, kind: SenderKind) -> None:
    sender = validate_sender_id(name)
    assert (sender.value, sender.kind) == (value, kind)


@pytest.mark.parametrize(
    "name",
    [
        "",
        "Shop2026abcd",  # 12
        "فروشگاه",  # not Latin
        "Ава",  # Cyrillic
        "Ava_Shop",
        "Ava  Shop",  # double space
        "SMS CLUB",  # letters and digits only: no space (R-SMS-3)
        "Shop\x00A",  # NUL
        "Ava-Shop",
        "12",  # numeric too short
        "1234567890123456",  # numeric too long
        "€uro",
    ],
)
def test_r_sms_3_invalid_senders(name: str) -> None:
    with pytest.raises(BadRequest) as caught:
        validate_sender_id(name)
    assert caught.value.code == "sender_invalid"


def test_r_sms_3_sender_status_is_the_moderation_status() -> None:
    assert SenderStatus.PENDING.value == "pending"
    assert {s.value for s in SenderStatus} >= {"pending", "approved", "rejected"}
    assert SenderStatus.APPROVED.is_usable and not SenderStatus.PENDING.is_usable


def test_r_aud_3_approve_from_pending() -> None:
    outcome = moderate(ModerationStatus.PENDING, "approve")
    assert outcome.status is ModerationStatus.APPROVED and outcome.reason is None


def test_r_aud_3_reject_needs_a_reason() -> None:
    with pytest.raises(BadRequest) as caught:
        moderate(ModerationStatus.PENDING, "reject", "  ")
    assert caught.value.code == "moderation_reason_required"
    outcome = moderate(ModerationStatus.PENDING, "reject", " advertising in a service message ")
    assert outcome == outcome.__class__(ModerationStatus.REJECTED, "advertising in a service message")


def test_r_aud_3_clarify_then_decide() -> None:
    asked = moderate(ModerationStatus.PENDING, "clarify", "who is the sender?")
    assert asked.status is ModerationStatus.CLARIFICATION_REQUESTED
    assert moderate(asked.status, "approve").status is ModerationStatus.APPROVED


@pytest.mark.parametrize("final", [ModerationStatus.APPROVED, ModerationStatus.REJECTED])
def test_r_aud_3_final_decisions_cannot_change(final: ModerationStatus) -> None:
    with pytest.raises(Conflict) as caught:
        moderate(final, "approve")
    assert caught.value.code == "moderation_already_decided"


def test_r_aud_3_unknown_decision() -> None:
    with pytest.raises(BadRequest) as caught:
        moderate(ModerationStatus.PENDING, "maybe")
    assert caught.value.code == "moderation_decision_invalid"
