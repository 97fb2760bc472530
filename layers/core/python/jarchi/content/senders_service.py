"""Sender names registered per account and moderated by the operator (R-SMS-3).

A name is unique per account regardless of case (`SMS Club` and `sms club` are one sender). Moderation is
the platform admin's, like audio (see jarchi.content.audio_service). Only an approved sender can be used:
an unknown or unapproved name is `sender_not_registered` (422, with the status when it exists)."""

from __future__ import annotations

from jarchi import clock
from jarchi.accounts import access
from jarchi.accounts.models import Caller
from jarchi.content.audio_service import decide
from jarchi.content.moderation import ModerationStatus
from jarchi.content.records import Sender
from jarchi.content.senders import validate_sender_id
from jarchi.errors import BadRequest, Conflict, NotFound, Unprocessable
from jarchi.ids import new_id
from jarchi.store import accounts as account_store
from jarchi.store import senders as store


def sender_name_key(name: str) -> str:
    return validate_sender_id(name).value.casefold()


def _visible(caller: Caller, account_id: str) -> bool:
    if caller.account.is_admin or caller.account_id == account_id:
        return True
    owner = account_store.get_account(account_id)
    return owner is not None and access.can_see(caller, owner)


def register_sender(caller: Caller, name: str) -> Sender:
    sender_id = validate_sender_id(name)
    sender = Sender(
        id=new_id("snd"),
        account_id=caller.account_id,
        name=sender_id.value,
        kind=sender_id.kind.value,
        status=ModerationStatus.PENDING,
        created_at=clock.now(),
    )
    if not store.put_sender(sender, sender_id.value.casefold()):
        raise Conflict("sender_exists", f"sender {sender_id.value!r} is already registered", name=sender_id.value)
    return sender


def get_sender(caller: Caller, sender_id: str) -> Sender:
    sender = store.get_sender(sender_id)
    if sender is None or not _visible(caller, sender.account_id):
        raise NotFound.of("sender", sender_id)
    return sender


def list_senders(
    caller: Caller, account_id: str | None, limit: int, cursor: str | None
) -> tuple[list[Sender], str | None]:
    owner = account_id or caller.account_id
    if not _visible(caller, owner):
        raise NotFound.of("account", owner)
    return store.list_senders(owner, limit, cursor)


def moderate_sender(caller: Caller, sender_id: str, decision: str, reason: str | None) -> Sender:
    sender = get_sender(caller, sender_id)
    access.require_admin(caller)
    outcome = decide(sender.status, decision, reason)
    if not store.set_moderation(sender.id, sender.status, outcome.status, outcome.reason, clock.now()):
        raise Conflict("moderation_conflict", "another decision was made at the same time; read the sender again")
    updated = store.get_sender(sender.id)
    if updated is None:
        raise NotFound.of("sender", sender_id)
    return updated


def require_approved_sender(account_id: str, name: str) -> Sender:
    """The account's approved sender of this name, for a campaign or a quick send."""
    try:
        key = sender_name_key(name)
    except BadRequest:  # an invalid name cannot be registered either
        key = None
    sender = store.find_sender_by_name(account_id, key) if key else None
    if sender is None or sender.account_id != account_id:
        raise Unprocessable("sender_not_registered", f"sender {name!r} is not registered for this account", sender=name)
    if not sender.status.is_usable:
        raise Unprocessable(
            "sender_not_registered",
            f"sender {name!r} is {sender.status.value}; only approved senders can be used",
            sender=name,
            moderation_status=sender.status.value,
        )
    return sender
