"""Campaign responses (SPEC §11): a table item never reaches a response, this mapping does."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field

from functions.api.schemas.common import Request, Shape
from functions.api.schemas.fields import Id, Name, Numbers, Text
from jarchi import clock
from jarchi.channels import Category, Channel
from jarchi.clock import iso
from jarchi.memo import LeastRecentlyUsed
from jarchi.reports.views import achieved_per_hour, campaign_report

if TYPE_CHECKING:  # what the responses are made of; the draft is imported by the one body that makes one
    from collections.abc import Callable
    from zoneinfo import ZoneInfo

    from jarchi.campaigns.draft import CampaignDraft
    from jarchi.campaigns.models import Campaign, FollowUpSent, RecipientState
    from jarchi.campaigns.recording_service import Recording
    from jarchi.compliance.quality import QualityCheck
    from jarchi.compliance.restricted import RestrictedPeriod
    from jarchi.reports.views import PartReport


class HistoryOut(Shape):
    at: str
    status: str
    actor: str
    reason: str | None


class CostOut(Shape):
    estimated: int
    reserved: int
    charged: int
    released: int
    refunded: int


class CommentOut(Shape):
    at: str
    author: Literal["user", "system"]
    text: str


class QualityOut(Shape):
    """The quality gate (R-CPL-5): the running ACD and band, and once judged, the verdict kept: the breaker's
    measures and the stop it caused (`stopped`, with the figure in `reason`)."""

    acd_percent: float | None
    band: str | None
    checked_at: str | None
    answer_rate_percent: float | None = None
    short_call_percent: float | None = None
    opt_out_percent: float | None = None
    stopped: str | None = None
    reason: str | None = None

    @classmethod
    def of(cls, check: QualityCheck) -> QualityOut:
        return cls(
            acd_percent=check.acd_percent,
            band=check.band.value if check.band else None,
            checked_at=iso(check.checked_at),
            answer_rate_percent=check.answer_rate_percent,
            short_call_percent=check.short_call_percent,
            opt_out_percent=check.opt_out_percent,
            stopped=check.stopped.value if check.stopped else None,
            reason=check.reason,
        )


class SpeedOut(Shape):
    configured_per_hour: int
    achieved_per_hour: int


class RetryOut(Shape):
    parts: int
    delay_minutes: int
    on: list[str]


class PartCostOut(Shape):
    reserved: int
    charged: int
    released: int
    refunded: int


class PartOut(Shape):
    part: int
    kind: str
    status: str  # the campaign's status for the current part, `finished` for earlier ones
    started_at: str
    stats: dict[str, int]  # the part's counts and its `leads`
    votes: dict[str, int]  # the part's vote histogram
    units_sent: int | None  # null: not known for a part recorded before its money was kept
    cost: PartCostOut | None

    @classmethod
    def of(cls, campaign: Campaign, report: PartReport, at: Callable[[datetime], str]) -> PartOut:
        part = report.part
        return cls(
            part=part.part,
            kind=part.kind.value,
            status=campaign.status.value if part.part == campaign.progress.part else "finished",
            started_at=at(part.started_at),
            stats=report.stats,
            votes=report.votes,
            units_sent=report.units_sent,
            cost=PartCostOut(**report.money.as_dict()) if report.money is not None else None,
        )


class FollowUpOut(Shape):
    on: str
    digits: list[str]
    sms_text: str
    sender: str
    segments: int


class CampaignOut(Shape):
    id: str
    campaign_id: str  # the same id, under the name quick-send clients read
    name: str
    status: str
    channel: str
    category: str
    created_at: str
    start_at: str | None
    quick_send: bool
    history: list[HistoryOut]
    stats: dict[str, int]
    votes: dict[str, int]  # the vote histogram: answered people by vote code ("0" no vote, "11" opt-out), every part
    cost: CostOut
    windows: list[dict[str, str]]
    days_of_week: list[int]
    speed_per_hour: int
    vote: bool
    comment: str | None
    comments: list[CommentOut]
    tags: list[str]
    archived: bool
    reset_count: int
    copied_from: str | None
    part: int
    parts: list[PartOut]
    validity_minutes: int | None  # SMS: the TTL the owner chose; None: each recipient's operator's (R-SMS-5)
    follow_ups: list[FollowUpOut]
    quality: QualityOut
    speed: SpeedOut
    units_sent: int  # segments (SMS) or pulses (voice) charged
    unit: str
    audio_id: str | None
    audio_url: str | None  # a short-lived presigned URL of the message's audio (or generated speech)
    time_zone: str  # the zone the times are written in (`?tz=account`), else UTC
    retry: RetryOut | None  # smart parts (R-CMP-5)
    voicemail: bool  # an answering machine hears the campaign's voicemail
    caller_ids: list[str]  # the caller-ID pool its calls go out from (R-DSP-5); empty: the platform's numbers
    record: bool  # answered calls are recorded (R-OUT-5): GET .../recordings
    callback_bridge_to: str | None  # callbacks within the hour are connected to this number (R-OUT-4)
    sms_text: str | None  # SMS: the text as written (placeholders unfilled) and its sender
    sender: str | None
    contact_list_id: str | None  # where the recipients came from; None for inline numbers

    @classmethod
    def of(cls, campaign: Campaign, *, zone: ZoneInfo | None = None, audio_url: str | None = None) -> CampaignOut:
        """The campaign's answer. What depends on the campaign and the zone alone is kept for the campaign object
        (immutable: the store maps an unchanged item to the same one); the achieved speed (the clock's) and the
        audio's link (signed now) are made for each answer."""
        key = (id(campaign), zone.key if zone is not None else None)
        kept = _RENDERED.get(key)
        if kept is None or kept[0] is not campaign:  # (the campaign is kept with it: its id is not reused)
            kept = (campaign, cls._of(campaign, zone))
            _RENDERED.put(key, kept)
        speed = SpeedOut(
            configured_per_hour=campaign.settings.speed_per_hour,
            achieved_per_hour=achieved_per_hour(campaign, clock.now()),
        )
        return kept[1].model_copy(update={"speed": speed, "audio_url": audio_url})

    @classmethod
    def _of(cls, campaign: Campaign, zone: ZoneInfo | None) -> CampaignOut:
        money, settings = campaign.money, campaign.settings
        report = campaign_report(campaign, clock.now())

        def at(moment: datetime) -> str:
            return iso(moment) if zone is None else moment.astimezone(zone).isoformat(timespec="milliseconds")

        return cls(
            id=campaign.id,
            campaign_id=campaign.id,
            name=campaign.name,
            status=campaign.status.value,
            channel=campaign.channel.value,
            category=campaign.category.value,
            created_at=at(campaign.created_at),
            start_at=at(settings.start_at) if settings.start_at else None,
            quick_send=campaign.quick_send,
            history=[HistoryOut(**{**h.as_dict(), "at": at(h.at)}) for h in campaign.history],
            stats=report.stats,
            votes=report.votes,
            cost=CostOut(
                estimated=money.estimated,
                reserved=money.reserved,
                charged=money.charged,
                released=money.released,
                refunded=money.refunded,
            ),
            windows=[w.as_dict() for w in settings.windows],
            days_of_week=list(settings.days_of_week),
            speed_per_hour=settings.speed_per_hour,
            vote=settings.vote,
            comment=campaign.comment,
            comments=[CommentOut(at=at(c.at), author=c.author, text=c.text) for c in campaign.comments],
            tags=list(campaign.tags),
            archived=campaign.archived,
            reset_count=campaign.reset_count,
            copied_from=campaign.copied_from,
            part=campaign.progress.part,
            parts=[PartOut.of(campaign, part, at) for part in report.parts],
            validity_minutes=settings.validity_minutes if campaign.channel is Channel.SMS else None,
            follow_ups=[
                FollowUpOut(
                    on=r.on.value, digits=list(r.digits), sms_text=r.sms_text, sender=r.sender, segments=r.units
                )
                for r in settings.follow_ups
            ],
            quality=QualityOut.of(campaign.quality)
            if campaign.quality is not None
            else QualityOut(
                acd_percent=report.acd_percent,
                band=report.band,
                checked_at=at(report.checked_at) if report.checked_at else None,
            ),
            speed=SpeedOut(configured_per_hour=report.configured_per_hour, achieved_per_hour=report.achieved_per_hour),
            units_sent=report.units_sent,
            unit=money.unit,
            audio_id=campaign.content.audio_id,
            audio_url=None,
            time_zone=zone.key if zone is not None else "UTC",
            retry=RetryOut.model_validate(settings.retry.as_dict()) if settings.retry is not None else None,
            voicemail=campaign.content.voicemail_key is not None,
            caller_ids=list(settings.caller_ids),
            record=settings.record,
            callback_bridge_to=settings.callback_bridge_to,
            sms_text=campaign.content.sms_text,
            sender=campaign.content.sender,
            contact_list_id=campaign.contact_list_id,
        )


_RENDERED_SIZE = 512
_RENDERED: LeastRecentlyUsed[tuple[int, str | None], tuple[Campaign, CampaignOut]] = LeastRecentlyUsed(_RENDERED_SIZE)


class CampaignPage(Shape):
    items: list[CampaignOut]
    next_cursor: str | None


class FollowUpSentOut(Shape):
    rule: int  # its position in the campaign's `follow_ups`
    on: str | None
    status: str  # the SMS's outcome, or why it was not sent: window_closed, blacklisted, opted_out
    cost: int
    delivery_status: str | None

    @classmethod
    def of(cls, sent: FollowUpSent) -> FollowUpSentOut:
        return cls(rule=sent.rule, on=sent.on, status=sent.status, cost=sent.cost, delivery_status=sent.delivery_status)


class RecipientOut(Shape):
    number: str
    status: str
    attempts: int
    vote: int | None
    listened_seconds: int | None
    cost: int
    reason: str | None
    delivery_status: str | None  # SMS: the operator's raw report (DELIVRD, UNDELIV, EXPIRED, …)
    follow_ups: list[FollowUpSentOut]  # follow-up SMS after the call (R-OUT-3)
    callbacks: int  # callbacks connected within the hour (R-OUT-4)
    callbacks_refused: int  # callbacks after the hour
    caller_id: str | None  # the pool number it was called from (R-DSP-5)
    recorded: bool  # its call's recording is listed at GET /v1/campaigns/{id}/recordings (R-OUT-5)

    @classmethod
    def of(cls, state: RecipientState) -> RecipientOut:
        return cls(
            number=state.number,
            status=state.status,
            attempts=state.attempts,
            vote=state.vote,
            listened_seconds=state.listened_seconds,
            cost=state.cost,
            reason=state.reason,
            delivery_status=state.delivery_status,
            follow_ups=[FollowUpSentOut.of(f) for f in state.follow_ups],
            callbacks=state.callbacks,
            callbacks_refused=state.callbacks_refused,
            caller_id=state.caller_id,
            recorded=state.recording is not None,
        )


class RecipientPage(Shape):
    items: list[RecipientOut]
    next_cursor: str | None


class RecordingOut(Shape):
    """One call recording (SPEC §14: `number`, `seconds`, `url`)."""

    number: str
    seconds: int  # the recorded call's length from its answer
    url: str  # a presigned GET, valid until `url_expires_at`
    url_expires_at: str
    part: int  # 0 = the main send, n = smart retry part n

    @classmethod
    def of(cls, recording: Recording) -> RecordingOut:
        return cls(
            number=recording.number,
            seconds=recording.seconds,
            url=recording.url,
            url_expires_at=iso(recording.expires_at),
            part=recording.part,
        )


class RecordingPage(Shape):
    items: list[RecordingOut]
    next_cursor: str | None


class ActionBody(Request):
    """`POST /v1/campaigns/{id}/{action}` may say why; the reason goes into the campaign's history. `comment`
    takes its `text`."""

    reason: Annotated[str | None, Field(min_length=1, max_length=500)] = None
    text: Annotated[str | None, Field(min_length=1, max_length=1000)] = None


class CampaignModerationBody(Request):
    """`POST /v1/campaigns/{id}/moderation` (admin): reject and clarify say why (the owner reads it)."""

    decision: Literal["accept", "reject", "clarify"]
    reason: Annotated[str, Field(min_length=1, max_length=1000)] | None = None


class RestrictedPeriodBody(Request):
    """`POST /v1/restricted-periods` (admin): no sending in `country` for `categories` from `start` to `end`."""

    country: Annotated[str, Field(pattern=r"^[A-Za-z]{2}$", examples=["IR"])]
    start: datetime
    end: datetime
    categories: Annotated[list[Category], Field(min_length=1, max_length=3)]
    reason: Annotated[str, Field(min_length=1, max_length=500)]


class RestrictedPeriodOut(Shape):
    id: str
    country: str
    start: str
    end: str
    categories: list[str]
    reason: str
    created_at: str

    @classmethod
    def of(cls, period: RestrictedPeriod) -> RestrictedPeriodOut:
        return cls(
            id=period.id,
            country=period.country,
            start=iso(period.start),
            end=iso(period.end),
            categories=[c.value for c in period.categories],
            reason=period.reason,
            created_at=iso(period.created_at),
        )


class RestrictedPeriodPage(Shape):
    items: list[RestrictedPeriodOut]
    next_cursor: str | None


class CampaignPatch(Request):
    """`PATCH /v1/campaigns/{id}`: name and comment at any time; text, sender, recipients (inline numbers or a
    contact list), start and speed before sending starts. A new text, sender or audience is re-estimated and the
    reservation adjusted with it (402 `insufficient_credit`: nothing changed)."""

    name: Name | None = None
    comment: Annotated[str, Field(max_length=1000)] | None = None
    sms_text: Text | None = None
    sender: Annotated[str, Field(max_length=32)] | None = None
    recipients: Numbers | None = None
    contact_list_id: Id | None = None
    start_at: datetime | None = None
    speed_per_hour: Annotated[int, Field(ge=1, le=3_600_000)] | None = None


class QuickSendBody(Request):
    channel: Channel
    category: Category
    number: Annotated[str, Field(min_length=3, max_length=32)]
    audio_id: Id | None = None
    tts_text: Text | None = None
    sms_text: Text | None = None
    sender: Annotated[str, Field(max_length=32)] | None = None
    vote: bool = False
    language: Annotated[str, Field(min_length=2, max_length=10)] | None = None

    def to_draft(self) -> CampaignDraft:
        from jarchi.campaigns.draft import CampaignDraft

        return CampaignDraft(
            name=f"quick send to {self.number}",
            channel=self.channel,
            category=self.category,
            audio_id=self.audio_id,
            tts_text=self.tts_text,
            sms_text=self.sms_text,
            sender=self.sender,
            recipients=[self.number],
            vote=self.vote,
            language=self.language,
        )
