"""The `campaigns` and `recipients` tables.

A campaign item holds its settings, status and history, money (estimated/reserved/charged/released/
refunded) and counters. Counters and money move once per batch of attempts (never per attempt: one item
takes at most ~1,000 writes/s). A recipient item (partition = campaign) holds one number's state.

The audience is frozen at creation as JSON Lines objects in S3 (`audience_key` is their prefix), so creating
a campaign is one transaction: the campaign item and its credit reservation, all or nothing. A recipient
item is written only when admission decides about the recipient (in progress, or a pre-dial final) and
again with its result: two writes per attempt, none for a recipient still pending (the audience says who).

Results batches are applied exactly once by one conditional UpdateItem on the campaign item: the batch id
joins the `applied` set in the same write that moves the counters and the running charge. The ledger
books the campaign's charge and refund together, once, at reconciliation."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.pagination import ResultIterator

from jarchi import clock
from jarchi.attempts import VOTE_KEYS
from jarchi.billing.ledger import Posting
from jarchi.billing.margins import ResellerMargin
from jarchi.campaigns.callbacks import CALLBACK_SLOT, LAST_CALLS_LOOKED_AT, LastCall, pick_last_call
from jarchi.campaigns.follow_ups import FollowUpRule, follow_up_seq
from jarchi.campaigns.listing import DEFAULT_FILTER, CampaignFilter, ListingIndex, fold
from jarchi.campaigns.models import (
    FINAL_STAT_KEYS,
    PENDING,
    Campaign,
    CampaignContent,
    CampaignEdit,
    CampaignMoney,
    CampaignPart,
    CampaignProgress,
    CampaignSettings,
    Comment,
    MoneyTotals,
    PartKind,
    RecipientState,
    RetryPolicy,
    SendingWindow,
)
from jarchi.campaigns.pacing import PacingState
from jarchi.campaigns.ports import (
    NO_FOLLOW_UPS,
    CallbackRecord,
    CampaignChanged,
    CampaignPricing,
    FollowUpCounts,
    SettlementRefused,
)
from jarchi.campaigns.statuses import SENDING_STATUSES, CampaignStatus, StatusChange
from jarchi.channels import Category, Channel
from jarchi.clock import iso
from jarchi.compliance.quality import QualityBand, QualityCheck, QualityCounters, StopReason
from jarchi.errors import InsufficientCredit
from jarchi.store import ledger as ledger_store
from jarchi.store.base import RawItemMemo, ReadModel, decode_cursor, encode_cursor, table_meta, updated_if
from jarchi.store.tables import CAMPAIGNS, RECIPIENTS
from jarchi.store.transactions import LabelledTransaction, TransactionFailed


class _ByList(GlobalSecondaryIndex["CampaignItem"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "by_list"
        projection = AllProjection()

    list_key = UnicodeAttribute(hash_key=True)
    created_key = UnicodeAttribute(range_key=True)


class _ByStatus(GlobalSecondaryIndex["CampaignItem"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "by_status"
        projection = AllProjection()

    status_key = UnicodeAttribute(hash_key=True)
    created_key = UnicodeAttribute(range_key=True)


class _AwaitingReview(GlobalSecondaryIndex["CampaignItem"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "awaiting_review"
        projection = AllProjection()

    review_queue = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


REVIEW_QUEUE = "moderation"


class CampaignItem(ReadModel):
    Meta = table_meta(CAMPAIGNS)
    id = UnicodeAttribute(hash_key=True)
    account_id = UnicodeAttribute()
    created_at = UnicodeAttribute()
    name = UnicodeAttribute()
    # The list's keys and search form (see `tables.CAMPAIGNS` and `listing.fold`), moved with every status and name.
    name_search = UnicodeAttribute(null=True)
    list_key = UnicodeAttribute(null=True)
    status_key = UnicodeAttribute(null=True)
    created_key = UnicodeAttribute(null=True)
    channel = UnicodeAttribute()
    category = UnicodeAttribute()
    status = UnicodeAttribute()
    history: ListAttribute[Any] = ListAttribute(default=list)  # [{"at", "status", "actor", "reason"}]
    # {"audio_id", "audio_key", "message_seconds", "pulses", "tts_text", "sms_text", "sender", "language"}
    content: MapAttribute[str, Any] = MapAttribute(default=dict)  # type: ignore[no-untyped-call]
    audience_key = UnicodeAttribute()  # S3 prefix of the frozen recipients (JSON Lines chunks)
    contact_list_id = UnicodeAttribute(null=True)
    quick_send = BooleanAttribute(default=False)
    start_at = UnicodeAttribute(null=True)
    auto_start = BooleanAttribute(default=True)
    windows: ListAttribute[Any] = ListAttribute(default=list)  # [{"start": "HH:MM", "end": "HH:MM"}]
    days_of_week: ListAttribute[Any] = ListAttribute(default=list)
    time_zones: ListAttribute[Any] = ListAttribute(default=list)  # distinct recipient zones
    vote = BooleanAttribute(default=False)
    speed_per_hour = NumberAttribute(default=800)
    comment = UnicodeAttribute(null=True)
    comments: ListAttribute[Any] = ListAttribute(default=list)  # [{"at", "author": "user" | "system", "text"}]
    custom_window = BooleanAttribute(default=False)
    validity_minutes = NumberAttribute(null=True)
    # Follow-up SMS rules (R-OUT-3): [{"on", "digits", "sms_text", "sender", "units"}]; their SMS tariff.
    follow_ups: ListAttribute[Any] = ListAttribute(null=True)
    follow_up_tariff = NumberAttribute(null=True)
    follow_ups_in_flight = NumberAttribute(null=True)  # sent, not reported yet (settles only at 0)
    n_follow_ups_sent = NumberAttribute(null=True)  # accepted by the operator, over every part
    n_callbacks = NumberAttribute(null=True)  # callbacks connected (R-OUT-4)
    tags = UnicodeSetAttribute(null=True)  # derived from the settings at write time, for the list's filter
    reset_count = NumberAttribute(default=0)
    copied_from = UnicodeAttribute(null=True)
    unit = UnicodeAttribute()  # "pulse" | "segment"
    tariff = NumberAttribute()  # per unit, minor units
    total = NumberAttribute()
    estimated = NumberAttribute(default=0)
    reserved = NumberAttribute(default=0)
    charged = NumberAttribute(default=0)
    released = NumberAttribute(default=0)
    refunded = NumberAttribute(default=0)
    billed = NumberAttribute(default=0)  # the part of `charged` booked in the ledger (at each part's settlement)
    margins: ListAttribute[Any] = ListAttribute(default=list)  # [{"account_id", "per_unit"}] (R-BIL-4)
    # Follow-up SMS (R-OUT-3): of `charged`, of `billed`, and the resellers' margins per segment.
    follow_up_charged = NumberAttribute(null=True)
    follow_up_billed = NumberAttribute(null=True)
    follow_up_margins: ListAttribute[Any] = ListAttribute(null=True)
    # Parts: [{"part", "kind", "started_at", "audience_key", "total", "counts"?}] once a second part started.
    parts: ListAttribute[Any] = ListAttribute(default=list)
    part = NumberAttribute(default=0)
    # Workflow state.
    next_seq = NumberAttribute(default=0)  # the admission pointer
    # [first, end) of the last admission batch while its attempts are being sent (crash recovery).
    dispatching: ListAttribute[Any] = ListAttribute(null=True)
    applied = UnicodeSetAttribute(null=True)  # ids of the results batches already applied (never read back)
    in_flight = NumberAttribute(default=0)
    pacing = UnicodeAttribute(null=True)  # PacingState as JSON
    # The workflow run that may act on the campaign: raised by every start/resume, carried in the execution's
    # input, so an execution left behind by an earlier run (a pause, a manual start) ends itself.
    run = NumberAttribute(default=0)
    execution_arn = UnicodeAttribute(null=True)
    schedule_name = UnicodeAttribute(null=True)
    reconciled = BooleanAttribute(default=False)
    # Counters of final outcomes (`FINAL_STAT_KEYS`, attribute `n_<key>`).
    n_answered = NumberAttribute(default=0)
    n_machine = NumberAttribute(default=0)
    n_delivered = NumberAttribute(default=0)
    n_no_answer = NumberAttribute(default=0)
    n_busy = NumberAttribute(default=0)
    n_failed = NumberAttribute(default=0)
    n_frequency_capped = NumberAttribute(default=0)
    n_opted_out = NumberAttribute(default=0)
    n_blacklisted = NumberAttribute(default=0)
    n_invalid = NumberAttribute(default=0)
    n_country_not_allowed = NumberAttribute(default=0)
    n_prefix_not_allowed = NumberAttribute(default=0)
    n_leads = NumberAttribute(default=0)  # answered with a vote, every part (moved with the counters)
    # The vote histogram of the current part (`VOTE_KEYS`, attribute `v_<key>`), moved with the counters.
    v_0 = NumberAttribute(default=0)
    v_1 = NumberAttribute(default=0)
    v_2 = NumberAttribute(default=0)
    v_3 = NumberAttribute(default=0)
    v_4 = NumberAttribute(default=0)
    v_5 = NumberAttribute(default=0)
    v_6 = NumberAttribute(default=0)
    v_7 = NumberAttribute(default=0)
    v_8 = NumberAttribute(default=0)
    v_9 = NumberAttribute(default=0)
    v_11 = NumberAttribute(default=0)
    v_other = NumberAttribute(default=0)
    # The quality gate's counters (R-CPL-5), added per results batch over every part, and its verdict once judged.
    q_placed = NumberAttribute(default=0)
    q_answered = NumberAttribute(default=0)
    q_listened_seconds = NumberAttribute(default=0)
    q_message_seconds = NumberAttribute(default=0)
    q_short = NumberAttribute(default=0)
    q_opted_out = NumberAttribute(default=0)
    quality: MapAttribute[str, Any] = MapAttribute(null=True)  # type: ignore[no-untyped-call]
    last_result_at = UnicodeAttribute(null=True)  # when the last results batch was applied
    # Smart retry parts: {"parts", "delay_minutes", "on"} (R-CMP-5).
    retry: MapAttribute[str, Any] = MapAttribute(null=True)  # type: ignore[no-untyped-call]
    caller_ids: ListAttribute[Any] = ListAttribute(null=True)  # the caller-ID pool (R-DSP-5)
    record = BooleanAttribute(null=True)  # answered calls are recorded (R-OUT-5)
    callback_bridge_to = UnicodeAttribute(null=True)  # callbacks are bridged to this number (R-OUT-4)
    # Set only while the campaign waits for a reviewer: the sparse `awaiting_review` index lists those.
    review_queue = UnicodeAttribute(null=True)
    by_list = _ByList()
    by_status = _ByStatus()
    awaiting_review = _AwaitingReview()


class _ByCalledNumber(GlobalSecondaryIndex["RecipientItem"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "by_called_number"
        projection = AllProjection()

    number = UnicodeAttribute(hash_key=True)
    called_at = UnicodeAttribute(range_key=True)


class _ByRecording(GlobalSecondaryIndex["RecipientItem"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "by_recording"
        projection = AllProjection()

    recorded_in = UnicodeAttribute(hash_key=True)
    seq = NumberAttribute(range_key=True)


class RecipientItem(Model):
    """One recipient's state once admission has decided about it (the audience holds who and what).

    Written by `recipient_attributes` (issue 17, fourth pass): the keys, the attributes an index is keyed on
    (`number` and `called_at` of a call that reached the network, `recorded_in` of a recorded one) and `state`,
    one JSON object holding the rest of the state. Read by `to_state`, the one decoder. The other attributes
    are the ones a callback's item (`callback_key`) is updated in place with (ADDs), and every attribute of an
    item written before the state was packed: `to_state` reads both forms."""

    Meta = table_meta(RECIPIENTS)
    campaign_id = UnicodeAttribute(hash_key=True)
    seq = NumberAttribute(range_key=True)
    state = UnicodeAttribute(null=True)  # the packed state: every field below that is not a key of an index
    number = UnicodeAttribute(null=True)
    called_at = UnicodeAttribute(null=True)  # a call that reached the network ended then (sparse index)
    # The call's recording (R-OUT-5); `recorded_in` (its campaign) puts it in the sparse `by_recording` index.
    recorded_in = UnicodeAttribute(null=True)
    # Callbacks (R-OUT-4), on the item kept beside the recipient (`callback_key`), moved by ADD.
    units = NumberAttribute(null=True)  # pulses or segments this recipient costs if successful
    status = UnicodeAttribute(null=True)  # pending | in_progress | a final outcome
    cost = NumberAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)
    callbacks = NumberAttribute(null=True)
    callbacks_refused = NumberAttribute(null=True)
    callback_seconds = NumberAttribute(null=True)
    # Only on items written before the state was packed (read by `to_state`, never written).
    attempts = NumberAttribute(null=True)
    attempt_id = UnicodeAttribute(null=True)
    vote = NumberAttribute(null=True)
    listened_seconds = NumberAttribute(null=True)
    reason = UnicodeAttribute(null=True)
    delivery_status = UnicodeAttribute(null=True)
    admitted_at = UnicodeAttribute(null=True)
    placed_at = UnicodeAttribute(null=True)
    caller_id = UnicodeAttribute(null=True)
    recording = UnicodeAttribute(null=True)
    recording_seconds = NumberAttribute(null=True)
    by_called_number = _ByCalledNumber()
    by_recording = _ByRecording()


def stat_attribute(key: str) -> str:
    return f"n_{key}"


def vote_attribute(key: str) -> str:
    return f"v_{key}"


_READ_ATTRIBUTES = [name for name in CampaignItem.get_attributes() if name != "applied"]
_QUALITY_COUNTERS = {
    "placed": "q_placed",
    "answered": "q_answered",
    "listened_seconds": "q_listened_seconds",
    "message_seconds": "q_message_seconds",
    "short": "q_short",
    "opted_out": "q_opted_out",
}
_PRICING = [
    "id",
    "channel",
    "category",
    "tariff",
    "account_id",
    "follow_ups",
    "follow_up_tariff",
    "time_zones",
    "content",
    "total",
    "quality",
    *_QUALITY_COUNTERS.values(),
]
_CONTENT_KEYS = (
    "message_seconds",
    "audio_id",
    "audio_key",
    "pulses",
    "tts_text",
    "language",
    "sms_text",
    "sender",
    "voicemail_key",
    "voicemail_audio_id",
    "voicemail_tts",
    "voicemail_seconds",
    "voicemail_pulses",
)


def _plain(value: Any) -> dict[str, Any]:
    """A map attribute's content as a plain dict (pynamodb hands raw maps back as MapAttribute)."""
    if value is None:
        return {}
    if isinstance(value, MapAttribute):
        return dict(value.as_dict())  # type: ignore[no-untyped-call]
    return dict(value)


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


