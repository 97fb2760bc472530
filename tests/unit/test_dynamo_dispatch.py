"""DynamoDB requests handed to moto's handler directly (local.dynamo_dispatch) are answered as moto's own routing
answers them: the same status, headers (but the date and the request id), body bytes and errors, reads and
writes, from a botocore client or from a request rebuilt from its parts (issue 14, the read latency)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.awsrequest import AWSPreparedRequest
from botocore.compat import HTTPHeaders
from botocore.exceptions import ClientError
from moto.core.models import botocore_stubber

from local import dynamo_dispatch, dynamo_responses, emulator
from tests.unit.emulated_table import emulated_table

_REGION = "eu-central-1"
_TABLE = "dispatch"
_VOLATILE = {"date", "x-amzn-requestid"}  # (moto's request id is random, its date the clock's)
_KEY = {"pk": {"S": "p1"}, "sk": {"N": "1"}}
_UPDATE = {"TableName": _TABLE, "Key": _KEY}

# (operation, arguments): every kind of read and write the platform sends, and the errors it can meet
_CALLS: list[tuple[str, dict[str, Any]]] = [
    ("get_item", {"TableName": _TABLE, "Key": _KEY, "ConsistentRead": True}),
    (
        "get_item",
        {"TableName": _TABLE, "Key": _KEY, "ProjectionExpression": "a, #n", "ExpressionAttributeNames": {"#n": "n"}},
    ),
    ("get_item", {"TableName": _TABLE, "Key": {"pk": {"S": "p9"}, "sk": {"N": "1"}}}),  # no such item
    ("get_item", {"TableName": _TABLE, "Key": {"pk": {"S": ""}, "sk": {"N": "1"}}}),  # an empty key
    ("get_item", {"TableName": "no-such-table", "Key": _KEY}),
    ("get_item", {"TableName": _TABLE, "Key": {"pk": {"S": "p1"}}}),  # half a key
    ("get_item", {"TableName": _TABLE, "Key": _KEY, "ProjectionExpression": "a,, b"}),  # (moto raises IndexError)
    ("get_item", {"TableName": _TABLE, "Key": _KEY, "ProjectionExpression": "a, status"}),  # a reserved word
    ("batch_get_item", {"RequestItems": {_TABLE: {"Keys": [_KEY, {"pk": {"S": "p2"}, "sk": {"N": "2"}}]}}}),
    ("batch_get_item", {"RequestItems": {"no-such-table": {"Keys": [_KEY]}}}),
    (
        "query",
        {"TableName": _TABLE, "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "p1"}}},
    ),
    (
        "query",
        {
            "TableName": _TABLE,
            "IndexName": "by_g",
            "KeyConditionExpression": "g = :g AND sk > :s",
            "ExpressionAttributeValues": {":g": {"S": "g1"}, ":s": {"N": "0"}},
            "Limit": 1,
            "ScanIndexForward": False,
            "FilterExpression": "attribute_exists(a)",
        },
    ),
    (
        "query",
        {"TableName": _TABLE, "KeyConditionExpression": "pk = = :p", "ExpressionAttributeValues": {":p": {"S": "p1"}}},
    ),
    (
        "query",
        {
            "TableName": _TABLE,
            "KeyConditionExpression": "pk = :p",
            "ExpressionAttributeValues": {":p": {"S": "p1"}, ":q": {"S": "x"}},
        },
    ),
    (
        "query",
        {
            "TableName": _TABLE,
            "IndexName": "no_such_index",
            "KeyConditionExpression": "pk = :p",
            "ExpressionAttributeValues": {":p": {"S": "p1"}},
        },
    ),
    ("scan", {"TableName": _TABLE, "Limit": 2}),
    ("put_item", {"TableName": _TABLE, "Item": {**_KEY, "a": {"S": "new"}}, "ReturnValues": "ALL_OLD"}),
    (
        "put_item",
        {"TableName": _TABLE, "Item": {**_KEY, "a": {"S": "x"}}, "ConditionExpression": "attribute_not_exists(pk)"},
    ),
    (
        "put_item",
        {
            "TableName": _TABLE,
            "Item": {**_KEY, "a": {"S": "x"}},
            "ConditionExpression": "attribute_not_exists(pk)",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        },
    ),
    ("put_item", {"TableName": _TABLE, "Item": {"pk": {"S": "p3"}, "sk": {"N": "3"}, "u": {"S": "ünï ✓ \u202e"}}}),
    (
        "put_item",
        {"TableName": _TABLE, "Item": {"pk": {"S": "p4"}, "sk": {"N": "4"}, "g": {"S": ""}}},
    ),  # empty index key
    (
        "update_item",
        {
            **_UPDATE,
            "UpdateExpression": "SET a = :a ADD n :one",
            "ExpressionAttributeValues": {":a": {"M": {"x": {"L": [{"N": "1"}]}}}, ":one": {"N": "1"}},
            "ReturnValues": "ALL_NEW",
        },
    ),
    ("update_item", {**_UPDATE, "UpdateExpression": "SET a = ", "ExpressionAttributeValues": {":a": {"S": "x"}}}),
    (
        "update_item",
        {
            **_UPDATE,
            "UpdateExpression": "SET a = :a",
            "ConditionExpression": "n > :big",
            "ExpressionAttributeValues": {":a": {"S": "x"}, ":big": {"N": "99"}},
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        },
    ),
    (
        "update_item",
        {
            **_UPDATE,
            "UpdateExpression": "SET a = :a",
            "ConditionExpression": "n > :big",
            "ExpressionAttributeValues": {":a": {"S": "x"}, ":big": {"N": "99"}},
        },
    ),
    ("delete_item", {"TableName": _TABLE, "Key": {"pk": {"S": "p2"}, "sk": {"N": "2"}}, "ReturnValues": "ALL_OLD"}),
    (
        "transact_write_items",
        {
            "TransactItems": [
                {"Put": {"TableName": _TABLE, "Item": {"pk": {"S": "p5"}, "sk": {"N": "5"}}}},
                {
                    "ConditionCheck": {
                        "TableName": _TABLE,
                        "Key": _KEY,
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ]
        },
    ),
    (
        "transact_write_items",
        {"TransactItems": [{"Put": {"TableName": _TABLE, "Item": {"pk": {"S": "p5"}, "sk": {"N": "5"}}}}]},
    ),
    (
        "batch_write_item",
        {
            "RequestItems": {
                _TABLE: [
                    {"PutRequest": {"Item": {"pk": {"S": "p6"}, "sk": {"N": "6"}, "g": {"S": "g1"}, "a": {"N": "7"}}}},
                    {"DeleteRequest": {"Key": {"pk": {"S": "p1"}, "sk": {"N": "0"}}}},
                ]
            }
        },
    ),
    (
        "put_item",
        {"TableName": _TABLE, "Item": {"pk": {"S": "a&Action=ListTables&b"}, "sk": {"N": "1"}}},
    ),  # (a body holding "&": moto read it as a query string; local.emulator keeps it whole)
    ("scan", {"TableName": _TABLE}),
    ("describe_table", {"TableName": _TABLE}),
]


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    with emulated_table(_REGION, _TABLE) as dynamodb:
        yield dynamodb


def _fill(client: Any) -> None:
    for item in client.scan(TableName=_TABLE)["Items"]:
        client.delete_item(TableName=_TABLE, Key={"pk": item["pk"], "sk": item["sk"]})
    for sk in range(3):
        for pk in ("p1", "p2"):
            item = {"pk": {"S": pk}, "sk": {"N": str(sk)}, "a": {"S": f"{pk}-{sk}"}, "n": {"N": str(sk)}}
            client.put_item(TableName=_TABLE, Item={**item, "g": {"S": "g1"}} if sk else item)


Answer = tuple[int, dict[str, str], bytes]


def _wire(response: Any) -> Answer:
    headers = {name: "(varies)" if name in _VOLATILE else value for name, value in response.headers.items()}
    return response.status_code, headers, response.content


def _run(client: Any, direct: bool, monkeypatch: pytest.MonkeyPatch) -> tuple[list[Any], list[Answer], int]:
    """Every call's outcome as the client sees it, every answer as it came off the stubber (JSON text: no answer
    handed over), and how many requests `dynamo_dispatch` answered."""
    _fill(client)
    served = 0
    original = dynamo_dispatch.answer

    def counting(request: Any) -> Any:
        nonlocal served
        served += 1  # (moto raises on some input: that one was taken too)
        answer = original(request)
        served -= answer is None
        return answer

    wire: list[Answer] = []

    def observe(request: Any, call: Callable[[], Any]) -> Any:
        response = call()
        wire.append(_wire(response))
        return response

    outcomes: list[Any] = []
    with monkeypatch.context() as patched:
        patched.setattr(emulator, "dispatch_dynamodb_directly", direct)
        patched.setattr(dynamo_dispatch, "answer", counting)
        patched.setattr(dynamo_responses, "_HANDED_OVER", frozenset())
        emulator.observe_requests(observe)
        try:
            for operation, arguments in _CALLS:
                outcomes.append(_outcome(getattr(client, operation), arguments))
        finally:
            emulator.observe_requests(None)
    return outcomes, wire, served


def _outcome(call: Callable[..., Any], arguments: dict[str, Any]) -> Any:
    try:
        answer = call(**arguments)
    except ClientError as error:
        return "error", {key: value for key, value in error.response.items() if key != "ResponseMetadata"}
    except Exception as error:  # (moto fails on some input: so must both paths, alike)
        return "raised", type(error).__name__, str(error)
    answer.pop("ResponseMetadata")
    return "answer", answer


def test_every_answer_is_moto_s_own_byte_for_byte(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    direct, direct_wire, served = _run(client, True, monkeypatch)
    routed, routed_wire, served_when_routed = _run(client, False, monkeypatch)
    assert direct_wire == routed_wire
    assert direct == routed
    assert served == len(_CALLS) and served_when_routed == 0
    errors = {outcome[1]["Error"]["Code"] for outcome in direct if outcome[0] == "error"}
    assert errors == {
        "ValidationException",
        "ResourceNotFoundException",
        "ConditionalCheckFailedException",
        "TransactionCanceledException",
    }
    failed_with_item = [outcome[1] for outcome in direct if outcome[0] == "error" and "Item" in outcome[1]]
    assert failed_with_item and failed_with_item[0]["Item"]["a"] == {"S": "new"}  # ReturnValuesOnConditionCheckFailure


def _prepared(client: Any, operation: str, arguments: dict[str, Any]) -> AWSPreparedRequest:
    """The request the client would send, as the parts a forwarding process would pass on."""
    sent: list[AWSPreparedRequest] = []

    def keep(request: AWSPreparedRequest, **_: Any) -> Any:
        sent.append(request)
        return None

    client.meta.events.register_first("before-send.dynamodb", keep)
    try:
        _outcome(getattr(client, operation), arguments)
    finally:
        client.meta.events.unregister("before-send.dynamodb", keep)
    request = sent[0]
    headers = HTTPHeaders()
    for name, value in request.headers.items():
        headers[name] = value
    return AWSPreparedRequest(request.method, request.url, headers, bytes(request.body), stream_output=False)


@pytest.mark.parametrize("call", [0, 3, 7, 9, 11, 16, 17])
def test_a_request_rebuilt_from_its_parts_is_answered_as_moto_answers_it(
    client: Any, monkeypatch: pytest.MonkeyPatch, call: int
) -> None:
    monkeypatch.setattr(dynamo_responses, "_HANDED_OVER", frozenset())
    _fill(client)
    request = _prepared(client, *_CALLS[call])
    answers = []
    for direct in (True, False):
        _fill(client)
        monkeypatch.setattr(emulator, "dispatch_dynamodb_directly", direct)
        answers.append(_wire(botocore_stubber("before-send.dynamodb", request)))
    assert answers[0] == answers[1]
    assert answers[0][2]  # (an answer with a body)


def test_a_request_for_another_endpoint_or_form_is_left_to_moto(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dynamo_responses, "_HANDED_OVER", frozenset())  # (no answer left for a parser to take)
    request = _prepared(client, *_CALLS[0])
    assert dynamo_dispatch.answer(request) is not None
    unusual = [
        AWSPreparedRequest("POST", request.url + "?x=1", request.headers, request.body, False),
        AWSPreparedRequest("GET", request.url, request.headers, request.body, False),
        AWSPreparedRequest("POST", request.url, request.headers, b"", False),
        AWSPreparedRequest("POST", request.url.replace("https://", "http://"), request.headers, request.body, False),
    ]
    gzip = HTTPHeaders()
    for name, value in [*request.headers.items(), ("Content-Encoding", "gzip")]:
        gzip[name] = value
    unusual.append(AWSPreparedRequest("POST", request.url, gzip, request.body, False))
    assert [dynamo_dispatch.answer(one) for one in unusual] == [None] * len(unusual)
