"""DynamoDB answers in the emulator, without walking botocore's shape model for every attribute value.

Three steps of every answer handle each attribute value of each item: moto turns its items into plain values
(`dynamo_to_dict`), serialises them by the operation's output shape, and botocore parses the JSON back by
the same shape. On a list of 20 campaigns (~80 attributes each) those were ~45 % of an API read's time
(py-spy, issue 14's read latency). Each is done here directly for attribute values, with the same result, and
everything else (the envelope, errors, other services) still takes moto's and botocore's own code.

moto 5.2 serialises a response by walking the operation's output shape; each `AttributeValue` is a structure of
ten members, each looked up through a chain of alias providers. For a campaign item (~80 attributes, some of
them maps) that was ~70 % of a GetItem's time in the emulator and most of an API read's (issue 14, the read
latency). An attribute value in moto's result is already in wire form (`dynamo_to_dict` made it
`{type: value}`, binaries as bytes), so it is written here directly, with what the generic walk does to each
member type: strings and numbers `str()`, binaries base64, booleans as they are, sets, lists and maps
element by element. A value of any other form (a key we do not know, a member that is not what its type
says) takes the generic walk. `tests/unit/test_dynamo_responses.py` holds both paths to the same bytes.
"""

from __future__ import annotations

import base64
import itertools
import json
import threading
from collections.abc import MutableMapping
from typing import Any

from botocore import parsers as botocore_parsers
from moto.core import serialize as moto_serialize
from moto.dynamodb import responses as moto_dynamodb_responses
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.utilities import dynamo_to_dict


class _Unsupported(Exception):
    """A value the fast path does not write; the generic walk does."""


def _blob(value: Any) -> str:
    if isinstance(value, str):
        value = value.encode("utf-8")
    if not isinstance(value, bytes | bytearray):
        raise _Unsupported
    return base64.b64encode(value).strip().decode("utf-8")


def _string(value: Any) -> Any:
    if not isinstance(value, str):  # numbers arrive as strings; anything else: let moto decide
        raise _Unsupported
    return value


def _boolean(value: Any) -> bool:
    if type(value) is not bool:
        raise _Unsupported
    return value


def _each(write: Any) -> Any:
    def written(values: Any) -> list[Any]:
        if type(values) is not list:
            raise _Unsupported
        return [write(value) for value in values]

    return written


def _map(values: Any) -> dict[str, Any]:
    if type(values) is not dict:
        raise _Unsupported
    return {name: attribute_value(value) for name, value in values.items() if value is not None}


def attribute_value(value: Any) -> dict[str, Any]:
    """An `AttributeValue` as the generic serialiser writes it (raises `_Unsupported` when unsure)."""
    if type(value) is not dict:
        raise _Unsupported
    out: dict[str, Any] = {}
    for kind, member in value.items():
        if member is None:  # the generic walk leaves out members that are None
            continue
        write = _WRITERS.get(kind)
        if write is None:
            raise _Unsupported
        out[kind] = write(member)
    return out


_WRITERS: dict[str, Any] = {
    "S": _string,
    "N": _string,
    "B": _blob,
    "BOOL": _boolean,
    "NULL": _boolean,
    "SS": _each(_string),
    "NS": _each(_string),
    "BS": _each(_blob),
    "M": _map,
    "L": _each(attribute_value),
}


# The reads' answers handed to botocore's parser without JSON text in between. moto builds an answer as plain
# values (dicts, lists, strings, numbers, booleans: what `json.loads` gives), writes it with `json.dumps`, and
# botocore reads it back with `json.loads` before walking it by the output shape: for a list of 20 campaigns
# those two steps (and the CRC-32 of the text) were ~15 % of an API read's CPU (py-spy, issue 14). For the read
# operations, the serialiser keeps the value it built and sends a short JSON body naming it; the parser of the
# same thread (the stubbed client waits for its answer) takes that value where it would have decoded the body.
# Errors, writes and every other service still go through the text.
_HANDED_OVER = frozenset({"GetItem", "BatchGetItem", "Query", "Scan"})
_HANDOVER_KEY = "__jarchi_local_answer__"
_HANDOVER_PREFIX = b'{"' + _HANDOVER_KEY.encode() + b'":'
_handover = threading.local()
_handover_numbers = itertools.count(1)
_original_parse_body_as_json = botocore_parsers.BaseJSONParser._parse_body_as_json  # type: ignore[attr-defined]