def _change(raw: Any) -> StatusChange:
    entry = _plain(raw)
    return StatusChange(
        at=datetime.fromisoformat(entry["at"]),
        status=CampaignStatus(entry["status"]),
        actor=entry["actor"],
        reason=entry.get("reason"),
    )


def _comment(raw: Any) -> Comment:
    entry = _plain(raw)
    return Comment(at=datetime.fromisoformat(entry["at"]), author=entry["author"], text=entry["text"])


def _part(raw: Any) -> CampaignPart:
    entry = _plain(raw)
    counts, votes, money = entry.get("counts"), entry.get("votes"), entry.get("money_before")
    return CampaignPart(
        part=int(entry["part"]),
        kind=PartKind(entry["kind"]),
        started_at=datetime.fromisoformat(entry["started_at"]),
        audience_key=entry["audience_key"],
        total=int(entry["total"]),
        counts={k: int(v) for k, v in _plain(counts).items()} if counts is not None else None,
        votes={k: int(v) for k, v in _plain(votes).items()} if votes is not None else None,
        money_before=MoneyTotals(**{k: int(v) for k, v in _plain(money).items()}) if money is not None else None,
    )


def _part_map(part: CampaignPart) -> dict[str, Any]:
    values: dict[str, Any] = {
        "part": part.part,
        "kind": part.kind.value,
        "started_at": part.started_at.isoformat(),
        "audience_key": part.audience_key,
        "total": part.total,
    }
    if part.counts is not None:
        values["counts"] = dict(part.counts)
    if part.votes is not None:
        values["votes"] = dict(part.votes)
    if part.money_before is not None:
        values["money_before"] = part.money_before.as_dict()
    return values


