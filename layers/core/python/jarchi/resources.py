"""Queues and buckets, defined once for the CDK stack and the local runtime."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class QueueSpec:
    logical: str
    visibility_timeout_seconds: int
    max_receive_count: int  # deliveries before a message is redriven to the DLQ
    batch_size: int  # Lambda event source mapping batch size

    @property
    def dlq_logical(self) -> str:
        return f"{self.logical}-dlq"


@dataclass(frozen=True)
class BucketSpec:
    logical: str


DISPATCH_QUEUE = QueueSpec("dispatch", visibility_timeout_seconds=120, max_receive_count=5, batch_size=10)
RESULTS_QUEUE = QueueSpec("results", visibility_timeout_seconds=120, max_receive_count=5, batch_size=10)
ALL_QUEUES: tuple[QueueSpec, ...] = (DISPATCH_QUEUE, RESULTS_QUEUE)

MEDIA_BUCKET = BucketSpec("media")  # audio uploads and generated speech
LISTS_BUCKET = BucketSpec("lists")  # uploaded contact-list files and their parsed form
ALL_BUCKETS: tuple[BucketSpec, ...] = (MEDIA_BUCKET, LISTS_BUCKET)