def _answers() -> dict[int, Any]:
    answers: dict[int, Any] | None = getattr(_handover, "answers", None)
    if answers is None:
        answers = _handover.answers = {}
    return answers


def _hand_over(serialized: Any) -> str:
    answers = _answers()
    if len(answers) >= _HANDOVER_LIMIT:  # answers never parsed (a client that failed in between): forget them
        answers.clear()
    number = next(_handover_numbers)
    answers[number] = serialized
    return json.dumps({_HANDOVER_KEY: number})


_HANDOVER_LIMIT = 64


def _parse_body_as_json(parser: Any, body_contents: Any) -> Any:
    if isinstance(body_contents, bytes) and body_contents.startswith(_HANDOVER_PREFIX):
        number = json.loads(body_contents)[_HANDOVER_KEY]
        answer = _answers().pop(number, None)
        if answer is not None:
            return answer
    return _original_parse_body_as_json(parser, body_contents)


class _ParsedItem(dict[str, Any]):
    """An item of a handed-over answer, already in the form botocore's parser gives (its walk is skipped)."""

    __slots__ = ()


def _parsed_bytes(value: Any) -> bytes:
    return base64.b64decode(_blob(value))


def _parsed_strings(values: Any) -> list[Any]:
    if type(values) is not list:
        raise _Unsupported
    return [_string(value) for value in values]


def _parsed_blobs(values: Any) -> list[Any]:
    if type(values) is not list:
        raise _Unsupported
    return [_parsed_bytes(value) for value in values]


def _answered_map(values: Any) -> dict[str, Any]:
    if type(values) is not dict:
        raise _Unsupported
    return {name: parsed_value(value) for name, value in values.items() if value is not None}


def _answered_list(values: Any) -> list[Any]:
    if type(values) is not list:
        raise _Unsupported
    return [parsed_value(value) for value in values]


_PARSED: dict[str, Any] = {
    "S": _string,
    "N": _string,
    "B": _parsed_bytes,
    "BOOL": _boolean,
    "NULL": _boolean,
    "SS": _parsed_strings,
    "NS": _parsed_strings,
    "BS": _parsed_blobs,
    "M": _answered_map,
    "L": _answered_list,
}


def parsed_value(value: Any) -> dict[str, Any]:
    """An `AttributeValue` as botocore's parser gives it back from what `attribute_value` writes, in one pass
    (raises `_Unsupported` when unsure: the answer then goes as text)."""
    if type(value) is not dict:
        raise _Unsupported
    out: dict[str, Any] = {}
    for kind, member in value.items():
        if member is None:
            continue
        parse = _PARSED.get(kind)
        if parse is None:
            raise _Unsupported
        out[kind] = parse(member)
    return out


def _kept_parsed_value(value: Any) -> dict[str, Any]:
    """`parsed_value` of an item's attribute, kept with its plain form when that is a kept one (`plain`)."""
    kept = _parsed_forms.get(id(value))
    if kept is None or kept[0] is not value:
        return parsed_value(value)
    if kept[1] is None:
        kept = _parsed_forms[id(value)] = (value, parsed_value(value))
    parsed: dict[str, Any] = kept[1]
    return parsed


def _kept_parsed_item(value: dict[str, Any]) -> _ParsedItem:
    """An item's parsed form, kept with its plain form when that is a kept one (`plain`): botocore's parser copies
    an item's top level (`_handle_map`), so the kept form is only read."""
    kept = _parsed_forms.get(id(value))
    if kept is not None and kept[0] is value and kept[1] is not None:
        parsed: _ParsedItem = kept[1]
        return parsed
    parsed = _ParsedItem({name: _kept_parsed_value(member) for name, member in value.items() if member is not None})
    if kept is not None and kept[0] is value:
        _parsed_forms[id(value)] = (value, parsed)
    return parsed


_original_handle_map = botocore_parsers.BaseJSONParser._handle_map  # type: ignore[attr-defined]


