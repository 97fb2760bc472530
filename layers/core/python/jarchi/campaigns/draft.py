"""A campaign as asked for, checked and priced before anything is reserved (R-CMP, R-BIL-2, `POST /v1/estimates`).

`prepare_campaign(account, draft)` checks everything a campaign needs and computes its money; it stores
nothing and reserves nothing (the estimate endpoint answers from it, the campaign work creates from it).

Checks, in order (the first that fails answers):

1. the draft's own shape: a name, `speed_per_hour` 1..360,000, an aware `start_at`, exactly one of
   `recipients` / `contact_list_id` (`recipients_required`), exactly one content matching the channel —
   voice: `audio_id` or `tts_text`; SMS: `sms_text` plus `sender` (`content_required`, `sender_required`);
   `vote` only on voice (`vote_not_supported`);
2. sending windows and days: narrowed from the policy rule of (channel, category), the account's 24 h
   permission opening `service` / `otp` around the clock (R-CPL-1, R-ACC-5);
3. recipients: inline numbers are normalised with the account's region; **any invalid inline number refuses
   the campaign** (`invalid_recipients`, 422, listing them with their position) — a campaign is money, so
   we do not guess which numbers the client meant; duplicates are dropped. A list is loaded from S3 (404
   for another tenant's). More than the account's limit (4 for demo accounts, R-ACC-4) is
   `too_many_recipients`;
4. content: voice audio must be the account's and approved (`audio_not_approved`); voice `tts_text` is
   synthesized now and measured (pulses from the produced audio, stored only at campaign creation via
   `store_campaign_speech(..., speech=prepared.speech)`); SMS needs an approved sender
   (`sender_not_registered`), `service`/`otp` texts pass the content rules (`content_not_allowed`, R-SMS-1;
   advertising is not subject to them), every placeholder must name a list column (`unknown_placeholder`;
   inline numbers have no columns), and segments are counted per recipient after filling (R-SMS-4).

5. follow-up SMS rules (R-OUT-3, voice only: `follow_ups_not_supported`): at most `MAX_RULES`
   (`too_many_follow_ups`); a `vote` rule needs `vote: true` and its `digits`, other rules take none
   (`invalid_follow_up`); each text is counted in segments, has no placeholders, passes the content rules of
   its category, and its sender is the account's and approved.

Money: voice = pulses × recipients × tariff per pulse; SMS = Σ segments × tariff per segment, the tariff of
the account's own (set by its reseller) or its type's (jarchi.billing.margins.account_tariff). Follow-up SMS
add each recipient's worst case (`jarchi.campaigns.follow_ups.max_units_per_recipient`) × recipients × the SMS
tariff.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from jarchi.accounts.models import Account
from jarchi.accounts.policy import recipient_limit
from jarchi.attempts import MACHINE
from jarchi.audiences.numbers import NumberType
from jarchi.audiences.parsing import check_recipient_limit, parse_inline
from jarchi.audiences.service import load_list_recipients
from jarchi.billing.estimate import Estimate, estimate_sms, estimate_voice
from jarchi.billing.margins import account_tariff
from jarchi.billing.tariffs import Tariff
from jarchi.campaigns.follow_ups import MAX_RULES, FollowUpOn, FollowUpRule, max_units_per_recipient
from jarchi.campaigns.models import RetryPolicy
from jarchi.campaigns.pacing import DEFAULT_SPEED_PER_HOUR, validate_speed
from jarchi.channels import Category, Channel
from jarchi.compliance.windows import WindowPolicy, WindowRule, effective_windows
from jarchi.content.audio_service import SynthesizedSpeech, get_usable_audio, synthesize
from jarchi.content.personalisation import compile_text
from jarchi.content.records import AudioRecord, Sender
from jarchi.content.rules import require_service_sms_allowed
from jarchi.content.senders_service import require_approved_sender
from jarchi.content.sms import count_segments
from jarchi.errors import Unprocessable

MAX_REPORTED_INVALID = 100

Unit = Literal["pulse", "segment"]


@dataclass(frozen=True)
class CampaignDraft:
    name: str
    channel: Channel
    category: Category
    audio_id: str | None = None
    tts_text: str | None = None
    sms_text: str | None = None
    sender: str | None = None
    recipients: list[str] | None = None
    contact_list_id: str | None = None
    start_at: datetime | None = None
    auto_start: bool = True
    windows: list[dict[str, str]] | None = None
    days_of_week: list[int] | None = None
    vote: bool = False
    speed_per_hour: int = DEFAULT_SPEED_PER_HOUR
    comment: str | None = None
    language: str | None = None  # text-to-speech language; default by the account's region
    validity_minutes: int | None = None  # SMS only (R-SMS-5)
    follow_ups: tuple[FollowUpRule, ...] = ()  # voice only (R-OUT-3); units are counted by prepare_campaign
    voicemail_audio_id: str | None = None  # voice: what an answering machine hears instead (SPEC §14)
    voicemail_tts: str | None = None
    retry: RetryPolicy | None = None  # smart parts (R-CMP-5)
    caller_id_pool: bool = False  # calls go out from the account's caller IDs (R-DSP-5), voice only
    record: bool = False  # answered calls are recorded (R-OUT-5), voice only
    callback_bridge: bool = False  # callbacks reach the account's callback number (R-OUT-4), voice only


@dataclass(frozen=True, slots=True)
class PreparedRecipient:
    number: str  # E.164
    type: NumberType
    values: tuple[str, ...]  # aligned with PreparedCampaign.columns
    units: int  # pulses (voice) or segments after personalisation (SMS)


@dataclass(frozen=True)
class PreparedVoicemail:
    """The campaign's voicemail: an approved audio of the account, or speech generated now (stored with the
    campaign), its length and pulses."""

    seconds: int
    pulses: int
    audio: AudioRecord | None = None
    speech: SynthesizedSpeech | None = None


@dataclass(frozen=True)
class PreparedCampaign:
    draft: CampaignDraft
    account_id: str
    recipients: list[PreparedRecipient]
    columns: tuple[str, ...]
    unit: Unit
    tariff: Tariff
    estimate: Estimate
    window_rule: WindowRule
    audio: AudioRecord | None = None  # voice with audio_id
    speech: SynthesizedSpeech | None = None  # voice with tts_text: the measured speech, not stored yet
    message_seconds: int = 0  # voice: the message's length, whole seconds rounded up
    sender: Sender | None = None  # SMS
    follow_ups: tuple[FollowUpRule, ...] = ()  # checked, with their segments
    voicemail: PreparedVoicemail | None = None

    @property
    def per_unit(self) -> int:
        return self.tariff.voice_per_pulse if self.unit == "pulse" else self.tariff.sms_per_segment


@dataclass(frozen=True, slots=True)
class Audience:
    """Recipients as read, before pricing: the list's columns and (number, type, values) rows."""

    columns: tuple[str, ...]
    rows: list[tuple[str, NumberType, tuple[str, ...]]]