def _follow_ups(raw: Any) -> tuple[FollowUpRule, ...]:
    return tuple(FollowUpRule.from_dict(_plain(rule)) for rule in raw or [])


def _content(raw: Any) -> CampaignContent:
    content = _plain(raw)
    return CampaignContent(
        message_seconds=int(content.get("message_seconds") or 0),
        audio_id=content.get("audio_id"),
        audio_key=content.get("audio_key"),
        pulses=_optional_int(content.get("pulses")),
        tts_text=content.get("tts_text"),
        language=content.get("language"),
        sms_text=content.get("sms_text"),
        sender=content.get("sender"),
        voicemail_key=content.get("voicemail_key"),
        voicemail_audio_id=content.get("voicemail_audio_id"),
        voicemail_tts=content.get("voicemail_tts"),
        voicemail_seconds=int(content.get("voicemail_seconds") or 0),
        voicemail_pulses=int(content.get("voicemail_pulses") or 0),
    )


def _content_map(content: CampaignContent) -> dict[str, Any]:
    values = {key: getattr(content, key) for key in _CONTENT_KEYS}
    return {key: value for key, value in values.items() if value is not None}


def _retry(raw: Any) -> RetryPolicy | None:
    if raw is None:
        return None
    values = _plain(raw)
    return RetryPolicy(int(values["parts"]), int(values["delay_minutes"]), tuple(values.get("on") or ()))


def _quality(raw: Any) -> QualityCheck | None:
    if raw is None:
        return None
    values = _plain(raw)

    def number(key: str) -> float | None:
        value = values.get(key)
        return None if value is None else float(value)

    return QualityCheck(
        checked_at=datetime.fromisoformat(values["checked_at"]),
        acd_percent=number("acd_percent"),
        band=QualityBand(values["band"]) if values.get("band") else None,
        answer_rate_percent=number("answer_rate_percent"),
        short_call_percent=number("short_call_percent"),
        opt_out_percent=number("opt_out_percent"),
        stopped=StopReason(values["stopped"]) if values.get("stopped") else None,
        measured=values.get("measured"),
    )


def _quality_map(check: QualityCheck) -> dict[str, Any]:
    values: dict[str, Any] = {
        "checked_at": iso(check.checked_at),
        "acd_percent": check.acd_percent,
        "band": check.band.value if check.band else None,
        "answer_rate_percent": check.answer_rate_percent,
        "short_call_percent": check.short_call_percent,
        "opt_out_percent": check.opt_out_percent,
        "stopped": check.stopped.value if check.stopped else None,
        "measured": check.measured,
    }
    return {key: value for key, value in values.items() if value is not None}


