"""The SIP media application's Lambda over moto: a call replayed event by event; at HANGUP its result goes to
connector-events, and from there as a results message."""

from __future__ import annotations

import copy
import json
from typing import Any

import boto3

from functions.connector_events.handler import handler as connector_events
from functions.telephony.handler import handler as telephony
from jarchi.resources import CONNECTOR_EVENTS_QUEUE, RESULTS_QUEUE
from jarchi.settings import Settings
from local.functions import make_context
from tests.connectors.events import load_event, sqs_event


def drain(settings: Settings, logical: str) -> list[str]:
    sqs = boto3.client("sqs", region_name=settings.region)
    url = sqs.get_queue_url(QueueName=settings.queue_name(logical))["QueueUrl"]
    bodies: list[str] = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for message in messages:
            bodies.append(message["Body"])
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return bodies


def test_r_out_1_a_call_answered_with_a_vote_reaches_the_results_queue(aws: Settings) -> None:
    context = make_context("telephony", region=aws.region)
    attributes: dict[str, Any] = {}
    for name in ("NEW_OUTBOUND_CALL", "RINGING", "CALL_ANSWERED", "ACTION_SUCCESSFUL_PlayAudioAndGetDigits", "HANGUP"):
        event = copy.deepcopy(load_event(f"chime/{name}"))
        if attributes:
            event["CallDetails"]["TransactionAttributes"] = attributes
        reply = telephony(event, context)
        assert reply["SchemaVersion"] == "1.0"
        attributes = reply.get("TransactionAttributes", attributes)
    [report] = drain(aws, CONNECTOR_EVENTS_QUEUE.logical)
    assert json.loads(report)["source"] == "chime"

    connector_events(sqs_event(report, report), make_context("connector_events", region=aws.region))
    [message] = [json.loads(body) for body in drain(aws, RESULTS_QUEUE.logical)]
    [result] = message["results"]
    assert (result["attempt_id"], result["outcome"], result["vote"]) == ("cmp-voice.1.1", "answered", 2)
    assert result["connector"] == "chime"
