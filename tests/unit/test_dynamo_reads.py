"""The emulator's shortcuts on DynamoDB reads (local.emulator, local.dynamo_responses) answer what moto answers
without them: the same items, pages and keys, through a real moto-backed client (issue 14, the read latency)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.signers import RequestSigner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto.dynamodb import responses as moto_dynamodb_responses
from moto.dynamodb.models import dynamo_type
from moto.dynamodb.models import table as dynamo_table
from moto.dynamodb.models.utilities import dynamo_to_dict
from moto.dynamodb.parsing.reserved_keywords import ReservedKeywords
from moto.dynamodb.responses import ProjectionExpressionParser

from local import dynamo_responses, emulator
from tests.unit.emulated_table import emulated_table

_REGION = "eu-central-1"
_TABLE = "reads"
_names = st.sampled_from(["a", "b", "c", "name", "n"])
_scalars = st.one_of(
    st.builds(lambda s: {"S": s}, st.text(max_size=8)),
    st.builds(lambda n: {"N": str(n)}, st.integers(-1000, 1000)),
    st.builds(lambda b: {"B": b}, st.binary(max_size=8)),
    st.builds(lambda b: {"BOOL": b}, st.booleans()),
    st.just({"NULL": True}),
    st.builds(lambda s: {"SS": sorted(s)}, st.sets(st.text(min_size=1, max_size=4), min_size=1, max_size=3)),
)
_values = st.recursive(
    _scalars,
    lambda inner: (
        st.builds(lambda m: {"M": m}, st.dictionaries(_names, inner, max_size=3))
        | st.builds(lambda items: {"L": items}, st.lists(inner, max_size=3))
    ),
    max_leaves=8,
)
# items of a few partitions, each with an index key (some without: a sparse index)
_items = st.lists(
    st.tuples(
        st.sampled_from(["p1", "p2", "p3"]),
        st.integers(0, 30),
        st.one_of(st.none(), st.sampled_from(["g1", "g2"])),
        st.dictionaries(_names, _values, max_size=4),
    ),
    max_size=25,
    unique_by=lambda row: (row[0], row[1]),
)


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    with emulated_table(_REGION, _TABLE) as dynamodb:
        yield dynamodb


def _fill(client: Any, rows: list[tuple[str, int, str | None, dict[str, Any]]]) -> None:
    for page in client.get_paginator("scan").paginate(TableName=_TABLE):
        for item in page["Items"]:
            client.delete_item(TableName=_TABLE, Key={"pk": item["pk"], "sk": item["sk"]})
    for pk, sk, g, attrs in rows:
        item = {**attrs, "pk": {"S": pk}, "sk": {"N": str(sk)}}
        if g is not None:
            item["g"] = {"S": g}
        client.put_item(TableName=_TABLE, Item=item)


def _reads(client: Any, limit: int, forward: bool) -> list[Any]:
    """Every read shape the platform sends: GetItem (projected or not), BatchGetItem, Query on the table and on
    an index (limited, backwards, from a start key, with a filter), Scan."""
    answers: list[Any] = []

    def call(operation: str, **arguments: Any) -> None:
        try:
            answer = getattr(client, operation)(**arguments)
        except client.exceptions.ClientError as error:
            answers.append((operation, "error", error.response["Error"]))
            return
        answer.pop("ResponseMetadata")
        answers.append((operation, answer))

    key = {"pk": {"S": "p1"}, "sk": {"N": "3"}}
    call("get_item", TableName=_TABLE, Key=key, ConsistentRead=True)
    call("get_item", TableName=_TABLE, Key=key, ProjectionExpression="a, #n", ExpressionAttributeNames={"#n": "n"})
    call("get_item", TableName=_TABLE, Key=key, ProjectionExpression="a.b, #n[0]", ExpressionAttributeNames={"#n": "n"})
    call("get_item", TableName=_TABLE, Key=key, ProjectionExpression="a, a")  # (refused: a duplicate)
    unused = {"#n": "n", "#u": "u"}
    call("get_item", TableName=_TABLE, Key=key, ProjectionExpression="a, #n", ExpressionAttributeNames=unused)
    call("batch_get_item", RequestItems={_TABLE: {"Keys": [key, {"pk": {"S": "p2"}, "sk": {"N": "1"}}]}})
    call("get_item", TableName="no-such-table", Key=key)
    for pk in ("p1", "p2", "p4"):
        call(
            "query",
            TableName=_TABLE,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": pk}},
            Limit=limit,
            ScanIndexForward=forward,
        )
    for g in ("g1", "g2"):
        arguments: dict[str, Any] = {
            "TableName": _TABLE,
            "IndexName": "by_g",
            "KeyConditionExpression": "g = :g",
            "ExpressionAttributeValues": {":g": {"S": g}},
            "Limit": limit,
            "ScanIndexForward": forward,
        }
        first = client.query(**arguments)
        call("query", **arguments)
        if "LastEvaluatedKey" in first:
            call("query", **arguments, ExclusiveStartKey=first["LastEvaluatedKey"])
        call("query", **{**arguments, "FilterExpression": "attribute_exists(a)"})
    call("scan", TableName=_TABLE, Limit=limit)
    return answers


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=_items, limit=st.integers(1, 6), forward=st.booleans())
def test_reads_answer_what_moto_answers_without_the_shortcuts(
    client: Any, monkeypatch: pytest.MonkeyPatch, rows: Any, limit: int, forward: bool
) -> None:
    _fill(client, rows)
    ours = _reads(client, limit, forward)
    ours_again = _reads(client, limit, forward)  # (with what the first reads kept)
    with monkeypatch.context() as moto_s:
        _moto_s_own(moto_s)
        assert ours == ours_again == _reads(client, limit, forward)


def test_a_page_ends_at_one_megabyte_as_moto_s_does(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    padding = "x" * 300_000  # four items are over the 1 MB a page may hold
    _fill(client, [("p1", sk, "g1", {"pad": {"S": padding}}) for sk in range(7)])
    ours = _reads(client, 10, True)
    with monkeypatch.context() as moto_s:
        _moto_s_own(moto_s)
        assert ours == _reads(client, 10, True)
    pages = [answer[1] for answer in ours if answer[0] == "query" and len(answer) == 2 and answer[1]["Count"]]
    page = pages[0]
    assert page["Count"] == 3 and "LastEvaluatedKey" in page


def test_a_read_s_answer_is_handed_over_not_written(client: Any) -> None:
    _fill(client, [("p1", 1, None, {"a": {"B": b"\x00\xff"}})])
    bodies: list[bytes] = []

    def keep_body(response_dict: dict[str, Any], **_: Any) -> None:
        bodies.append(response_dict["body"])

    client.meta.events.register("before-parse.dynamodb.GetItem", keep_body)
    try:
        answer = client.get_item(TableName=_TABLE, Key={"pk": {"S": "p1"}, "sk": {"N": "1"}})
    finally:
        client.meta.events.unregister("before-parse.dynamodb.GetItem", keep_body)
    assert answer["Item"]["a"] == {"B": b"\x00\xff"}
    assert bodies == [b'{"__jarchi_local_answer__": ' + bodies[0].split(b": ")[1]]  # only the number
    assert not dynamo_responses._answers()  # taken by the parser


def test_an_item_s_size_is_counted_once_until_a_write() -> None:
    item = dynamo_type.Item(dynamo_type.DynamoType({"S": "pk"}), None, {"pk": {"S": "pk"}, "a": {"S": "abc"}})
    emulator.install_request_serialisation()
    emulator.forget_derived()
    assert item.size() == item.size() == emulator._moto_item_size(item)
    item.attrs["a"] = dynamo_type.DynamoType({"S": "abcdef"})  # (only ever inside a write request: the lock)
    assert item.size() == emulator._moto_item_size(item) - 3  # kept until a write forgets it
    emulator.forget_derived()
    assert item.size() == emulator._moto_item_size(item)


def _writes(client: Any) -> list[Any]:
    """Every kind of write that changes stored values, in place (update expressions) or by a new item, with a
    read after each (what a read keeps must not outlive the next write)."""
    key = {"pk": {"S": "p1"}, "sk": {"N": "3"}}
    update = "update_item"
    writes: list[tuple[str, dict[str, Any]]] = [
        (
            update,
            {
                "Key": key,
                "UpdateExpression": "SET a = :a, n = :n",
                "ExpressionAttributeValues": {
                    ":a": {"M": {"x": {"S": "y"}, "l": {"L": [{"N": "1"}]}}},
                    ":n": {"N": "1"},
                },
            },
        ),
        (
            update,
            {
                "Key": key,
                "UpdateExpression": "SET a.x = :x ADD n :one REMOVE b",
                "ExpressionAttributeValues": {":x": {"L": [{"S": "z"}]}, ":one": {"N": "41"}},
            },
        ),
        (
            update,
            {
                "Key": key,
                "UpdateExpression": "SET a.l[0] = :two, a.l[1] = :two",
                "ExpressionAttributeValues": {":two": {"N": "2"}},
            },
        ),
        (update, {"Key": key, "UpdateExpression": "ADD s :s", "ExpressionAttributeValues": {":s": {"SS": ["a"]}}}),
        (update, {"Key": key, "UpdateExpression": "ADD s :s", "ExpressionAttributeValues": {":s": {"SS": ["b"]}}}),
        ("put_item", {"Item": {"pk": {"S": "p2"}, "sk": {"N": "1"}, "g": {"S": "g1"}, "c": {"S": "new"}}}),
        ("delete_item", {"Key": {"pk": {"S": "p1"}, "sk": {"N": "0"}}}),
        (
            "transact_write_items",
            {
                "TransactItems": [
                    {
                        "Update": {
                            "TableName": _TABLE,
                            "Key": {"pk": {"S": "p3"}, "sk": {"N": "2"}},
                            "UpdateExpression": "SET g = :g, #n = :v",
                            "ExpressionAttributeNames": {"#n": "name"},
                            "ExpressionAttributeValues": {":g": {"S": "g2"}, ":v": {"SS": ["q"]}},
                        }
                    }
                ]
            },
        ),
        (
            "batch_write_item",
            {
                "RequestItems": {
                    _TABLE: [
                        {
                            "PutRequest": {
                                "Item": {"pk": {"S": "p1"}, "sk": {"N": "4"}, "g": {"S": "g2"}, "a": {"N": "7"}}
                            }
                        },
                        {"DeleteRequest": {"Key": {"pk": {"S": "p1"}, "sk": {"N": "5"}}}},
                    ]
                }
            },
        ),
    ]
    answers = []
    for operation, arguments in writes:
        table = {} if operation in ("transact_write_items", "batch_write_item") else {"TableName": _TABLE}
        getattr(client, operation)(**table, **arguments)
        answers.append(client.get_item(TableName=_TABLE, Key=key)["Item"])
        answers.append(_reads(client, 3, True))
    return answers


def _moto_s_own(moto_s: pytest.MonkeyPatch) -> None:
    """Reads as moto answers them without the emulator's shortcuts (nothing kept between reads either)."""
    moto_s.setattr(dynamo_responses, "_HANDED_OVER", frozenset())  # answers as JSON text, parsed back
    moto_s.setattr(moto_dynamodb_responses, "dynamo_to_dict", dynamo_to_dict)  # each value converted each time
    moto_s.setattr(dynamo_type.Item, "size", emulator._moto_item_size)  # sizes counted each time asked
    moto_s.setattr(dynamo_type.DynamoType, "size", emulator._moto_value_size)
    moto_s.setattr(dynamo_type.DynamoType, "cast_value", emulator._moto_cast_value)
    moto_s.setattr(dynamo_table.Table, "all_items", emulator._moto_all_items)  # the table's items sorted each time
    moto_s.setattr(RequestSigner, "sign", emulator._sign)  # signed: the same account and region's data
    moto_s.setattr(emulator, "dispatch_dynamodb_directly", False)  # through moto's routing
    moto_s.setattr(ProjectionExpressionParser, "parse", emulator._moto_parse_projection)  # parsed each time


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=_items, limit=st.integers(1, 6), forward=st.booleans())
def test_reads_after_writes_answer_what_they_changed(
    client: Any, monkeypatch: pytest.MonkeyPatch, rows: Any, limit: int, forward: bool
) -> None:
    written = [*rows, ("p1", 3, "g1", {"b": {"S": "gone"}}), ("p3", 2, None, {})]
    _fill(client, written)
    _reads(client, limit, forward)  # what these reads keep must not outlive the writes
    ours = _writes(client), _reads(client, limit, forward)
    _fill(client, written)
    with monkeypatch.context() as moto_s:
        _moto_s_own(moto_s)
        assert ours == (_writes(client), _reads(client, limit, forward))


