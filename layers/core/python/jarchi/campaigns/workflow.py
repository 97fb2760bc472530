"""The campaign workflow's tasks (R-CMP-2, R-CPL-1..3, R-DSP-1/2, R-BIL-3), run by the Step Functions
definition in infra/statemachines/campaign.asl.json. Each answers a `TaskAnswer`
(`jarchi.campaigns.protocol`): next admit | wait | reconcile | end.

Admission walks the frozen audience in order from the campaign's pointer. For each recipient: account stop
list, telecom blacklist, ad opt-out (advertising), the sending window in the recipient's local time, then the
24 h ad cap (claimed atomically). A recipient whose window is closed stops the walk there: the campaign waits
for that window to open (no attempt is ever placed outside a window; a campaign spanning zones may wait for
the earliest one in order). Admitted attempts ride many to an SQS message; the campaign item's pointer,
counters and pacing change once per batch.

An admitted recipient gets no item until its result: behind the pointer and without an item means in
progress. Pre-dial finals are written at once. Order of writes in one admission batch, so that a crash
anywhere loses nothing and sends nothing twice: pre-dial final items → the campaign's pointer, counters and
the batch's range marked `dispatching` → the dispatch messages → `dispatching` cleared. A crash before the
pointer moves repeats the walk (claims and writes are idempotent per attempt id); a crash after it is found
by the next task, which sends the marked range's attempts again (every recipient of the range without a
pre-dial final), chunked the same way under the same batch ids: the dispatch handler places a batch once."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from jarchi import clock
from jarchi.accounts.models import Account, AccountStatus
from jarchi.accounts.ports import AccountRepository
from jarchi.accounts.reach import Refusal, blocked_prefixes, destination_prefix, refusal, region_of
from jarchi.attempts import Attempt, Outcome, stat_key
from jarchi.audiences.numbers import NumberType, number_info
from jarchi.billing import credit
from jarchi.campaigns.caller_ids import caller_id_for
from jarchi.campaigns.listing import CampaignFilter
from jarchi.campaigns.models import (
    SYSTEM,
    AudienceEntry,
    Campaign,
    CampaignPart,
    Comment,
    PartKind,
    RecipientState,
)
from jarchi.campaigns.pacing import PacingState, give_back, plan_admission
from jarchi.campaigns.parts import due_again, renumbered
from jarchi.campaigns.ports import CampaignChanged, CampaignPorts
from jarchi.campaigns.protocol import Next, TaskAnswer
from jarchi.campaigns.routes import ROUTE_WAIT, parse_slot, route_of, slot_name
from jarchi.campaigns.settlement import money_posting, settle_campaign
from jarchi.campaigns.statuses import SYSTEM_ACTOR, CampaignStatus, SystemEvent, apply
from jarchi.channels import Category, Channel
from jarchi.clock import iso
from jarchi.compliance.adcap import (
    PreDialDecision,
    RecipientChecks,
    SuppressionList,
    cap_applies,
    cap_claim_lost,
    lists_to_check,
    pre_dial_check,
)
from jarchi.compliance.pumping import SUSPECTED_PUMPING, PumpingPolicy, suspected_pumping
from jarchi.compliance.restricted import RestrictedPeriod, restricted_until
from jarchi.content.personalisation import fill
from jarchi.content.sms_types import validity_minutes_for
from jarchi.errors import Conflict, InsufficientCredit
from jarchi.ports import resolve
from jarchi.resources import DISPATCH_QUEUE
from jarchi.settings import get_settings

if TYPE_CHECKING:
    from jarchi.compliance.windows import WindowRule

# Many attempts ride one SQS message: fewer requests, and each results batch (one campaign-item write)
# covers this many attempts. Bounded in bytes too, well inside SQS's message size.
ATTEMPTS_PER_MESSAGE = 200
MAX_MESSAGE_BYTES = 100_000  # ten to a SendMessageBatch stay under its 1 MiB
MAX_ADMIT_PER_TASK = 2_000
INSUFFICIENT_CREDIT = "insufficient_credit"
RESULTS_POLL = timedelta(seconds=10)  # how long to wait for in-flight results before looking again
ACTIVE = frozenset({CampaignStatus.RUNNING, CampaignStatus.WAITING_WINDOW})
NOT_STARTED = frozenset({CampaignStatus.ACCEPTED, CampaignStatus.SCHEDULED})


def _answer(campaign_id: str, next_: Next, resume_at: datetime | None = None) -> dict[str, Any]:
    return TaskAnswer(campaign_id, next_, resume_at).as_output()


def _load(ports: CampaignPorts, campaign_id: str) -> Campaign:
    campaign = ports.campaigns.get(campaign_id)
    if campaign is None:
        raise LookupError(f"no campaign {campaign_id}")
    return campaign


def _change_status(
    ports: CampaignPorts, campaign: Campaign, event: SystemEvent, now: datetime, reason: str | None = None
) -> None:
    change = apply(
        campaign.status, event, at=now, actor=SYSTEM_ACTOR, reason=reason, in_flight=campaign.progress.outstanding
    )
    comment = None
    if event in _TOLD_TO_THE_OWNER:
        comment = Comment(at=now, author=SYSTEM, text=f"{change.status.value}: {change.reason}")
    ports.campaigns.record_status_change(campaign, change, comment=comment)


# System changes the owner reads about in the campaign's comments (window waits are not news).
_TOLD_TO_THE_OWNER = frozenset({SystemEvent.SYSTEM_PAUSE, SystemEvent.LOW_QUALITY, SystemEvent.FAIL})


def pause_by_system(ports: CampaignPorts, campaign: Campaign, reason: str, now: datetime) -> None:
    """`paused` by actor `system` with `reason` and a system comment (e.g. `account_suspended`); its owner
    continues it with `resume_unfinished`. `CampaignChanged` if its status moved since `campaign` was read."""
    _change_status(ports, campaign, SystemEvent.SYSTEM_PAUSE, now, reason)


ACCOUNT_SUSPENDED = "account_suspended"


def _account_of(ports: CampaignPorts, campaign: Campaign) -> Account | None:
    """The campaign's account, read once per admission task (suspension, allowed countries, home region)."""
    return (ports.accounts or resolve(AccountRepository)).get(campaign.account_id)