def _quality_counters(item: CampaignItem) -> QualityCounters:
    return QualityCounters(
        **{name: int(getattr(item, attribute) or 0) for name, attribute in _QUALITY_COUNTERS.items()}
    )


def to_campaign(item: CampaignItem) -> Campaign:
    dispatching = item.dispatching
    return Campaign(
        id=item.id,
        account_id=item.account_id,
        created_at=datetime.fromisoformat(item.created_at),
        name=item.name,
        channel=Channel(item.channel),
        category=Category(item.category),
        status=CampaignStatus(item.status),
        history=tuple(_change(h) for h in item.history or []),
        content=_content(item.content),
        settings=CampaignSettings(
            start_at=datetime.fromisoformat(item.start_at) if item.start_at else None,
            auto_start=bool(item.auto_start),
            windows=tuple(SendingWindow(**_plain(w)) for w in item.windows or []),
            days_of_week=tuple(int(d) for d in item.days_of_week or []),
            vote=bool(item.vote),
            speed_per_hour=int(item.speed_per_hour),
            time_zones=tuple(item.time_zones or []),
            custom_window=bool(item.custom_window),
            validity_minutes=_optional_int(item.validity_minutes),
            follow_ups=_follow_ups(item.follow_ups),
            retry=_retry(item.retry),
            caller_ids=tuple(str(n) for n in item.caller_ids or ()),
            record=bool(item.record),
            callback_bridge_to=item.callback_bridge_to,
        ),
        money=CampaignMoney(
            unit=item.unit,
            tariff=int(item.tariff),
            estimated=int(item.estimated),
            reserved=int(item.reserved),
            charged=int(item.charged),
            released=int(item.released),
            refunded=int(item.refunded),
            billed=int(item.billed or 0),
            margins=_margins(item.margins),
            follow_up_tariff=int(item.follow_up_tariff or 0),
            follow_up_charged=int(item.follow_up_charged or 0),
            follow_up_billed=int(item.follow_up_billed or 0),
            follow_up_margins=_margins(item.follow_up_margins),
        ),
        progress=CampaignProgress(
            total=int(item.total),
            next_seq=int(item.next_seq),
            in_flight=int(item.in_flight),
            dispatching=(int(dispatching[0]), int(dispatching[1])) if dispatching else None,
            pacing=PacingState.from_dict(json.loads(item.pacing)) if item.pacing else None,
            run=int(item.run),
            execution_arn=item.execution_arn,
            schedule_name=item.schedule_name,
            reconciled=bool(item.reconciled),
            part=int(item.part or 0),
            follow_ups_in_flight=int(item.follow_ups_in_flight or 0),
        ),
        audience_key=item.audience_key,
        last_result_at=datetime.fromisoformat(item.last_result_at) if item.last_result_at else None,
        counts={key: int(getattr(item, stat_attribute(key))) for key in FINAL_STAT_KEYS},
        votes={key: int(getattr(item, vote_attribute(key)) or 0) for key in VOTE_KEYS},
        contact_list_id=item.contact_list_id,
        quick_send=bool(item.quick_send),
        comment=item.comment,
        comments=tuple(_comment(c) for c in item.comments or []),
        reset_count=int(item.reset_count or 0),
        copied_from=item.copied_from,
        parts=tuple(_part(p) for p in item.parts or []),
        follow_ups_sent=int(item.n_follow_ups_sent or 0),
        callbacks=int(item.n_callbacks or 0),
        leads=int(item.n_leads or 0),
        quality=_quality(item.quality),
        quality_counters=_quality_counters(item),
    )


def to_item(campaign: Campaign) -> CampaignItem:
    """A new campaign's item (progress and counters start at their defaults)."""
    settings, money = campaign.settings, campaign.money
    return CampaignItem(
        campaign.id,
        account_id=campaign.account_id,
        created_at=iso(campaign.created_at),
        name=campaign.name,
        name_search=fold(campaign.name),
        list_key=list_key(campaign.account_id, campaign.archived),
        status_key=status_key(campaign.account_id, campaign.status),
        created_key=f"{iso(campaign.created_at)}#{campaign.id}",
        channel=campaign.channel.value,
        category=campaign.category.value,
        status=campaign.status.value,
        history=[h.as_dict() for h in campaign.history],
        content=_content_map(campaign.content),
        audience_key=campaign.audience_key,
        contact_list_id=campaign.contact_list_id,
        quick_send=campaign.quick_send,
        start_at=iso(settings.start_at) if settings.start_at else None,
        auto_start=settings.auto_start,
        windows=[w.as_dict() for w in settings.windows],
        days_of_week=list(settings.days_of_week),
        time_zones=list(settings.time_zones),
        vote=settings.vote,
        speed_per_hour=settings.speed_per_hour,
        comment=campaign.comment,
        comments=[c.as_dict() for c in campaign.comments],
        custom_window=settings.custom_window,
        validity_minutes=settings.validity_minutes,
        follow_ups=[rule.as_dict() for rule in settings.follow_ups] or None,
        follow_up_tariff=money.follow_up_tariff or None,
        retry=settings.retry.as_dict() if settings.retry is not None else None,
        caller_ids=list(settings.caller_ids) or None,
        record=settings.record or None,
        callback_bridge_to=settings.callback_bridge_to,
        tags=set(campaign.tags) or None,
        reset_count=campaign.reset_count,
        copied_from=campaign.copied_from,
        review_queue=REVIEW_QUEUE if campaign.status is CampaignStatus.MODERATION else None,
        unit=money.unit,
        tariff=money.tariff,
        margins=_margin_maps(money.margins),
        follow_up_margins=_margin_maps(money.follow_up_margins) or None,
        total=campaign.progress.total,
        estimated=money.estimated,
        reserved=money.reserved,
        run=campaign.progress.run,
    )


def list_key(account_id: str, archived: bool) -> str:
    return f"{account_id}#{ListingIndex.ARCHIVED if archived else ListingIndex.LIVE}"


def status_key(account_id: str, status: CampaignStatus) -> str:
    return f"{account_id}#{status.value}"


def _status_actions(campaign: Campaign, status: CampaignStatus) -> list[Action]:
    """A status write moves the list's keys with it."""
    return [
        CampaignItem.status.set(status.value),
        CampaignItem.list_key.set(list_key(campaign.account_id, status is CampaignStatus.ARCHIVED)),
        CampaignItem.status_key.set(status_key(campaign.account_id, status)),
    ]


