"""Binds pynamodb models to the table definitions and the deployment's table names."""

from __future__ import annotations

import base64
import json
import marshal
import re
import threading
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any, Generic, TypeVar

import botocore.session
import pynamodb.connection.base
from pynamodb.attributes import Attribute, AttributeContainer, BooleanAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.constants import BATCH_WRITE_PAGE_LIMIT, BOOLEAN, NULL, NUMBER
from pynamodb.exceptions import PutError, UpdateError
from pynamodb.models import Model

from jarchi.errors import BadRequest
from jarchi.memo import LeastRecentlyUsed
from jarchi.settings import get_settings
from jarchi.store.tables import TableSpec

_sessions = threading.local()


def _thread_session(env_vars: dict[str, tuple[Any, Any, Any, Any]] | None = None) -> botocore.session.Session:
    """The botocore session of this thread, shared by every table's connection. pynamodb makes one per table
    connection (per thread): each registered botocore's ~250 event handlers again, ~8 ms CPU a table at its first
    request (issue 10, cold start). A session is what pynamodb keeps per thread (making clients is not thread-safe);
    each connection still makes its own client from it."""
    if env_vars is not None:  # (pynamodb passes none; botocore's own signature)
        return botocore.session.get_session(env_vars)
    session = getattr(_sessions, "session", None)
    if session is None:
        session = _sessions.session = botocore.session.get_session()
    return session


pynamodb.connection.base.get_session = _thread_session  # type: ignore[attr-defined]


class _BoundMeta(type):
    """A pynamodb `Meta` whose table name follows the settings (resolved at use, not at import)."""

    logical: str

    @property
    def table_name(cls) -> str:
        return get_settings().table_name(cls.logical)

    @property
    def region(cls) -> str:
        return get_settings().region


_Read = TypeVar("_Read", bound="ReadModel")
_INTEGER = re.compile(r"-?(?:0|[1-9][0-9]*)")


def _number(text: str) -> Any:
    """`NumberAttribute.deserialize` (`json.loads`), integers without the JSON decoder."""
    return int(text) if _INTEGER.fullmatch(text) else json.loads(text)


# How `ReadModel` reads one attribute: by its `deserialize` (after `get_value`) or, for the commonest kinds, the
# same thing inlined; and whether the value is stored by the attribute's own `__set__` or as `Attribute.__set__`
# stores it on a model instance (`attribute_values[python name]`).
_AS_IS, _NUMBER, _BOOLEAN, _DESERIALIZED = range(4)


class ReadModel(Model):
    """A pynamodb model whose items read back in one pass over its attributes: the same instance pynamodb builds
    (`AttributeContainer._instantiate`), without setting every default twice (once by the constructor, once more
    before the item's own values) and assigning each stored value over it. For the API's hot reads (campaigns,
    tokens, accounts): pynamodb's way was ~20 % of the CPU of a list of 20 campaigns (issue 14, the read
    latency). Each value is read as its attribute's `deserialize` reads it and stored as its `__set__` stores it;
    for strings, numbers and booleans those are inlined (`_reading_plan`): they were a third of the read."""

    @classmethod
    def _instantiate(cls: type[_Read], attribute_values: dict[str, dict[str, Any]]) -> _Read:
        if cls._get_discriminator_attribute() is not None:  # (none of ours: pynamodb's way)
            instance: _Read = AttributeContainer._instantiate.__func__(cls, attribute_values)  # type: ignore[attr-defined]
            return instance
        instance = cls.__new__(cls)
        values: dict[str, Any] = {}
        instance.attribute_values = values
        for attribute, name, python_name, kind, default, plain_set in _reading_plan(cls):
            stored = attribute_values.get(name)
            if stored and NULL not in stored:
                if kind == _AS_IS:
                    value = (
                        stored[attribute.attr_type] if attribute.attr_type in stored else attribute.get_value(stored)
                    )
                elif kind == _NUMBER:
                    value = _number(stored[NUMBER]) if NUMBER in stored else attribute.get_value(stored)
                elif kind == _BOOLEAN:
                    value = bool(stored[BOOLEAN]) if BOOLEAN in stored else attribute.get_value(stored)
                else:
                    value = attribute.deserialize(attribute.get_value(stored))
            else:
                value = default() if callable(default) else default
                if value is None:
                    continue
            if plain_set:
                values[python_name] = value
            else:
                attribute.__set__(instance, value)
        return instance