def _held_for_suspension(ports: CampaignPorts, campaign: Campaign, account: Account | None, now: datetime) -> bool:
    """Its account was suspended (a scheduled start firing later, or the suspension's sweep lost a race):
    nothing more is admitted; it waits, paused by the system, for its owner's `resume_unfinished`."""
    if account is None or account.status is not AccountStatus.SUSPENDED:
        return False
    # Moved meanwhile: by an owner's pause or stop (sending is over), or a resume (a new run checks again).
    with suppress(CampaignChanged):
        pause_by_system(ports, campaign, ACCOUNT_SUSPENDED, now)
    return True


def _superseded(campaign: Campaign, run: int) -> bool:
    """This execution's run is no longer the campaign's: it was paused and resumed, or started by hand
    before its schedule fired. The current run's execution carries on alone."""
    return campaign.progress.run != run


def prepare(campaign_id: str, *, run: int, execution_arn: str, ports: CampaignPorts | None = None) -> dict[str, Any]:
    """Set the campaign running, as the current run's execution."""
    ports = ports or CampaignPorts.wired()
    campaign = _load(ports, campaign_id)
    if _superseded(campaign, run):
        return _answer(campaign_id, Next.END)
    if campaign.progress.execution_arn != execution_arn:
        ports.campaigns.set_execution(campaign_id, execution_arn)  # a scheduled start: the scheduler started it
    if campaign.status in (CampaignStatus.ACCEPTED, CampaignStatus.SCHEDULED):
        _change_status(ports, campaign, SystemEvent.RUN, clock.now())
    elif campaign.status not in ACTIVE:
        return _answer(campaign_id, Next.END)
    return _answer(campaign_id, Next.ADMIT)


