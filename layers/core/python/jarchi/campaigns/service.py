"""Campaigns as their owners change them: create (with the credit reservation in the same transaction), the actions
start | pause | resume | stop | finish | archive | unarchive, copy and comment, moderation, and edits (R-CMP-1..4,
R-CMP-7, R-BIL-2). Reading one, a list and the recipients is `jarchi.campaigns.queries` (R-CMP-4, R-REP-1, R-REP-3)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from jarchi import clock
from jarchi.accounts.access import require_admin
from jarchi.accounts.models import Account, Caller
from jarchi.accounts.service import visible_account
from jarchi.audiences.numbers import number_info, recipient_time_zone
from jarchi.billing import credit
from jarchi.billing.ledger import Posting
from jarchi.billing.margins import SEGMENT, reseller_margins
from jarchi.campaigns.caller_id_service import account_pool
from jarchi.campaigns.draft import CampaignDraft, PreparedCampaign, PreparedRecipient, audience_of, prepare_campaign
from jarchi.campaigns.models import (
    SYSTEM,
    USER,
    AudienceEntry,
    Campaign,
    CampaignContent,
    CampaignEdit,
    CampaignMoney,
    CampaignPart,
    CampaignProgress,
    CampaignSettings,
    Comment,
    NewAudience,
    PartKind,
    SendingWindow,
)
from jarchi.campaigns.pacing import validate_speed
from jarchi.campaigns.parts import PART_KINDS, renumbered, retried, unfinished
from jarchi.campaigns.ports import CampaignChanged, CampaignPorts
from jarchi.campaigns.queries import visible_campaign
from jarchi.campaigns.settlement import settle_campaign
from jarchi.campaigns.statuses import (
    SETTLED_STATUSES,
    SYSTEM_ACTOR,
    CampaignAction,
    CampaignOperation,
    CampaignStatus,
    StatusChange,
    SystemEvent,
    after_acceptance,
    apply,
    initial_status,
    parse_action,
    refuse,
)
from jarchi.channels import Category, Channel
from jarchi.compliance.pumping import SUSPECTED_PUMPING
from jarchi.content.audio_service import mark_audio_used, store_campaign_speech
from jarchi.content.personalisation import compile_text
from jarchi.content.rules import require_service_sms_allowed
from jarchi.content.senders_service import require_approved_sender
from jarchi.content.sms import count_segments
from jarchi.errors import Conflict, NotFound, Unprocessable
from jarchi.ids import new_id
from jarchi.settings import get_settings

_ACCOUNT_ACTOR = "account:"


def _actor(caller: Caller) -> str:
    return f"{_ACCOUNT_ACTOR}{caller.account_id}"


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
    voicemail = prepared.voicemail
    if voicemail is not None:
        recorded = voicemail.audio
        if recorded is None and voicemail.speech is not None:
            speech = voicemail.speech
            recorded = store_campaign_speech(account, speech.text, speech.language, speech=speech, approved=True)
            content = replace(content, voicemail_tts=speech.text)
        assert recorded is not None
        content = replace(
            content,
            voicemail_key=recorded.key,
            voicemail_audio_id=recorded.id,
            voicemail_seconds=voicemail.seconds,
            voicemail_pulses=voicemail.pulses,
        )
    return content


def _audience(account: Account, prepared: PreparedCampaign) -> list[AudienceEntry]:
    return _audience_entries(account, prepared.columns, prepared.recipients)


def _audience_entries(
    account: Account, columns: tuple[str, ...], recipients: Sequence[PreparedRecipient]
) -> list[AudienceEntry]:
    return [
        AudienceEntry(
            seq=seq,
            number=recipient.number,
            type=str(recipient.type),
            time_zone=recipient_time_zone(number_info(recipient.number), account.timezone),
            values=dict(zip(columns, recipient.values, strict=True)),
            units=recipient.units,
        )
        for seq, recipient in enumerate(recipients)
    ]


def needs_moderation(account: Account, now: datetime, *, quick_send: bool = False) -> bool:
    """R-CPL-4: an account created less than `campaign_moderation_days` ago, or flagged by admin. Quick sends
    (and so OTP) are not held: they are one message, now."""
    if quick_send:
        return False
    young = now - account.created_at < timedelta(days=get_settings().campaign_moderation_days)
    return account.flagged or young


def _first_history(
    caller: Caller, draft: CampaignDraft, now: datetime, *, moderated: bool
) -> tuple[CampaignStatus, list[StatusChange]]:
    status = initial_status(needs_moderation=moderated)
    history = [StatusChange(at=now, status=status, actor=_actor(caller), reason="created")]
    if moderated:
        return status, history
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
    moderated = needs_moderation(account, now, quick_send=quick_send)
    status, history = _first_history(caller, draft, now, moderated=moderated)
    audience = _audience(account, prepared)
    # An orphan object if the transaction below fails: harmless.
    audience_key = ports.recipients.put_audience(account.id, campaign_id, audience)
    estimated = prepared.estimate.estimated
    starts = status is CampaignStatus.SCHEDULED or (draft.auto_start and not moderated)
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
            custom_window=draft.windows is not None or draft.days_of_week is not None,
            validity_minutes=draft.validity_minutes if draft.channel is Channel.SMS else None,
            follow_ups=prepared.follow_ups,
            retry=draft.retry if draft.retry is not None and draft.retry.parts > 0 else None,
            caller_ids=account_pool(account.id) if draft.caller_id_pool else (),
            record=draft.record and draft.channel is Channel.VOICE,
            callback_bridge_to=_callback_bridge_to(account, draft),
        ),
        money=CampaignMoney(
            unit=str(prepared.unit),
            tariff=tariff.voice_per_pulse if draft.channel is Channel.VOICE else tariff.sms_per_segment,
            estimated=estimated,
            reserved=estimated,
            margins=reseller_margins(account, prepared.unit),
            follow_up_tariff=tariff.sms_per_segment if prepared.follow_ups else 0,
            follow_up_margins=reseller_margins(account, SEGMENT) if prepared.follow_ups else (),
        ),
        progress=CampaignProgress(total=len(audience), run=1 if starts else 0),
        audience_key=audience_key,
        contact_list_id=draft.contact_list_id,
        quick_send=quick_send,
        comment=draft.comment,
    )
    reservation = credit.reservation(account.id, campaign_id, estimated) if estimated > 0 else None
    ports.campaigns.create(campaign, reservation)
    for used in (prepared.audio, prepared.voicemail.audio if prepared.voicemail else None):
        if used is not None:
            mark_audio_used(used.id)
    _after_acceptance(ports, campaign)
    return _reload(ports, campaign_id)


def _after_acceptance(ports: CampaignPorts, campaign: Campaign) -> None:
    """A campaign just created (or accepted) with its run: the schedule, or the workflow now, or nothing
    (moderation, or no auto start)."""
    start_at = campaign.settings.start_at
    if campaign.status is CampaignStatus.SCHEDULED and start_at is not None:
        name = ports.workflows.schedule_start(campaign.id, campaign.progress.run, start_at)
        ports.campaigns.set_schedule(campaign.id, name)
    elif campaign.status is CampaignStatus.ACCEPTED and campaign.settings.auto_start:
        _start_workflow(ports, campaign.id, campaign.progress.run)


def _start_workflow(ports: CampaignPorts, campaign_id: str, run: int) -> None:
    ports.campaigns.set_execution(campaign_id, ports.workflows.start(campaign_id, run))


def _reload(ports: CampaignPorts, campaign_id: str) -> Campaign:
    campaign = ports.campaigns.get(campaign_id)
    if campaign is None:
        raise NotFound.of("campaign", campaign_id)
    return campaign


def _callback_bridge_to(account: Account, draft: CampaignDraft) -> str | None:
    """The account's callback number, frozen on a campaign with `callback_bridge` (R-OUT-4)."""
    if not draft.callback_bridge or draft.channel is not Channel.VOICE:
        return None
    if not account.callback_number:
        raise Unprocessable(
            "no_callback_number", "set the account's callback_number (PATCH /v1/accounts/{id}) to bridge callbacks"
        )
    return account.callback_number