@cache
def _reading_plan(cls: type[Model]) -> tuple[tuple[Attribute[Any], str, str, int, Any, bool], ...]:
    """For each attribute: (attribute, stored name, python name, how it is read, default, stored as
    `Attribute.__set__` stores it)."""
    python_names: dict[str, str] = cls._dynamo_to_python_attrs  # type: ignore[attr-defined]
    plan = []
    for attribute in cls.get_attributes().values():
        kind = type(attribute)
        if kind is UnicodeAttribute:
            how = _AS_IS
        elif kind is NumberAttribute:
            how = _NUMBER
        elif kind is BooleanAttribute:
            how = _BOOLEAN
        else:
            how = _DESERIALIZED
        name = attribute.attr_name
        plain_set = type(attribute).__set__ is Attribute.__set__
        plan.append((attribute, name, python_names.get(name, name), how, attribute.default, plain_set))
    return tuple(plan)


_Kept = TypeVar("_Kept")


class RawItemMemo(Generic[_Kept]):
    """`build(raw item)` kept by the item's stored values, for a pure `build` whose result is immutable: an item read
    again unchanged maps to what it mapped to before, without building it again. The key is the item's `marshal`
    bytes (version 2: no back-references, so the bytes depend on the values only; DynamoDB's typed JSON is strings,
    booleans, bytes, lists and maps, and marshal's bytes read back as the same values, so equal bytes are equal
    values); a changed item is another key. The least recently used are forgotten beyond `size`."""

    def __init__(self, build: Callable[[dict[str, Any]], _Kept], *, size: int) -> None:
        self._build = build
        self._kept: LeastRecentlyUsed[bytes, _Kept] = LeastRecentlyUsed(size)

    def __call__(self, raw: dict[str, Any]) -> _Kept:
        try:
            key = marshal.dumps(raw, 2)
        except ValueError:  # (a value marshal does not write: not DynamoDB's JSON, built as it is)
            return self._build(raw)
        value = self._kept.get(key)
        if value is None:
            value = self._build(raw)
            self._kept.put(key, value)
        return value

    def clear(self) -> None:
        self._kept.clear()


def table_meta(spec: TableSpec) -> Any:
    return _BoundMeta("Meta", (), {"logical": spec.logical})


def encode_cursor(last_evaluated_key: dict[str, Any] | None) -> str | None:
    if not last_evaluated_key:
        return None
    raw = json.dumps(last_evaluated_key, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> dict[str, Any] | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError) as error:
        raise BadRequest("invalid_cursor", "the cursor is not one this API returned") from error
    if not isinstance(value, dict):
        raise BadRequest("invalid_cursor", "the cursor is not one this API returned")
    return value


def updated_if(update: Callable[[], object]) -> bool:
    """Run a conditional update: False if its condition refused it (nothing written)."""
    try:
        update()
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def batch_put_raw(model: type[Model], items: Sequence[dict[str, dict[str, Any]]]) -> None:
    """`model.batch_write()` for items already in DynamoDB's attribute-value form: 25 a request, unprocessed
    items sent again up to the model's `max_retry_attempts`, as pynamodb's `BatchWrite.commit` does. For the
    hot paths, where building a pynamodb model per item cost more than the item's share of the request."""
    connection = model._get_connection()
    for start in range(0, len(items), BATCH_WRITE_PAGE_LIMIT):
        pending: list[dict[str, Any]] = list(items[start : start + BATCH_WRITE_PAGE_LIMIT])
        retries = 0
        while pending:
            data = connection.batch_write_item(put_items=pending)
            unprocessed = (data or {}).get("UnprocessedItems", {}).get(model.Meta.table_name)
            if not unprocessed:
                break
            retries += 1
            if retries >= model.Meta.max_retry_attempts:
                raise PutError("Failed to batch write items: max_retry_attempts exceeded")
            pending = [request["PutRequest"]["Item"] for request in unprocessed]
