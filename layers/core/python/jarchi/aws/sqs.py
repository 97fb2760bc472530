"""SQS: the dispatch and results queues. Many attempts ride in one message, ten messages per request."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

import boto3

from jarchi.resources import QueueSpec
from jarchi.settings import get_settings

MAX_BATCH = 10
MAX_DELAY_SECONDS = 900  # SQS's limit on DelaySeconds


@cache
def _sqs(region: str) -> Any:
    return boto3.client("sqs", region_name=region)


@cache
def _queue_url(region: str, name: str) -> str:
    url: str = _sqs(region).get_queue_url(QueueName=name)["QueueUrl"]
    return url


def _delays(count: int, delay_seconds: int | Sequence[int]) -> list[int]:
    delays = [delay_seconds] * count if isinstance(delay_seconds, int) else list(delay_seconds)
    if len(delays) != count:
        raise ValueError(f"{len(delays)} delays for {count} messages")
    for delay in delays:
        if not 0 <= delay <= MAX_DELAY_SECONDS:
            raise ValueError(f"DelaySeconds {delay} is outside 0..{MAX_DELAY_SECONDS}")
    return delays


class SqsQueue:
    """The message-queue port on SQS (SendMessageBatch, 10 at a time)."""

    def send(
        self, queue: QueueSpec, bodies: Sequence[Mapping[str, Any]], *, delay_seconds: int | Sequence[int] = 0
    ) -> None:
        send_messages(queue, bodies, delay_seconds=delay_seconds)


def send_messages(
    queue: QueueSpec, bodies: Sequence[Mapping[str, Any]], *, delay_seconds: int | Sequence[int] = 0
) -> None:
    """Send every body (SendMessageBatch, 10 at a time); raise if any is refused.

    `delay_seconds` (0..900) holds the messages back before they can be received: one value for all of
    them, or one per body (SQS `DelaySeconds` per entry)."""
    settings = get_settings()
    client = _sqs(settings.region)
    url = _queue_url(settings.region, settings.queue_name(queue.logical))
    delays = _delays(len(bodies), delay_seconds)
    for start in range(0, len(bodies), MAX_BATCH):
        entries: list[dict[str, Any]] = []
        for i, body in enumerate(bodies[start : start + MAX_BATCH]):
            entry: dict[str, Any] = {"Id": str(i), "MessageBody": json.dumps(body)}
            if delays[start + i]:
                entry["DelaySeconds"] = delays[start + i]
            entries.append(entry)
        response = client.send_message_batch(QueueUrl=url, Entries=entries)
        if response.get("Failed"):
            raise RuntimeError(f"SQS refused {len(response['Failed'])} messages: {response['Failed'][:1]}")