def _counter_actions(finals: Mapping[str, int]) -> list[Action]:
    return [getattr(CampaignItem, stat_attribute(key)).add(count) for key, count in finals.items()]


def _created_between(filters: CampaignFilter) -> Any:
    """The range condition on `created_key` (`<created_at>#<id>`): `iso(t)` sorts just before every key
    created at `t`, so `>= iso(from)` keeps `from` and `< iso(to)` leaves `to` out."""
    created: Any = CampaignItem.created_key
    low, high = filters.created_from, filters.created_to
    if low is not None and high is not None:
        return created.between(iso(low), iso(high))
    if low is not None:
        return created >= iso(low)
    if high is not None:
        return created < iso(high)
    return None


def _list_filter(filters: CampaignFilter) -> Any:
    """What the index's key cannot say (`jarchi.campaigns.listing` says what each field means)."""
    condition: Any = None
    if filters.q:
        condition = (CampaignItem.id == filters.q) | CampaignItem.name_search.contains(filters.folded_q)
    if filters.tag is not None:
        tagged = CampaignItem.tags.contains(filters.tag)
        condition = tagged if condition is None else condition & tagged
    return condition


def _list_query(account_id: str, filters: CampaignFilter) -> tuple[Any, str]:
    """The index and partition a list query reads."""
    if filters.listing_index is ListingIndex.BY_STATUS:
        assert filters.status is not None
        return CampaignItem.by_status, status_key(account_id, filters.status)
    return CampaignItem.by_list, list_key(account_id, filters.shows_archived)


def _edit_actions(campaign: Campaign, edit: CampaignEdit) -> list[Action]:
    actions: list[Action] = []
    simple: dict[str, Any] = {
        "name": CampaignItem.name,
        "comment": CampaignItem.comment,
        "speed_per_hour": CampaignItem.speed_per_hour,
        "estimated": CampaignItem.estimated,
        "reserved": CampaignItem.reserved,
        "released": CampaignItem.released,
        "audience_key": CampaignItem.audience_key,
    }
    for field_name, attribute in simple.items():
        value = getattr(edit, field_name)
        if value is not None:
            actions.append(attribute.set(value))
    if edit.name is not None:
        actions.append(CampaignItem.name_search.set(fold(edit.name)))
    if edit.start_at is not None:
        actions.append(CampaignItem.start_at.set(iso(edit.start_at)))
    if edit.sms_text is not None or edit.sender is not None:
        content = replace(
            campaign.content,
            sms_text=edit.sms_text or campaign.content.sms_text,
            sender=edit.sender or campaign.content.sender,
        )
        actions.append(CampaignItem.content.set(_content_map(content)))
    if edit.audience is not None:
        audience = edit.audience
        actions += [CampaignItem.total.set(audience.total), CampaignItem.time_zones.set(list(audience.time_zones))]
        if audience.contact_list_id is not None:
            actions.append(CampaignItem.contact_list_id.set(audience.contact_list_id))
        else:
            actions.append(CampaignItem.contact_list_id.remove())
    return actions


def _history_with(campaign: Campaign, change: StatusChange) -> list[dict[str, str | None]]:
    return [h.as_dict() for h in (*campaign.history, change)]


def _read_campaign(raw: dict[str, Any]) -> Campaign:
    return to_campaign(CampaignItem.from_raw_data(raw))


# The campaign reads (one and the list) map each stored item they read to its `Campaign` through this memo: the
# same stored values give the same (immutable) campaign without building the pynamodb instance and the domain
# objects again (issue 14, read latency). Every read still reads the item from the table.
_read_campaigns = RawItemMemo(_read_campaign, size=512)