OWNER_REQUEST = "owner_request"
_RESTARTS = {CampaignAction.START, CampaignAction.RESUME}
_RAISES_RUN = {*_RESTARTS, *PART_KINDS}


def _run_cut_short(campaign: Campaign, ports: CampaignPorts) -> bool:
    """A campaign an account's action set running with a new run whose workflow never started: the status
    write happened, the request ended before `StartExecution` (a scheduled start is the system's and is
    started by its schedule, under another name, so it is never taken for one). Looked up only on this
    refusal path: an action that raises a run, on a running campaign."""
    if campaign.status is not CampaignStatus.RUNNING or not campaign.history:
        return False
    if not campaign.history[-1].actor.startswith(_ACCOUNT_ACTOR):
        return False
    return not ports.workflows.run_started(campaign.id, campaign.progress.run)


def perform_action(
    caller: Caller,
    campaign_id: str,
    action_name: str,
    reason: str | None = None,
    *,
    text: str | None = None,
    ports: CampaignPorts | None = None,
) -> tuple[Campaign, bool]:
    """The owner's action; recorded with the owner's reason, or `owner_request` when none is given. The
    campaign it answers with, and whether that campaign is new (`copy`)."""
    ports = ports or CampaignPorts.wired()
    campaign = visible_campaign(caller, campaign_id, ports=ports)
    action = parse_action(action_name)
    try:
        if isinstance(action, CampaignOperation):
            return _operation(caller, campaign, action, text, ports=ports)
        return _act(caller, campaign, action, reason or OWNER_REQUEST, ports=ports)
    except CampaignChanged:
        # Another actor (a second owner, the workflow) changed it between our read and our write, which was
        # refused: nothing of this request took effect (R-CMP-4, two owners at once).
        raise refuse(_reload(ports, campaign_id).status, action.value, overtaken=True) from None


