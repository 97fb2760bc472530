"""A page's cursor sealed in the body's text (issue 14, read latency) gives the text that reading the page, sealing
every `next_cursor` (`cursors.seal_page`) and writing it again gives, for any page."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any, cast

from hypothesis import given, settings
from hypothesis import strategies as st

from functions.api import cursors, edge
from jarchi.accounts.models import Caller

_CALLER = cast(Caller, SimpleNamespace(account_id="acc_1"))
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8) | st.sampled_from(['"next_cursor"', "\\", "}"]),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["a", "b", "next_cursor", "recipients", "name"]), inner, max_size=3)
    ),
    max_leaves=8,
)
_cursors = st.none() | st.text(max_size=12) | st.text(alphabet="abcXYZ019-_=", min_size=1, max_size=40)


@st.composite
def _pages(draw: st.DrawFn) -> dict[str, Any]:
    page: dict[str, Any] = {"items": draw(st.lists(_json, max_size=4))}
    if draw(st.booleans()):  # a nested page (a contact list's first page of recipients)
        page["recipients"] = {"items": draw(st.lists(_json, max_size=2)), "next_cursor": draw(_cursors)}
    page |= draw(st.dictionaries(st.sampled_from(["x", "y"]), _json, max_size=2))
    if draw(st.integers(0, 5)):
        page["next_cursor"] = draw(_cursors)
    return page


def _read_and_written(result: dict[str, Any], event: dict[str, Any]) -> dict[str, Any]:
    """The way every page was sealed before: read, sealed, written."""
    body = result["body"]
    if '"next_cursor"' not in body:
        return result
    page = cursors.seal_page(json.loads(body), "acc_1", event["path"], event["multiValueQueryStringParameters"])
    return {**result, "body": json.dumps(page, separators=(",", ":"))}


@settings(max_examples=400, deadline=None)
@given(page=_pages(), query=st.dictionaries(st.sampled_from(["q", "status", "limit"]), st.lists(st.text(max_size=4))))
def test_a_page_sealed_in_its_text_is_the_page_read_sealed_and_written(
    page: dict[str, Any], query: dict[str, list[str]]
) -> None:
    result = {"statusCode": 200, "body": json.dumps(page, separators=(",", ":")), "multiValueHeaders": {}}
    event = {"path": "/v1/campaigns", "multiValueQueryStringParameters": query or None}
    assert edge._sealed(result, event, _CALLER) == _read_and_written(result, event)


def test_the_text_path_is_taken_for_a_page_of_its_own() -> None:
    result = {"statusCode": 200, "body": '{"items":[{"name":"a"}],"next_cursor":"abc"}'}
    event = {"path": "/v1/campaigns", "multiValueQueryStringParameters": None}
    sealed = json.loads(edge._sealed(result, event, _CALLER)["body"])["next_cursor"]
    assert sealed == cursors.seal("abc", cursors.scope("acc_1", "/v1/campaigns", None)) != "abc"
    assert edge._LAST_CURSOR.search(result["body"]) is not None
