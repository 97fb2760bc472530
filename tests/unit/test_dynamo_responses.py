"""The emulator's shortcuts in moto's and botocore's DynamoDB code give what their own code gives
(local.dynamo_responses, local.dynamo_requests, local.emulator): items turned into plain values, attribute
values written and parsed directly vs the model-driven walks (answers and requests), a projection of top-level
names vs moto's round trip through plain JSON, an item's size checked once vs on every attribute, an item's
size without re-wrapping its maps, and a query's found items copied one level."""

from __future__ import annotations

import base64
import json
from typing import Any

import botocore.session
import pytest
from botocore.parsers import JSONParser
from hypothesis import given, settings
from hypothesis import strategies as st
from moto.core.parse import JSONParser as MotoJSONParser
from moto.core.serialize import JSONSerializer, XFormedAttributePicker
from moto.core.utils import get_service_model
from moto.dynamodb.exceptions import ItemSizeTooLarge
from moto.dynamodb.models import dynamo_type
from moto.dynamodb.models.utilities import dynamo_to_dict

from local import dynamo_responses
from local.dynamo_requests import _original_parse_map, _original_parse_structure, _parse_map, _parse_structure
from local.dynamo_responses import DynamoJSONSerializer, _handle_structure, _original_handle_structure, plain
from local.emulator import (
    _item_init,
    _item_size,
    _moto_item_init,
    _moto_item_size,
    _moto_project,
    _moto_value_size,
    _project,
    _ResultCopy,
    _value_size,
)

_SERVICE = get_service_model("dynamodb")
_names = st.text(min_size=1, max_size=8)
_numbers = st.integers(-(10**12), 10**12).map(str) | st.decimals(-1000, 1000, places=3).map(str)
_scalars = st.one_of(
    st.builds(lambda s: {"S": s}, st.text(max_size=12)),
    st.builds(lambda n: {"N": n}, _numbers),
    st.builds(lambda b: {"B": b}, st.binary(max_size=12)),
    st.builds(lambda b: {"BOOL": b}, st.booleans()),
    st.just({"NULL": True}),
    st.builds(lambda s: {"SS": sorted(s)}, st.sets(st.text(max_size=6), min_size=1, max_size=4)),
    st.builds(lambda s: {"NS": sorted(s)}, st.sets(st.integers(0, 999).map(str), min_size=1, max_size=4)),
    st.builds(lambda s: {"BS": sorted(s)}, st.sets(st.binary(max_size=6), min_size=1, max_size=3)),
)
_values = st.recursive(
    _scalars,
    lambda inner: (
        st.builds(lambda m: {"M": m}, st.dictionaries(_names, inner, max_size=4))
        | st.builds(lambda items: {"L": items}, st.lists(inner, max_size=4))
    ),
    max_leaves=20,
)
_items = st.dictionaries(_names, _values, max_size=12)


class _BotocoreParser(JSONParser):
    _handle_structure = _original_handle_structure


class _FastParser(JSONParser):
    _handle_structure = _handle_structure


_BOTOCORE_MODEL = botocore.session.get_session().get_service_model("dynamodb")


def _body(serializer_class: type[JSONSerializer], operation: str, result: Any) -> str:
    serializer = serializer_class(
        operation_model=_SERVICE.operation_model(operation),
        pretty_print=False,
        value_picker=XFormedAttributePicker(response_transformers=None),
    )
    handed_over = dynamo_responses._HANDED_OVER
    dynamo_responses._HANDED_OVER = frozenset()  # the text a read's answer would be (tests/unit/test_dynamo_reads.py)
    try:
        body: str = serializer.serialize(result)["body"]
    finally:
        dynamo_responses._HANDED_OVER = handed_over
    return body


@settings(max_examples=60, deadline=None)
@given(item=_items, more=st.lists(_items, max_size=3))
def test_attribute_values_are_written_as_moto_writes_them(item: dict[str, Any], more: list[dict[str, Any]]) -> None:
    get_result = {"Item": item}
    query_result = {"Items": [item, *more], "Count": 1 + len(more), "LastEvaluatedKey": {"pk": {"S": "x"}}}
    for operation, result in (("GetItem", get_result), ("Query", query_result)):
        fast = _body(DynamoJSONSerializer, operation, result)
        assert fast == _body(JSONSerializer, operation, result)
        assert json.loads(fast)  # and it is JSON


@settings(max_examples=60, deadline=None)
@given(items=st.lists(_items, max_size=3))
def test_items_become_plain_values_and_are_parsed_back_as_moto_and_botocore_do(items: list[dict[str, Any]]) -> None:
    stored = [dynamo_type.Item(dynamo_type.DynamoType({"S": "pk"}), None, item) for item in items]
    result = {"Items": [item.attrs for item in stored], "Count": len(stored), "ScannedCount": len(stored)}
    assert plain(result) == dynamo_to_dict(result)
    body = _body(DynamoJSONSerializer, "Query", plain(result)).encode()
    shape = _BOTOCORE_MODEL.operation_model("Query").output_shape
    answer = {"body": body, "headers": {}, "status_code": 200}
    assert _FastParser().parse(answer, shape) == _BotocoreParser().parse(answer, shape)


