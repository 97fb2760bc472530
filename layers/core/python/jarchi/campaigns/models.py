"""A campaign as the domain sees it: settings, content, money, progress and counters (R-CMP, R-BIL-3), and
a recipient's state. Frozen values: a service reads one, decides, and hands the repository what changes.
The store's `campaigns` module is the one place that maps them to and from DynamoDB items."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from jarchi.attempts import VOTE_KEYS
from jarchi.billing.margins import ResellerMargin, margin_amounts
from jarchi.campaigns.follow_ups import FollowUpRule, max_units_per_recipient
from jarchi.campaigns.pacing import PacingState
from jarchi.campaigns.statuses import CampaignStatus, StatusChange
from jarchi.channels import Category, Channel
from jarchi.compliance.quality import QualityCheck, QualityCounters
from jarchi.settings import MAX_SMS_VALIDITY_MINUTES

# The stats keys of the API (SPEC §11). Final outcomes are counters moved once per batch; pending and in
# progress follow from the admission pointer and the in-flight count (see `Campaign.stats`).
STAT_KEYS: Final = (
    "pending",
    "in_progress",
    "answered",
    "machine",
    "delivered",
    "no_answer",
    "busy",
    "failed",
    "frequency_capped",
    "opted_out",
    "blacklisted",
    "invalid",
    "country_not_allowed",
    "prefix_not_allowed",
)
FINAL_STAT_KEYS: Final = tuple(key for key in STAT_KEYS if key not in ("pending", "in_progress"))


@dataclass(frozen=True, slots=True)
class CampaignContent:
    """What is sent: an approved audio (`audio_key` in the media bucket; generated speech is stored as
    audio too, with its `tts_text`), or an SMS text and its sender. `message_seconds` is the voice
    message's length, for pulses and the quality gate."""

    message_seconds: int = 0
    audio_id: str | None = None
    audio_key: str | None = None
    pulses: int | None = None
    tts_text: str | None = None
    language: str | None = None
    sms_text: str | None = None
    sender: str | None = None
    # What an answering machine hears instead (SPEC §14 `voicemail`): an audio in the media bucket (generated
    # speech stored as audio too, with its text), its length and pulses.
    voicemail_key: str | None = None
    voicemail_audio_id: str | None = None
    voicemail_tts: str | None = None
    voicemail_seconds: int = 0
    voicemail_pulses: int = 0


MAX_RETRY_PARTS: Final = 5


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Smart retry parts (R-CMP-5, SPEC §14 `retry`): up to `parts` extra rounds, each `delay_minutes` after the
    previous part's last result, calling again the recipients whose result is in `on`."""

    parts: int
    delay_minutes: int
    on: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        return {"parts": self.parts, "delay_minutes": self.delay_minutes, "on": list(self.on)}


@dataclass(frozen=True, slots=True)
class SendingWindow:
    start: str  # "HH:MM"
    end: str

    def as_dict(self) -> dict[str, str]:
        return {"start": self.start, "end": self.end}


# R-SMS-5: what a campaign may ask an SMS to live (without: its operator's, `content.sms_types`).
MAX_VALIDITY_MINUTES: Final = MAX_SMS_VALIDITY_MINUTES


@dataclass(frozen=True, slots=True)
class CampaignSettings:
    """How the owner asked it to be sent (the windows are already narrowed to the policy's)."""

    start_at: datetime | None = None
    auto_start: bool = True
    windows: tuple[SendingWindow, ...] = ()
    days_of_week: tuple[int, ...] = ()
    vote: bool = False
    speed_per_hour: int = 800
    time_zones: tuple[str, ...] = ()  # the recipients' distinct zones
    custom_window: bool = False  # the owner narrowed the windows or days (tag `interval`)
    validity_minutes: int | None = None  # SMS TTL (R-SMS-5); None: each recipient's operator's
    follow_ups: tuple[FollowUpRule, ...] = ()  # follow-up SMS rules of a voice campaign (R-OUT-3)
    retry: RetryPolicy | None = None  # smart parts (R-CMP-5)
    caller_ids: tuple[str, ...] = ()  # the caller-ID pool frozen at creation (R-DSP-5); empty: no pool
    record: bool = False  # answered calls are recorded (R-OUT-5), voice only
    # Callbacks are bridged to this number (the account's callback number when the campaign was created, R-OUT-4)
    # instead of hearing the message again; None: they hear the message.
    callback_bridge_to: str | None = None