@dataclass(frozen=True, slots=True)
class Screened:
    """A recipient's pre-dial decision, before any cap claim."""

    recipient: AudienceEntry
    decision: PreDialDecision


@dataclass(frozen=True, slots=True)
class Screening:
    """The recipients admission may decide about now, in order, and when the first one whose window is
    closed can go (None: none was)."""

    screened: tuple[Screened, ...]
    blocked_until: datetime | None


def screen(
    recipients: Sequence[AudienceEntry],
    category: Category,
    lists: dict[str, set[SuppressionList]],
    rule: WindowRule,
    now: datetime,
    *,
    restricted: Sequence[RestrictedPeriod] = (),
    countries: Mapping[str, str | None] | None = None,
    refusals: Mapping[str, Refusal] | None = None,
) -> Screening:
    """The pre-dial checks of each recipient in order (R-CPL-1..3), up to the first whose window is closed:
    the walk stops there, so no attempt is placed outside a window. A restricted period covering the
    recipient's country (`countries`: number → region) and the category is a closed window until it ends.
    A number the account may not reach (`refusals`, `jarchi.accounts.reach`) ends at once, free.
    Pure: the cap claims come after."""
    screened: list[Screened] = []
    for recipient in recipients:
        on = lists.get(recipient.number, set())
        country = (countries or {}).get(recipient.number)
        until = restricted_until(restricted, country, category, now) if restricted else None
        checks = RecipientChecks(
            refused=(refusals or {}).get(recipient.number),
            on_account_stop_list=SuppressionList.ACCOUNT_STOP_LIST in on,
            on_telecom_blacklist=SuppressionList.TELECOM_BLACKLIST in on,
            ad_opted_out=SuppressionList.AD_OPT_OUT in on,
            window_open=until is None and rule.is_open(now, recipient.time_zone),
        )
        decision = pre_dial_check(category, checks)
        if decision.wait:
            return Screening(tuple(screened), until or rule.next_opening(now, recipient.time_zone))
        screened.append(Screened(recipient, decision))
    return Screening(tuple(screened), None)


@dataclass
class _Batch:
    """What one admission step decided."""

    attempts: list[Attempt] = field(default_factory=list)
    finals: Counter[str] = field(default_factory=Counter)
    writes: list[RecipientState] = field(default_factory=list)
    walked: int = 0
    blocked_until: datetime | None = None
    suspected_pumping: bool = False
    new_destinations: set[str] = field(default_factory=set)  # foreign ranges of the admitted attempts
    lines_busy: bool = False  # a route or the account's calls are at their limit: look again soon (R-DSP-3)


def attempt_for(
    campaign: Campaign, recipient: AudienceEntry, now: datetime | None = None, route_slot: str | None = None
) -> Attempt:
    """The attempt of this part (`attempt_no` = part + 1; the seq already carries the part, see
    `PART_STRIDE`)."""
    attempt_no = campaign.progress.part + 1
    content, settings = campaign.content, campaign.settings
    voice = campaign.channel is Channel.VOICE
    text = content.sms_text
    if text is not None and recipient.values:
        text = fill(text, dict(recipient.values))
    return Attempt(
        attempt_id=f"{campaign.id}.{recipient.seq}.{attempt_no}",
        campaign_id=campaign.id,
        account_id=campaign.account_id,
        channel=campaign.channel,
        category=campaign.category,
        number=recipient.number,
        audio_key=content.audio_key if voice else None,
        tts_text=content.tts_text if voice and not content.audio_key else None,
        sms_text=text if not voice else None,
        message_seconds=content.message_seconds,
        vote=settings.vote,
        sender=content.sender,
        language=content.language,
        units=recipient.units,
        part=campaign.progress.part,
        validity_seconds=None if voice else 60 * validity_minutes_for(recipient.number, settings.validity_minutes),
        admitted_at=iso(now) if now is not None and not voice else None,
        voicemail_key=content.voicemail_key if voice else None,
        voicemail_tts=content.voicemail_tts if voice and not content.voicemail_key else None,
        voicemail_seconds=content.voicemail_seconds if voice else 0,
        voicemail_units=content.voicemail_pulses if voice else 0,
        caller_id=caller_id_for(campaign.settings.caller_ids, recipient.number) if voice else None,
        route_slot=route_slot,
        record=settings.record and voice,
    )


