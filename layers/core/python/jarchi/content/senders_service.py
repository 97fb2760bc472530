"""Sender names registered per account and moderated by the operator (R-SMS-3).

A name is unique per account regardless of case (`SMS Club` and `sms club` are one sender). Moderation is
the platform admin's, like audio (see jarchi.content.audio_service). Only an approved sender can be used:
an unknown or unapproved name is `sender_not_registered` (422, with the status when it exists)."""

from __future__ import annotations

from jarchi import clock
from jarchi.accounts import access
from jarchi.accounts.models import Caller
from jarchi.accounts.ports import AccountRepository
from jarchi.accounts.service import AccountScope, require_owned
from jarchi.content.audio_service import decide
from jarchi.content.moderation import ModerationStatus
from jarchi.content.ports import SenderRepository
from jarchi.content.records import Sender
from jarchi.content.senders import validate_sender_id
from jarchi.errors import BadRequest, Conflict, NotFound, Unprocessable
from jarchi.ids import new_id
from jarchi.ports import resolve


def sender_name_key(name: str) -> str:
    return validate_sender_id(name).value.casefold()


def _repository(senders: SenderRepository | None) -> SenderRepository:
    return senders or resolve(SenderRepository)


def register_sender(caller: Caller, name: str, *, senders: SenderRepository | None = None) -> Sender:
    sender_id = validate_sender_id(name)
    sender = Sender(
        id=new_id("snd"),
        account_id=caller.account_id,
        name=sender_id.value,
        kind=sender_id.kind.value,
        status=ModerationStatus.PENDING,
        created_at=clock.now(),
    )
    if not _repository(senders).put(sender, sender_id.value.casefold()):
        raise Conflict("sender_exists", f"sender {sender_id.value!r} is already registered", name=sender_id.value)
    return sender


def get_sender(
    caller: Caller,
    sender_id: str,
    *,
    senders: SenderRepository | None = None,
    accounts: AccountRepository | None = None,
) -> Sender:
    return require_owned(caller, _repository(senders).get(sender_id), "sender", sender_id, accounts=accounts)


def list_senders(
    caller: Caller,
    account_id: str | None,
    limit: int,
    cursor: str | None,
    *,
    senders: SenderRepository | None = None,
    accounts: AccountRepository | None = None,
) -> tuple[list[Sender], str | None]:
    owner = account_id or caller.account_id
    require_owned(caller, AccountScope(owner), "account", owner, accounts=accounts)
    return _repository(senders).list_for_account(owner, limit, cursor)


def moderate_sender(
    caller: Caller,
    sender_id: str,
    decision: str,
    reason: str | None,
    *,
    senders: SenderRepository | None = None,
    accounts: AccountRepository | None = None,
) -> Sender:
    repository = _repository(senders)
    sender = get_sender(caller, sender_id, senders=repository, accounts=accounts)
    access.require_admin(caller)
    outcome = decide(sender.status, decision, reason)
    if not repository.set_moderation(sender.id, sender.status, outcome.status, outcome.reason, clock.now()):
        raise Conflict("moderation_conflict", "another decision was made at the same time; read the sender again")
    updated = repository.get(sender.id)
    if updated is None:
        raise NotFound.of("sender", sender_id)
    return updated


def default_sender(account_id: str, *, senders: SenderRepository | None = None) -> Sender | None:
    """The account's default sender where a request names none (an OTP by SMS): its approved sender registered
    first (an account has a handful of senders: every page is read)."""
    repository = _repository(senders)
    approved: list[Sender] = []
    cursor: str | None = None
    while True:
        page, cursor = repository.list_for_account(account_id, 100, cursor)
        approved += [s for s in page if s.status.is_usable]
        if cursor is None:
            break
    return min(approved, key=lambda s: (s.created_at, s.id), default=None)


def require_approved_sender(account_id: str, name: str, *, senders: SenderRepository | None = None) -> Sender:
    """The account's approved sender of this name, for a campaign or a quick send."""
    try:
        key = sender_name_key(name)
    except BadRequest:  # an invalid name cannot be registered either
        key = None
    sender = _repository(senders).find_by_name(account_id, key) if key else None
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