@dataclass(frozen=True, slots=True)
class CampaignMoney:
    """Minor units. `reserved = charged + released + refunded` once reconciled (R-BIL-3). All of them add up
    over the campaign's parts; `billed` is the part of `charged` the ledger has booked (at each part's
    reconciliation)."""

    unit: str  # "pulse" | "segment"
    tariff: int  # per unit
    estimated: int = 0
    reserved: int = 0
    charged: int = 0
    released: int = 0
    refunded: int = 0
    billed: int = 0
    # Each reseller's earning per unit charged, frozen at creation with the tariff (R-BIL-4).
    margins: tuple[ResellerMargin, ...] = ()
    follow_up_tariff: int = 0  # per SMS segment of a follow-up (R-OUT-3)
    # Of `charged` and `billed`: the follow-up SMS (R-OUT-3), charged per segment at `follow_up_tariff`, so
    # the resellers' margin on them is per segment too (`follow_up_margins`, frozen at creation).
    follow_up_charged: int = 0
    follow_up_billed: int = 0
    follow_up_margins: tuple[ResellerMargin, ...] = ()

    @property
    def unspent(self) -> int:
        """What this reconciliation gives back."""
        return max(self.reserved - self.charged - self.released - self.refunded, 0)

    @property
    def unbilled(self) -> int:
        """What this reconciliation charges in the ledger."""
        return self.charged - self.billed

    @property
    def unbilled_follow_ups(self) -> int:
        """Of `unbilled`: follow-up SMS."""
        return self.follow_up_charged - self.follow_up_billed

    @property
    def unbilled_units(self) -> int:
        """The campaign's own units that charge pays for (every charge is units × tariff)."""
        return (self.unbilled - self.unbilled_follow_ups) // self.tariff if self.tariff else 0

    @property
    def unbilled_follow_up_segments(self) -> int:
        return self.unbilled_follow_ups // self.follow_up_tariff if self.follow_up_tariff else 0

    def unbilled_margins(self) -> list[tuple[str, int]]:
        """Each reseller's margin on what this settlement charges: its own units at the campaign's margins,
        follow-up segments at the SMS margins (R-BIL-4)."""
        return margin_amounts(
            [(self.unbilled_units, self.margins), (self.unbilled_follow_up_segments, self.follow_up_margins)]
        )

    def totals(self) -> MoneyTotals:
        return MoneyTotals(self.reserved, self.charged, self.released, self.refunded)


@dataclass(frozen=True, slots=True)
class MoneyTotals:
    """The campaign's running money totals at one moment: a part's share is the difference between the totals
    when it started and when the next one started (or now)."""

    reserved: int = 0
    charged: int = 0
    released: int = 0
    refunded: int = 0

    def minus(self, other: MoneyTotals) -> MoneyTotals:
        return MoneyTotals(
            self.reserved - other.reserved,
            self.charged - other.charged,
            self.released - other.released,
            self.refunded - other.refunded,
        )

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class CampaignProgress:
    """The workflow's state: the admission pointer over the frozen audience, attempts in flight, the batch
    being sent (`dispatching`, for crash recovery), pacing, and which workflow run may act (`run`: raised by
    every start/resume, so an execution left behind by an earlier run ends itself)."""

    total: int
    next_seq: int = 0
    in_flight: int = 0
    dispatching: tuple[int, int] | None = None  # [first, end) of the last admission batch while being sent
    pacing: PacingState | None = None
    run: int = 0
    execution_arn: str | None = None
    schedule_name: str | None = None
    reconciled: bool = False
    part: int = 0  # the part being sent (0: the first send; each reset, retry or resume adds one)
    # Follow-up SMS sent and not yet reported (R-OUT-3). Briefly -1 when a follow-up's result is applied
    # before the call's batch that sent it is recorded; the campaign settles only at exactly 0.
    follow_ups_in_flight: int = 0

    @property
    def outstanding(self) -> int:
        """What must end before the campaign can finish: calls or messages in flight, and follow-up SMS (a
        negative follow-up count is a batch not yet recorded, so it counts too)."""
        return self.in_flight + abs(self.follow_ups_in_flight)

    @property
    def waiting(self) -> int:
        """Recipients admission has not reached yet."""
        return self.total - self.next_seq

    @property
    def seq_base(self) -> int:
        """The current part's first recipient seq (see `PART_STRIDE`)."""
        return self.part * PART_STRIDE