def _act(
    caller: Caller, campaign: Campaign, action: CampaignAction, reason: str, *, ports: CampaignPorts
) -> tuple[Campaign, bool]:
    campaign_id = campaign.id
    now = clock.now()
    _require_review(caller, campaign, action)
    if action in _RAISES_RUN and _run_cut_short(campaign, ports):
        # The owner's earlier request raised the run and died before starting its workflow (a crash, a
        # timeout): this one, a retry as any client makes after a 5xx, completes it instead of a 409.
        _start_workflow(ports, campaign_id, campaign.progress.run)
        return _reload(ports, campaign_id), False
    if action is CampaignAction.RESUME_UNFINISHED and campaign.status is CampaignStatus.PAUSED:
        if campaign.history[-1].actor != SYSTEM_ACTOR:
            raise refuse(campaign.status, action.value)  # paused by its owner: `resume`
        action = CampaignAction.RESUME
    elif action in PART_KINDS:
        return start_part(caller, campaign, action, reason, ports=ports), False
    if action is CampaignAction.FINISH:
        settled = settle_campaign(campaign_id, actor=_actor(caller), event=action, reason=reason, ports=ports)
        return settled, False
    change = apply(
        campaign.status,
        action,
        at=now,
        actor=_actor(caller),
        reason=reason,
        in_flight=campaign.progress.outstanding,
        history=campaign.history,
    )
    restarts = action in _RESTARTS
    schedule = campaign.progress.schedule_name if campaign.status is CampaignStatus.SCHEDULED else None
    ports.campaigns.record_status_change(campaign, change, new_run=restarts)  # CampaignChanged if overtaken
    if schedule:
        # Started by hand or stopped before its time: the scheduled start is not wanted (its run is stale).
        ports.workflows.delete_schedule(schedule)
    if restarts:
        _start_workflow(ports, campaign_id, campaign.progress.run + 1)
    return _reload(ports, campaign_id), False


def _require_review(caller: Caller, campaign: Campaign, action: CampaignAction) -> None:
    """A campaign paused as `suspected_pumping` resumes only by an admin's hand (the review)."""
    resumes = action in (CampaignAction.RESUME, CampaignAction.RESUME_UNFINISHED)
    if (
        resumes
        and campaign.status is CampaignStatus.PAUSED
        and campaign.history[-1].reason == SUSPECTED_PUMPING
        and not caller.account.is_admin
    ):
        raise Conflict(
            "awaiting_review",
            "the platform paused this campaign as suspected SMS pumping; an administrator reviews it before it "
            "can resume (stop or finish it meanwhile if you like)",
            status=campaign.status.value,
        )


