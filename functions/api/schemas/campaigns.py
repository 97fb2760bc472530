"""The campaign body (SPEC §11), shared by `POST /v1/campaigns` and `POST /v1/estimates`."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field

from functions.api.schemas.common import Request, Shape
from functions.api.schemas.fields import Id, Name, Numbers, Text
from jarchi.campaigns.follow_ups import MAX_RULES, FollowUpOn, FollowUpRule
from jarchi.campaigns.models import MAX_RETRY_PARTS, MAX_VALIDITY_MINUTES, RetryPolicy
from jarchi.campaigns.pacing import DEFAULT_SPEED_PER_HOUR
from jarchi.channels import Category, Channel

if TYPE_CHECKING:  # the draft (window, number and content rules) is imported when a body becomes one
    from jarchi.campaigns.draft import CampaignDraft, PreparedCampaign


class WindowIn(Request):
    start: Annotated[str, Field(max_length=8, examples=["09:30"])]
    end: Annotated[str, Field(max_length=8, examples=["14:00"])]


class FollowUpIn(Request):
    """A follow-up SMS after the call (R-OUT-3): on a vote digit (`digits`), on answered, or on not answered."""

    on: FollowUpOn
    digits: (
        Annotated[list[Annotated[str, Field(pattern=r"^[0-9]{1,2}$")]], Field(min_length=1, max_length=10)] | None
    ) = None
    sms_text: Annotated[str, Field(min_length=1, max_length=1000)]
    sender: Annotated[str, Field(min_length=1, max_length=32)]

    def to_rule(self) -> FollowUpRule:
        return FollowUpRule(on=self.on, sms_text=self.sms_text, sender=self.sender, digits=tuple(self.digits or ()))


RetryOn = Literal["no_answer", "busy", "failed", "machine"]


def _default_retry_on() -> list[RetryOn]:
    return ["no_answer", "busy"]


class RetryIn(Request):
    """Smart parts (R-CMP-5): `parts` extra rounds, each `delay_minutes` after the previous part's last result,
    calling again the recipients whose result is one of `on` (`no_answer` covers unreachable numbers)."""

    parts: Annotated[int, Field(ge=0, le=MAX_RETRY_PARTS)]
    delay_minutes: Annotated[int, Field(ge=5, le=1440)] = 60
    on: Annotated[list[RetryOn], Field(min_length=1, max_length=4)] = Field(default_factory=_default_retry_on)

    def to_policy(self) -> RetryPolicy:
        return RetryPolicy(self.parts, self.delay_minutes, tuple(dict.fromkeys(self.on)))


class VoicemailIn(Request):
    """What an answering machine hears instead of the message: an approved audio or generated speech."""

    audio_id: Id | None = None
    tts_text: Text | None = None


class CampaignBody(Request):
    """Content: voice takes `audio_id` or `tts_text`, SMS takes `sms_text` and `sender`.
    Recipients: `recipients` (numbers) or `contact_list_id`."""

    name: Name
    channel: Channel
    category: Category
    audio_id: Id | None = None
    tts_text: Text | None = None
    sms_text: Text | None = None
    sender: Annotated[str, Field(max_length=32)] | None = None
    recipients: Numbers | None = None
    contact_list_id: Id | None = None
    start_at: datetime | None = None
    auto_start: bool = True
    windows: Annotated[list[WindowIn], Field(max_length=24)] | None = None
    days_of_week: Annotated[list[int], Field(max_length=7)] | None = None
    vote: bool = False
    speed_per_hour: int = DEFAULT_SPEED_PER_HOUR
    comment: Annotated[str, Field(max_length=1000)] | None = None
    language: Annotated[str, Field(min_length=2, max_length=10)] | None = None
    validity_minutes: Annotated[int, Field(ge=1, le=MAX_VALIDITY_MINUTES)] | None = None
    follow_ups: Annotated[list[FollowUpIn], Field(max_length=MAX_RULES)] | None = None
    retry: RetryIn | None = None
    voicemail: VoicemailIn | None = None
    caller_id_pool: bool = False
    record: bool = False  # record answered calls (R-OUT-5; voice only)
    # Callbacks within the hour are connected to the account's callback_number instead of hearing the message.
    callback_bridge: bool = False

    def to_draft(self) -> CampaignDraft:
        from jarchi.campaigns.draft import CampaignDraft

        return CampaignDraft(
            name=self.name,
            channel=self.channel,
            category=self.category,
            audio_id=self.audio_id,
            tts_text=self.tts_text,
            sms_text=self.sms_text,
            sender=self.sender,
            recipients=list(self.recipients) if self.recipients is not None else None,
            contact_list_id=self.contact_list_id,
            start_at=self.start_at,
            auto_start=self.auto_start,
            windows=[{"start": w.start, "end": w.end} for w in self.windows] if self.windows is not None else None,
            days_of_week=list(self.days_of_week) if self.days_of_week is not None else None,
            vote=self.vote,
            speed_per_hour=self.speed_per_hour,
            comment=self.comment,
            language=self.language,
            validity_minutes=self.validity_minutes,
            follow_ups=tuple(f.to_rule() for f in self.follow_ups or ()),
            retry=self.retry.to_policy() if self.retry is not None else None,
            voicemail_audio_id=self.voicemail.audio_id if self.voicemail is not None else None,
            voicemail_tts=self.voicemail.tts_text if self.voicemail is not None else None,
            caller_id_pool=self.caller_id_pool,
            record=self.record,
            callback_bridge=self.callback_bridge,
        )


class EstimateOut(Shape):
    estimated: int
    recipients: int
    parts: int
    per_unit: int
    unit: Literal["pulse", "segment"]
    currency: str
    message_seconds: int | None
    follow_ups: int  # the part of `estimated` held for follow-up SMS at their maximum (R-OUT-3)

    @classmethod
    def of(cls, prepared: PreparedCampaign) -> EstimateOut:
        estimate = prepared.estimate
        return cls(
            estimated=estimate.estimated,
            recipients=estimate.recipients,
            parts=estimate.parts,
            per_unit=prepared.per_unit,
            unit=prepared.unit,
            currency=prepared.tariff.currency,
            message_seconds=prepared.message_seconds if prepared.unit == "pulse" else None,
            follow_ups=estimate.follow_ups,
        )
