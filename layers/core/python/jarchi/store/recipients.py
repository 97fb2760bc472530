"""Recipient items of a campaign: written from the frozen audience, read and updated in batches."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from jarchi.store.base import decode_cursor, encode_cursor
from jarchi.store.campaigns import RecipientItem
from jarchi.store.media import get_list_object, put_list_object


def audience_key(account_id: str, campaign_id: str) -> str:
    return f"campaigns/{account_id}/{campaign_id}/audience.jsonl"


def put_audience(key: str, entries: Iterable[dict[str, Any]]) -> None:
    """The frozen audience: one JSON object per line (seq, number, type, time_zone, values, units)."""
    data = "\n".join(json.dumps(entry, ensure_ascii=False, separators=(",", ":")) for entry in entries)
    put_list_object(key, data.encode(), "application/x-ndjson")


def read_audience(key: str) -> list[dict[str, Any]]:
    data = get_list_object(key)
    if data is None:
        raise LookupError(f"the audience {key} is missing")
    return [json.loads(line) for line in data.decode().splitlines() if line]


def materialize(campaign_id: str, entries: Iterable[dict[str, Any]]) -> int:
    """Write every recipient as pending (BatchWriteItem; idempotent: same keys, same values)."""
    count = 0
    with RecipientItem.batch_write() as batch:
        for entry in entries:
            batch.save(
                RecipientItem(
                    campaign_id,
                    int(entry["seq"]),
                    number=entry["number"],
                    type=entry.get("type"),
                    time_zone=entry["time_zone"],
                    values=entry.get("values") or {},
                    units=int(entry["units"]),
                )
            )
            count += 1
    return count


def load_range(campaign_id: str, first: int, count: int) -> list[RecipientItem]:
    if count <= 0:
        return []
    condition = RecipientItem.seq.between(first, first + count - 1)
    return list(RecipientItem.query(campaign_id, condition, consistent_read=True))


def load_many(campaign_id: str, seqs: Iterable[int]) -> dict[int, RecipientItem]:
    keys = [(campaign_id, seq) for seq in sorted(set(seqs))]
    return {int(item.seq): item for item in RecipientItem.batch_get(keys, consistent_read=True)}


def save_all(items: Sequence[RecipientItem]) -> None:
    with RecipientItem.batch_write() as batch:
        for item in items:
            batch.save(item)


def page(campaign_id: str, limit: int, cursor: str | None) -> tuple[list[RecipientItem], str | None]:
    start = decode_cursor(cursor)
    if start is not None and start.get("campaign_id", {}).get("S") != campaign_id:
        start = None
    result = RecipientItem.query(campaign_id, limit=limit, last_evaluated_key=start)
    items = list(result)
    return items, encode_cursor(result.last_evaluated_key)


def all_of(campaign_id: str) -> list[RecipientItem]:
    return list(RecipientItem.query(campaign_id, consistent_read=True))