def _operation(
    caller: Caller, campaign: Campaign, operation: CampaignOperation, text: str | None, *, ports: CampaignPorts
) -> tuple[Campaign, bool]:
    """The actions that move no status: copy (a new campaign), comment, cancel smart parts."""
    if operation is CampaignOperation.COPY:
        return copy_campaign(caller, campaign, ports=ports), True
    if operation is CampaignOperation.COMMENT:
        return add_comment(caller, campaign, text, ports=ports), False
    for _ in range(_CANCEL_TRIES - 1):
        try:
            return cancel_parts(campaign, operation, ports=ports), False
        except CampaignChanged:
            # The workflow moves the admission pointer the cancellation is conditioned on: read it again and
            # decide afresh (a settled campaign is then refused as such).
            campaign = _reload(ports, campaign.id)
    return cancel_parts(campaign, operation, ports=ports), False


_CANCEL_TRIES = 5


def cancel_parts(campaign: Campaign, operation: CampaignOperation, *, ports: CampaignPorts) -> Campaign:
    """`cancel_last_part` / `cancel_all_parts` (R-CMP-4/5): smart retry parts not started yet are dropped (the
    last one, or all); when none is left to drop, or for `cancel_all_parts`, a smart part still admitting also
    ends where admission stands and what it reserved for the recipients not placed is released at once.
    Refused on a settled campaign (409 `action_not_allowed`) or when nothing is left to cancel (409
    `nothing_to_cancel`)."""
    retry = campaign.settings.retry
    if retry is None or campaign.status in SETTLED_STATUSES:
        raise refuse(campaign.status, operation.value)
    left = campaign.smart_parts_left()
    progress = campaign.progress
    cuttable = campaign.all_parts()[-1].kind is PartKind.RETRY and progress.waiting > 0
    if operation is CampaignOperation.CANCEL_LAST_PART:
        planned, cut = (retry.parts - 1, False) if left > 0 else (retry.parts, cuttable)
    else:
        planned, cut = campaign.smart_parts_done(), cuttable
    if planned == retry.parts and not cut:
        raise Conflict("nothing_to_cancel", f"campaign {campaign.id} has no smart part left to cancel")
    release = None
    if cut:
        entries = ports.recipients.read_audience(
            campaign.audience_key, progress.seq_base + progress.next_seq, progress.waiting
        )
        amount = min(campaign.part_estimate(entries), campaign.money.unspent)
        reference = f"cancel:part:{progress.part}"
        release = credit.release(campaign.account_id, campaign.id, max(amount, 0), reference)
    ports.campaigns.cancel_parts(campaign, planned, release)
    return _reload(ports, campaign.id)


def start_part(
    caller: Caller, campaign: Campaign, action: CampaignAction, reason: str, *, ports: CampaignPorts
) -> Campaign:
    """reset | retry_failed | resume_unfinished of a finished campaign: a new part over the recipients
    `jarchi.campaigns.parts` picks, its estimate reserved before it starts (402 `insufficient_credit`), in one
    transaction with the status change; then the new run's workflow starts. Nothing to send is 409
    `nothing_to_send`."""
    now = clock.now()
    change = apply(campaign.status, action, at=now, actor=_actor(caller), reason=reason, history=campaign.history)
    kind = PART_KINDS[action]
    progress = campaign.progress
    if kind is PartKind.RESET:
        first = campaign.all_parts()[0]
        entries = ports.recipients.read_audience(first.audience_key, 0, first.total)
    else:
        entries = ports.recipients.read_audience(campaign.audience_key, progress.seq_base, progress.total)
        if kind is PartKind.RETRY_FAILED:
            entries = retried(entries, ports.recipients.load_many(campaign.id, (e.seq for e in entries)))
        else:
            entries = unfinished(entries, progress.next_seq, progress.seq_base)
    _require_pool_kept(campaign)
    if not entries:
        raise Conflict(
            "nothing_to_send", f"no recipient of {campaign.id} is left to {action.value}", action=action.value
        )
    number = progress.part + 1
    entries = renumbered(entries, number)
    audience_key = ports.recipients.put_audience(campaign.account_id, f"{campaign.id}/part-{number}", entries)
    estimated = campaign.part_estimate(entries)
    posting = credit.reservation(campaign.account_id, campaign.id, estimated, f"part:{number}") if estimated else None
    part = CampaignPart(number, kind, now, audience_key, len(entries))
    ports.campaigns.start_part(campaign, change, part, posting, reset=kind is PartKind.RESET)  # or CampaignChanged
    _start_workflow(ports, campaign.id, progress.run + 1)
    return _reload(ports, campaign.id)