def _pre_dial_final(
    campaign: Campaign, recipient: AudienceEntry, outcome: Outcome, reason: str, now: datetime
) -> RecipientState:
    return RecipientState(
        campaign.id,
        recipient.seq,
        recipient.number,
        recipient.units,
        status=outcome.value,
        reason=reason,
        updated_at=now,
    )


def _refusals(account: Account | None, recipients: Sequence[AudienceEntry]) -> dict[str, Refusal]:
    """Numbers the account may not reach (an account the repository does not know, as in fakes of other
    concerns, has no refusals)."""
    if account is None:
        return {}
    allowed = account.reachable_countries
    blocked = blocked_prefixes()
    found = {
        r.number: refusal(r.number, allowed, blocked=blocked, paid_to_receive=_paid_to_receive(r.type))
        for r in recipients
    }
    return {number: why for number, why in found.items() if why is not None}


_NUMBER_TYPES: Final = frozenset(kind.value for kind in NumberType)
_PAID_TO_RECEIVE_TYPES: Final = frozenset({NumberType.PREMIUM_RATE.value, NumberType.SHARED_COST.value})


def _paid_to_receive(number_type: str | None) -> bool | None:
    """What the audience entry already says of the number's type (classified when the campaign was created, as
    `refusal` would classify it): None when it says nothing, and `refusal` parses the number again."""
    if number_type not in _NUMBER_TYPES:
        return None
    return number_type in _PAID_TO_RECEIVE_TYPES


def pumping_reviewed(campaign: Campaign) -> bool:
    """An admin resumed it after a `suspected_pumping` pause: the review is done, the guard is off."""
    paused = False
    for change in campaign.history:
        if change.status is CampaignStatus.PAUSED:
            paused = change.reason == SUSPECTED_PUMPING
        elif paused and change.status is CampaignStatus.RUNNING and change.actor != SYSTEM_ACTOR:
            return True
    return False


def _foreign_ranges(account: Account | None, screening: Screening) -> dict[str, str]:
    """Number → range of the recipients about to be sent abroad (outside the account's own region)."""
    home = account.default_region if account is not None else None
    return {
        s.recipient.number: destination_prefix(s.recipient.number)
        for s in screening.screened
        if s.decision.proceed and home is not None and region_of(s.recipient.number) != home
    }


def _looks_like_pumping(
    ports: CampaignPorts, campaign: Campaign, screening: Screening, foreign: Mapping[str, str]
) -> bool:
    if pumping_reviewed(campaign):
        return False
    refused = sum(1 for s in screening.screened if s.decision.outcome is Outcome.PREFIX_NOT_ALLOWED)
    known = ports.destinations.known(set(foreign.values())) if ports.destinations is not None and foreign else set()
    never_seen = sum(1 for prefix in foreign.values() if prefix not in known) if ports.destinations else 0
    return suspected_pumping(len(screening.screened), refused, never_seen, PumpingPolicy.configured())