def _handle_map(parser: Any, shape: Any, value: Any) -> Any:
    if type(value) is _ParsedItem:
        return dict(value)
    return _original_handle_map(parser, shape, value)


class DynamoJSONSerializer(moto_serialize.JSONSerializer):
    """moto's JSON serialiser, with attribute values written directly (and the reads' answers handed over, their
    items already parsed)."""

    def _hands_over(self) -> bool:
        return self.operation_model.name in _HANDED_OVER and not self.pretty_print

    def _serialized_result_to_response(
        self, resp: Any, result: Any, shape: Any, serialized_result: MutableMapping[str, Any]
    ) -> Any:
        if not self._hands_over():
            return super()._serialized_result_to_response(resp, result, shape, serialized_result)
        resp["body"] = _hand_over(serialized_result)
        resp["headers"]["Content-Type"] = self._get_protocol_specific_content_type()
        return resp

    def _serialize(self, serialized: MutableMapping[str, Any], value: Any, shape: Any, key: str) -> None:
        if key and type(value) is dict and _holds_attribute_values(shape):
            try:
                if shape.type_name == "map" and self._hands_over():  # an item, as the parser would give it
                    serialized[self.get_serialized_name(shape, key)] = _kept_parsed_item(value)
                    return
                if shape.type_name == "map":  # an item: every attribute at once
                    written = {name: attribute_value(member) for name, member in value.items() if member is not None}
                else:
                    written = attribute_value(value)
                serialized[self.get_serialized_name(shape, key)] = written
                return
            except _Unsupported:
                pass
        super()._serialize(serialized, value, shape, key)


def _holds_attribute_values(shape: Any) -> bool:
    """An `AttributeValue`, or a map of them (an item, a key) that the walk writes as a JSON object."""
    if shape.name == "AttributeValue":
        return True
    return bool(
        shape.type_name == "map"
        and shape.value.name == "AttributeValue"
        and shape.key.type_name == "string"
        and not shape.serialization
        and not shape.key.serialization
    )


_PLAIN = (str, bool, int, float, type(None))


def _plain_type(value: DynamoType) -> Any:
    if value.type in ("B", "BS"):  # binaries: moto's own (base64 text or bytes, both become bytes)
        return dynamo_to_dict(value)
    inner = value.value
    if value.type == "M":
        return {"M": {name: plain(member) for name, member in inner.items()}}
    if value.type == "L":
        return {"L": [plain(member) for member in inner]}
    return {value.type: plain(inner)}


# What a stored attribute value reads as, kept from one read to the next until the next write (issue 14, the read
# latency): every read turned each value of each item it answered into its plain form, then into the parsed form
# the client is handed, ~15 % of a list of 20 campaigns' CPU, the same work each time for values that had not
# changed. A stored value changes only inside a write request (moto's update expressions change values in place),
# and `local.emulator` forgets everything kept here before and after each request that is not a read; reads and
# writes hold the emulator's lock, so no value changes while a read uses what is kept. Keyed by the object's id,
# the object kept with it (its id stays its own while kept). Both forms are only read afterwards: moto's serialiser,
# botocore's parser (`_handle_map` copies an item's top level) and pynamodb's deserialisers build new values.
_plain_forms: dict[int, tuple[Any, Any]] = {}
_parsed_forms: dict[int, tuple[Any, Any]] = {}
_plain_items: dict[tuple[tuple[str, ...], tuple[int, ...]], tuple[tuple[Any, ...], dict[str, Any]]] = {}
KEPT_LIMIT = 50_000  # values kept at most (~10 MB; a read of a large table between two writes): then forgotten
KEPT_ITEMS_LIMIT = 5_000  # items' forms kept at most (their values are among the values kept)


def forget_derived() -> None:
    """Forget every form kept (a write may change stored values)."""
    _plain_forms.clear()
    _parsed_forms.clear()
    _plain_items.clear()