def _check_shape(draft: CampaignDraft) -> None:
    if not draft.name.strip():
        raise Unprocessable("invalid_name", "a campaign needs a name")
    validate_speed(draft.speed_per_hour)
    if draft.start_at is not None and draft.start_at.utcoffset() is None:
        raise Unprocessable("invalid_start_at", "start_at needs a time zone offset")
    if (draft.recipients is None) == (draft.contact_list_id is None):
        raise Unprocessable("recipients_required", "give exactly one of recipients and contact_list_id")
    _check_content_shape(draft)


def _check_content_shape(draft: CampaignDraft) -> None:
    if draft.channel is Channel.VOICE:
        if draft.sms_text is not None or (draft.audio_id is None) == (draft.tts_text is None):
            raise Unprocessable("content_required", "a voice campaign needs exactly one of audio_id and tts_text")
        if draft.voicemail_audio_id is not None and draft.voicemail_tts is not None:
            raise Unprocessable("invalid_voicemail", "a voicemail is one of audio_id and tts_text")
        return
    if draft.sms_text is None or draft.audio_id is not None or draft.tts_text is not None:
        raise Unprocessable("content_required", "an SMS campaign needs sms_text (and no audio_id or tts_text)")
    if not draft.sender:
        raise Unprocessable("sender_required", "an SMS campaign needs a registered sender")
    if draft.vote:
        raise Unprocessable("vote_not_supported", "votes are keypad presses during a voice call")
    _refuse_call_settings(draft)