def _require_pool_kept(campaign: Campaign) -> None:
    """A finished campaign's pool is no longer protected from `release`: sending again needs every number of it
    still the account's (else 409 `caller_id_released`; a copy takes the account's numbers of today)."""
    pool = campaign.settings.caller_ids
    if pool and campaign.status is CampaignStatus.FINISHED:
        gone = sorted(set(pool) - set(account_pool(campaign.account_id)))
        if gone:
            raise Conflict(
                "caller_id_released", "numbers of its caller-ID pool were released: copy the campaign", numbers=gone
            )


def add_comment(caller: Caller, campaign: Campaign, text: str | None, *, ports: CampaignPorts) -> Campaign:
    """The owner's comment joins the campaign's comments (any status). In `clarification` it is the answer
    to the reviewer's question: the campaign goes back to `moderation` in the same write (R-CPL-4)."""
    if not text or not text.strip():
        raise Unprocessable("comment_text_required", 'a comment needs {"text"}')
    comment = Comment(at=clock.now(), author=USER, text=text.strip())
    if campaign.status is CampaignStatus.CLARIFICATION:
        change = apply(campaign.status, CampaignAction.REPLY, at=comment.at, actor=_actor(caller), reason="answered")
        ports.campaigns.record_status_change(campaign, change, comment=comment)
    else:
        ports.campaigns.add_comment(campaign.id, comment)
    return _reload(ports, campaign.id)


DECISIONS = {"accept": CampaignAction.APPROVE, "reject": CampaignAction.REJECT, "clarify": CampaignAction.CLARIFY}


def moderate_campaign(
    caller: Caller, campaign_id: str, decision: str, reason: str | None = None, *, ports: CampaignPorts | None = None
) -> Campaign:
    """The reviewer's decision (R-CPL-4): visible first (404), then admin only (403). `accept` → accepted,
    then scheduled or running as its settings say; `reject` (a reason required) → rejected with the whole
    reservation refunded at once; `clarify` (the question as reason) → clarification, until the owner's next
    comment. Each answer is a system comment; a decision the status does not allow is 409."""
    ports = ports or CampaignPorts.wired()
    campaign = visible_campaign(caller, campaign_id, ports=ports)
    require_admin(caller)
    action = DECISIONS[decision]
    if action is not CampaignAction.APPROVE and not reason:
        raise Unprocessable("reason_required", f"{decision} needs a reason the owner can read")
    actor = f"reviewer:{caller.account_id}"
    now = clock.now()
    answer = Comment(at=now, author=SYSTEM, text=f"{decision}: {reason}" if reason else decision)
    if action is CampaignAction.REJECT:
        apply(campaign.status, action, at=now, actor=actor)  # refused before anything is written
        settle_campaign(campaign.id, actor=actor, event=action, reason=reason, ports=ports)
        ports.campaigns.add_comment(campaign.id, answer)
        return _reload(ports, campaign.id)
    change = apply(campaign.status, action, at=now, actor=actor, reason=reason)
    ports.campaigns.record_status_change(campaign, change, new_run=action is CampaignAction.APPROVE, comment=answer)
    if action is CampaignAction.APPROVE:
        accepted = _reload(ports, campaign.id)
        settings = accepted.settings
        event = after_acceptance(auto_start=settings.auto_start, start_at=settings.start_at, now=now)
        if event is SystemEvent.SCHEDULE:
            ports.campaigns.record_status_change(accepted, apply(accepted.status, event, at=now, actor=SYSTEM_ACTOR))
            accepted = _reload(ports, campaign.id)
        _after_acceptance(ports, accepted)
    return _reload(ports, campaign.id)


