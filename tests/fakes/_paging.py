"""Pages over in-memory rows, as the DynamoDB adapters page: newest first, an opaque cursor, a bad cursor is
`invalid_cursor` (400)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

from jarchi.errors import BadRequest

T = TypeVar("T")


def page(rows: Sequence[T], limit: int, cursor: str | None) -> tuple[list[T], str | None]:
    """`rows` already in order; the cursor is the offset of the next page."""
    start = 0
    if cursor:
        if not cursor.startswith("fake:") or not cursor[5:].isdigit():
            raise BadRequest("invalid_cursor", "the cursor is not one this API returned")
        start = int(cursor[5:])
    end = start + limit
    return list(rows[start:end]), (f"fake:{end}" if end < len(rows) else None)


def keyset_page(
    rows: Iterable[T], key: Callable[[T], tuple[str, str]], limit: int, cursor: str | None
) -> tuple[list[T], str | None]:
    """Newest first by `key`; the cursor is the last row's key, so rows added meanwhile neither repeat nor
    shift a later page (as a DynamoDB start key)."""
    ordered = sorted(rows, key=key, reverse=True)
    if cursor:
        if not cursor.startswith("fake-key:") or "|" not in cursor:
            raise BadRequest("invalid_cursor", "the cursor is not one this API returned")
        after = tuple(cursor[9:].split("|", 1))
        ordered = [row for row in ordered if key(row) < after]
    chosen = ordered[:limit]
    more = len(ordered) > limit
    return chosen, (f"fake-key:{'|'.join(key(chosen[-1]))}" if more else None)