def _refuse_call_settings(draft: CampaignDraft) -> None:
    """What only a call has, asked of an SMS campaign."""
    if draft.follow_ups:
        raise Unprocessable("follow_ups_not_supported", "follow-up SMS follow a call: voice campaigns only")
    if draft.voicemail_audio_id is not None or draft.voicemail_tts is not None:
        raise Unprocessable("voicemail_not_supported", "a voicemail is what an answering machine hears on a call")
    if draft.caller_id_pool:
        raise Unprocessable("caller_id_pool_not_supported", "a caller-ID pool is for calls: voice campaigns only")
    if draft.record:
        raise Unprocessable("record_not_supported", "recordings are of calls: voice campaigns only")
    if draft.callback_bridge:
        raise Unprocessable("callback_bridge_not_supported", "callbacks return a call: voice campaigns only")
    if draft.retry is not None and MACHINE in draft.retry.on:
        raise Unprocessable("invalid_retry", "only calls reach answering machines: retry.on 'machine' is voice only")


def _audience(account: Account, draft: CampaignDraft) -> Audience:
    return audience_of(account, draft.recipients, draft.contact_list_id)


def audience_of(account: Account, numbers: list[str] | None, contact_list_id: str | None) -> Audience:
    """The recipients of inline `numbers` or of a contact list (check 3 of the module docstring)."""
    limit = recipient_limit(account)
    if numbers is not None:
        parsed = parse_inline(numbers, account.default_region, recipient_limit=None)
        if parsed.invalid:
            shown = parsed.invalid_lines[:MAX_REPORTED_INVALID]
            raise Unprocessable(
                "invalid_recipients",
                f"{parsed.invalid} of the numbers are not valid phone numbers; correct or remove them",
                invalid=[{"position": x.line, "value": x.value, "reason": x.reason} for x in shown],
            )
        check_recipient_limit(parsed.kept, limit)
        return Audience((), [(r.number, r.type, r.values) for r in parsed.recipients])
    assert contact_list_id is not None
    columns, recipients = load_list_recipients(account.id, contact_list_id)
    check_recipient_limit(len(recipients), limit)
    return Audience(columns, [(r.number, r.type, r.values) for r in recipients])


def _window_rule(account: Account, draft: CampaignDraft) -> WindowRule:
    allowed = WindowPolicy.default().rule_for(draft.channel, draft.category, around_the_clock=account.allow_24h)
    return effective_windows(allowed, draft.windows, draft.days_of_week)


