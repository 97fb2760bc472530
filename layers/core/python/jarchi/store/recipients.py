"""A campaign's recipients: the frozen audience in S3 (who, in which zone, with which values) and the
recipient items in DynamoDB (what happened to each, written once admission decides about one).

The audience is JSON Lines split in chunks of `AUDIENCE_CHUNK` entries (`{prefix}{index:05d}.jsonl`), so
admission and the recipient list read only the chunks of the range they need."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from jarchi.aws.media import get_list_object, put_list_object
from jarchi.campaigns.models import PART_STRIDE, AudienceEntry, RecipientState
from jarchi.clock import iso
from jarchi.store.base import batch_put_raw, decode_cursor, encode_cursor
from jarchi.store.campaigns import RecipientItem, recipient_attributes, to_state

AUDIENCE_CHUNK = 1_000


def audience_key(account_id: str, campaign_id: str) -> str:
    return f"campaigns/{account_id}/{campaign_id}/audience/"


def _chunk_key(prefix: str, index: int) -> str:
    return f"{prefix}{index:05d}.jsonl"


def _line(entry: AudienceEntry) -> str:
    raw: dict[str, Any] = {
        "seq": entry.seq,
        "number": entry.number,
        "type": entry.type,
        "time_zone": entry.time_zone,
        "units": entry.units,
    }
    if entry.values:
        raw["values"] = dict(entry.values)
    return json.dumps(raw, ensure_ascii=False, separators=(",", ":"))


class S3DynamoRecipients:
    """The recipient repository: the audience in the lists bucket, states in the `recipients` table."""

    def put_audience(self, account_id: str, campaign_id: str, entries: Sequence[AudienceEntry]) -> str:
        prefix = audience_key(account_id, campaign_id)
        for index, start in enumerate(range(0, max(len(entries), 1), AUDIENCE_CHUNK)):
            lines = (_line(e) for e in entries[start : start + AUDIENCE_CHUNK])
            put_list_object(_chunk_key(prefix, index), "\n".join(lines).encode(), "application/x-ndjson")
        return prefix

    def read_audience(self, audience_key: str, first: int, count: int) -> list[AudienceEntry]:
        entries: list[AudienceEntry] = []
        if count <= 0:
            return entries
        # A later part's audience is numbered from its base (a multiple of PART_STRIDE) and chunked from 0.
        position = first % PART_STRIDE
        for index in range(position // AUDIENCE_CHUNK, (position + count - 1) // AUDIENCE_CHUNK + 1):
            data = get_list_object(_chunk_key(audience_key, index))
            if data is None:
                break
            for line in data.decode().splitlines():
                if line:
                    raw: dict[str, Any] = json.loads(line)
                    if first <= raw["seq"] < first + count:
                        entries.append(AudienceEntry(**raw))
        return entries

    def save_all(self, states: Sequence[RecipientState]) -> None:
        """Each state's item as `recipient_attributes` packs it (built without a model per item)."""
        formatted: dict[datetime, str] = {}

        def iso_once(moment: datetime) -> str:
            if moment not in formatted:
                formatted[moment] = iso(moment)
            return formatted[moment]

        batch_put_raw(RecipientItem, [recipient_attributes(state, iso_once) for state in states])

    def load_many(self, campaign_id: str, seqs: Iterable[int]) -> dict[int, RecipientState]:
        keys = [(campaign_id, seq) for seq in sorted(set(seqs))]
        return {int(item.seq): to_state(item) for item in RecipientItem.batch_get(keys, consistent_read=True)}

    def recordings(self, campaign_id: str, limit: int, cursor: str | None) -> tuple[list[RecipientState], str | None]:
        result = RecipientItem.by_recording.query(
            campaign_id, limit=limit, page_size=limit, last_evaluated_key=decode_cursor(cursor)
        )
        states = [to_state(item) for item in result]
        return states, encode_cursor(result.last_evaluated_key)
