"""Signed webhooks (SPEC §14): register, list, delete; events `campaign.status`, `recipient.result`,
`sms.delivery`, delivered at least once from the webhooks queue with the event's id for de-duplication.

- Publishing (`WebhookPublisher`, the `EventPublisher` port): for an account with subscriptions (looked up at
  most once a minute per process, `SUBSCRIPTIONS_TTL_SECONDS`), one message per (webhook, event) on the webhooks
  queue, sent in batches; for any other account nothing is read or sent beyond that cached lookup.
- Delivering (`deliver`): the body `{"id", "type", "created_at", "data"}` POSTed with `Jarchi-Signature:
  t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`, `Jarchi-Event-Id` and `Jarchi-Event-Type`. A 2xx is
  delivered; anything else is retried with exponential backoff (`backoff_seconds`: 30 s doubling, at most 1 h)
  on the platform clock until 24 h after the first attempt, then dead-lettered: the delivery record says so
  (`GET /v1/webhooks/{id}/deliveries`) and the message goes to the queue's DLQ (alarmed like every DLQ).
- A message that arrives before its `due_at` (SQS delays are real seconds, capped locally so the clock can
  jump: `Settings.result_delay_cap`) goes back with the rest of its delay, as results do."""

from __future__ import annotations

import json
import math
import secrets
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from jarchi import clock
from jarchi.accounts.models import Caller
from jarchi.clock import iso
from jarchi.errors import NotFound, Unprocessable
from jarchi.ids import new_id
from jarchi.ports import MessageQueue, PlatformEvent, resolve
from jarchi.reports.ports import (
    Delivery,
    DeliveryStatus,
    Webhook,
    WebhookRefused,
    WebhookRepository,
    WebhookSender,
)
from jarchi.resources import WEBHOOKS_QUEUE, QueueSpec
from jarchi.settings import get_settings
from jarchi.signing import HEADER, signature

EVENT_TYPES: Final = ("campaign.status", "recipient.result", "sms.delivery", "recipient.callback")
MAX_WEBHOOKS_PER_ACCOUNT: Final = 10
RETRY_FOR: Final = timedelta(hours=24)
FIRST_BACKOFF_SECONDS: Final = 30
MAX_BACKOFF_SECONDS: Final = 3600
SUBSCRIPTIONS_TTL_SECONDS: Final = 60.0
WEBHOOKS_DLQ: Final = QueueSpec(WEBHOOKS_QUEUE.dlq_logical, 0, 0, 1)


@dataclass(frozen=True, slots=True)
class WebhookPorts:
    webhooks: WebhookRepository
    sender: WebhookSender
    queue: MessageQueue

    @classmethod
    def wired(cls) -> WebhookPorts:
        return cls(resolve(WebhookRepository), resolve(WebhookSender), resolve(MessageQueue))


def backoff_seconds(attempt: int) -> int:
    """The wait after the `attempt`-th failed attempt: 30 s, 60 s, 120 s, … at most an hour."""
    return int(min(FIRST_BACKOFF_SECONDS * 2 ** (attempt - 1), MAX_BACKOFF_SECONDS))


# --- the owner's routes -------------------------------------------------------------------------------


def register(caller: Caller, url: str, events: Sequence[str], *, ports: WebhookPorts | None = None) -> Webhook:
    ports = ports or WebhookPorts.wired()
    unknown = sorted(set(events) - set(EVENT_TYPES))
    if unknown or not events:
        raise Unprocessable("unknown_event", f"events are some of {', '.join(EVENT_TYPES)}; not {unknown}")
    try:
        ports.sender.check(url)
    except WebhookRefused as refused:
        raise Unprocessable("webhook_url_not_allowed", str(refused)) from refused
    if len(ports.webhooks.list_for_account(caller.account_id)) >= MAX_WEBHOOKS_PER_ACCOUNT:
        raise Unprocessable("too_many_webhooks", f"an account has at most {MAX_WEBHOOKS_PER_ACCOUNT} webhooks")
    webhook = Webhook(
        id=new_id("whk"),
        account_id=caller.account_id,
        url=url,
        events=tuple(dict.fromkeys(events)),
        secret="whsec_" + secrets.token_urlsafe(32),
        created_at=clock.now(),
    )
    ports.webhooks.create(webhook)
    forget_subscriptions(caller.account_id)
    return webhook


def _owned(caller: Caller, webhook_id: str, ports: WebhookPorts) -> Webhook:
    webhook = ports.webhooks.get(caller.account_id, webhook_id)
    if webhook is None:
        raise NotFound.of("webhook", webhook_id)
    return webhook


def list_webhooks(caller: Caller, *, ports: WebhookPorts | None = None) -> list[Webhook]:
    ports = ports or WebhookPorts.wired()
    return ports.webhooks.list_for_account(caller.account_id)


def delete_webhook(caller: Caller, webhook_id: str, *, ports: WebhookPorts | None = None) -> None:
    ports = ports or WebhookPorts.wired()
    _owned(caller, webhook_id, ports)
    ports.webhooks.delete(caller.account_id, webhook_id)
    forget_subscriptions(caller.account_id)


def deliveries(
    caller: Caller, webhook_id: str, limit: int, cursor: str | None, *, ports: WebhookPorts | None = None
) -> tuple[list[Delivery], str | None]:
    ports = ports or WebhookPorts.wired()
    _owned(caller, webhook_id, ports)
    return ports.webhooks.deliveries(caller.account_id, webhook_id, limit, cursor)