class DynamoCampaigns:
    """The campaign repository on the `campaigns` table (with the ledger in its transactions)."""

    def get(self, campaign_id: str) -> Campaign | None:
        answer = CampaignItem._get_connection().get_item(
            campaign_id, consistent_read=True, attributes_to_get=_READ_ATTRIBUTES
        )
        raw = answer.get("Item") if answer else None
        return _read_campaigns(raw) if raw else None

    def pricing(self, campaign_id: str) -> CampaignPricing | None:
        try:
            item = CampaignItem.get(campaign_id, consistent_read=True, attributes_to_get=_PRICING)
        except CampaignItem.DoesNotExist:
            return None
        content = _content(item.content)
        return CampaignPricing(
            item.id,
            Channel(item.channel),
            Category(item.category),
            int(item.tariff),
            account_id=item.account_id,
            follow_ups=_follow_ups(item.follow_ups),
            follow_up_tariff=int(item.follow_up_tariff or 0),
            time_zones=tuple(item.time_zones or []),
            message_seconds=content.message_seconds,
            total=int(item.total),
            unjudged=_quality_counters(item) if item.quality is None else None,
        )

    def list_for_account(
        self, account_id: str, limit: int, cursor: str | None, filters: CampaignFilter = DEFAULT_FILTER
    ) -> tuple[list[Campaign], str | None]:
        if filters.empty:
            return [], None
        index, partition = _list_query(account_id, filters)
        start = decode_cursor(cursor)
        if start is not None and partition not in (start.get(key, {}).get("S") for key in ("list_key", "status_key")):
            start = None  # a cursor of another list starts this one from the top
        # `index.query` as pynamodb makes it (`Model.query`), each item mapped by the memo instead of
        # `CampaignItem.from_raw_data`
        result: ResultIterator[Campaign] = ResultIterator(
            CampaignItem._get_connection().query,
            (partition,),
            {
                "range_key_condition": _created_between(filters),
                "filter_condition": _list_filter(filters),
                "index_name": index.Meta.index_name,
                "exclusive_start_key": start,
                "consistent_read": False,
                "scan_index_forward": False,
                "limit": limit,
                "attributes_to_get": _READ_ATTRIBUTES,  # not the batch ids a running campaign has applied
            },
            map_fn=_read_campaigns,
            limit=limit,
        )
        items = list(result)
        return items, encode_cursor(result.last_evaluated_key) if len(items) == limit else None

    def create(self, campaign: Campaign, reservation: Posting | None) -> None:
        tx = LabelledTransaction()
        tx.put("campaign", to_item(campaign), CampaignItem.id.does_not_exist())
        if reservation is not None:
            ledger_store.stage_posting(tx, reservation)
        try:
            tx.commit()
        except TransactionFailed as failure:
            raise (ledger_store.explain_failure(reservation, failure) if reservation else failure) from failure

    def record_status_change(
        self, campaign: Campaign, change: StatusChange, *, new_run: bool = False, comment: Comment | None = None
    ) -> None:
        actions: list[Action] = [
            *_status_actions(campaign, change.status),
            CampaignItem.history.set(_history_with(campaign, change)),
        ]
        if new_run:
            actions.append(CampaignItem.run.add(1))
        if comment is not None:
            actions.append(CampaignItem.comments.set(CampaignItem.comments.append([comment.as_dict()])))
        if change.status is CampaignStatus.MODERATION:
            actions.append(CampaignItem.review_queue.set(REVIEW_QUEUE))
        elif campaign.status is CampaignStatus.MODERATION:
            actions.append(CampaignItem.review_queue.remove())
        condition = CampaignItem.status == campaign.status.value
        if not updated_if(lambda: CampaignItem(campaign.id).update(actions=actions, condition=condition)):
            raise CampaignChanged(campaign.id)

    def awaiting_review(self, limit: int, cursor: str | None) -> tuple[list[Campaign], str | None]:
        start = decode_cursor(cursor)
        result = CampaignItem.awaiting_review.query(
            REVIEW_QUEUE, limit=limit, last_evaluated_key=start, scan_index_forward=True
        )
        items = [to_campaign(item) for item in result]
        return items, encode_cursor(result.last_evaluated_key) if len(items) == limit else None

    def add_comment(self, campaign_id: str, comment: Comment) -> None:
        action = CampaignItem.comments.set(CampaignItem.comments.append([comment.as_dict()]))
        if not updated_if(
            lambda: CampaignItem(campaign_id).update(actions=[action], condition=CampaignItem.id.exists())
        ):
            raise CampaignChanged(campaign_id)

    def edit(self, campaign: Campaign, edit: CampaignEdit, posting: Posting | None) -> None:
        condition = (
            (CampaignItem.status == campaign.status.value)
            & (CampaignItem.next_seq == campaign.progress.next_seq)
            & (CampaignItem.reserved == campaign.money.reserved)
            & (CampaignItem.released == campaign.money.released)
        )
        actions = _edit_actions(campaign, edit)
        if not actions and posting is None:
            return  # nothing given (a PATCH of nulls): DynamoDB refuses an update without actions
        tx = LabelledTransaction()
        if posting is not None:
            ledger_store.stage_posting(tx, posting)
        tx.update("campaign", CampaignItem(campaign.id), actions, condition)
        try:
            tx.commit()
        except TransactionFailed as failure:
            refused = ledger_store.explain_failure(posting, failure) if posting is not None else failure
            if isinstance(refused, InsufficientCredit):
                raise refused from failure
            raise CampaignChanged(campaign.id) from failure

    def start_part(
        self,
        campaign: Campaign,
        change: StatusChange | None,
        part: CampaignPart,
        posting: Posting | None,
        *,
        reset: bool,
    ) -> None:
        amount = sum(entry.amount for entry in posting.entries) if posting is not None else 0
        actions: list[Action] = [
            CampaignItem.part.set(part.part),
            CampaignItem.parts.set([_part_map(p) for p in campaign.parts_with(part)]),
            CampaignItem.audience_key.set(part.audience_key),
            CampaignItem.total.set(part.total),
            CampaignItem.next_seq.set(0),
            CampaignItem.in_flight.set(0),
            CampaignItem.dispatching.remove(),
            CampaignItem.pacing.remove(),
            CampaignItem.reconciled.set(False),
            CampaignItem.reserved.add(amount),
            CampaignItem.estimated.add(amount),
            *(getattr(CampaignItem, stat_attribute(key)).set(0) for key in FINAL_STAT_KEYS),
            *(getattr(CampaignItem, vote_attribute(key)).set(0) for key in VOTE_KEYS),
        ]
        if change is not None:
            actions += [
                CampaignItem.status.set(change.status.value),
                CampaignItem.history.set(_history_with(campaign, change)),
                CampaignItem.run.add(1),
            ]
        if reset:
            actions.append(CampaignItem.reset_count.add(1))
        same_part = CampaignItem.part == campaign.progress.part
        if campaign.progress.part == 0:
            same_part |= CampaignItem.part.does_not_exist()
        condition = (
            (CampaignItem.status == campaign.status.value)
            & same_part
            & (CampaignItem.in_flight == 0)
            & (CampaignItem.next_seq == campaign.progress.next_seq)
        )
        tx = LabelledTransaction()
        if posting is not None:
            ledger_store.stage_posting(tx, posting)
        tx.update("campaign", CampaignItem(campaign.id), actions, condition)
        try:
            tx.commit()
        except TransactionFailed as failure:
            refused = ledger_store.explain_failure(posting, failure) if posting is not None else failure
            if isinstance(refused, InsufficientCredit):
                raise refused from failure
            raise CampaignChanged(campaign.id) from failure

    def cancel_parts(self, campaign: Campaign, retry_parts: int, release: Posting | None) -> None:
        amount = sum(entry.amount for entry in release.entries) if release is not None else 0
        retry = campaign.settings.retry
        assert retry is not None
        actions: list[Action] = [CampaignItem.retry.set({**retry.as_dict(), "parts": retry_parts})]
        if release is not None:
            # The current smart part ends where admission stands: the rest is never placed.
            actions += [CampaignItem.total.set(campaign.progress.next_seq), CampaignItem.released.add(amount)]
        condition = (CampaignItem.status == campaign.status.value) & (CampaignItem.reconciled == False)  # noqa: E712
        if campaign.progress.part > 0:
            condition &= CampaignItem.part == campaign.progress.part
        if release is not None:
            condition &= CampaignItem.next_seq == campaign.progress.next_seq
        _commit_with_release(campaign.id, actions, condition, release)

    def set_execution(self, campaign_id: str, execution_arn: str) -> None:
        CampaignItem(campaign_id).update(actions=[CampaignItem.execution_arn.set(execution_arn)])

    def set_schedule(self, campaign_id: str, schedule_name: str) -> None:
        CampaignItem(campaign_id).update(actions=[CampaignItem.schedule_name.set(schedule_name)])

    def record_admission(
        self, campaign: Campaign, *, walked: int, admitted: int, finals: Mapping[str, int], pacing: PacingState
    ) -> bool:
        first = campaign.progress.next_seq
        actions: list[Action] = [
            CampaignItem.next_seq.add(walked),
            CampaignItem.dispatching.set([first, first + walked]) if admitted else CampaignItem.dispatching.remove(),
            CampaignItem.in_flight.add(admitted),
            CampaignItem.pacing.set(json.dumps(pacing.as_dict())),
            *_counter_actions(finals),
        ]
        item = CampaignItem(campaign.id)
        # Still sending: a quality stop (or a pause) written since the read keeps this batch out.
        sending = CampaignItem.status.is_in(*(status.value for status in SENDING_STATUSES))
        return updated_if(lambda: item.update(actions=actions, condition=(CampaignItem.next_seq == first) & sending))

    def clear_dispatching(self, campaign_id: str) -> None:
        CampaignItem(campaign_id).update(actions=[CampaignItem.dispatching.remove()])

    def record_results(
        self,
        campaign_id: str,
        batch_id: str,
        *,
        applied: int,
        charged: int,
        finals: Mapping[str, int],
        follow_ups: FollowUpCounts = NO_FOLLOW_UPS,
        leads: int = 0,
        votes: Mapping[str, int] | None = None,
        quality: QualityCounters | None = None,
        at: datetime | None = None,
        more_batch_ids: Sequence[str] = (),
    ) -> bool:
        batch_ids = [batch_id, *more_batch_ids]
        actions: list[Action] = [
            CampaignItem.applied.add(set(batch_ids)),
            CampaignItem.in_flight.add(-applied),
            CampaignItem.charged.add(charged),
            *_counter_actions(finals),
        ]
        if follow_ups.in_flight:
            actions.append(CampaignItem.follow_ups_in_flight.add(follow_ups.in_flight))
        if follow_ups.sent:
            actions.append(CampaignItem.n_follow_ups_sent.add(follow_ups.sent))
        if follow_ups.charged:
            actions.append(CampaignItem.follow_up_charged.add(follow_ups.charged))
        if leads:
            actions.append(CampaignItem.n_leads.add(leads))
        actions += [getattr(CampaignItem, vote_attribute(key)).add(n) for key, n in (votes or {}).items() if n]
        if at is not None:
            actions.append(CampaignItem.last_result_at.set(iso(at)))
        if quality is not None:
            for name, value in quality.as_dict().items():
                if value:
                    actions.append(getattr(CampaignItem, _QUALITY_COUNTERS[name]).add(value))
        condition = CampaignItem.id.exists()
        for applied_before in batch_ids:
            condition &= ~CampaignItem.applied.contains(applied_before)
        # No item comes back: it would carry the whole (growing) applied set on every batch.
        return updated_if(
            lambda: CampaignItem._get_connection().update_item(
                campaign_id, actions=actions, condition=condition, return_values="NONE"
            )
        )

    def record_callback(self, record: CallbackRecord) -> bool:
        tx = LabelledTransaction()
        if record.posting is not None:
            ledger_store.stage_posting(tx, record.posting)
        else:
            ledger_store.stage_once(tx, record.account_id, f"callback:{record.event_id}", iso(clock.now()))
        if record.connected:
            tx.update(
                "campaign",
                CampaignItem(record.campaign_id),
                [
                    CampaignItem.reserved.add(record.cost),
                    CampaignItem.charged.add(record.cost),
                    CampaignItem.billed.add(record.cost),
                    CampaignItem.n_callbacks.add(1),
                ],
                CampaignItem.id.exists(),
            )
        counted = RecipientItem.callbacks if record.connected else RecipientItem.callbacks_refused
        tx.update(
            "recipient",
            RecipientItem(record.campaign_id, callback_key(record.seq)),
            [
                RecipientItem.number.set(record.number),
                RecipientItem.units.set(0),
                RecipientItem.status.set("callbacks"),
                counted.add(1),
                RecipientItem.updated_at.set(iso(clock.now())),
                RecipientItem.callback_seconds.add(record.seconds),
                RecipientItem.cost.add(record.cost),
            ],
        )
        try:
            tx.commit()
        except TransactionFailed as failure:
            if "once" in failure.failed:
                return False
            raise (ledger_store.explain_failure(record.posting, failure) if record.posting else failure) from failure
        return True

    def record_quality(self, campaign_id: str, check: QualityCheck) -> bool:
        action = CampaignItem.quality.set(_quality_map(check))
        condition = CampaignItem.id.exists() & CampaignItem.quality.does_not_exist()
        return updated_if(lambda: CampaignItem(campaign_id).update(actions=[action], condition=condition))

    def stop_for_quality(
        self,
        campaign: Campaign,
        change: StatusChange,
        comment: Comment,
        check: QualityCheck,
        release: Posting | None,
    ) -> None:
        amount = sum(entry.amount for entry in release.entries) if release is not None else 0
        actions: list[Action] = [
            CampaignItem.status.set(change.status.value),
            CampaignItem.history.set(_history_with(campaign, change)),
            CampaignItem.comments.set(CampaignItem.comments.append([comment.as_dict()])),
            CampaignItem.quality.set(_quality_map(check)),
            CampaignItem.released.add(amount),
        ]
        condition = (
            (CampaignItem.status == campaign.status.value)
            & (CampaignItem.next_seq == campaign.progress.next_seq)
            & CampaignItem.quality.does_not_exist()
        )
        _commit_with_release(campaign.id, actions, condition, release)

    def settle(
        self, campaign: Campaign, change: StatusChange | None, *, refunded: int, posting: Posting | None
    ) -> None:
        tx = LabelledTransaction()
        if posting is not None:
            ledger_store.stage_posting(tx, posting)
        money: list[Action] = [CampaignItem.refunded.set(refunded), CampaignItem.billed.set(campaign.money.charged)]
        if campaign.money.follow_up_charged:
            money.append(CampaignItem.follow_up_billed.set(campaign.money.follow_up_charged))
        if change is not None:
            money += [
                *_status_actions(campaign, change.status),
                CampaignItem.history.set(_history_with(campaign, change)),
                CampaignItem.reconciled.set(True),
                CampaignItem.review_queue.remove(),
            ]
        tx.update(
            "campaign",
            CampaignItem(campaign.id),
            money,
            (CampaignItem.reconciled == False)  # noqa: E712
            & (CampaignItem.status == campaign.status.value)
            & (CampaignItem.in_flight == 0)
            & (CampaignItem.follow_ups_in_flight.does_not_exist() | (CampaignItem.follow_ups_in_flight == 0))
            & (CampaignItem.charged == campaign.money.charged),
        )
        try:
            tx.commit()
        except TransactionFailed as failure:
            raise SettlementRefused(str(failure)) from failure