def test_a_value_the_shortcut_does_not_know_takes_moto_s_walk() -> None:
    odd = {"Item": {"a": {"S": "x", "Unknown": "y"}, "b": {"N": 5}, "c": {"L": [None]}}}
    assert _body(DynamoJSONSerializer, "GetItem", odd) == _body(JSONSerializer, "GetItem", odd)
    shape = _BOTOCORE_MODEL.operation_model("GetItem").output_shape
    answer = {"body": json.dumps(odd).encode(), "headers": {}, "status_code": 200}
    assert _FastParser().parse(answer, shape) == _BotocoreParser().parse(answer, shape)


@settings(max_examples=60, deadline=None)
@given(item=_items, picked=st.lists(_names, max_size=6), nested=st.booleans())
def test_a_projection_gives_what_moto_s_own_gives(item: dict[str, Any], picked: list[str], nested: bool) -> None:
    nest = {"M": {"inner": {"N": "1"}, "outer": {"S": "x"}}}
    stored = dynamo_type.Item(dynamo_type.DynamoType({"S": "pk"}), None, {"pk": {"S": "pk"}, **item, "nest": nest})
    expressions = [[name] for name in picked]
    if nested:
        expressions.append(["nest", "inner"])  # a nested path: the plain-JSON route
    ours, moto_s = _project(stored, expressions), _moto_project(stored, expressions)
    assert dynamo_to_dict(ours.attrs) == dynamo_to_dict(moto_s.attrs)
    assert list(ours.attrs) == list(moto_s.attrs)


def _built(init: Any, attrs: dict[str, Any]) -> dynamo_type.Item:
    item: dynamo_type.Item = object.__new__(dynamo_type.Item)
    init(item, dynamo_type.DynamoType({"S": "pk"}), None, attrs)
    return item


@settings(max_examples=60, deadline=None)
@given(item=_items)
def test_an_item_is_built_as_moto_builds_it(item: dict[str, Any]) -> None:
    ours, moto_s = _built(_item_init, item), _built(_moto_item_init, item)
    assert type(ours.attrs) is type(moto_s.attrs)
    assert list(ours.attrs.items()) == list(moto_s.attrs.items())
    assert ours.size() == moto_s.size()


@pytest.mark.parametrize("padding", [404_000, 406_000])
def test_an_item_over_moto_s_size_limit_is_refused_as_moto_refuses_it(padding: int) -> None:
    attrs = {"a": {"S": "x" * (padding // 2)}, "b": {"S": "y" * (padding // 2)}, "c": {"N": "1"}}
    outcomes = []
    for init in (_item_init, _moto_item_init):
        try:
            _built(init, attrs)
            outcomes.append("stored")
        except ItemSizeTooLarge:
            outcomes.append("too large")
    assert outcomes == (["stored"] * 2 if padding < 405_000 else ["too large"] * 2)


class _MotoRequestParser(MotoJSONParser):
    _parse_structure = _original_parse_structure
    _parse_map = _original_parse_map


class _FastRequestParser(MotoJSONParser):
    _parse_structure = _parse_structure
    _parse_map = _parse_map


@settings(max_examples=80, deadline=None)
@given(item=_items, more=st.lists(_items, max_size=3), odd=st.booleans())
def test_requests_are_parsed_as_moto_parses_them(item: dict[str, Any], more: list[dict[str, Any]], odd: bool) -> None:
    if odd:  # forms the shortcut leaves to moto: two members, an unknown member, a null member, a number as S
        item = {**item, "two": {"S": "a", "N": "1"}, "unknown": {"X": "1"}, "null": {"S": None}, "num": {"S": 5}}
    body = {"RequestItems": {"t": [{"PutRequest": {"Item": {"pk": {"S": "1"}, **i}}} for i in [item, *more]]}}
    for operation, request in (
        ("BatchWriteItem", body),
        ("PutItem", {"TableName": "t", "Item": item, "ExpressionAttributeValues": {":v": {"N": "1"}}}),
        ("BatchGetItem", {"RequestItems": {"t": {"Keys": [item, *more]}}}),
    ):
        raw = {"method": "POST", "values": {}, "headers": {}, "body": json.dumps(request, default=_b64).encode()}
        model = _SERVICE.operation_model(operation)
        assert _FastRequestParser(model).parse(dict(raw)) == _MotoRequestParser(model).parse(dict(raw))


def _b64(value: Any) -> str:
    return base64.b64encode(value).decode()


@settings(max_examples=60, deadline=None)
@given(item=_items)
def test_an_item_s_size_is_moto_s(item: dict[str, Any]) -> None:
    stored = dynamo_type.Item(dynamo_type.DynamoType({"S": "pk"}), None, {"pk": {"S": "pk"}, **item})
    assert _item_size(stored) == _moto_item_size(stored)
    for value in stored.attrs.values():
        assert _value_size(value) == _moto_value_size(value)


def test_a_found_item_is_copied_one_level_and_anything_else_deep() -> None:
    stored = dynamo_type.Item(
        dynamo_type.DynamoType({"S": "pk"}), None, {"pk": {"S": "pk"}, "m": {"M": {"a": {"N": "1"}}}}
    )
    (found,) = _ResultCopy.deepcopy([stored])
    assert found is not stored and found.attrs is not stored.attrs
    assert dynamo_to_dict(found.attrs) == dynamo_to_dict(stored.attrs)
    del found.attrs["m"]  # a projection or an index drops attributes from its copy, never from the table
    assert "m" in stored.attrs
    table_items = {"pk": stored}  # a backup copies a table's items: deep
    backup = _ResultCopy.deepcopy(table_items)
    assert backup["pk"] is not stored and backup["pk"].attrs["m"] is not stored.attrs["m"]
