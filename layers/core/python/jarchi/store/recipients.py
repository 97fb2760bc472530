"""A campaign's recipients: the frozen audience in S3 (who, in which zone, with which values) and the
recipient items in DynamoDB (what happened to each, written once admission decides about one).

The audience is JSON Lines split in chunks of `AUDIENCE_CHUNK` entries (`{prefix}{index:05d}.jsonl`), so
admission and the recipient list read only the chunks of the range they need."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from jarchi.store.campaigns import RecipientItem
from jarchi.store.media import get_list_object, put_list_object

AUDIENCE_CHUNK = 1_000


@dataclass(frozen=True, slots=True)
class AudienceEntry:
    seq: int
    number: str
    time_zone: str
    units: int
    type: str | None = None
    values: dict[str, str] = field(default_factory=dict)

    def as_item(self, campaign_id: str, status: str = "pending") -> RecipientItem:
        """The recipient's state while nothing about it is stored: pending, or in progress (not stored)."""
        return RecipientItem(campaign_id, self.seq, number=self.number, units=self.units, status=status)


def audience_key(account_id: str, campaign_id: str) -> str:
    return f"campaigns/{account_id}/{campaign_id}/audience/"


def _chunk_key(prefix: str, index: int) -> str:
    return f"{prefix}{index:05d}.jsonl"


def put_audience(prefix: str, entries: Sequence[AudienceEntry]) -> None:
    for index, start in enumerate(range(0, max(len(entries), 1), AUDIENCE_CHUNK)):
        lines = (
            json.dumps(
                {"seq": e.seq, "number": e.number, "type": e.type, "time_zone": e.time_zone, "units": e.units}
                | ({"values": e.values} if e.values else {}),
                ensure_ascii=False,
                separators=(",", ":"),
            )
            for e in entries[start : start + AUDIENCE_CHUNK]
        )
        put_list_object(_chunk_key(prefix, index), "\n".join(lines).encode(), "application/x-ndjson")


def read_audience(prefix: str, first: int, count: int) -> list[AudienceEntry]:
    """Entries `first .. first + count - 1` (fewer at the end of the audience)."""
    entries: list[AudienceEntry] = []
    if count <= 0:
        return entries
    for index in range(first // AUDIENCE_CHUNK, (first + count - 1) // AUDIENCE_CHUNK + 1):
        data = get_list_object(_chunk_key(prefix, index))
        if data is None:
            break
        for line in data.decode().splitlines():
            if line:
                raw: dict[str, Any] = json.loads(line)
                if first <= raw["seq"] < first + count:
                    entries.append(AudienceEntry(**raw))
    return entries


def save_all(items: Sequence[RecipientItem]) -> None:
    with RecipientItem.batch_write() as batch:
        for item in items:
            batch.save(item)


def load_many(campaign_id: str, seqs: Iterable[int]) -> dict[int, RecipientItem]:
    keys = [(campaign_id, seq) for seq in sorted(set(seqs))]
    return {int(item.seq): item for item in RecipientItem.batch_get(keys, consistent_read=True)}


def _cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"seq": seq}).encode()).decode()


def _seq_of(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        seq = json.loads(base64.urlsafe_b64decode(cursor.encode()))["seq"]
    except (ValueError, KeyError, TypeError):
        return 0
    return seq if isinstance(seq, int) and seq >= 0 else 0


def _merged(
    campaign_id: str, entries: list[AudienceEntry], stored: dict[int, RecipientItem], admitted_below: int
) -> list[RecipientItem]:
    def state(entry: AudienceEntry) -> RecipientItem:
        status = "in_progress" if entry.seq < admitted_below else "pending"
        return stored.get(entry.seq) or entry.as_item(campaign_id, status)

    return [state(e) for e in entries]


def page(
    campaign_id: str, prefix: str, *, total: int, admitted_below: int, limit: int, cursor: str | None
) -> tuple[list[RecipientItem], str | None]:
    """Recipients in audience order: the stored state where there is one, else in progress behind the
    admission pointer (`admitted_below`) and pending ahead of it."""
    first = _seq_of(cursor)
    entries = read_audience(prefix, first, min(limit, max(total - first, 0)))
    stored = load_many(campaign_id, (e.seq for e in entries)) if entries else {}
    end = first + len(entries)
    return _merged(campaign_id, entries, stored, admitted_below), (_cursor(end) if entries and end < total else None)