def _margins(raw: Any) -> tuple[ResellerMargin, ...]:
    return tuple(ResellerMargin(str(m["account_id"]), int(m["per_unit"])) for m in map(_plain, raw or []))


def _margin_maps(margins: Sequence[ResellerMargin]) -> list[dict[str, Any]]:
    return [{"account_id": m.account_id, "per_unit": m.per_unit} for m in margins]


# The recipient state's fields as `recipient_attributes` packs them in `state` (JSON): texts, integers and times
# (ISO 8601 texts). A field left out is None (or the state's default). Renaming one is a data migration.
_PACKED_TEXTS = ("number", "status", "attempt_id", "reason", "delivery_status", "caller_id", "recording")
_PACKED_INTS = ("units", "attempts", "cost", "vote", "listened_seconds", "recording_seconds")
_PACKED_TIMES = ("updated_at", "admitted_at", "placed_at")
# An item written before the state was packed, or a callback's item: every field a top-level attribute.
_UNPACKED = (*_PACKED_TEXTS, *_PACKED_INTS, *_PACKED_TIMES, "callbacks", "callbacks_refused")


def _fields(item: RecipientItem) -> dict[str, Any]:
    """The item's state fields, from `state` and the top-level attributes (each field is in one of them)."""
    fields: dict[str, Any] = {name: value for name in _UNPACKED if (value := getattr(item, name)) is not None}
    if item.state:
        fields.update(json.loads(item.state))
    return fields