def _walk(
    ports: CampaignPorts, campaign: Campaign, recipients: list[AudienceEntry], now: datetime, account: Account | None
) -> _Batch:
    # Here, not at the top: the window rules (pydantic models) load at the first admission, not at a cold start
    # that prepares, reconciles or fails a run (issue 10, cold start).
    from jarchi.compliance.windows import TimeWindow, WindowRule

    settings = campaign.settings
    rule = WindowRule.of(
        [TimeWindow.parse(w.start, w.end) for w in settings.windows], settings.days_of_week or range(1, 8)
    )
    if ports.accounts is None:
        account = None  # fakes of other concerns: no country refusals, no foreign ranges
    lists = ports.suppression.memberships(
        (r.number for r in recipients), campaign.account_id, lists_to_check(campaign.category)
    )
    periods = ports.restricted.current(now) if ports.restricted is not None else []
    countries = {r.number: number_info(r.number).region for r in recipients} if periods else None
    screening = screen(
        recipients,
        campaign.category,
        lists,
        rule,
        now,
        restricted=periods,
        countries=countries,
        refusals=_refusals(account, recipients),
    )
    foreign = _foreign_ranges(account, screening)
    if _looks_like_pumping(ports, campaign, screening, foreign):
        return _Batch(suspected_pumping=True)
    lines = _take_lines(ports, campaign, screening, now) if campaign.channel is Channel.VOICE else None
    screened_now = screening.screened if lines is None else screening.screened[: lines.walk]
    blocked_until = screening.blocked_until
    if lines is not None and lines.walk < len(screening.screened):
        blocked_until = now + ROUTE_WAIT
    batch = _Batch(
        walked=len(screened_now),
        blocked_until=blocked_until,
        new_destinations=set(foreign.values()),
        lines_busy=lines is not None and lines.walk < len(screening.screened),
    )
    capped = cap_applies(campaign.category)
    for position, screened in enumerate(screened_now):
        recipient, decision = screened.recipient, screened.decision
        slot = lines.slots.get(position) if lines is not None else None
        attempt = attempt_for(campaign, recipient, now, slot)
        # Only a recipient about to be called takes the number's cap.
        won = decision.outcome is not None or not capped or _claim(ports, campaign, recipient, attempt, now)
        if not won:
            decision = cap_claim_lost()
        if decision.outcome is not None:
            batch.writes.append(_pre_dial_final(campaign, recipient, decision.outcome, decision.reason, now))
            batch.finals[stat_key(decision.outcome)] += 1
            if slot is not None:
                _give_back_slots(ports, campaign, [slot], now)  # capped: never called
        else:
            batch.attempts.append(attempt)
    return batch


@dataclass(frozen=True, slots=True)
class _Lines:
    """How far admission may walk with the lines it got (R-DSP-3), and the route slot of each fixed line in
    that part (by position in the screening)."""

    walk: int
    slots: dict[int, str]


def _account_calls_in_flight(ports: CampaignPorts, account_id: str) -> int:
    in_flight = 0
    for status in sorted(ACTIVE):
        cursor: str | None = None
        while True:
            page, cursor = ports.campaigns.list_for_account(account_id, 100, cursor, CampaignFilter(status=status))
            in_flight += sum(c.progress.in_flight for c in page if c.channel is Channel.VOICE)
            if cursor is None:
                break
    return in_flight


def _take_lines(ports: CampaignPorts, campaign: Campaign, screening: Screening, now: datetime) -> _Lines:
    """The account's limit of calls at once, then a slot on its route for each fixed line to call, in order;
    the walk stops at the first recipient either is full for (slots taken for those behind it go back)."""
    settings = get_settings()
    calling = [i for i, s in enumerate(screening.screened) if s.decision.proceed]
    room = settings.account_max_concurrent_calls - _account_calls_in_flight(ports, campaign.account_id)
    walk = len(screening.screened)
    if len(calling) > max(room, 0):
        walk = calling[max(room, 0)]
    routes = {
        i: route
        for i in calling
        if i < walk
        and (route := route_of(screening.screened[i].recipient.number, screening.screened[i].recipient.type))
    }
    if not routes or ports.routes is None:
        return _Lines(walk, {})
    wanted = Counter(routes.values())
    granted = {
        route: ports.routes.take(route, campaign.id, count, settings.route_max_concurrent_calls, now)
        for route, count in wanted.items()
    }
    slots: dict[int, str] = {}
    for i, route in routes.items():
        if i >= walk:
            break
        if not granted[route]:
            walk = i  # this route is full: wait here
            break
        slots[i] = slot_name(route, granted[route].pop())
    _give_back_slots(ports, campaign, [slot_name(r, shard) for r, shards in granted.items() for shard in shards], now)
    return _Lines(walk, slots)


