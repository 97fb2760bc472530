"""The emulator's shortcuts in moto's and botocore's DynamoDB code give what their own code gives
(local.dynamo_responses, local.emulator._project): items turned into plain values, attribute values written
and parsed directly vs the model-driven walks, and a projection of top-level names vs moto's round trip
through plain JSON."""

from __future__ import annotations

import json
from typing import Any

import botocore.session
from botocore.parsers import JSONParser
from hypothesis import given, settings
from hypothesis import strategies as st
from moto.core.serialize import JSONSerializer, XFormedAttributePicker
from moto.core.utils import get_service_model
from moto.dynamodb.models import dynamo_type
from moto.dynamodb.models.utilities import dynamo_to_dict

from local.dynamo_responses import DynamoJSONSerializer, _handle_structure, _original_handle_structure, plain
from local.emulator import _moto_project, _project

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
    body: str = serializer.serialize(result)["body"]
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
