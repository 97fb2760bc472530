"""SQS pollers with the semantics of a Lambda SQS event source mapping.

One thread per queue gathers a batch (below), hands the handler a real SQS Lambda event
(`Records` with messageId, receiptHandle, body, attributes, messageAttributes, md5OfBody, eventSource,
eventSourceARN, awsRegion; see events/sqs_dispatch_event.json), and deletes what succeeded:

- the handler returns `{"batchItemFailures": [{"itemIdentifier": id}, ...]}` (Powertools'
  `process_partial_response`): those messages stay, every other one is deleted (ReportBatchItemFailures);
  an unknown or empty identifier fails the whole batch, as in AWS;
- the handler raises: the whole batch stays.

A batch is gathered as the cloud's event source mapping gathers one from a backlog: receives follow at once
while each returns all it was asked for, up to the queue's `event_batch_size` (the mapping's batch size: 10, or
200 for the connector events; SQS gives at most 10 a receive). One difference, on purpose: the cloud waits up
to the mapping's batching window (`batching_window_seconds`) for a batch to fill; locally a batch is handed over
as soon as a receive finds the queue without more visible messages (moto answers every visible message up to
the number asked), so a lone message and an idle queue are not slowed (docs/decisions.md, issue 17).

Messages that stay become visible again when their visibility timeout expires (120 s, as in the cloud),
or after `failed_visibility_seconds` if set: the poller then calls ChangeMessageVisibility on them so a
local retry is prompt (tests use 0). moto counts receives and, on the receive after `maxReceiveCount`
deliveries, moves the message to the DLQ of the queue's RedrivePolicy, as SQS does.

Dead letters are visible locally (in the cloud, CloudWatch alarms on the DLQs do this): every batch with
failures logs a WARNING naming the queue and the failed message ids, a message failing its last allowed
receive logs a WARNING naming the DLQ it goes to, and `dead_letters()` (also `LocalRuntime.dead_letters()`)
answers how many messages each DLQ holds.

Fault injection (off by default): `deliver_twice=True` hands every received batch to the handler twice
before anything is deleted, a faithful stand-in for SQS's at-least-once delivery (a duplicate of every
message). A message is deleted when either delivery succeeded, and stays (failed) only when both failed it.

moto quirks this respects: ReceiveMessage uses WaitTimeSeconds=0 because the emulator serialises SQS
requests and a long poll would hold that lock; an idle poller waits outside it, until the emulator sees a
send to its queue (`local.emulator.wait_for_sqs_send`) or for at most `idle_seconds`. moto recomputes
queue attributes over every message on each send, so pollers keep the queues drained.
"""

from __future__ import annotations

import base64
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import boto3

from jarchi.resources import QueueSpec
from jarchi.settings import Settings
from local.emulator import seconds_until_shown, sqs_sends_so_far, wait_for_sqs_send, wake_sqs_waiters
from local.functions import function_name, make_context, resolve_handler

if TYPE_CHECKING:
    from mypy_boto3_sqs.client import SQSClient
    from mypy_boto3_sqs.type_defs import MessageAttributeValueOutputTypeDef, MessageTypeDef

LOG = logging.getLogger(__name__)

# An idle poller waits at most this long for a send to its queue before receiving again (a long poll). A message sent
# with a delay or hidden by a visibility change wakes it when it shows again
# (`local.emulator.seconds_until_shown`); this bound covers what the emulator cannot see coming (a message
# whose handler raised shows again after the queue's own visibility timeout).
IDLE_SECONDS = 2.0
SQS_RECEIVE_MAX = 10  # messages one ReceiveMessage returns at most; the batch entries of a Delete/ChangeVisibility
SHOWN_MARGIN_SECONDS = 0.05
ERROR_BACKOFF_SECONDS = 0.5


@dataclass
class BatchOutcome:
    received: int = 0
    deleted: int = 0
    failed_ids: list[str] = field(default_factory=list)
    handler_raised: bool = False
    deliveries: int = 0  # handler calls for this batch: 1, or 2 with deliver_twice
    last_receive_ids: list[str] = field(default_factory=list)  # failed on their last receive: DLQ next