def _give_back_slots(ports: CampaignPorts, campaign: Campaign, slots: Sequence[str], now: datetime) -> None:
    if ports.routes is None:
        return
    for slot, count in Counter(slots).items():
        route, shard = parse_slot(slot)
        ports.routes.give_back(route, shard, campaign.id, count, now)


def _claim(ports: CampaignPorts, campaign: Campaign, recipient: AudienceEntry, attempt: Attempt, now: datetime) -> bool:
    """The 24 h ad cap, claimed once per recipient per campaign: a smart retry part reuses the campaign's claim."""
    number, attempt_id = recipient.number, attempt.attempt_id
    if campaign.smart_parts_done() > 0:
        return ports.ad_cap.claim(number, attempt_id=attempt_id, campaign_id=campaign.id, now=now, reuse=True)
    return ports.ad_cap.claim(number, attempt_id=attempt_id, campaign_id=campaign.id, now=now)


def pack_attempts(attempts: Sequence[Attempt]) -> list[list[dict[str, Any]]]:
    """Attempts packed in order, up to ATTEMPTS_PER_MESSAGE and MAX_MESSAGE_BYTES a message."""
    messages: list[list[dict[str, Any]]] = []
    size = 0
    for attempt in attempts:
        body = attempt.to_message()
        body_size = len(json.dumps(body))
        if not messages or len(messages[-1]) == ATTEMPTS_PER_MESSAGE or size + body_size > MAX_MESSAGE_BYTES:
            messages.append([])
            size = 0
        messages[-1].append(body)
        size += body_size
    return messages


def _dispatch(ports: CampaignPorts, campaign: Campaign, attempts: list[Attempt], now: datetime) -> None:
    """The chunks depend only on the attempts, so a re-send repeats the batch ids. `admitted_at` travels once
    per message to the results (the recipient timeline's admission time)."""
    bodies = [
        {
            "batch_id": f"{chunk[0]['attempt_id']}-{len(chunk)}",
            "campaign_id": campaign.id,
            "account_id": campaign.account_id,
            "admitted_at": iso(now),
            "attempts": chunk,
        }
        for chunk in pack_attempts(attempts)
    ]
    ports.queue.send(DISPATCH_QUEUE, bodies)


def _resend_dispatching(ports: CampaignPorts, campaign: Campaign, dispatching: tuple[int, int]) -> None:
    """A task crashed between moving the pointer and sending: send that batch's attempts again."""
    first, end = dispatching
    base = campaign.progress.seq_base
    audience = ports.recipients.read_audience(campaign.audience_key, base + first, end - first)
    stored = ports.recipients.load_many(campaign.id, (e.seq for e in audience))
    pre_dial_finals = {seq for seq, state in stored.items() if state.pre_dial}
    attempts = [attempt_for(campaign, e) for e in audience if e.seq not in pre_dial_finals]
    if attempts:
        _dispatch(ports, campaign, attempts, clock.now())
    ports.campaigns.clear_dispatching(campaign.id)