def to_state(item: RecipientItem) -> RecipientState:
    fields = _fields(item)
    return RecipientState(
        campaign_id=item.campaign_id,
        seq=int(item.seq),
        number=fields["number"],
        units=int(fields["units"]),
        status=fields.get("status", PENDING),
        attempts=int(fields.get("attempts", 0)),
        attempt_id=fields.get("attempt_id"),
        vote=_optional_int(fields.get("vote")),
        listened_seconds=_optional_int(fields.get("listened_seconds")),
        cost=int(fields.get("cost", 0)),
        reason=fields.get("reason"),
        updated_at=_optional_time(fields.get("updated_at")),
        delivery_status=fields.get("delivery_status"),
        called_at=_optional_time(item.called_at),
        caller_id=fields.get("caller_id"),
        recording=fields.get("recording"),
        recording_seconds=_optional_int(fields.get("recording_seconds")),
        callbacks=int(fields.get("callbacks", 0)),
        callbacks_refused=int(fields.get("callbacks_refused", 0)),
        admitted_at=_optional_time(fields.get("admitted_at")),
        placed_at=_optional_time(fields.get("placed_at")),
    )


def _optional_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def callback_key(seq: int) -> int:
    return follow_up_seq(seq, CALLBACK_SLOT)


class DynamoCalledNumbers:
    """`CalledNumbers` on the recipients' sparse `by_called_number` index (eventually consistent: a callback
    arrives seconds after its call at the earliest)."""

    def last_call(self, number: str, caller_id: str | None = None) -> LastCall | None:
        calls = RecipientItem.by_called_number.query(
            number, scan_index_forward=False, limit=LAST_CALLS_LOOKED_AT, page_size=LAST_CALLS_LOOKED_AT
        )
        return pick_last_call([_last_call(item) for item in calls], caller_id)


def _last_call(item: RecipientItem) -> LastCall:
    state = to_state(item)
    assert state.called_at is not None
    return LastCall(state.campaign_id, state.seq, state.number, state.called_at, state.caller_id)


def _number(value: int | float) -> str:
    return str(value) if type(value) is int else json.dumps(value)  # NumberAttribute's JSON form


def recipient_attributes(state: RecipientState, iso_of: Callable[[datetime], str] = iso) -> dict[str, dict[str, str]]:
    """The recipient item for `state`, in DynamoDB's attribute-value form (the results path writes one per attempt,
    so it is built directly, not through a pynamodb model). Top-level: the keys and what an index is keyed on;
    everything else is one JSON text, `state` (`to_state` reads it back). In the emulator, as in DynamoDB's
    client and service code, an item's cost grows with its attributes: 3–6 instead of 12–16 (issue 17).
    `iso_of` may cache: a batch's items share their timestamps."""
    packed: dict[str, Any] = {
        "number": state.number,
        "units": state.units,
        "status": state.status,
        "attempts": state.attempts,
        "cost": state.cost,
    }
    optional: tuple[tuple[str, str | int | None], ...] = (
        ("attempt_id", state.attempt_id),
        ("reason", state.reason),
        ("delivery_status", state.delivery_status),
        ("caller_id", state.caller_id),
        ("recording", state.recording),
        ("vote", state.vote),
        ("listened_seconds", state.listened_seconds),
        ("recording_seconds", state.recording_seconds),
    )
    for name, value in optional:
        if value is not None:
            packed[name] = value
    for name, moment in (
        ("updated_at", state.updated_at),
        ("admitted_at", state.admitted_at),
        ("placed_at", state.placed_at),
    ):
        if moment is not None:
            packed[name] = iso_of(moment)
    item: dict[str, dict[str, str]] = {"campaign_id": {"S": state.campaign_id}, "seq": {"N": _number(state.seq)}}
    if state.called_at is not None:  # the sparse `by_called_number` index: its keys stay top-level
        item["number"] = {"S": packed.pop("number")}
        item["called_at"] = {"S": iso_of(state.called_at)}
    if state.recording is not None:
        item["recorded_in"] = {"S": state.campaign_id}
    item["state"] = {"S": json.dumps(packed, ensure_ascii=False, separators=(",", ":"))}
    return item


def _commit_with_release(
    campaign_id: str, actions: list[Action], condition: Condition, release: Posting | None
) -> None:
    """The campaign's update and, when there is one, the release of its reservation, in one transaction:
    `CampaignChanged` when the campaign's condition no longer holds."""
    tx = LabelledTransaction()
    if release is not None:
        ledger_store.stage_posting(tx, release)
    tx.update("campaign", CampaignItem(campaign_id), actions, condition)
    try:
        tx.commit()
    except TransactionFailed as failure:
        raise CampaignChanged(campaign_id) from failure