def _prepare_voice(
    account: Account, draft: CampaignDraft, audience: Audience, tariff: Tariff, rule: WindowRule
) -> PreparedCampaign:
    audio: AudioRecord | None = None
    speech: SynthesizedSpeech | None = None
    if draft.audio_id is not None:
        audio = get_usable_audio(account.id, draft.audio_id)
        pulses, duration_ms = audio.pulses, audio.duration_ms
    else:
        speech = synthesize(account, draft.tts_text or "", draft.language)
        pulses, duration_ms = speech.info.pulses, speech.info.duration_ms
    recipients = [PreparedRecipient(n, t, v, pulses) for n, t, v in audience.rows]
    follow_ups = _prepare_follow_ups(account, draft)
    estimate = estimate_voice(pulses, len(recipients), tariff)
    if follow_ups:
        reserve = max_units_per_recipient(follow_ups) * len(recipients) * tariff.sms_per_segment
        estimate = replace(estimate, estimated=estimate.estimated + reserve, follow_ups=reserve)
    voicemail = _prepare_voicemail(account, draft, pulses)
    return PreparedCampaign(
        draft=draft,
        account_id=account.id,
        recipients=recipients,
        columns=audience.columns,
        unit="pulse",
        tariff=tariff,
        estimate=estimate,
        window_rule=rule,
        audio=audio,
        speech=speech,
        message_seconds=-(-duration_ms // 1000),
        follow_ups=follow_ups,
        voicemail=voicemail,
    )


def _prepare_follow_ups(account: Account, draft: CampaignDraft) -> tuple[FollowUpRule, ...]:
    """The follow-up rules checked (module docstring, step 5), each with its text's segments."""
    if len(draft.follow_ups) > MAX_RULES:
        raise Unprocessable("too_many_follow_ups", f"at most {MAX_RULES} follow-up rules", limit=MAX_RULES)
    prepared = []
    for position, rule in enumerate(draft.follow_ups):
        if rule.on is FollowUpOn.VOTE and not (draft.vote and rule.digits):
            raise Unprocessable(
                "invalid_follow_up", "a vote follow-up needs vote: true and its digits", position=position
            )
        if rule.on is not FollowUpOn.VOTE and rule.digits:
            raise Unprocessable("invalid_follow_up", "only a vote follow-up takes digits", position=position)
        segments = count_segments(rule.sms_text).segments
        compile_text(rule.sms_text, ())  # unknown_placeholder: follow-ups are not personalised
        sender = require_approved_sender(account.id, rule.sender)
        if draft.category is not Category.ADVERTISING:
            require_service_sms_allowed(rule.sms_text, sender.name)
        prepared.append(replace(rule, sender=sender.name, units=segments))
    return tuple(prepared)


def _prepare_voicemail(account: Account, draft: CampaignDraft, message_pulses: int) -> PreparedVoicemail | None:
    """The voicemail, at most as many pulses as the message: the reservation covers every recipient at the
    message's pulses (`voicemail_too_long` otherwise)."""
    if draft.voicemail_audio_id is not None:
        audio = get_usable_audio(account.id, draft.voicemail_audio_id)
        voicemail = PreparedVoicemail(-(-audio.duration_ms // 1000), audio.pulses, audio=audio)
    elif draft.voicemail_tts is not None:
        speech = synthesize(account, draft.voicemail_tts, draft.language)
        voicemail = PreparedVoicemail(-(-speech.info.duration_ms // 1000), speech.info.pulses, speech=speech)
    else:
        return None
    if voicemail.pulses > message_pulses:
        raise Unprocessable(
            "voicemail_too_long",
            f"the voicemail is {voicemail.pulses} pulses, the message {message_pulses}: it may not be longer",
        )
    return voicemail


def _prepare_sms(
    account: Account, draft: CampaignDraft, audience: Audience, tariff: Tariff, rule: WindowRule
) -> PreparedCampaign:
    text = draft.sms_text or ""
    count_segments(text)  # sms_text_empty / sms_text_too_long for the text as written
    sender = require_approved_sender(account.id, draft.sender or "")
    if draft.category is not Category.ADVERTISING:
        require_service_sms_allowed(text, sender.name)
    compiled = compile_text(text, audience.columns)
    segments_of: dict[str, int] = {}
    recipients = []
    for number, kind, values in audience.rows:
        filled = compiled.fill(values)
        segments = segments_of.get(filled)
        if segments is None:
            segments = segments_of[filled] = count_segments(filled).segments
        recipients.append(PreparedRecipient(number, kind, values, segments))
    return PreparedCampaign(
        draft=draft,
        account_id=account.id,
        recipients=recipients,
        columns=audience.columns,
        unit="segment",
        tariff=tariff,
        estimate=estimate_sms((r.units for r in recipients), tariff),
        window_rule=rule,
        sender=sender,
    )


def prepare_campaign(account: Account, draft: CampaignDraft) -> PreparedCampaign:
    """Validate everything the campaign needs and price it; nothing is stored or reserved."""
    _check_shape(draft)
    rule = _window_rule(account, draft)
    audience = _audience(account, draft)
    tariff = account_tariff(account)
    if draft.channel is Channel.VOICE:
        return _prepare_voice(account, draft, audience, tariff, rule)
    return _prepare_sms(account, draft, audience, tariff, rule)