def _lambda_message_attribute(value: MessageAttributeValueOutputTypeDef) -> dict[str, Any]:
    def b64(raw: bytes) -> str:
        return base64.b64encode(raw).decode()

    attribute: dict[str, Any] = {
        "stringListValues": list(value.get("StringListValues", [])),
        "binaryListValues": [b64(item) for item in value.get("BinaryListValues", [])],
        "dataType": value["DataType"],
    }
    if "StringValue" in value:
        attribute["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        attribute["binaryValue"] = b64(value["BinaryValue"])
    return attribute


def sqs_record(message: MessageTypeDef, *, queue_arn: str, region: str) -> dict[str, Any]:
    """One Lambda SQS event record for a received message (Powertools' SqsRecordModel shape)."""
    record: dict[str, Any] = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message.get("Body", ""),
        "attributes": dict(message.get("Attributes", {})),
        "messageAttributes": {
            name: _lambda_message_attribute(value) for name, value in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }
    if "MD5OfMessageAttributes" in message:
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    return record


def sqs_event(messages: Sequence[MessageTypeDef], *, queue_arn: str, region: str) -> dict[str, Any]:
    return {"Records": [sqs_record(message, queue_arn=queue_arn, region=region) for message in messages]}


def failed_message_ids(result: Any, message_ids: set[str]) -> set[str]:
    """The messages a handler's answer reports as failed (ReportBatchItemFailures semantics)."""
    if not isinstance(result, dict) or "batchItemFailures" not in result:
        return set()
    failures = result["batchItemFailures"] or []
    failed: set[str] = set()
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not identifier or identifier not in message_ids:
            LOG.warning("invalid batchItemFailures entry %r: the whole batch fails", failure)
            return set(message_ids)
        failed.add(identifier)
    return failed


def _chunks(messages: Sequence[MessageTypeDef]) -> list[Sequence[MessageTypeDef]]:
    """The batch's messages in SQS batch requests (at most 10 entries each)."""
    return [messages[start : start + SQS_RECEIVE_MAX] for start in range(0, len(messages), SQS_RECEIVE_MAX)]


class SqsPoller:
    """Feeds one queue to one function, like a Lambda event source mapping with ReportBatchItemFailures."""

    def __init__(
        self,
        settings: Settings,
        queue: QueueSpec,
        function: str,
        *,
        failed_visibility_seconds: int | None = None,
        idle_seconds: float = IDLE_SECONDS,
        deliver_twice: bool = False,
    ) -> None:
        self.settings = settings
        self.queue = queue
        self.function = function
        self.failed_visibility_seconds = failed_visibility_seconds
        self.idle_seconds = idle_seconds
        self.deliver_twice = deliver_twice
        self._sqs: SQSClient = boto3.client("sqs", region_name=settings.region)
        self.queue_url = self._sqs.get_queue_url(QueueName=settings.queue_name(queue.logical))["QueueUrl"]
        self.dlq_name = settings.queue_name(queue.dlq_logical)
        self.dlq_url = self._sqs.get_queue_url(QueueName=self.dlq_name)["QueueUrl"]
        self.queue_arn = self._sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- one batch -------------------------------------------------------------------------------

    def run_once(self) -> BatchOutcome:
        """Gather one batch (no long poll), call the handler, delete what succeeded."""
        messages = self._gather()
        outcome = BatchOutcome(received=len(messages))
        if not messages:
            return outcome
        ids = {message["MessageId"] for message in messages}
        failed = set(ids)
        for _ in range(2 if self.deliver_twice else 1):
            outcome.deliveries += 1
            failed_now = self._invoke(messages, outcome)
            failed &= ids if failed_now is None else failed_now
        succeeded = [message for message in messages if message["MessageId"] not in failed]
        outcome.deleted = self._delete(succeeded)
        outcome.failed_ids = sorted(failed)
        failures = [message for message in messages if message["MessageId"] in failed]
        self._report_failures(failures, outcome)
        self._after_failure(failures)  # (each change is in the data folder's journal as it is made)
        return outcome

    def _gather(self) -> list[MessageTypeDef]:
        """Up to the event source's batch size: receive again at once while a receive returned all it was asked
        for (a backlog); fewer means the queue has no more visible messages, and the batch goes as it is."""
        messages: list[MessageTypeDef] = []
        while len(messages) < self.queue.event_batch_size:
            asked = min(SQS_RECEIVE_MAX, self.queue.event_batch_size - len(messages))
            received = self._sqs.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=asked,
                WaitTimeSeconds=0,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            messages += received
            if len(received) < asked:
                break
        return messages

    def _invoke(self, messages: Sequence[MessageTypeDef], outcome: BatchOutcome) -> set[str] | None:
        # Built fresh for each call from strings and new dicts, so no JSON round trip is needed to copy it.
        event = sqs_event(messages, queue_arn=self.queue_arn, region=self.settings.region)
        deployed = function_name(self.settings.resource_prefix, self.function)
        try:
            result = resolve_handler(self.function)(event, make_context(deployed, region=self.settings.region))
        except Exception:
            LOG.exception("%s raised on a batch of %d from %s", self.function, len(messages), self.queue.logical)
            outcome.handler_raised = True
            return None
        return failed_message_ids(result, {message["MessageId"] for message in messages})

    def _delete(self, messages: Sequence[MessageTypeDef]) -> int:
        deleted = 0
        for chunk in _chunks(messages):
            response = self._sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]} for index, message in enumerate(chunk)
                ],
            )
            for failure in response.get("Failed", []):
                LOG.warning("could not delete a message from %s: %s", self.queue.logical, failure)
            deleted += len(response.get("Successful", []))
        return deleted

    def _report_failures(self, messages: Sequence[MessageTypeDef], outcome: BatchOutcome) -> None:
        if not messages:
            return
        LOG.warning(
            "%d of %d messages from %s failed in %s: %s",
            len(messages),
            outcome.received,
            self.queue.logical,
            self.function,
            ", ".join(message["MessageId"] for message in messages),
        )
        limit = self.queue.max_receive_count
        for message in messages:
            receives = int(message.get("Attributes", {}).get("ApproximateReceiveCount", "1"))
            if receives >= limit:
                outcome.last_receive_ids.append(message["MessageId"])
                LOG.warning(
                    "message %s from %s failed its last allowed receive (%d of %d): it goes to the DLQ %s",
                    message["MessageId"],
                    self.queue.logical,
                    receives,
                    limit,
                    self.dlq_name,
                )

    def dead_letters(self) -> int:
        """How many messages the queue's DLQ holds now (visible or not)."""
        attributes = self._sqs.get_queue_attributes(
            QueueUrl=self.dlq_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])

    def _after_failure(self, messages: Sequence[MessageTypeDef]) -> None:
        if self.failed_visibility_seconds is None:
            return
        for chunk in _chunks(messages):
            self._sqs.change_message_visibility_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {
                        "Id": str(index),
                        "ReceiptHandle": message["ReceiptHandle"],
                        "VisibilityTimeout": self.failed_visibility_seconds,
                    }
                    for index, message in enumerate(chunk)
                ],
            )

    # --- loops -----------------------------------------------------------------------------------

    def drain(self, *, timeout_seconds: float = 10.0) -> int:
        """Handle batches until a receive comes back empty; answer how many messages were received."""
        deadline = time.monotonic() + timeout_seconds
        received = 0
        while time.monotonic() < deadline:
            outcome = self.run_once()
            if not outcome.received:
                return received
            received += outcome.received
        raise TimeoutError(f"{self.queue.logical} still had messages after {timeout_seconds} s")

    def _loop(self) -> None:
        while not self._stop.is_set():
            sends = sqs_sends_so_far(self.queue_url)
            try:
                outcome = self.run_once()
            except Exception:
                LOG.exception("poller for %s failed; backing off", self.queue.logical)
                self._stop.wait(ERROR_BACKOFF_SECONDS)
                continue
            if not outcome.received and not self._stop.is_set():
                wait_for_sqs_send(sends, self._idle_wait(), self.queue_url)

    def _idle_wait(self) -> float:
        shown = seconds_until_shown(self.queue_url)
        return self.idle_seconds if shown is None else min(self.idle_seconds, shown + SHOWN_MARGIN_SECONDS)

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name=f"sqs-poller-{self.queue.logical}", daemon=True)
        self._thread.start()

    def stop(self, timeout_seconds: float = 5.0) -> None:
        self._stop.set()
        wake_sqs_waiters()
        if self._thread is not None:
            self._thread.join(timeout_seconds)
            if self._thread.is_alive():
                LOG.warning("poller for %s did not stop within %s s", self.queue.logical, timeout_seconds)
            self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()