# A part's recipients are numbered from part × PART_STRIDE, so their attempt ids
# (`<campaign>.<seq>.<attempt>`), batch ids, cap claims and recipient items never collide with another part's,
# and every applied-once check keeps working unchanged. Far above any recipient limit.
PART_STRIDE: Final = 10_000_000


class PartKind(StrEnum):
    SEND = "send"
    RESET = "reset"
    RETRY_FAILED = "retry_failed"
    RESUME_UNFINISHED = "resume_unfinished"
    RETRY = "retry"  # a smart retry part (R-CMP-5), started by the workflow


@dataclass(frozen=True, slots=True)
class CampaignPart:
    """One pass over (some of) the recipients: its own audience, numbered from `part × PART_STRIDE`, and,
    once a later part has started, the final counts and vote histogram it ended with (`counts`, `votes`; None
    while it is current). `money_before`: the campaign's money totals just before it started (None for the
    first send, which starts from nothing, and for parts recorded before the totals were kept)."""

    part: int
    kind: PartKind
    started_at: datetime
    audience_key: str
    total: int
    counts: Mapping[str, int] | None = None
    votes: Mapping[str, int] | None = None
    money_before: MoneyTotals | None = None


def _frozen_counts(counts: Mapping[str, int], keys: tuple[str, ...] = FINAL_STAT_KEYS) -> Mapping[str, int]:
    return MappingProxyType({key: int(counts.get(key, 0)) for key in keys})


USER: Final = "user"
SYSTEM: Final = "system"


@dataclass(frozen=True, slots=True)
class Comment:
    """One line of the campaign's conversation (SPEC §14): the owner's (`user`) or the platform's
    (`system`: system pauses and stops, moderation answers)."""

    at: datetime
    author: str  # USER | SYSTEM
    text: str

    def as_dict(self) -> dict[str, str]:
        return {"at": self.at.isoformat(), "author": self.author, "text": self.text}


