"""Report claims in memory, with the DynamoDB adapter's conditions; a queue that keeps what it was sent."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from jarchi.resources import QueueSpec


class FakeReportClaims:
    def __init__(self) -> None:
        self.claims: dict[str, str] = {}
        self.messages: dict[str, str] = {}
        self.fail_store = False  # the invocation dies between claiming and storing its group

    def claim(self, event_id: str, batch_id: str) -> str:
        return self.claims.setdefault(event_id, batch_id)

    def reclaim(self, event_id: str, held_by: str, batch_id: str) -> bool:
        if self.claims.get(event_id) != held_by:
            return False
        self.claims[event_id] = batch_id
        return True

    def store_message(self, batch_id: str, body: Mapping[str, Any]) -> None:
        if self.fail_store:
            raise RuntimeError("crashed before the group was stored")
        self.messages[batch_id] = json.dumps(body)

    def stored_message(self, batch_id: str) -> dict[str, Any] | None:
        stored = self.messages.get(batch_id)
        return None if stored is None else dict(json.loads(stored))


class RecordingQueue:
    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.delays: list[int | Sequence[int]] = []  # per send call
        self.fail = False

    def send(
        self, queue: QueueSpec, bodies: Sequence[Mapping[str, Any]], *, delay_seconds: int | Sequence[int] = 0
    ) -> None:
        if self.fail:
            raise RuntimeError("SQS is down")
        self.sent += [(queue.logical, dict(body)) for body in bodies]
        self.delays.append(delay_seconds)
