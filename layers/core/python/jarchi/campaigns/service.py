"""Campaigns as their owners see them: create (with the credit reservation in the same transaction), read,
list, the recipient list, and the actions start | pause | resume | stop | finish | archive (R-CMP-1..4,
R-CMP-7, R-BIL-2, R-REP-3)."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from datetime import datetime

from jarchi import clock
from jarchi.accounts.models import Account, Caller
from jarchi.accounts.service import require_owned, visible_account
from jarchi.audiences.numbers import number_info, recipient_time_zone
from jarchi.billing import credit
from jarchi.campaigns.draft import CampaignDraft, PreparedCampaign, prepare_campaign
from jarchi.campaigns.models import (
    IN_PROGRESS,
    PENDING,
    AudienceEntry,
    Campaign,
    CampaignContent,
    CampaignMoney,
    CampaignProgress,
    CampaignSettings,
    RecipientState,
    SendingWindow,
)
from jarchi.campaigns.ports import CampaignPorts
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
from jarchi.channels import Channel
from jarchi.content.audio_service import mark_audio_used, store_campaign_speech
from jarchi.errors import BadRequest, NotFound
from jarchi.ids import new_id


def _actor(caller: Caller) -> str:
    return f"account:{caller.account_id}"


def _content(account: Account, prepared: PreparedCampaign) -> CampaignContent:
    draft = prepared.draft
    content = CampaignContent(message_seconds=prepared.message_seconds)
    if draft.sms_text is not None:
        sender = prepared.sender.name if prepared.sender else draft.sender
        content = replace(content, sms_text=draft.sms_text, sender=sender)
    audio, speech = prepared.audio, prepared.speech
    if audio is None and speech is not None:
        # The text is the content the owner wrote; its generated speech is kept as audio for the record.
        audio = store_campaign_speech(account, speech.text, speech.language, speech=speech, approved=True)
        content = replace(content, tts_text=speech.text, language=speech.language)
    if audio is not None:
        content = replace(content, audio_id=audio.id, audio_key=audio.key, pulses=audio.pulses)
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


def create_campaign(
    caller: Caller, draft: CampaignDraft, *, quick_send: bool = False, ports: CampaignPorts | None = None
) -> Campaign:
    ports = ports or CampaignPorts.wired()
    account = caller.account
    prepared = prepare_campaign(account, draft)
    now = clock.now()
    campaign_id = new_id("cmp")
    status, history = _first_history(caller, draft, now)
    audience = _audience(account, prepared)
    # An orphan object if the transaction below fails: harmless.
    audience_key = ports.recipients.put_audience(account.id, campaign_id, audience)
    estimated = prepared.estimate.estimated
    starts = status is CampaignStatus.SCHEDULED or draft.auto_start
    tariff = prepared.tariff
    campaign = Campaign(
        id=campaign_id,
        account_id=account.id,
        created_at=now,
        name=draft.name,
        channel=draft.channel,
        category=draft.category,
        status=status,
        history=tuple(history),
        content=_content(account, prepared),
        settings=CampaignSettings(
            start_at=draft.start_at,
            auto_start=draft.auto_start,
            windows=tuple(SendingWindow(**w) for w in prepared.window_rule.windows_as_dicts()),
            days_of_week=tuple(sorted(prepared.window_rule.days)),
            vote=draft.vote,
            speed_per_hour=draft.speed_per_hour,
            time_zones=tuple(sorted({entry.time_zone for entry in audience})),
        ),
        money=CampaignMoney(
            unit=str(prepared.unit),
            tariff=tariff.voice_per_pulse if draft.channel is Channel.VOICE else tariff.sms_per_segment,
            estimated=estimated,
            reserved=estimated,
        ),
        progress=CampaignProgress(total=len(audience), run=1 if starts else 0),
        audience_key=audience_key,
        contact_list_id=draft.contact_list_id,
        quick_send=quick_send,
        comment=draft.comment,
    )
    reservation = credit.reservation(account.id, campaign_id, estimated) if estimated > 0 else None
    ports.campaigns.create(campaign, reservation)
    if prepared.audio is not None:
        mark_audio_used(prepared.audio.id)
    if status is CampaignStatus.SCHEDULED and draft.start_at is not None:
        name = ports.workflows.schedule_start(campaign_id, campaign.progress.run, draft.start_at)
        ports.campaigns.set_schedule(campaign_id, name)
    elif draft.auto_start:
        _start_workflow(ports, campaign_id, campaign.progress.run)
    return _reload(ports, campaign_id)


def _start_workflow(ports: CampaignPorts, campaign_id: str, run: int) -> None:
    ports.campaigns.set_execution(campaign_id, ports.workflows.start(campaign_id, run))


def _reload(ports: CampaignPorts, campaign_id: str) -> Campaign:
    campaign = ports.campaigns.get(campaign_id)
    if campaign is None:
        raise NotFound.of("campaign", campaign_id)
    return campaign


def visible_campaign(caller: Caller, campaign_id: str, *, ports: CampaignPorts | None = None) -> Campaign:
    ports = ports or CampaignPorts.wired()
    return require_owned(caller, ports.campaigns.get(campaign_id), "campaign", campaign_id)


def list_campaigns(
    caller: Caller, account_id: str | None, limit: int, cursor: str | None, *, ports: CampaignPorts | None = None
) -> tuple[list[Campaign], str | None]:
    ports = ports or CampaignPorts.wired()
    account = visible_account(caller, account_id or caller.account_id)
    return ports.campaigns.list_for_account(account.id, limit, cursor)


def _recipient_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"seq": seq}).encode()).decode()


def _seq_of(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        seq = json.loads(base64.urlsafe_b64decode(cursor.encode()))["seq"]
    except (ValueError, KeyError, TypeError):
        return 0
    return seq if isinstance(seq, int) and seq >= 0 else 0


def recipients_page(
    caller: Caller, campaign_id: str, *, limit: int, cursor: str | None, ports: CampaignPorts | None = None
) -> tuple[list[RecipientState], str | None]:
    """Recipients in audience order: the stored state where there is one, else in progress behind the
    admission pointer and pending ahead of it."""
    ports = ports or CampaignPorts.wired()
    campaign = visible_campaign(caller, campaign_id, ports=ports)
    total, admitted_below = campaign.progress.total, campaign.progress.next_seq
    first = _seq_of(cursor)
    entries = ports.recipients.read_audience(campaign.audience_key, first, min(limit, max(total - first, 0)))
    stored = ports.recipients.load_many(campaign.id, (e.seq for e in entries)) if entries else {}

    def state(entry: AudienceEntry) -> RecipientState:
        unrecorded = IN_PROGRESS if entry.seq < admitted_below else PENDING
        return stored.get(entry.seq) or RecipientState.unrecorded(campaign.id, entry, unrecorded)

    end = first + len(entries)
    return [state(e) for e in entries], (_recipient_cursor(end) if entries and end < total else None)


OWNER_REQUEST = "owner_request"
_RESTARTS = {CampaignAction.START, CampaignAction.RESUME}
# In the status model but not carried out yet: each needs new attempts per recipient (retry parts). Refused
# before anything changes, so a campaign never sits `running` with no workflow behind it.
_NOT_AVAILABLE_YET = {CampaignAction.RESET, CampaignAction.RESUME_UNFINISHED, CampaignAction.RETRY_FAILED}


def perform_action(
    caller: Caller, campaign_id: str, action_name: str, reason: str | None = None, *, ports: CampaignPorts | None = None
) -> Campaign:
    """The owner's action; recorded with the owner's reason, or `owner_request` when none is given."""
    ports = ports or CampaignPorts.wired()
    reason = reason or OWNER_REQUEST
    campaign = visible_campaign(caller, campaign_id, ports=ports)
    action = parse_action(action_name)
    if action in _NOT_AVAILABLE_YET:
        raise BadRequest("action_not_available", f"{action.value} is not available yet", action=action.value)
    now = clock.now()
    if action is CampaignAction.FINISH:
        return settle_campaign(campaign_id, actor=_actor(caller), event=action, reason=reason, ports=ports)
    change = apply(
        campaign.status, action, at=now, actor=_actor(caller), reason=reason, in_flight=campaign.progress.in_flight
    )
    restarts = action in _RESTARTS
    schedule = campaign.progress.schedule_name if campaign.status is CampaignStatus.SCHEDULED else None
    ports.campaigns.record_status_change(campaign, change, new_run=restarts)
    if schedule:
        # Started by hand or stopped before its time: the scheduled start is not wanted (its run is stale).
        ports.workflows.delete_schedule(schedule)
    if restarts:
        _start_workflow(ports, campaign_id, campaign.progress.run + 1)
    return _reload(ports, campaign_id)