@dataclass(frozen=True, slots=True)
class Campaign:
    id: str
    account_id: str
    created_at: datetime
    name: str
    channel: Channel
    category: Category
    status: CampaignStatus
    history: tuple[StatusChange, ...]
    content: CampaignContent
    settings: CampaignSettings
    money: CampaignMoney
    progress: CampaignProgress
    audience_key: str  # where the frozen audience lives (see `AudienceEntry`)
    last_result_at: datetime | None = None  # when the last results batch was applied (smart part delays)
    counts: Mapping[str, int] = field(default_factory=dict)  # final outcomes by stat key (the current part)
    votes: Mapping[str, int] = field(default_factory=dict)  # answered people by `VOTE_KEYS` (the current part)
    contact_list_id: str | None = None
    quick_send: bool = False
    comment: str | None = None
    comments: tuple[Comment, ...] = ()
    reset_count: int = 0
    copied_from: str | None = None
    parts: tuple[CampaignPart, ...] = ()  # empty: only the first send, whose record is derived
    follow_ups_sent: int = 0  # follow-up SMS the operator accepted, over every part (R-OUT-3)
    callbacks: int = 0  # callbacks connected (R-OUT-4)
    leads: int = 0  # answered with a vote (a digit other than 11), every part: moved with the results' counters
    quality: QualityCheck | None = None  # the quality gate's verdict, once judged (R-CPL-5)
    quality_counters: QualityCounters = field(default_factory=QualityCounters)

    def __post_init__(self) -> None:
        object.__setattr__(self, "counts", _frozen_counts(self.counts))
        object.__setattr__(self, "votes", _frozen_counts(self.votes, VOTE_KEYS))

    def stats(self) -> dict[str, int]:
        """Recipients by state: pending = not yet reached by admission, in progress = admitted, no result
        yet, then the final outcomes."""
        derived = {"pending": self.progress.waiting, "in_progress": self.progress.in_flight}
        return {key: derived[key] if key in derived else self.counts[key] for key in STAT_KEYS}

    def smart_parts_done(self) -> int:
        """The smart retry parts started since the last part the owner started (the send, a reset, …)."""
        done = 0
        for part in reversed(self.all_parts()):
            if part.kind is not PartKind.RETRY:
                break
            done += 1
        return done

    def smart_parts_left(self) -> int:
        """Smart retry parts still to come (cancelled ones are gone from `settings.retry.parts`)."""
        planned = self.settings.retry.parts if self.settings.retry is not None else 0
        return max(planned - self.smart_parts_done(), 0)

    def all_parts(self) -> tuple[CampaignPart, ...]:
        """Every part, the current last (the first send's record derived when none is stored)."""
        if self.parts:
            return self.parts
        return (CampaignPart(0, PartKind.SEND, self.created_at, self.audience_key, self.progress.total),)

    def parts_with(self, part: CampaignPart) -> tuple[CampaignPart, ...]:
        """The parts once `part` starts: the current one closed with its counts and votes, `part` last with the
        money totals it starts from (its own reservation comes after)."""
        *earlier, current = self.all_parts()
        closed = replace(current, counts=dict(self.counts), votes=dict(self.votes))
        return (*earlier, closed, replace(part, money_before=self.money.totals()))

    def part_votes(self, part: CampaignPart) -> Mapping[str, int]:
        """A part's vote histogram (the running one for the current part)."""
        return self.votes if part.votes is None else _frozen_counts(part.votes, VOTE_KEYS)

    def vote_histogram(self) -> dict[str, int]:
        """Answered people by vote code over every part (R-REP-2)."""
        return {key: sum(self.part_votes(part)[key] for part in self.all_parts()) for key in VOTE_KEYS}

    def part_money(self, part: CampaignPart) -> MoneyTotals | None:
        """What a part reserved, charged, released and refunded (None when not known: parts recorded before
        the totals were kept). Callbacks booked while a later part runs count in that part."""
        parts = self.all_parts()
        start = MoneyTotals() if part.part == 0 else part.money_before
        following = parts[part.part + 1] if part.part + 1 < len(parts) else None
        end = self.money.totals() if following is None else following.money_before
        return None if start is None or end is None else end.minus(start)

    def part_estimate(self, entries: Iterable[AudienceEntry]) -> int:
        """What a new part over `entries` reserves, by the same rule as at creation (R-BIL-2): each recipient's
        units × the tariff and, with follow-up rules, each recipient's worst case of follow-up SMS (R-OUT-3). A
        part whose follow-ups were left out would charge more than it held, and its settlement would be refused."""
        units = recipients = 0
        for entry in entries:
            units += entry.units
            recipients += 1
        follow_ups = max_units_per_recipient(self.settings.follow_ups) if self.settings.follow_ups else 0
        return units * self.money.tariff + follow_ups * recipients * self.money.follow_up_tariff

    @property
    def archived(self) -> bool:
        return self.status is CampaignStatus.ARCHIVED

    @property
    def tags(self) -> tuple[str, ...]:
        return campaign_tags(self.content, self.settings)