# --- publishing ----------------------------------------------------------------------------------------

_subscriptions: dict[str, tuple[float, list[Webhook]]] = {}
_subscriptions_lock = threading.Lock()


def forget_subscriptions(account_id: str | None = None) -> None:
    with _subscriptions_lock:
        if account_id is None:
            _subscriptions.clear()
        else:
            _subscriptions.pop(account_id, None)


def subscriptions(account_id: str, webhooks: WebhookRepository) -> list[Webhook]:
    """The account's webhooks, read at most once every `SUBSCRIPTIONS_TTL_SECONDS` per process."""
    now = time.monotonic()
    with _subscriptions_lock:
        cached = _subscriptions.get(account_id)
    if cached is not None and cached[0] > now:
        return cached[1]
    found = webhooks.list_for_account(account_id)
    with _subscriptions_lock:
        _subscriptions[account_id] = (now + SUBSCRIPTIONS_TTL_SECONDS, found)
    return found


def event_body(event: PlatformEvent) -> dict[str, Any]:
    return {"id": event.id, "type": event.type, "created_at": event.at, "data": dict(event.data)}


class WebhookPublisher:
    """The `EventPublisher` port: events to the webhooks queue, one message per subscribed webhook."""

    def __init__(self, ports: WebhookPorts | None = None) -> None:
        self._ports = ports

    def listens(self, account_id: str) -> bool:
        return bool(subscriptions(account_id, (self._ports or WebhookPorts.wired()).webhooks))

    def publish(self, events: Sequence[PlatformEvent]) -> None:
        ports = self._ports or WebhookPorts.wired()
        messages: list[dict[str, Any]] = []
        now = iso(clock.now())
        subscribed: dict[str, list[Webhook]] = {}  # looked up once per account in the call, not per event
        for event in events:
            if event.account_id not in subscribed:
                subscribed[event.account_id] = subscriptions(event.account_id, ports.webhooks)
            for webhook in subscribed[event.account_id]:
                if event.type in webhook.events:
                    messages.append(
                        {
                            "webhook_id": webhook.id,
                            "account_id": event.account_id,
                            "event": event_body(event),
                            "attempt": 1,
                            "first_at": now,
                            "due_at": now,
                        }
                    )
        if messages:
            ports.queue.send(WEBHOOKS_QUEUE, messages)


# --- delivering ----------------------------------------------------------------------------------------


def deliver(message: Mapping[str, Any], *, ports: WebhookPorts | None = None) -> DeliveryStatus | None:
    """One attempt of one delivery (the webhooks queue's work); None when it is not due yet (sent back) or its
    webhook was deleted."""
    ports = ports or WebhookPorts.wired()
    now = clock.now()
    due = datetime.fromisoformat(message["due_at"])
    if due > now:
        wait = math.ceil((due - now).total_seconds())
        ports.queue.send(WEBHOOKS_QUEUE, [message], delay_seconds=min(wait, get_settings().result_delay_cap()))
        return None
    webhook = ports.webhooks.get(message["account_id"], message["webhook_id"])
    if webhook is None:
        return None
    event = message["event"]
    body = json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Jarchi-Webhooks/1",
        HEADER: signature(webhook.secret, body, int(now.timestamp())),
        "Jarchi-Event-Id": event["id"],
        "Jarchi-Event-Type": event["type"],
    }
    attempt = int(message["attempt"])
    first_at = datetime.fromisoformat(message["first_at"])
    response_status: int | None = None
    error: str | None = None
    try:
        response_status = ports.sender.post(webhook.url, body, headers)
    except WebhookRefused as refused:
        error = str(refused)
    record = Delivery(webhook.id, event["id"], event["type"], DeliveryStatus.DELIVERED, attempt, first_at, now)
    if response_status is not None and 200 <= response_status < 300:
        ports.webhooks.record_delivery(webhook.account_id, _with(record, response_status, error))
        return DeliveryStatus.DELIVERED
    wait = backoff_seconds(attempt)
    next_at = now + timedelta(seconds=wait)
    if next_at - first_at > RETRY_FOR:
        dead = _with(record, response_status, error, status=DeliveryStatus.DEAD_LETTERED)
        ports.webhooks.record_delivery(webhook.account_id, dead)
        ports.queue.send(WEBHOOKS_DLQ, [message])
        return DeliveryStatus.DEAD_LETTERED
    retrying = _with(record, response_status, error, status=DeliveryStatus.RETRYING, next_at=next_at)
    ports.webhooks.record_delivery(webhook.account_id, retrying)
    again = {**message, "attempt": attempt + 1, "due_at": iso(next_at)}
    ports.queue.send(WEBHOOKS_QUEUE, [again], delay_seconds=min(wait, get_settings().result_delay_cap()))
    return DeliveryStatus.RETRYING


def _with(
    record: Delivery,
    response_status: int | None,
    error: str | None,
    *,
    status: DeliveryStatus = DeliveryStatus.DELIVERED,
    next_at: datetime | None = None,
) -> Delivery:
    return Delivery(
        record.webhook_id,
        record.event_id,
        record.event_type,
        status,
        record.attempts,
        record.first_at,
        record.last_at,
        response_status=response_status,
        error=error,
        next_at=next_at,
    )
