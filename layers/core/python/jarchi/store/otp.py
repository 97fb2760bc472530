"""The `otp` table behind `jarchi.otp.ports.OtpStore`: codes (hash only) and rate-limit windows."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pynamodb.attributes import BooleanAttribute, ListAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError
from pynamodb.expressions.update import Action
from pynamodb.models import Model

from jarchi.channels import Channel
from jarchi.clock import iso
from jarchi.otp.models import Otp
from jarchi.store.base import table_meta, updated_if
from jarchi.store.tables import OTP

CODE = "CODE"
SENDS = "SENDS"
KEEP = timedelta(days=1)  # an expired code stays readable (410, not 404) this long before TTL takes it


class OtpItem(Model):
    Meta = table_meta(OTP)
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    id = UnicodeAttribute()
    account_id = UnicodeAttribute()
    number = UnicodeAttribute()
    channel = UnicodeAttribute()
    code_hash = UnicodeAttribute()
    campaign_id = UnicodeAttribute()
    created_at = UnicodeAttribute()
    expires_at = UnicodeAttribute()
    tries = NumberAttribute(default=0)
    verified = BooleanAttribute(default=False)
    undeliverable = UnicodeAttribute(null=True)
    ttl = NumberAttribute()


class SendsItem(Model):
    Meta = table_meta(OTP)
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    sent: ListAttribute[Any] = ListAttribute(default=list)  # epoch seconds, oldest first
    version = NumberAttribute(default=0)
    ttl = NumberAttribute()


def _pk(otp_id: str) -> str:
    return f"OTP#{otp_id}"


def _to_otp(item: OtpItem) -> Otp:
    return Otp(
        id=item.id,
        account_id=item.account_id,
        number=item.number,
        channel=Channel(item.channel),
        code_hash=item.code_hash,
        campaign_id=item.campaign_id,
        created_at=datetime.fromisoformat(item.created_at),
        expires_at=datetime.fromisoformat(item.expires_at),
        tries=int(item.tries),
        verified=bool(item.verified),
        undeliverable=item.undeliverable,
    )


class DynamoOtp:
    """The OTP store on the `otp` table."""

    def put(self, otp: Otp) -> None:
        OtpItem(
            _pk(otp.id),
            CODE,
            id=otp.id,
            account_id=otp.account_id,
            number=otp.number,
            channel=otp.channel.value,
            code_hash=otp.code_hash,
            campaign_id=otp.campaign_id,
            created_at=iso(otp.created_at),
            expires_at=iso(otp.expires_at),
            tries=otp.tries,
            verified=otp.verified,
            ttl=int((otp.expires_at + KEEP).timestamp()),
        ).save(condition=OtpItem.pk.does_not_exist())

    def get(self, otp_id: str) -> Otp | None:
        try:
            return _to_otp(OtpItem.get(_pk(otp_id), CODE, consistent_read=True))
        except OtpItem.DoesNotExist:
            return None

    def record_try(self, otp: Otp, *, verified: bool) -> bool:
        actions: list[Action] = [OtpItem.tries.add(1)]
        if verified:
            actions.append(OtpItem.verified.set(True))
        condition = (OtpItem.tries == otp.tries) & (OtpItem.verified == False)  # noqa: E712
        return updated_if(lambda: OtpItem(_pk(otp.id), CODE).update(actions=actions, condition=condition))

    def mark_undeliverable(self, otp: Otp, reason: str) -> None:
        condition = OtpItem.pk.exists() & (OtpItem.verified == False)  # noqa: E712
        action = OtpItem.undeliverable.set(reason)
        updated_if(lambda: OtpItem(_pk(otp.id), CODE).update(actions=[action], condition=condition))

    def take_send(self, key: str, now: datetime, *, limit: int, window: timedelta) -> float:
        pk, at = f"SENDS#{key}", now.timestamp()
        for _ in range(5):  # lost races for one key's item: read again
            try:
                item = SendsItem.get(pk, SENDS, consistent_read=True)
                sent, version = [float(t) for t in item.sent or []], int(item.version)
            except SendsItem.DoesNotExist:
                sent, version = [], -1
            recent = [t for t in sent if t > at - window.total_seconds()]
            if len(recent) >= limit:
                return recent[len(recent) - limit] + window.total_seconds() - at
            new = SendsItem(pk, SENDS, sent=[*recent, at], version=version + 1, ttl=int(at + window.total_seconds()))
            condition = SendsItem.pk.does_not_exist() if version < 0 else SendsItem.version == version
            try:
                new.save(condition=condition)
            except PutError as error:
                if error.cause_response_code != "ConditionalCheckFailedException":
                    raise
                continue
            return 0.0
        return 1.0