def campaign_tags(content: CampaignContent, settings: CampaignSettings) -> tuple[str, ...]:
    """The tags derived from a campaign's settings (R-CMP-6, SPEC §14), in a fixed order: `recognition`
    (DTMF vote), `generated_text` (text-to-speech), `audio_file` (an uploaded audio), `interval` (the owner
    narrowed the windows or days), `follow_up` (follow-up SMS rules). Smart parts, caller-id pools and recording
    add theirs when the campaign has those settings."""
    tags = []
    if settings.vote:
        tags.append("recognition")
    if content.tts_text is not None:
        tags.append("generated_text")
    elif content.audio_id is not None:
        tags.append("audio_file")
    if settings.custom_window:
        tags.append("interval")
    if settings.follow_ups:
        tags.append("follow_up")
    if settings.retry is not None and settings.retry.parts > 0:
        tags.append(f"smart_{settings.retry.parts}")
    if settings.caller_ids:
        tags.append("caller_id_pool")
    if settings.record:
        tags.append("recording")
    return tuple(tags)


@dataclass(frozen=True, slots=True)
class CampaignEdit:
    """What a `PATCH` changes (None: unchanged). A new text, sender or audience comes with its new money and,
    when the recipients or their units changed, the audience rewritten under a new key (`audience`: a new
    recipient set, with its size, zones and the contact list it came from, None for inline numbers)."""

    name: str | None = None
    comment: str | None = None
    sms_text: str | None = None
    sender: str | None = None
    start_at: datetime | None = None
    speed_per_hour: int | None = None
    estimated: int | None = None
    reserved: int | None = None
    released: int | None = None
    audience_key: str | None = None
    audience: NewAudience | None = None


@dataclass(frozen=True, slots=True)
class NewAudience:
    total: int
    time_zones: tuple[str, ...]
    contact_list_id: str | None


@dataclass(frozen=True, slots=True)
class AudienceEntry:
    """One recipient of the frozen audience: who, in which zone, with which personalisation values, and
    how many billable units a successful attempt costs."""

    seq: int
    number: str
    time_zone: str
    units: int
    type: str | None = None
    values: Mapping[str, str] = field(default_factory=dict)


IN_PROGRESS: Final = "in_progress"
PENDING: Final = "pending"


@dataclass(frozen=True, slots=True)
class FollowUpSent:
    """One follow-up SMS of a recipient (R-OUT-3): which rule, and its SMS's status (or why it was not sent:
    `window_closed`, `blacklisted`, `opted_out`) and cost."""

    rule: int
    on: str | None
    status: str
    cost: int = 0
    delivery_status: str | None = None
    at: datetime | None = None  # when its result (or refusal) was written


@dataclass(frozen=True, slots=True)
class RecipientState:
    """What happened to one recipient: `pending`, `in_progress`, or a final outcome with its attempt."""

    campaign_id: str
    seq: int
    number: str
    units: int
    status: str = PENDING
    attempts: int = 0
    attempt_id: str | None = None
    vote: int | None = None
    listened_seconds: int | None = None
    cost: int = 0
    reason: str | None = None
    updated_at: datetime | None = None
    delivery_status: str | None = None  # the operator's raw report for an SMS (DELIVRD, UNDELIV, …)
    follow_ups: tuple[FollowUpSent, ...] = ()  # read beside the recipient, never stored on its item
    called_at: datetime | None = None  # when the call that reached the network ended (callbacks, R-OUT-4)
    caller_id: str | None = None  # the pool number it was called from (R-DSP-5)
    recording: str | None = None  # the call's recording on the recordings bucket (R-OUT-5)
    recording_seconds: int | None = None
    callbacks: int = 0  # connected callbacks (read beside the recipient)
    callbacks_refused: int = 0
    callback_at: datetime | None = None  # when the last callback was booked
    # When its attempt was admitted and handed to the connector (the dispatch batch's times, kept with the
    # result: None for results reported later by a provider, and for states written before they were kept).
    admitted_at: datetime | None = None
    placed_at: datetime | None = None

    @classmethod
    def unrecorded(cls, campaign_id: str, entry: AudienceEntry, status: str = PENDING) -> RecipientState:
        """The state of a recipient with nothing stored: pending, or in progress behind the pointer."""
        return cls(campaign_id, entry.seq, number=entry.number, units=entry.units, status=status)

    @property
    def pre_dial(self) -> bool:
        """Decided at admission, never placed (no attempt id)."""
        return self.status not in (PENDING, IN_PROGRESS) and self.attempt_id is None