def plain(value: Any) -> Any:
    """moto's `dynamo_to_dict` (items as plain `{type: value}` dicts, binaries as bytes), without its per-call
    import and `hasattr` on every value; anything but a DynamoType, dict, list or scalar goes to moto's."""
    kind = type(value)
    if kind is DynamoType:
        kept = _plain_forms.get(id(value))
        if kept is not None:
            return kept[1]
        form = _plain_type(value)
        if len(_plain_forms) >= KEPT_LIMIT:
            forget_derived()
        _plain_forms[id(value)] = (value, form)
        _parsed_forms[id(form)] = (form, None)  # its parsed form, once asked for
        return form
    if kind in _PLAIN:
        return value
    if isinstance(value, dict) and not hasattr(value, "to_json"):  # an item's attributes: a LimitedSizeDict
        return _plain_item(value)
    if kind is list:
        return [plain(member) for member in value]
    return dynamo_to_dict(value)


def _plain_item(attributes: dict[str, Any]) -> dict[str, Any]:
    """The plain form of an item's attributes; when they are all stored values, kept like theirs (until the next
    write), by the names and the values' ids (the values are kept with it: their ids stay theirs). A query's items
    are new dicts (moto copies and projects each) that share the stored values: an unchanged item is answered
    with the same form, and its parsed form is kept with it (`_kept_parsed_item`)."""
    members = tuple(attributes.values())
    if not all(type(member) is DynamoType for member in members):
        return {name: plain(member) for name, member in attributes.items()}
    key = (tuple(attributes), tuple(map(id, members)))
    kept = _plain_items.get(key)
    if kept is not None:
        form: dict[str, Any] = kept[1]
        return form
    form = {name: plain(member) for name, member in attributes.items()}
    if len(_plain_items) >= KEPT_ITEMS_LIMIT:
        forget_derived()
    _plain_items[key] = (members, form)
    _parsed_forms[id(form)] = (form, None)  # its parsed form, once asked for
    return form


_MEMBERS = frozenset({"S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL"})
_original_handle_structure = botocore_parsers.BaseJSONParser._handle_structure  # type: ignore[attr-defined]


def _as_is(parser: Any, member: Any) -> Any:
    return member


def _parsed_map(parser: Any, member: Any) -> Any:
    if type(member) is not dict:
        raise _Unsupported
    return {name: _parsed(parser, inner) for name, inner in member.items()}


def _parsed_each(parse: Any) -> Any:
    def parsed(parser: Any, member: Any) -> list[Any]:
        if type(member) is not list:
            raise _Unsupported
        return [None if inner is None else parse(parser, inner) for inner in member]  # botocore keeps nulls

    return parsed


def _blob_parsed(parser: Any, member: Any) -> Any:
    return parser._blob_parser(member)


def _parsed(parser: Any, value: Any) -> Any:
    """botocore's parse of an `AttributeValue` (raises `_Unsupported` for what it does otherwise)."""
    if value is None:
        return None
    if type(value) is not dict:
        raise _Unsupported
    out: dict[str, Any] = {}
    for kind, member in value.items():
        if member is None:  # botocore leaves out members that are null
            continue
        parse = _PARSERS.get(kind)
        if parse is None:
            raise _Unsupported
        out[kind] = parse(parser, member)
    return out


_PARSERS: dict[str, Any] = {
    "S": _as_is,
    "N": _as_is,
    "BOOL": _as_is,
    "NULL": _as_is,
    "SS": _parsed_each(_as_is),
    "NS": _parsed_each(_as_is),
    "B": _blob_parsed,
    "BS": _parsed_each(_blob_parsed),
    "M": _parsed_map,
    "L": _parsed_each(_parsed),
}


def _handle_structure(parser: Any, shape: Any, value: Any) -> Any:
    if shape.name == "AttributeValue" and shape.members.keys() == _MEMBERS:
        try:
            return _parsed(parser, value)
        except _Unsupported:
            pass
    return _original_handle_structure(parser, shape, value)


def install() -> None:
    moto_serialize.SERVICE_SPECIFIC_SERIALIZERS.setdefault("dynamodb", {})["json"] = DynamoJSONSerializer
    moto_dynamodb_responses.dynamo_to_dict = plain  # type: ignore[attr-defined,assignment]  # DynamoResult's
    botocore_parsers.BaseJSONParser._handle_structure = _handle_structure  # type: ignore[attr-defined]
    botocore_parsers.BaseJSONParser._parse_body_as_json = _parse_body_as_json  # type: ignore[attr-defined]
    botocore_parsers.BaseJSONParser._handle_map = _handle_map  # type: ignore[attr-defined]
