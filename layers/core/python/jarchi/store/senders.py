"""Registered sender names: the `senders` table, behind `jarchi.content.ports.SenderRepository`.

Two items per sender, written in one transaction: the sender (`id` = `snd_…`, indexed by account) and a
name guard (`id` = `NAME#{account_id}#{name_key}`, no account attributes so the index skips it) whose
conditional put makes a name unique per account and lets `find_by_name` read it consistently."""

from __future__ import annotations

from datetime import datetime

from pynamodb.attributes import UnicodeAttribute
from pynamodb.expressions.update import Action
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from jarchi.content.moderation import ModerationStatus
from jarchi.content.records import Sender
from jarchi.store.base import decode_cursor, encode_cursor, table_meta, updated_if
from jarchi.store.tables import SENDERS
from jarchi.store.transactions import LabelledTransaction, TransactionFailed

_CONDITION_FAILED = "ConditionalCheckFailedException"


class _ByAccount(GlobalSecondaryIndex["SenderItem"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "by_account"
        projection = AllProjection()

    account_id = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class SenderItem(Model):
    Meta = table_meta(SENDERS)
    id = UnicodeAttribute(hash_key=True)
    account_id = UnicodeAttribute()
    created_at = UnicodeAttribute()
    name = UnicodeAttribute()
    kind = UnicodeAttribute()
    status = UnicodeAttribute()
    reason = UnicodeAttribute(null=True)
    moderated_at = UnicodeAttribute(null=True)
    by_account = _ByAccount()


class SenderNameItem(Model):
    Meta = table_meta(SENDERS)
    id = UnicodeAttribute(hash_key=True)
    sender_id = UnicodeAttribute()


def _name_id(account_id: str, name_key: str) -> str:
    return f"NAME#{account_id}#{name_key}"


def _to_sender(item: SenderItem) -> Sender:
    return Sender(
        id=item.id,
        account_id=item.account_id,
        name=item.name,
        kind=item.kind,
        status=ModerationStatus(item.status),
        created_at=datetime.fromisoformat(item.created_at),
        reason=item.reason,
        moderated_at=datetime.fromisoformat(item.moderated_at) if item.moderated_at else None,
    )


class DynamoSenders:
    """The sender repository on the `senders` table."""

    def put(self, sender: Sender, name_key: str) -> bool:
        """Register the sender; False when the account already has this name."""
        transaction = LabelledTransaction()
        transaction.put(
            "name",
            SenderNameItem(_name_id(sender.account_id, name_key), sender_id=sender.id),
            condition=SenderNameItem.id.does_not_exist(),
        )
        transaction.put(
            "sender",
            SenderItem(
                sender.id,
                account_id=sender.account_id,
                created_at=sender.created_at.isoformat(),
                name=sender.name,
                kind=sender.kind,
                status=sender.status.value,
            ),
            condition=SenderItem.id.does_not_exist(),
        )
        try:
            transaction.commit()
        except TransactionFailed as failed:
            if "name" in failed.failed:
                return False
            raise
        return True

    def get(self, sender_id: str) -> Sender | None:
        if not sender_id.startswith("snd_"):
            return None  # never read a name guard as a sender
        try:
            return _to_sender(SenderItem.get(sender_id, consistent_read=True))
        except SenderItem.DoesNotExist:
            return None

    def find_by_name(self, account_id: str, name_key: str) -> Sender | None:
        try:
            guard = SenderNameItem.get(_name_id(account_id, name_key), consistent_read=True)
        except SenderNameItem.DoesNotExist:
            return None
        return self.get(guard.sender_id)

    def list_for_account(self, account_id: str, limit: int, cursor: str | None) -> tuple[list[Sender], str | None]:
        start = decode_cursor(cursor)
        if start is not None and start.get("account_id", {}).get("S") != account_id:
            start = None
        result = SenderItem.by_account.query(
            account_id, limit=limit, last_evaluated_key=start, scan_index_forward=False
        )
        return [_to_sender(item) for item in result], encode_cursor(result.last_evaluated_key)

    def set_moderation(
        self, sender_id: str, expected: ModerationStatus, status: ModerationStatus, reason: str | None, at: datetime
    ) -> bool:
        actions: list[Action] = [
            SenderItem.status.set(status.value),
            SenderItem.reason.set(reason) if reason else SenderItem.reason.remove(),
            SenderItem.moderated_at.set(at.isoformat()),
        ]
        return updated_if(
            lambda: SenderItem(sender_id).update(actions=actions, condition=SenderItem.status == expected.value)
        )
