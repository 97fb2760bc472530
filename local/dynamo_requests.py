"""DynamoDB requests in the emulator, parsed without walking the request shape for every attribute value.

moto parses each request body by the operation's input shape (`moto.core.parse.BaseJSONParser`). Every
`AttributeValue` is a structure of ten members (S, N, B, SS, NS, BS, M, L, NULL, BOOL), and the walk looks up
all ten for each value, whichever one it has. A recipient's result item has 13–16 attributes and the results
path writes one per attempt, 25 to a BatchWriteItem: the walk was about a fifth of each such request's time in
the emulator (cProfile of 80 BatchWriteItems of 25 items, issue 17). An attribute value on the wire is already
what moto wants, but for binaries (base64 decoded), so it is parsed here directly; a value of any other form
(several members, a member moto does not know, a member that is not what its type says) takes moto's walk.
`tests/unit/test_dynamo_responses.py` holds both to the same result.
"""

from __future__ import annotations

from typing import Any

from moto.core import parse as moto_parse

_MEMBERS = frozenset({"S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL"})
_original_parse_structure = moto_parse.BaseJSONParser._parse_structure


class _Unsupported(Exception):
    """A value the shortcut does not parse; moto's walk does."""


def _as_is(parser: Any, member: Any) -> Any:
    return member


def _strings(parser: Any, member: Any) -> Any:
    if type(member) is not list:
        raise _Unsupported
    return list(member)


def _blob(parser: Any, member: Any) -> Any:
    if type(member) is not str:
        raise _Unsupported
    return parser._blob_parser(member)


def _blobs(parser: Any, member: Any) -> Any:
    if type(member) is not list:
        raise _Unsupported
    return [None if inner is None else _blob(parser, inner) for inner in member]


def _map(parser: Any, member: Any) -> Any:
    if type(member) is not dict:
        raise _Unsupported
    parsed = parser.MAP_TYPE()
    for name, inner in member.items():
        parsed[name] = _value(parser, inner)
    return parsed


def _list(parser: Any, member: Any) -> Any:
    if type(member) is not list:
        raise _Unsupported
    return [_value(parser, inner) for inner in member]


_PARSERS: dict[str, Any] = {
    "S": _as_is,
    "N": _as_is,
    "BOOL": _as_is,
    "NULL": _as_is,
    "SS": _strings,
    "NS": _strings,
    "B": _blob,
    "BS": _blobs,
    "M": _map,
    "L": _list,
}


def _value(parser: Any, value: Any) -> Any:
    """moto's parse of one `AttributeValue` (raises `_Unsupported` for what the shortcut leaves to moto)."""
    if value is None:
        return None
    if type(value) is not dict or len(value) != 1:
        raise _Unsupported  # (moto orders several members by the shape; one member has no order)
    ((kind, member),) = value.items()
    parse = _PARSERS.get(kind)
    if parse is None:
        raise _Unsupported
    parsed = parser.MAP_TYPE()
    if member is not None:  # moto leaves out a member that is null
        parsed[kind] = parse(parser, member)
    return parsed


def _parse_structure(parser: Any, shape: Any, value: Any) -> Any:
    if _is_attribute_value(shape):
        try:
            return _value(parser, value)
        except _Unsupported:
            pass
    return _original_parse_structure(parser, shape, value)  # type: ignore[no-untyped-call]


def _parse_map(parser: Any, shape: Any, value: Any) -> Any:
    """An item or a key (a map of names to attribute values) in one pass: moto's walk looks up a handler for
    each name and each value."""
    if type(value) is dict and shape.key.type_name == "string" and _is_attribute_value(shape.value):
        try:
            return _map(parser, value)
        except _Unsupported:
            pass
    return _original_parse_map(parser, shape, value)  # type: ignore[no-untyped-call]


def _is_attribute_value(shape: Any) -> bool:
    return bool(shape.name == "AttributeValue" and shape.members.keys() == _MEMBERS)


_original_parse_map = moto_parse.RequestParser._parse_map


def install() -> None:
    moto_parse.BaseJSONParser._parse_structure = _parse_structure  # type: ignore[method-assign]
    moto_parse.BaseJSONParser._parse_map = _parse_map  # type: ignore[method-assign]


def installed() -> bool:
    return moto_parse.BaseJSONParser._parse_structure is _parse_structure
