"""R-DSP-1 / R-RUN-2: SQS pollers behave like a Lambda SQS event source with ReportBatchItemFailures."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.parser.models import SqsModel

from jarchi.resources import DISPATCH_QUEUE
from jarchi.settings import Settings
from local.functions import clear_registrations, register_function
from local.pollers import SqsPoller

EVENTS = Path(__file__).resolve().parents[2] / "events"


@pytest.fixture
def registry() -> Iterator[None]:
    yield
    clear_registrations()


def queue_url(settings: Settings, logical: str) -> str:
    sqs = boto3.client("sqs", region_name=settings.region)
    return sqs.get_queue_url(QueueName=settings.queue_name(logical))["QueueUrl"]


def send(settings: Settings, *bodies: str) -> list[str]:
    sqs = boto3.client("sqs", region_name=settings.region)
    url = queue_url(settings, DISPATCH_QUEUE.logical)
    return [
        sqs.send_message(
            QueueUrl=url,
            MessageBody=body,
            MessageAttributes={"campaign_id": {"DataType": "String", "StringValue": "c-1"}},
        )["MessageId"]
        for body in bodies
    ]


def depth(settings: Settings, logical: str) -> tuple[int, int]:
    sqs = boto3.client("sqs", region_name=settings.region)
    attributes = sqs.get_queue_attributes(
        QueueUrl=queue_url(settings, logical),
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]), int(attributes["ApproximateNumberOfMessagesNotVisible"])


def test_r_run_2_a_real_sqs_event_reaches_the_handler(aws: Settings, registry: None) -> None:
    events: list[dict[str, Any]] = []

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        events.append(event)
        assert context.function_name == f"{aws.resource_prefix}-dispatch"
        assert context.get_remaining_time_in_millis() > 0
        return {"batchItemFailures": []}

    register_function("dispatch", handler)
    message_ids = send(aws, json.dumps({"attempt_id": "a-1"}), json.dumps({"attempt_id": "a-2"}))

    poller = SqsPoller(aws, DISPATCH_QUEUE, "dispatch", failed_visibility_seconds=0)
    assert poller.drain() == 2

    records = [record for event in events for record in event["Records"]]
    assert sorted(record["messageId"] for record in records) == sorted(message_ids)
    parsed = SqsModel.model_validate(events[0])  # Powertools' own model of the event
    first = parsed.Records[0]
    assert first.eventSource == "aws:sqs"
    assert first.eventSourceARN.endswith(f":{aws.queue_name('dispatch')}")
    assert first.awsRegion == aws.region
    assert first.attributes.ApproximateReceiveCount == "1"
    assert first.messageAttributes["campaign_id"].stringValue == "c-1"
    assert depth(aws, "dispatch") == (0, 0)
    # The sample event in events/ has the same shape.
    SqsModel.model_validate(json.loads((EVENTS / "sqs_dispatch_event.json").read_text()))


def test_r_dsp_1_a_failed_item_is_redelivered_then_dead_lettered_and_its_batch_mates_deleted_once(
    aws: Settings, registry: None
) -> None:
    deliveries: dict[str, list[str]] = {}

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        failures = []
        for record in event["Records"]:
            deliveries.setdefault(record["body"], []).append(record["attributes"]["ApproximateReceiveCount"])
            if record["body"] == "poison":
                failures.append({"itemIdentifier": record["messageId"]})
        return {"batchItemFailures": failures}

    register_function("dispatch", handler)
    send(aws, "ok-1", "poison", "ok-2")

    SqsPoller(aws, DISPATCH_QUEUE, "dispatch", failed_visibility_seconds=0).drain()

    assert deliveries["ok-1"] == ["1"]
    assert deliveries["ok-2"] == ["1"]
    assert deliveries["poison"] == [str(n) for n in range(1, DISPATCH_QUEUE.max_receive_count + 1)]
    assert depth(aws, "dispatch") == (0, 0)
    sqs = boto3.client("sqs", region_name=aws.region)
    dead = sqs.receive_message(QueueUrl=queue_url(aws, DISPATCH_QUEUE.dlq_logical), MaxNumberOfMessages=10)
    assert [message["Body"] for message in dead["Messages"]] == ["poison"]


def test_r_dsp_1_a_handler_that_raises_keeps_the_whole_batch(aws: Settings, registry: None) -> None:
    calls: list[list[str]] = []

    def handler(event: dict[str, Any], context: Any) -> None:
        calls.append([record["attributes"]["ApproximateReceiveCount"] for record in event["Records"]])
        if len(calls) == 1:
            raise RuntimeError("connector down")

    register_function("dispatch", handler)
    send(aws, "m-1", "m-2")

    # Left to the queue's visibility timeout, both stay in flight.
    outcome = SqsPoller(aws, DISPATCH_QUEUE, "dispatch").run_once()
    assert outcome.handler_raised
    assert (outcome.received, outcome.deleted) == (2, 0)
    assert depth(aws, "dispatch") == (0, 2)

    # Nothing is deleted and nothing is visible until the visibility timeout expires.
    assert SqsPoller(aws, DISPATCH_QUEUE, "dispatch").run_once().received == 0
    assert calls == [["1", "1"]]


def test_r_dsp_1_raising_with_prompt_redelivery_retries_the_whole_batch(aws: Settings, registry: None) -> None:
    calls: list[list[str]] = []

    def handler(event: dict[str, Any], context: Any) -> None:
        calls.append(sorted(record["attributes"]["ApproximateReceiveCount"] for record in event["Records"]))
        if len(calls) == 1:
            raise RuntimeError("connector down")

    register_function("dispatch", handler)
    send(aws, "m-1", "m-2")

    SqsPoller(aws, DISPATCH_QUEUE, "dispatch", failed_visibility_seconds=0).drain()

    assert calls == [["1", "1"], ["2", "2"]]
    assert depth(aws, "dispatch") == (0, 0)


def test_r_dsp_1_an_unknown_item_identifier_fails_the_whole_batch(aws: Settings, registry: None) -> None:
    register_function("dispatch", lambda event, context: {"batchItemFailures": [{"itemIdentifier": "nope"}]})
    send(aws, "m-1", "m-2")

    outcome = SqsPoller(aws, DISPATCH_QUEUE, "dispatch").run_once()

    assert (outcome.received, outcome.deleted, len(outcome.failed_ids)) == (2, 0, 2)
    assert depth(aws, "dispatch") == (0, 2)


def send_many(settings: Settings, count: int) -> list[str]:
    sqs = boto3.client("sqs", region_name=settings.region)
    url = queue_url(settings, DISPATCH_QUEUE.logical)
    ids: list[str] = []
    for first in range(0, count, 10):
        entries = [{"Id": str(n), "MessageBody": f"m-{n}"} for n in range(first, min(first + 10, count))]
        ids += [entry["MessageId"] for entry in sqs.send_message_batch(QueueUrl=url, Entries=entries)["Successful"]]
    return ids


def counting_receives(poller: SqsPoller) -> list[int]:
    """The MaxNumberOfMessages of every ReceiveMessage the poller makes."""
    asked: list[int] = []

    def note(params: dict[str, Any], **_: Any) -> None:
        asked.append(params["MaxNumberOfMessages"])

    poller._sqs.meta.events.register("provide-client-params.sqs.ReceiveMessage", note)
    return asked


def test_r_dsp_1_a_backlog_is_handed_over_in_batches_of_the_event_sources_size(aws: Settings, registry: None) -> None:
    batches: list[int] = []
    register_function("dispatch", lambda event, context: batches.append(len(event["Records"])))
    send_many(aws, 57)

    # As the cloud's event source mapping with a batch size of 25 (above SQS's 10 a receive: gathered).
    poller = SqsPoller(aws, replace(DISPATCH_QUEUE, cloud_batch_size=25), "dispatch")
    asked = counting_receives(poller)
    assert poller.drain() == 57

    assert batches == [25, 25, 7]
    # the third batch's receive got 7 of the 10 asked (no more visible): handed over; then drain's empty receive
    assert asked == [10, 10, 5, 10, 10, 5, 10, 10]
    assert depth(aws, "dispatch") == (0, 0)


def test_r_dsp_1_the_dispatch_queue_is_handed_over_ten_at_a_time(aws: Settings, registry: None) -> None:
    batches: list[int] = []
    register_function("dispatch", lambda event, context: batches.append(len(event["Records"])))
    send_many(aws, 23)

    assert SqsPoller(aws, DISPATCH_QUEUE, "dispatch").drain() == 23
    assert batches == [10, 10, 3]


def test_r_dsp_1_a_lone_message_is_handed_over_after_one_receive(aws: Settings, registry: None) -> None:
    batches: list[list[str]] = []
    register_function("dispatch", lambda event, context: batches.append([r["body"] for r in event["Records"]]))
    send(aws, "alone")

    poller = SqsPoller(aws, replace(DISPATCH_QUEUE, cloud_batch_size=200), "dispatch")
    asked = counting_receives(poller)
    outcome = poller.run_once()

    assert batches == [["alone"]]
    assert asked == [10]  # no second receive, no wait for the batch to fill
    assert (outcome.received, outcome.deleted) == (1, 1)


def test_r_dsp_1_partial_failures_in_a_gathered_batch_are_retried_alone(aws: Settings, registry: None) -> None:
    seen: list[list[str]] = []
    poison = {"m-3", "m-14", "m-22"}

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        seen.append(sorted(record["body"] for record in event["Records"]))
        first_time = len(seen) == 1
        failed = [r["messageId"] for r in event["Records"] if first_time and r["body"] in poison]
        return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failed]}

    register_function("dispatch", handler)
    send_many(aws, 25)

    poller = SqsPoller(aws, replace(DISPATCH_QUEUE, cloud_batch_size=25), "dispatch", failed_visibility_seconds=0)
    first = poller.run_once()
    assert (first.received, first.deleted, len(first.failed_ids)) == (25, 22, 3)  # deleted 10 at a time
    assert depth(aws, "dispatch") == (3, 0)  # the failed ones are visible again at once

    second = poller.run_once()
    assert seen[1] == sorted(poison)
    assert (second.received, second.deleted) == (3, 3)
    assert depth(aws, "dispatch") == (0, 0)
