"""`jarchi.store.base.ReadModel` builds from a stored item the instance pynamodb's own `_instantiate` builds."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pynamodb.attributes import (
    Attribute,
    AttributeContainer,
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)

from jarchi.store.accounts import AccountItem, TokenItem
from jarchi.store.base import ReadModel, _number
from jarchi.store.campaigns import CampaignItem

_MODELS: list[type[ReadModel]] = [CampaignItem, AccountItem, TokenItem]
_text = st.text(max_size=6)
_numbers = st.one_of(
    st.integers(-(10**15), 10**15).map(str),
    st.decimals(-1000, 1000, places=3, allow_nan=False).map(str),
    st.sampled_from(["0", "-0", "1e3", "1E-2", "0.5", "-12.50"]),
)
_json_values = st.recursive(
    st.one_of(st.builds(lambda s: {"S": s}, _text), st.builds(lambda n: {"N": n}, _numbers), st.just({"NULL": True})),
    lambda inner: (
        st.builds(lambda m: {"M": m}, st.dictionaries(_text, inner, max_size=3))
        | st.builds(lambda items: {"L": items}, st.lists(inner, max_size=3))
    ),
    max_leaves=6,
)


def _stored(attribute: Attribute[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """A stored value of the attribute's type, as DynamoDB answers it."""
    if isinstance(attribute, NumberAttribute):
        return st.builds(lambda n: {"N": n}, _numbers)
    if isinstance(attribute, BooleanAttribute):
        return st.builds(lambda b: {"BOOL": b}, st.booleans())
    if isinstance(attribute, UnicodeSetAttribute):
        return st.builds(lambda s: {"SS": sorted(s)}, st.sets(_text, min_size=1, max_size=3))
    if isinstance(attribute, ListAttribute):
        return st.builds(lambda items: {"L": items}, st.lists(_json_values, max_size=3))
    if isinstance(attribute, MapAttribute):
        return st.builds(lambda m: {"M": m}, st.dictionaries(_text, _json_values, max_size=3))
    assert isinstance(attribute, UnicodeAttribute), attribute
    return st.builds(lambda s: {"S": s}, _text)


@st.composite
def _items(draw: st.DrawFn) -> tuple[type[ReadModel], dict[str, dict[str, Any]]]:
    model = draw(st.sampled_from(_MODELS))
    item: dict[str, dict[str, Any]] = {}
    for attribute in model.get_attributes().values():
        presence = draw(st.sampled_from(["stored", "stored", "absent", "null"]))
        if presence == "stored":
            item[attribute.attr_name] = draw(_stored(attribute))
        elif presence == "null":
            item[attribute.attr_name] = {"NULL": True}
    return model, item


def _plain(value: Any) -> Any:
    """An instance's values, maps as (type, their values), to compare two instances."""
    if isinstance(value, AttributeContainer):
        return (type(value).__name__, _plain(value.attribute_values))
    if isinstance(value, dict):
        return {key: _plain(member) for key, member in value.items()}
    if isinstance(value, list):
        return [_plain(member) for member in value]
    if isinstance(value, set):
        return sorted(value)
    return (type(value).__name__, value)


@settings(max_examples=150, deadline=None)
@given(stored=_items())
def test_an_item_reads_back_as_pynamodb_builds_it(stored: tuple[type[ReadModel], dict[str, Any]]) -> None:
    model, item = stored
    pynamodb_s = AttributeContainer._instantiate.__func__(model, json.loads(json.dumps(item)))  # type: ignore[attr-defined]
    ours = model.from_raw_data(item)
    assert type(ours) is model
    assert _plain(ours.attribute_values) == _plain(pynamodb_s.attribute_values)
    assert ours.serialize(null_check=False) == pynamodb_s.serialize(null_check=False)


@pytest.mark.parametrize("text", ["0", "-0", "17", "-17", "12345678901234567890", "0.5", "1e3", "-1.5E-3", "1.0"])
def test_a_number_reads_as_json_reads_it(text: str) -> None:
    assert _number(text) == json.loads(text)
    assert type(_number(text)) is type(json.loads(text))


def test_a_number_json_refuses_is_refused() -> None:
    with pytest.raises(ValueError):
        _number("0123")
