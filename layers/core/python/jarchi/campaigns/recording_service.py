"""`GET /v1/campaigns/{id}/recordings` (R-OUT-5; the rules are in `jarchi.campaigns.recordings`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from jarchi import clock
from jarchi.accounts.models import Caller
from jarchi.campaigns.models import PART_STRIDE
from jarchi.campaigns.ports import CampaignPorts
from jarchi.campaigns.queries import visible_campaign
from jarchi.campaigns.recordings import URL_SECONDS
from jarchi.channels import Channel
from jarchi.ports import RecordingStore, resolve


@dataclass(frozen=True, slots=True)
class Recording:
    number: str
    seconds: int
    url: str
    part: int
    attempt_id: str | None
    expires_at: datetime  # when `url` stops working


def recordings_page(
    caller: Caller,
    campaign_id: str,
    *,
    limit: int,
    cursor: str | None,
    ports: CampaignPorts | None = None,
    store: RecordingStore | None = None,
) -> tuple[list[Recording], str | None]:
    """A campaign's recordings in audience order, part after part, each with a link valid `URL_SECONDS`
    (another tenant's campaign: 404, as for every read of it)."""
    ports = ports or CampaignPorts.wired()
    campaign = visible_campaign(caller, campaign_id, ports=ports)
    if campaign.channel is not Channel.VOICE or not campaign.settings.record:
        return [], None
    states, next_cursor = ports.recipients.recordings(campaign.id, limit, cursor)
    store = store or resolve(RecordingStore)
    expires_at = clock.now() + timedelta(seconds=URL_SECONDS)
    items = [
        Recording(
            number=state.number,
            seconds=state.recording_seconds or 0,
            url=store.url(state.recording, URL_SECONDS),
            part=state.seq // PART_STRIDE,
            attempt_id=state.attempt_id,
            expires_at=expires_at,
        )
        for state in states
        if state.recording
    ]
    return items, next_cursor