def admit(campaign_id: str, *, run: int, ports: CampaignPorts | None = None) -> dict[str, Any]:
    ports = ports or CampaignPorts.wired()
    campaign = _load(ports, campaign_id)
    if _superseded(campaign, run):
        return _answer(campaign_id, Next.END)
    if campaign.progress.dispatching:
        _resend_dispatching(ports, campaign, campaign.progress.dispatching)
    now = clock.now()
    if campaign.status not in ACTIVE:
        return _answer(campaign_id, Next.END)
    account = _account_of(ports, campaign)
    if _held_for_suspension(ports, campaign, account, now):
        return _answer(campaign_id, Next.END)
    progress = campaign.progress
    if progress.waiting <= 0:
        return _part_done(ports, campaign, now)
    speed = campaign.settings.speed_per_hour
    plan = plan_admission(progress.pacing, now, progress.waiting, speed)
    count = min(plan.admit, MAX_ADMIT_PER_TASK)
    if count == 0:
        return _answer(campaign_id, Next.WAIT, plan.next_admission_at)
    return _admit_batch(ports, campaign, plan.state, count, now, account)


def _part_done(ports: CampaignPorts, campaign: Campaign, now: datetime) -> dict[str, Any]:
    """Every recipient of the part admitted: wait for the results, then the next smart part or reconcile."""
    if campaign.progress.outstanding > 0:
        return _answer(campaign.id, Next.WAIT, now + RESULTS_POLL)
    if campaign.smart_parts_left() > 0:
        return _next_smart_part(ports, campaign, now)
    return _answer(campaign.id, Next.RECONCILE)


def _settle_part_money(ports: CampaignPorts, campaign: Campaign) -> Campaign:
    """The finished part's money, before the next part reserves its own: its charge booked and what it held and
    did not spend refunded (once per part, like a reconciliation, but the campaign keeps running)."""
    posting = money_posting(campaign)
    if posting is None:
        return campaign
    money = campaign.money
    ports.campaigns.settle(campaign, None, refunded=money.refunded + money.unspent, posting=posting)
    return _load(ports, campaign.id)


def _next_smart_part(ports: CampaignPorts, campaign: Campaign, now: datetime) -> dict[str, Any]:
    """The part is over: its money is settled at once (charge booked, the rest refunded); the next smart retry
    part (R-CMP-5) starts once its delay after the part's last result has passed, over the recipients whose
    result is in `retry.on`, reserved as it starts (not enough credit: the system pauses the campaign,
    `insufficient_credit`; `resume_unfinished` after a top-up tries again). Nobody to call again: reconcile.
    A part starting outside its window waits for the opening like any admission."""
    retry = campaign.settings.retry
    assert retry is not None
    campaign = _settle_part_money(ports, campaign)
    progress = campaign.progress
    last = campaign.last_result_at or campaign.all_parts()[-1].started_at
    due_at = last + timedelta(minutes=retry.delay_minutes)
    if now < due_at:
        return _answer(campaign.id, Next.WAIT, due_at)
    entries = ports.recipients.read_audience(campaign.audience_key, progress.seq_base, progress.total)
    states = ports.recipients.load_many(campaign.id, (e.seq for e in entries))
    again = due_again(entries, states, retry.on)
    if not again:
        return _answer(campaign.id, Next.RECONCILE)
    number = progress.part + 1
    again = renumbered(again, number)
    audience_key = ports.recipients.put_audience(campaign.account_id, f"{campaign.id}/part-{number}", again)
    estimated = campaign.part_estimate(again)
    posting = credit.reservation(campaign.account_id, campaign.id, estimated, f"part:{number}") if estimated else None
    part = CampaignPart(number, PartKind.RETRY, now, audience_key, len(again))
    try:
        ports.campaigns.start_part(campaign, None, part, posting, reset=False)
    except InsufficientCredit:
        _change_status(ports, campaign, SystemEvent.SYSTEM_PAUSE, now, INSUFFICIENT_CREDIT)
        return _answer(campaign.id, Next.END)
    except CampaignChanged:
        pass  # moved meanwhile (an owner's pause, a racing admitter): read again
    return _answer(campaign.id, Next.ADMIT)


