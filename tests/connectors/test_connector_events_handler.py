"""The connector-events function over moto: recorded End User Messaging events (raw and in their SNS envelope)
become results messages, claims in the idempotency table; a redelivered batch is the same message."""

from __future__ import annotations

import json
from typing import Any

import boto3

from functions.connector_events.handler import handler
from jarchi.resources import RESULTS_QUEUE
from jarchi.settings import Settings
from local.functions import make_context
from tests.connectors.events import load_event, sqs_event


def drain(settings: Settings) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs", region_name=settings.region)
    url = sqs.get_queue_url(QueueName=settings.queue_name(RESULTS_QUEUE.logical))["QueueUrl"]
    bodies: list[dict[str, Any]] = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for message in messages:
            bodies.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return bodies


def test_r_sms_5_end_user_messaging_events_become_one_results_message_per_campaign(aws: Settings) -> None:
    names = ["TEXT_DELIVERED", "TEXT_PENDING", "TEXT_BLOCKED", "TEXT_TTL_EXPIRED", "TEXT_DELIVERED_multipart"]
    bodies = [json.dumps(load_event(f"end_user_messaging/{name}")) for name in names]
    bodies.append(json.dumps(load_event("end_user_messaging/sns_envelope_TEXT_DELIVERED")))  # a duplicate
    bodies.append("not json")
    context = make_context("connector_events", region=aws.region)

    assert handler(sqs_event(*bodies), context) == {"batchItemFailures": []}
    [message] = drain(aws)
    results = {r["attempt_id"]: (r["outcome"], r["delivery_status"], r["units"]) for r in message["results"]}
    assert results == {
        "cmp-eum.3.1": ("delivered", "DELIVRD", 1),
        "cmp-eum.8.1": ("rejected", "REJECTD", 1),
        "cmp-eum.4.1": ("undelivered", "EXPIRED", 1),
        "cmp-eum.99.1": ("delivered", "DELIVRD", 3),
    }
    assert message["campaign_id"] == "cmp-eum" and message["batch_id"].startswith("cb-")

    # WHEN SQS delivers the same batch again THEN the same message (same batch id) goes out again
    handler(sqs_event(*bodies), context)
    [again] = drain(aws)
    assert again == message