def test_a_page_ends_where_an_item_grown_in_place_puts_it(client: Any) -> None:
    sizes = [50_000, 300_000, 300_000, 300_000, 300_000]
    _fill(client, [("p1", sk, "g1", {"pad": {"S": "x" * size}}) for sk, size in enumerate(sizes)])
    arguments = {
        "TableName": _TABLE,
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": {":pk": {"S": "p1"}},
    }
    assert client.query(**arguments)["Count"] == 4  # 950 KB: a fifth item is over the 1 MB of a page
    client.update_item(
        TableName=_TABLE,
        Key={"pk": {"S": "p1"}, "sk": {"N": "0"}},
        UpdateExpression="SET #p = :p",
        ExpressionAttributeNames={"#p": "pad"},
        ExpressionAttributeValues={":p": {"S": "x" * 100_000}},
    )
    assert client.query(**arguments)["Count"] == 3  # the first item grew in place: 1 MB and its keys


def test_dynamodb_requests_go_out_unsigned_and_others_signed(client: Any) -> None:
    headers: list[dict[str, Any]] = []

    def keep_headers(request: Any, **_: Any) -> None:
        headers.append(dict(request.headers))

    sqs = boto3.client("sqs", region_name=_REGION)
    for one in (client, sqs):
        one.meta.events.register_first("before-send", keep_headers)
    client.describe_table(TableName=_TABLE)
    sqs.list_queues()
    assert "Authorization" not in headers[0]
    assert headers[1]["Authorization"].startswith(b"AWS4-HMAC-SHA256")


