"""A campaign's recipients as stored, read one page at a time: the read side the exports worker, the reports and
the recipient list share (issue 10, cold start: the exports worker reads campaigns without importing what creates
and edits them — `jarchi.campaigns.service` and its draft, window rules and pydantic)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from jarchi.campaigns.callbacks import CALLBACK_SLOT
from jarchi.campaigns.follow_ups import follow_up_seq, recipient_of_follow_up_seq
from jarchi.campaigns.models import (
    IN_PROGRESS,
    PART_STRIDE,
    PENDING,
    AudienceEntry,
    Campaign,
    FollowUpSent,
    RecipientState,
)
from jarchi.campaigns.ports import CampaignPorts
from jarchi.channels import Channel


def part_states(campaign: Campaign, part: int, first: int, count: int, *, ports: CampaignPorts) -> list[RecipientState]:
    """Recipients `first .. first + count - 1` of a part: the stored state where there is one, else in
    progress behind the admission pointer and pending ahead of it (an earlier part's unstored recipients were
    never admitted: pending)."""
    record = campaign.all_parts()[part]
    admitted_below = campaign.progress.next_seq if part == campaign.progress.part else 0
    base = part * PART_STRIDE
    entries = ports.recipients.read_audience(
        record.audience_key, base + first, min(count, max(record.total - first, 0))
    )
    stored = ports.recipients.load_many(campaign.id, (e.seq for e in entries)) if entries else {}

    def state(entry: AudienceEntry) -> RecipientState:
        unrecorded = IN_PROGRESS if entry.seq - base < admitted_below else PENDING
        return stored.get(entry.seq) or RecipientState.unrecorded(campaign.id, entry, unrecorded)

    states = [state(e) for e in entries]
    if campaign.channel is Channel.VOICE and entries:
        states = _with_beside(ports, campaign, states)
    return states


def _with_beside(ports: CampaignPorts, campaign: Campaign, states: list[RecipientState]) -> list[RecipientState]:
    """Each recipient's follow-up SMS and callbacks, stored beside it under negative sort keys
    (`follow_up_seq`)."""
    slots = [*range(len(campaign.settings.follow_ups)), CALLBACK_SLOT]
    stored = ports.recipients.load_many(campaign.id, [follow_up_seq(s.seq, slot) for s in states for slot in slots])
    by_recipient: dict[int, list[FollowUpSent]] = {}
    callbacks: dict[int, RecipientState] = {}
    for key in sorted(stored, reverse=True):
        seq, slot = recipient_of_follow_up_seq(key)
        found = stored[key]
        if slot == CALLBACK_SLOT:
            callbacks[seq] = found
            continue
        by_recipient.setdefault(seq, []).append(
            FollowUpSent(slot, found.reason, found.status, found.cost, found.delivery_status, found.updated_at)
        )
    return [
        replace(
            s,
            follow_ups=tuple(by_recipient.get(s.seq, ())),
            callbacks=callbacks[s.seq].callbacks if s.seq in callbacks else 0,
            callbacks_refused=callbacks[s.seq].callbacks_refused if s.seq in callbacks else 0,
            callback_at=callbacks[s.seq].updated_at if s.seq in callbacks else None,
        )
        for s in states
    ]


def every_recipient(
    campaign: Campaign, *, page: int = 1_000, ports: CampaignPorts | None = None
) -> Iterator[tuple[int, RecipientState]]:
    """Every part's recipients with their part, in order, one page in memory at a time (exports)."""
    ports = ports or CampaignPorts.wired()
    for record in campaign.all_parts():
        for first in range(0, record.total, page):
            for state in part_states(campaign, record.part, first, page, ports=ports):
                yield record.part, state