def copy_campaign(caller: Caller, original: Campaign, *, ports: CampaignPorts) -> Campaign:
    """A new campaign with the original's settings and recipients (R-CMP-4): the frozen audience is shared
    (same key; it is never rewritten in place), the estimate reserved again for the copy, its status as if
    just created (a start time already past starts it now)."""
    now = clock.now()
    campaign_id = new_id("cmp")
    settings = original.settings
    moderated = needs_moderation(caller.account, now, quick_send=original.quick_send)
    status = initial_status(needs_moderation=moderated)
    history = [StatusChange(at=now, status=status, actor=_actor(caller), reason=f"copied from {original.id}")]
    event = after_acceptance(auto_start=settings.auto_start, start_at=settings.start_at, now=now)
    if event is SystemEvent.SCHEDULE and not moderated:
        history.append(apply(status, event, at=now, actor="system"))
        status = CampaignStatus.SCHEDULED
    starts = status is CampaignStatus.SCHEDULED or (settings.auto_start and not moderated)
    estimated = original.money.estimated
    copy = Campaign(
        id=campaign_id,
        account_id=original.account_id,
        created_at=now,
        name=original.name,
        channel=original.channel,
        category=original.category,
        status=status,
        history=tuple(history),
        content=original.content,
        # A copy calls from the account's numbers of today (some of the original's may have been released).
        settings=replace(settings, caller_ids=account_pool(original.account_id)) if settings.caller_ids else settings,
        money=CampaignMoney(
            unit=original.money.unit,
            tariff=original.money.tariff,
            estimated=estimated,
            reserved=estimated,
            margins=original.money.margins,
            follow_up_tariff=original.money.follow_up_tariff,
            follow_up_margins=original.money.follow_up_margins,
        ),
        progress=CampaignProgress(total=original.progress.total, run=1 if starts else 0),
        audience_key=original.audience_key,
        contact_list_id=original.contact_list_id,
        quick_send=original.quick_send,
        comment=original.comment,
        copied_from=original.id,
    )
    reservation = credit.reservation(original.account_id, campaign_id, estimated) if estimated > 0 else None
    ports.campaigns.create(copy, reservation)
    _after_acceptance(ports, copy)
    return _reload(ports, campaign_id)


# Before sending starts: what the text, schedule and speed may still change in.
_BEFORE_SENDING = frozenset(
    {CampaignStatus.MODERATION, CampaignStatus.CLARIFICATION, CampaignStatus.ACCEPTED, CampaignStatus.SCHEDULED}
)


def _not_editable(campaign: Campaign, fields: list[str]) -> Conflict:
    return Conflict(
        "not_editable",
        f"{', '.join(fields)} can no longer change: the campaign is {campaign.status.value} and sending has started",
        status=campaign.status.value,
        fields=fields,
    )


def _repriced_sms(campaign: Campaign, text: str, sender: str, entries: list[AudienceEntry]) -> list[AudienceEntry]:
    """The audience with each recipient's segments for `text` (R-SMS-1/2/4: the same checks as create)."""
    count_segments(text)
    if campaign.category is not Category.ADVERTISING:
        require_service_sms_allowed(text, sender)
    columns = tuple(entries[0].values) if entries else ()
    compiled = compile_text(text, columns)
    return [
        replace(entry, units=count_segments(compiled.fill(tuple(entry.values.get(c, "") for c in columns))).segments)
        for entry in entries
    ]


@dataclass(frozen=True)
class _Edits:
    """What a PATCH asks to change before sending starts, beyond name and comment."""

    sms_text: str | None = None
    sender: str | None = None
    recipients: list[str] | None = None
    contact_list_id: str | None = None
    start_at: datetime | None = None
    speed_per_hour: int | None = None

    def given(self) -> list[str]:
        return [name for name, value in vars(self).items() if value is not None]

    @property
    def new_audience(self) -> bool:
        return self.recipients is not None or self.contact_list_id is not None