@settings(max_examples=100, deadline=None)
@given(word=st.one_of(st.text(max_size=8).map(str.upper), st.sampled_from(["NAME", "STATUS", "TTL", "COUNT", "ID"])))
def test_a_reserved_word_is_one_of_moto_s_list(word: str) -> None:
    emulator.install_request_serialisation()
    words = ReservedKeywords.get_reserved_keywords()
    assert isinstance(words, emulator._Keywords)
    assert (word in words) == (word in list(words)) == (word in ReservedKeywords._get_reserved_keywords())


def test_a_projection_parsed_once_is_each_request_s_own() -> None:
    emulator.install_request_serialisation()
    expression, names = "a.b, #n, #s[1]", {"#n": "name", "#s": "status"}
    parsers = [ProjectionExpressionParser(expression, dict(names)) for _ in range(3)]
    answers = [parser.parse() for parser in parsers[:2]]
    answers[0][0].append("changed")  # a caller's own lists: nothing kept changes with them
    answers[1][1].append("changed")
    moto_s = ProjectionExpressionParser(expression, dict(names))
    assert parsers[2].parse() == emulator._moto_parse_projection(moto_s) == [["a", "b"], ["name"], ["#s[1]"]]
    assert all(parser.expr_attr_names_found == moto_s.expr_attr_names_found == ["#n"] for parser in parsers)
