"""The `webhooks` table: an account's webhooks and the latest state of each event's delivery (SPEC §14)."""

from __future__ import annotations

from datetime import datetime

from pynamodb.attributes import ListAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from jarchi.clock import iso
from jarchi.reports.ports import Delivery, DeliveryStatus, Webhook
from jarchi.store.base import decode_cursor, encode_cursor, table_meta
from jarchi.store.tables import WEBHOOKS

HOOK = "HOOK#"
DELIVERY = "DLV#"


class WebhookItem(Model):
    Meta = table_meta(WEBHOOKS)
    account_id = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    id = UnicodeAttribute()
    created_at = UnicodeAttribute()
    # a webhook
    url = UnicodeAttribute(null=True)
    events: ListAttribute[str] = ListAttribute(null=True)
    secret = UnicodeAttribute(null=True)
    # a delivery
    event_type = UnicodeAttribute(null=True)
    status = UnicodeAttribute(null=True)
    attempts = NumberAttribute(null=True)
    last_at = UnicodeAttribute(null=True)
    response_status = NumberAttribute(null=True)
    error = UnicodeAttribute(null=True)
    next_at = UnicodeAttribute(null=True)


def _webhook(item: WebhookItem) -> Webhook:
    return Webhook(
        id=item.id,
        account_id=item.account_id,
        url=item.url or "",
        events=tuple(item.events or ()),
        secret=item.secret or "",
        created_at=datetime.fromisoformat(item.created_at),
    )


def _delivery(item: WebhookItem) -> Delivery:
    webhook_id, event_id = item.sk[len(DELIVERY) :].split("#", 1)
    return Delivery(
        webhook_id=webhook_id,
        event_id=event_id,
        event_type=item.event_type or "",
        status=DeliveryStatus(item.status),
        attempts=int(item.attempts or 0),
        first_at=datetime.fromisoformat(item.created_at),
        last_at=datetime.fromisoformat(item.last_at or item.created_at),
        response_status=None if item.response_status is None else int(item.response_status),
        error=item.error,
        next_at=datetime.fromisoformat(item.next_at) if item.next_at else None,
    )


class DynamoWebhooks:
    def create(self, webhook: Webhook) -> None:
        WebhookItem(
            webhook.account_id,
            HOOK + webhook.id,
            id=webhook.id,
            created_at=iso(webhook.created_at),
            url=webhook.url,
            events=list(webhook.events),
            secret=webhook.secret,
        ).save(condition=WebhookItem.sk.does_not_exist())

    def list_for_account(self, account_id: str) -> list[Webhook]:
        return [_webhook(i) for i in WebhookItem.query(account_id, WebhookItem.sk.startswith(HOOK))]

    def get(self, account_id: str, webhook_id: str) -> Webhook | None:
        try:
            return _webhook(WebhookItem.get(account_id, HOOK + webhook_id, consistent_read=True))
        except WebhookItem.DoesNotExist:
            return None

    def delete(self, account_id: str, webhook_id: str) -> bool:
        WebhookItem(account_id, HOOK + webhook_id).delete()
        return True

    def record_delivery(self, account_id: str, delivery: Delivery) -> None:
        WebhookItem(
            account_id,
            f"{DELIVERY}{delivery.webhook_id}#{delivery.event_id}",
            id=delivery.event_id,
            created_at=iso(delivery.first_at),
            event_type=delivery.event_type,
            status=delivery.status.value,
            attempts=delivery.attempts,
            last_at=iso(delivery.last_at),
            response_status=delivery.response_status,
            error=delivery.error,
            next_at=iso(delivery.next_at) if delivery.next_at else None,
        ).save()

    def deliveries(
        self, account_id: str, webhook_id: str, limit: int, cursor: str | None
    ) -> tuple[list[Delivery], str | None]:
        result = WebhookItem.query(
            account_id,
            WebhookItem.sk.startswith(f"{DELIVERY}{webhook_id}#"),
            limit=limit,
            last_evaluated_key=decode_cursor(cursor),
            scan_index_forward=False,
        )
        items = [_delivery(i) for i in result]
        return items, encode_cursor(result.last_evaluated_key) if len(items) == limit else None