def _admit_batch(
    ports: CampaignPorts, campaign: Campaign, planned: PacingState, count: int, now: datetime, account: Account | None
) -> dict[str, Any]:
    first = campaign.progress.seq_base + campaign.progress.next_seq
    recipients = ports.recipients.read_audience(campaign.audience_key, first, count)
    batch = _walk(ports, campaign, recipients, now, account)
    if batch.suspected_pumping:
        # Nothing of the batch was claimed, written or sent: an admin's resume admits it again.
        _change_status(ports, campaign, SystemEvent.SYSTEM_PAUSE, now, SUSPECTED_PUMPING)
        return _answer(campaign.id, Next.END)
    ports.recipients.save_all(batch.writes)
    unused = count - len(batch.attempts) - sum(batch.finals.values())
    speed = campaign.settings.speed_per_hour
    recorded = ports.campaigns.record_admission(
        campaign,
        walked=batch.walked,
        admitted=len(batch.attempts),
        finals=batch.finals,
        pacing=give_back(planned, unused, speed) if unused > 0 else planned,
    )
    if not recorded:
        # Another admitter moved the pointer first (its claims and writes for these recipients are the
        # same, keyed by attempt id): read again and carry on from where it left off.
        return _answer(campaign.id, Next.ADMIT)
    if batch.attempts:
        _dispatch(ports, campaign, batch.attempts, now)
        ports.campaigns.clear_dispatching(campaign.id)
    if batch.new_destinations and ports.destinations is not None:
        ports.destinations.remember(batch.new_destinations, now)
    if batch.lines_busy and batch.walked == 0:
        return _answer(campaign.id, Next.WAIT, batch.blocked_until)
    if batch.blocked_until is not None and batch.walked == 0:
        if campaign.status is CampaignStatus.RUNNING:
            _change_status(ports, campaign, SystemEvent.WINDOW_CLOSED, now)
        return _answer(campaign.id, Next.WAIT, batch.blocked_until)
    if campaign.status is CampaignStatus.WAITING_WINDOW:
        _change_status(ports, campaign, SystemEvent.WINDOW_OPENED, now)
    if batch.blocked_until is not None:
        return _answer(campaign.id, Next.WAIT, batch.blocked_until)
    return _answer(campaign.id, Next.ADMIT)


def reconcile(campaign_id: str, *, ports: CampaignPorts | None = None) -> tuple[dict[str, Any], Campaign]:
    """Return the unused reservation exactly once and finish (R-BIL-3); the answer and the settled campaign
    (whose money the handler reports)."""
    ports = ports or CampaignPorts.wired()
    try:
        settled = settle_campaign(campaign_id, actor=SYSTEM_ACTOR, event=SystemEvent.COMPLETE, ports=ports)
    except Conflict:
        # Its owner paused or stopped it as the last results came in: this run is over (a resume starts the
        # next); a failed execution here would only set off the alarm.
        current = ports.campaigns.get(campaign_id)
        if current is None or current.status in ACTIVE:
            raise
        return _answer(campaign_id, Next.END), current
    return _answer(campaign_id, Next.END), settled


def fail(campaign_id: str, error: dict[str, Any] | None, *, ports: CampaignPorts | None = None) -> dict[str, Any]:
    """The workflow gave up: mark the campaign `error` (its reservation stays until an owner finishes it). Also
    when Prepare itself gave up, before the campaign left `accepted` or `scheduled`: else it would wait there,
    reserved, with no run."""
    ports = ports or CampaignPorts.wired()
    campaign = ports.campaigns.get(campaign_id)
    if campaign is not None and campaign.status in ACTIVE | NOT_STARTED:
        reason = str((error or {}).get("Error") or "workflow_failed")[:200]
        _change_status(ports, campaign, SystemEvent.FAIL, clock.now(), reason)
    return _answer(campaign_id, Next.END)
