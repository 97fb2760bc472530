"""Campaigns as their owners see them: create (with the credit reservation in the same transaction), read,
list, and the actions start | pause | resume | stop | finish | archive (R-CMP-1..4, R-CMP-7, R-BIL-2)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from jarchi import clock
from jarchi.accounts.models import Account, Caller
from jarchi.accounts.service import visible_account
from jarchi.audiences.numbers import number_info, recipient_time_zone
from jarchi.billing import credit
from jarchi.campaigns.draft import CampaignDraft, PreparedCampaign, prepare_campaign
from jarchi.campaigns.settlement import settle_campaign
from jarchi.campaigns.statuses import (
    CampaignAction,
    CampaignStatus,
    StatusChange,
    SystemEvent,
    after_acceptance,
    apply,
    initial_status,
    parse_action,
)
from jarchi.clock import iso
from jarchi.content.audio_service import mark_audio_used, store_campaign_speech
from jarchi.errors import BadRequest, NotFound
from jarchi.ids import new_id
from jarchi.store import campaigns as campaign_store
from jarchi.store import ledger as ledger_store
from jarchi.store import recipients as recipient_store
from jarchi.store import workflows
from jarchi.store.campaigns import CampaignItem
from jarchi.store.recipients import AudienceEntry
from jarchi.store.transactions import LabelledTransaction, TransactionFailed


def _actor(caller: Caller) -> str:
    return f"account:{caller.account_id}"


def _content(account: Account, prepared: PreparedCampaign) -> dict[str, Any]:
    draft = prepared.draft
    content: dict[str, Any] = {"message_seconds": prepared.message_seconds}
    if prepared.audio is not None:
        content |= {"audio_id": prepared.audio.id, "audio_key": prepared.audio.key, "pulses": prepared.audio.pulses}
    elif prepared.speech is not None:
        # The text is the content the owner wrote; its generated speech is kept as audio for the record.
        audio = store_campaign_speech(
            account, prepared.speech.text, prepared.speech.language, speech=prepared.speech, approved=True
        )
        content |= {
            "audio_id": audio.id,
            "audio_key": audio.key,
            "pulses": audio.pulses,
            "tts_text": prepared.speech.text,
            "language": prepared.speech.language,
        }
    if draft.sms_text is not None:
        content |= {"sms_text": draft.sms_text, "sender": prepared.sender.name if prepared.sender else draft.sender}
    return content


def _audience(account: Account, prepared: PreparedCampaign) -> list[AudienceEntry]:
    return [
        AudienceEntry(
            seq=seq,
            number=recipient.number,
            type=str(recipient.type),
            time_zone=recipient_time_zone(number_info(recipient.number), account.timezone),
            values=dict(zip(prepared.columns, recipient.values, strict=True)),
            units=recipient.units,
        )
        for seq, recipient in enumerate(prepared.recipients)
    ]


def _first_history(caller: Caller, draft: CampaignDraft, now: datetime) -> tuple[CampaignStatus, list[StatusChange]]:
    status = initial_status(needs_moderation=False)
    history = [StatusChange(at=now, status=status, actor=_actor(caller), reason="created")]
    event = after_acceptance(auto_start=draft.auto_start, start_at=draft.start_at, now=now)
    if event is SystemEvent.SCHEDULE:
        history.append(apply(status, event, at=now, actor="system"))
        status = CampaignStatus.SCHEDULED
    return status, history


def create_campaign(caller: Caller, draft: CampaignDraft, *, quick_send: bool = False) -> CampaignItem:
    account = caller.account
    prepared = prepare_campaign(account, draft)
    now = clock.now()
    campaign_id = new_id("cmp")
    status, history = _first_history(caller, draft, now)
    audience = _audience(account, prepared)
    key = recipient_store.audience_key(account.id, campaign_id)
    recipient_store.put_audience(key, audience)  # an orphan object if the transaction fails: harmless
    estimated = prepared.estimate.estimated
    starts = status is CampaignStatus.SCHEDULED or draft.auto_start
    item = CampaignItem(
        campaign_id,
        account_id=account.id,
        created_at=iso(now),
        name=draft.name,
        channel=draft.channel.value,
        category=draft.category.value,
        status=status.value,
        history=[h.as_dict() for h in history],
        content=_content(account, prepared),
        audience_key=key,
        contact_list_id=draft.contact_list_id,
        quick_send=quick_send,
        start_at=iso(draft.start_at) if draft.start_at else None,
        auto_start=draft.auto_start,
        windows=prepared.window_rule.windows_as_dicts(),
        days_of_week=sorted(prepared.window_rule.days),
        time_zones=sorted({entry.time_zone for entry in audience}),
        vote=draft.vote,
        speed_per_hour=draft.speed_per_hour,
        comment=draft.comment,
        unit=str(prepared.unit),
        tariff=prepared.tariff.voice_per_pulse if draft.channel == "voice" else prepared.tariff.sms_per_segment,
        total=len(audience),
        estimated=estimated,
        reserved=estimated,
        run=1 if starts else 0,
    )
    tx = LabelledTransaction()
    campaign_store.put_new(tx, item)
    reservation = credit.reservation(account.id, campaign_id, estimated) if estimated > 0 else None
    if reservation is not None:
        ledger_store.stage_posting(tx, reservation)
    try:
        tx.commit()
    except TransactionFailed as failure:
        raise (ledger_store.explain_failure(reservation, failure) if reservation else failure) from failure
    if prepared.audio is not None:
        mark_audio_used(prepared.audio.id)
    if status is CampaignStatus.SCHEDULED and draft.start_at is not None:
        campaign_store.set_schedule(item, workflows.schedule_start(campaign_id, int(item.run), draft.start_at))
    elif draft.auto_start:
        _start_workflow(item)
    return _reload(campaign_id)


def _start_workflow(item: CampaignItem) -> None:
    arn = workflows.start_execution(item.id, int(item.run))
    campaign_store.set_execution(item, arn)


def _reload(campaign_id: str) -> CampaignItem:
    item = campaign_store.get_campaign_item(campaign_id)
    if item is None:
        raise NotFound.of("campaign", campaign_id)
    return item


def visible_campaign(caller: Caller, campaign_id: str) -> CampaignItem:
    item = campaign_store.get_campaign_item(campaign_id)
    if item is None:
        raise NotFound.of("campaign", campaign_id)
    try:
        visible_account(caller, item.account_id)
    except NotFound as hidden:
        raise NotFound.of("campaign", campaign_id) from hidden
    return item


def list_campaigns(
    caller: Caller, account_id: str | None, limit: int, cursor: str | None
) -> tuple[list[CampaignItem], str | None]:
    account = visible_account(caller, account_id or caller.account_id)
    return campaign_store.list_for_account(account.id, limit, cursor)


OWNER_REQUEST = "owner_request"
_RESTARTS = {CampaignAction.START, CampaignAction.RESUME}
# In the status model but not carried out yet: each needs new attempts per recipient (retry parts). Refused
# before anything changes, so a campaign never sits `running` with no workflow behind it.
_NOT_AVAILABLE_YET = {CampaignAction.RESET, CampaignAction.RESUME_UNFINISHED, CampaignAction.RETRY_FAILED}


def perform_action(caller: Caller, campaign_id: str, action_name: str, reason: str | None = None) -> CampaignItem:
    """The owner's action; recorded with the owner's reason, or `owner_request` when none is given."""
    reason = reason or OWNER_REQUEST
    item = visible_campaign(caller, campaign_id)
    action = parse_action(action_name)
    if action in _NOT_AVAILABLE_YET:
        raise BadRequest("action_not_available", f"{action.value} is not available yet", action=action.value)
    now = clock.now()
    if action is CampaignAction.FINISH:
        return settle_campaign(campaign_id, actor=_actor(caller), event=action, reason=reason)
    change = apply(item.status, action, at=now, actor=_actor(caller), reason=reason, in_flight=int(item.in_flight))
    restarts = action in _RESTARTS
    leaves_schedule = item.status == CampaignStatus.SCHEDULED and item.schedule_name
    campaign_store.record_status_change(item, change.status.value, change.as_dict(), new_run=restarts)
    if leaves_schedule:
        # Started by hand or stopped before its time: the scheduled start is not wanted (its run is stale).
        workflows.delete_schedule(item.schedule_name)
    if restarts:
        _start_workflow(item)
    return _reload(campaign_id)
