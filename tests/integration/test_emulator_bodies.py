"""A JSON request body is never read as a query string by the emulator (issue 14: no request can break it).

moto 5.2 reads every body as a query string too and takes `Action` (and parameters) from it before the
`X-Amz-Target` header or the URL, so user text that travels in a request body (an SMS text in a queued message, a
campaign name in an item, a schedule's input) could run another operation: `x&Action=PurgeQueue&y` emptied the
queue it was sent to. `local.emulator` keeps a JSON body whole there; these check the operation asked for is the
one run, with the text kept as given.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from jarchi.resources import DISPATCH_QUEUE
from jarchi.settings import Settings
from jarchi.store.tables import ACCOUNTS
from local import emulator


def _queue_url(settings: Settings, logical: str) -> str:
    sqs = boto3.client("sqs", region_name=settings.region)
    return str(sqs.get_queue_url(QueueName=settings.queue_name(logical))["QueueUrl"])


def _waiting(sqs: Any, url: str) -> int:
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


def test_R_API_a_queued_text_holding_an_action_is_queued_not_run(aws: Settings) -> None:
    sqs = boto3.client("sqs", region_name=aws.region)
    url = _queue_url(aws, DISPATCH_QUEUE.logical)
    dlq = _queue_url(aws, DISPATCH_QUEUE.dlq_logical)
    texts = ["first", "x&Action=PurgeQueue&y", f"a&QueueUrl={dlq}&b", "c&Action=DeleteQueue&d"]
    for text in texts:
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"sms_text": text}))
    assert (_waiting(sqs, url), _waiting(sqs, dlq)) == (4, 0)
    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert sorted(json.loads(m["Body"])["sms_text"] for m in received) == sorted(texts)


@pytest.mark.parametrize("direct", [True, False], ids=["dispatched-directly", "moto-routing"])
def test_R_API_an_item_holding_an_action_is_stored_as_given(
    aws: Settings, monkeypatch: pytest.MonkeyPatch, direct: bool
) -> None:
    monkeypatch.setattr(emulator, "dispatch_dynamodb_directly", direct)
    dynamodb = boto3.client("dynamodb", region_name=aws.region)
    table = aws.table_name(ACCOUNTS.logical)
    name = "Shop&Action=DeleteTable&TableName=x"
    dynamodb.put_item(TableName=table, Item={"pk": {"S": "k"}, "sk": {"S": "1"}, "name": {"S": name}})
    assert table in dynamodb.list_tables()["TableNames"]
    item = dynamodb.get_item(TableName=table, Key={"pk": {"S": "k"}, "sk": {"S": "1"}})["Item"]
    assert item["name"] == {"S": name}


def test_R_API_a_schedules_input_holding_an_action_is_kept(aws: Settings) -> None:
    scheduler = boto3.client("scheduler", region_name=aws.region)
    text = "x&Action=DeleteSchedule&y"
    scheduler.create_schedule(
        Name="later",
        ScheduleExpression="at(2030-01-01T00:00:00)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={
            "Arn": f"arn:aws:lambda:{aws.region}:123456789012:function:f",
            "RoleArn": "arn:aws:iam::123456789012:role/r",
            "Input": json.dumps({"text": text}),
        },
    )
    kept = scheduler.get_schedule(Name="later")["Target"]["Input"]
    assert json.loads(kept) == {"text": text}
