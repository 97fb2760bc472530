"""Where webhook events come from, without a write of their own (SPEC §14): the campaign and recipient
repositories are wrapped at the composition root (`jarchi.wiring`), so every status write that succeeded
(`record_status_change`, `start_part`, `settle`) becomes a `campaign.status` event, and every batch of recipient
states written (results, pre-dial finals) becomes `recipient.result` events, plus `sms.delivery` for each SMS
with its operator report (one per message: the connectors report a message once, all its parts in).

A follow-up SMS (R-OUT-3, stored beside its recipient) is not the recipient's result: it gives only its
`sms.delivery`, with `follow_up_rule`, once the operator reported it (a follow-up not sent gives nothing). A
callback booked (R-OUT-4, `record_callback`, from the telephony and connector-events functions) gives
`recipient.callback`, connected or refused, keyed by the inbound call's event id.

Event ids are the facts' own (`<campaign>:<history index>:<status>`, `<attempt or campaign.seq>:<status>`), so
the same fact published twice (a redelivered results message writes its states again) carries the same id
and a receiver drops the copy: at least once. The states are published after they are written and before the
batch is recorded as applied, so a crash in between publishes again rather than never."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from jarchi import clock
from jarchi.campaigns.follow_ups import recipient_of_follow_up_seq
from jarchi.campaigns.models import IN_PROGRESS, PENDING, Campaign, CampaignPart, RecipientState
from jarchi.campaigns.ports import CallbackRecord, CampaignRepository, RecipientRepository
from jarchi.campaigns.statuses import StatusChange
from jarchi.clock import iso
from jarchi.ports import EventPublisher, PlatformEvent


def status_event(campaign: Campaign, change: StatusChange) -> PlatformEvent:
    return PlatformEvent(
        id=f"{campaign.id}:{len(campaign.history)}:{change.status.value}",
        type="campaign.status",
        account_id=campaign.account_id,
        at=iso(change.at),
        data={
            "campaign_id": campaign.id,
            "status": change.status.value,
            "previous_status": campaign.status.value,
            "actor": change.actor,
            "reason": change.reason,
        },
    )


def recipient_events(account_id: str, state: RecipientState) -> list[PlatformEvent]:
    if state.seq < 0:
        return _follow_up_events(account_id, state)
    at = iso(state.updated_at) if state.updated_at else ""
    key = state.attempt_id or f"{state.campaign_id}.{state.seq}"
    data: dict[str, Any] = {
        "campaign_id": state.campaign_id,
        "number": state.number,
        "status": state.status,
        "attempts": state.attempts,
        "vote": state.vote,
        "listened_seconds": state.listened_seconds,
        "cost": state.cost,
        "reason": state.reason,
    }
    events = [PlatformEvent(f"{key}:{state.status}", "recipient.result", account_id, at, data)]
    if state.delivery_status is not None:
        delivery = {**data, "delivery_status": state.delivery_status, "parts": state.units}
        events.append(PlatformEvent(f"{key}:dlr:{state.delivery_status}", "sms.delivery", account_id, at, delivery))
    return events


def _follow_up_events(account_id: str, state: RecipientState) -> list[PlatformEvent]:
    if state.delivery_status is None or state.attempt_id is None:
        return []
    _, rule = recipient_of_follow_up_seq(state.seq)
    data: dict[str, Any] = {
        "campaign_id": state.campaign_id,
        "number": state.number,
        "status": state.status,
        "delivery_status": state.delivery_status,
        "parts": state.units,
        "cost": state.cost,
        "follow_up_rule": rule,
    }
    at = iso(state.updated_at) if state.updated_at else ""
    return [PlatformEvent(f"{state.attempt_id}:dlr:{state.delivery_status}", "sms.delivery", account_id, at, data)]


def callback_event(record: CallbackRecord) -> PlatformEvent:
    data: dict[str, Any] = {
        "campaign_id": record.campaign_id,
        "number": record.number,
        "outcome": "connected" if record.connected else "refused",
        "seconds": record.seconds,
        "cost": record.cost,
    }
    return PlatformEvent(f"callback:{record.event_id}", "recipient.callback", record.account_id, iso(clock.now()), data)


class PublishingCampaigns:
    """A campaign repository that publishes each status change it wrote."""

    def __init__(self, inner: CampaignRepository, publisher: EventPublisher) -> None:
        self._inner = inner
        self._publisher = publisher

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def record_status_change(self, campaign: Campaign, change: StatusChange, **options: Any) -> None:
        self._inner.record_status_change(campaign, change, **options)
        self._publisher.publish([status_event(campaign, change)])

    def record_callback(self, record: CallbackRecord) -> bool:
        booked = self._inner.record_callback(record)
        # Booked before (a redelivered report) publishes again under the same id: a crash between the booking
        # and the publishing loses no event.
        self._publisher.publish([callback_event(record)])
        return booked

    def start_part(
        self, campaign: Campaign, change: StatusChange | None, part: CampaignPart, posting: Any, *, reset: bool
    ) -> None:
        self._inner.start_part(campaign, change, part, posting, reset=reset)
        if change is not None:  # a smart retry part moves no status
            self._publisher.publish([status_event(campaign, change)])

    def settle(self, campaign: Campaign, change: StatusChange | None, *, refunded: int, posting: Any) -> None:
        self._inner.settle(campaign, change, refunded=refunded, posting=posting)
        if change is not None:  # a part's money before the next smart part moves no status
            self._publisher.publish([status_event(campaign, change)])


class PublishingRecipients:
    """A recipient repository that publishes the final states it wrote."""

    def __init__(self, inner: RecipientRepository, campaigns: CampaignRepository, publisher: EventPublisher) -> None:
        self._inner = inner
        self._publisher = publisher
        self._campaigns = campaigns
        self._account_of = lru_cache(maxsize=4096)(self._owner)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def _owner(self, campaign_id: str) -> str:
        pricing = self._campaigns.pricing(campaign_id)
        return pricing.account_id if pricing is not None else ""

    def save_all(self, states: Sequence[RecipientState]) -> None:
        self._inner.save_all(states)
        listening: dict[str, bool] = {}  # account → subscribed: no events are built for nobody
        events = []
        for state in states:
            if state.status in (PENDING, IN_PROGRESS):
                continue
            account_id = self._account_of(state.campaign_id)
            if account_id not in listening:
                listening[account_id] = self._publisher.listens(account_id)
            if listening[account_id]:
                events.extend(recipient_events(account_id, state))
        if events:
            self._publisher.publish(events)
