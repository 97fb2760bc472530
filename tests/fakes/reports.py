"""The reports side's ports in memory: webhooks and their deliveries, an endpoint that answers a plan."""

from __future__ import annotations

from collections.abc import Mapping

from jarchi.reports.ports import Delivery, Webhook, WebhookRefused
from tests.fakes._paging import page


class FakeWebhooks:
    def __init__(self) -> None:
        self.hooks: dict[tuple[str, str], Webhook] = {}
        self.delivery: dict[tuple[str, str], Delivery] = {}
        self.history: list[Delivery] = []

    def create(self, webhook: Webhook) -> None:
        self.hooks[(webhook.account_id, webhook.id)] = webhook

    def list_for_account(self, account_id: str) -> list[Webhook]:
        return [hook for (account, _), hook in self.hooks.items() if account == account_id]

    def get(self, account_id: str, webhook_id: str) -> Webhook | None:
        return self.hooks.get((account_id, webhook_id))

    def delete(self, account_id: str, webhook_id: str) -> bool:
        return self.hooks.pop((account_id, webhook_id), None) is not None

    def record_delivery(self, account_id: str, delivery: Delivery) -> None:
        self.delivery[(delivery.webhook_id, delivery.event_id)] = delivery
        self.history.append(delivery)

    def deliveries(
        self, account_id: str, webhook_id: str, limit: int, cursor: str | None
    ) -> tuple[list[Delivery], str | None]:
        mine = sorted((d for (w, _), d in self.delivery.items() if w == webhook_id), key=lambda d: d.event_id)
        return page(mine[::-1], limit, cursor)


class FakeEndpoint:
    """A `WebhookSender` answering `statuses` in turn (the last one from then on); None = no answer."""

    def __init__(self, *statuses: int | None, allow: bool = True) -> None:
        self.statuses = list(statuses) or [200]
        self.allow = allow
        self.posts: list[tuple[str, bytes, dict[str, str]]] = []

    def check(self, url: str) -> None:
        if not self.allow:
            raise WebhookRefused("not allowed")

    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> int:
        self.posts.append((url, body, dict(headers)))
        status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        if status is None:
            raise WebhookRefused("no answer")
        return status