def edit_campaign(
    caller: Caller,
    campaign_id: str,
    *,
    name: str | None = None,
    comment: str | None = None,
    sms_text: str | None = None,
    sender: str | None = None,
    recipients: list[str] | None = None,
    contact_list_id: str | None = None,
    start_at: datetime | None = None,
    speed_per_hour: int | None = None,
    ports: CampaignPorts | None = None,
) -> Campaign:
    """`PATCH /v1/campaigns/{id}` (R-CMP-4): name and comment at any time; the SMS text and sender, the
    recipients (inline numbers or a contact list), the start time and the speed only before sending starts
    (else 409 `not_editable`). A new text, sender or audience is checked as at creation and re-estimated; the
    reservation grows (a `reservation` entry, or 402 `insufficient_credit` with nothing changed) or shrinks (a
    `release`) in the same transaction as the change, conditional on the status, the pointer and the money read."""
    ports = ports or CampaignPorts.wired()
    campaign = visible_campaign(caller, campaign_id, ports=ports)
    edits = _Edits(sms_text, sender, recipients, contact_list_id, start_at, speed_per_hour)
    late = edits.given()
    if late and (campaign.status not in _BEFORE_SENDING or campaign.progress.next_seq > 0 or campaign.parts):
        raise _not_editable(campaign, late)
    if (sms_text is not None or sender is not None) and campaign.channel is not Channel.SMS:
        raise Unprocessable("sms_text_not_supported", "only an SMS campaign has a text and a sender to edit")
    if recipients is not None and contact_list_id is not None:
        raise Unprocessable("recipients_required", "give at most one of recipients and contact_list_id")
    if recipients is not None and not recipients:
        raise Unprocessable("recipients_required", "a campaign needs at least one recipient")
    if speed_per_hour is not None:
        validate_speed(speed_per_hour)
    if start_at is not None and start_at.tzinfo is None:
        raise Unprocessable("invalid_start_at", "start_at needs a time zone offset")
    edit = CampaignEdit(name=name, comment=comment, start_at=start_at, speed_per_hour=speed_per_hour)
    posting = None
    if sms_text is not None or sender is not None or edits.new_audience:
        owner = visible_account(caller, campaign.account_id)
        edit, posting = _reestimated(owner, campaign, edit, edits, ports)
    schedule = campaign.progress.schedule_name if campaign.status is CampaignStatus.SCHEDULED else None
    ports.campaigns.edit(campaign, edit, posting)
    if start_at is not None and schedule:
        # The scheduled start moves: a new schedule for the same run (the old one is gone first).
        ports.workflows.delete_schedule(schedule)
        name_ = ports.workflows.schedule_start(campaign.id, campaign.progress.run, start_at)
        ports.campaigns.set_schedule(campaign.id, name_)
    return _reload(ports, campaign.id)


def _reestimated(
    owner: Account, campaign: Campaign, edit: CampaignEdit, edits: _Edits, ports: CampaignPorts
) -> tuple[CampaignEdit, Posting | None]:
    """The edit with its new text, sender and audience checked, the audience priced per recipient and the
    reservation moved to the new estimate (the same rule as a new part's, `Campaign.part_estimate`)."""
    content = campaign.content
    sender = content.sender or ""
    if edits.sender is not None:
        sender = require_approved_sender(owner.id, edits.sender).name
    audience = None
    if edits.new_audience:
        read = audience_of(owner, edits.recipients, edits.contact_list_id)
        units = content.pulses or 1  # voice: every recipient hears the same message; SMS: counted below
        entries = _audience_entries(
            owner, read.columns, [PreparedRecipient(number, kind, values, units) for number, kind, values in read.rows]
        )
        zones = tuple(sorted({entry.time_zone for entry in entries}))
        audience = NewAudience(total=len(entries), time_zones=zones, contact_list_id=edits.contact_list_id)
    else:
        entries = ports.recipients.read_audience(campaign.audience_key, 0, campaign.progress.total)
    priced = entries
    if campaign.channel is Channel.SMS:
        priced = _repriced_sms(campaign, edits.sms_text or content.sms_text or "", sender, entries)
    money = campaign.money
    estimated = campaign.part_estimate(priced)
    audience_key = None
    if audience is not None or [e.units for e in priced] != [e.units for e in entries]:
        # Never rewritten in place (a copy may share it): the new recipients or units under a key of their own.
        audience_key = ports.recipients.put_audience(campaign.account_id, f"{campaign.id}/{new_id('aud')}", priced)
    held = money.reserved - money.released
    delta = estimated - held
    posting: Posting | None = None
    reserved, released = money.reserved, money.released
    reference = f"edit:{new_id('edt')}"
    if delta > 0:
        posting = credit.reservation(campaign.account_id, campaign.id, delta, reference)
        reserved += delta
    elif delta < 0:
        posting = credit.release(campaign.account_id, campaign.id, -delta, reference)
        released += -delta
    return (
        replace(
            edit,
            sms_text=edits.sms_text,
            sender=sender if edits.sender is not None else None,
            estimated=estimated,
            reserved=reserved,
            released=released,
            audience_key=audience_key,
            audience=audience,
        ),
        posting,
    )
