"""SQS: the dispatch and results queues. Many attempts ride in one message, ten messages per request."""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cache
from typing import Any

import boto3

from jarchi.resources import QueueSpec
from jarchi.settings import get_settings

MAX_BATCH = 10


@cache
def _sqs(region: str) -> Any:
    return boto3.client("sqs", region_name=region)


@cache
def _queue_url(region: str, name: str) -> str:
    url: str = _sqs(region).get_queue_url(QueueName=name)["QueueUrl"]
    return url


def send_messages(queue: QueueSpec, bodies: Sequence[dict[str, Any]]) -> None:
    """Send every body (SendMessageBatch, 10 at a time); raise if any is refused."""
    settings = get_settings()
    client = _sqs(settings.region)
    url = _queue_url(settings.region, settings.queue_name(queue.logical))
    for start in range(0, len(bodies), MAX_BATCH):
        chunk = bodies[start : start + MAX_BATCH]
        entries = [{"Id": str(i), "MessageBody": json.dumps(body)} for i, body in enumerate(chunk)]
        response = client.send_message_batch(QueueUrl=url, Entries=entries)
        if response.get("Failed"):
            raise RuntimeError(f"SQS refused {len(response['Failed'])} messages: {response['Failed'][:1]}")
