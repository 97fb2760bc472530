"""The campaign workflow's tasks (R-CMP-2, R-CPL-1..3, R-DSP-1/2, R-BIL-3), run by the Step Functions
definition in infra/statemachines/campaign.asl.json. Each answers {"campaign_id", "next", "resume_at"?}
with next one of admit | wait | reconcile | end.

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
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from jarchi import clock
from jarchi.campaigns.pacing import PacingState, give_back, plan_admission
from jarchi.campaigns.settlement import settle_campaign
from jarchi.campaigns.statuses import SYSTEM_ACTOR, CampaignStatus, SystemEvent, apply
from jarchi.clock import iso
from jarchi.compliance.adcap import RecipientChecks, SuppressionList, cap_applies, cap_claim_lost, pre_dial_check
from jarchi.compliance.categories import Category, Channel
from jarchi.compliance.windows import WindowRule
from jarchi.connectors.base import Attempt
from jarchi.content.personalisation import fill
from jarchi.dispatch.outcomes import stat_key
from jarchi.resources import DISPATCH_QUEUE
from jarchi.store import campaigns as campaign_store
from jarchi.store import recipients as recipient_store
from jarchi.store import suppression
from jarchi.store.adcap import claim_ad_cap
from jarchi.store.campaigns import CampaignItem, RecipientItem, plain
from jarchi.store.queues import send_messages
from jarchi.store.recipients import AudienceEntry

# Many attempts ride one SQS message: fewer requests, and each results batch (one campaign-item write)
# covers this many attempts. Bounded in bytes too, well inside SQS's message size.
ATTEMPTS_PER_MESSAGE = 200
MAX_MESSAGE_BYTES = 100_000  # ten to a SendMessageBatch stay under its 1 MiB
MAX_ADMIT_PER_TASK = 2_000
RESULTS_POLL = timedelta(seconds=10)  # how long to wait for in-flight results before looking again
ACTIVE = frozenset({CampaignStatus.RUNNING, CampaignStatus.WAITING_WINDOW})


def _answer(campaign_id: str, next_: str, resume_at: datetime | None = None) -> dict[str, Any]:
    answer: dict[str, Any] = {"campaign_id": campaign_id, "next": next_}
    if resume_at is not None:
        # The ASL Wait reads a UTC timestamp without offset.
        answer["resume_at"] = resume_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return answer


def _change_status(item: CampaignItem, event: SystemEvent, now: datetime, reason: str | None = None) -> None:
    change = apply(item.status, event, at=now, actor=SYSTEM_ACTOR, reason=reason, in_flight=int(item.in_flight))
    campaign_store.record_status_change(item, change.status.value, change.as_dict())


def _superseded(item: CampaignItem, run: int) -> bool:
    """This execution's run is no longer the campaign's: it was paused and resumed, or started by hand
    before its schedule fired. The current run's execution carries on alone."""
    return int(item.run) != run


def prepare(campaign_id: str, *, run: int, execution_arn: str) -> dict[str, Any]:
    """Set the campaign running, as the current run's execution."""
    item = campaign_store.get_campaign_item(campaign_id)
    if item is None:
        raise LookupError(f"no campaign {campaign_id}")
    if _superseded(item, run):
        return _answer(campaign_id, "end")
    if item.execution_arn != execution_arn:
        campaign_store.set_execution(item, execution_arn)  # a scheduled start: the scheduler started it
    now = clock.now()
    status = CampaignStatus(item.status)
    if status in (CampaignStatus.ACCEPTED, CampaignStatus.SCHEDULED):
        _change_status(item, SystemEvent.RUN, now)
    elif status not in ACTIVE:
        return _answer(campaign_id, "end")
    return _answer(campaign_id, "admit")


@dataclass
class _Batch:
    """What one admission step decided."""

    now: datetime
    attempts: list[Attempt]
    finals: Counter[str]
    writes: list[RecipientItem]
    walked: int = 0
    blocked_until: datetime | None = None


def _attempt(item: CampaignItem, recipient: AudienceEntry, attempt_no: int = 1) -> Attempt:
    content = plain(item.content)
    text = content.get("sms_text")
    if text is not None and recipient.values:
        text = fill(text, recipient.values)
    return Attempt(
        attempt_id=f"{item.id}.{recipient.seq}.{attempt_no}",
        campaign_id=item.id,
        account_id=item.account_id,
        channel=Channel(item.channel),
        category=Category(item.category),
        number=recipient.number,
        audio_key=content.get("audio_key") if item.channel == Channel.VOICE else None,
        tts_text=content.get("tts_text") if item.channel == Channel.VOICE and not content.get("audio_key") else None,
        sms_text=text if item.channel == Channel.SMS else None,
        message_seconds=int(content.get("message_seconds") or 0),
        vote=bool(item.vote),
        sender=content.get("sender"),
        language=content.get("language"),
        units=recipient.units,
    )


def _walk(item: CampaignItem, recipients: list[AudienceEntry], now: datetime) -> _Batch:
    rule = WindowRule.of(item.windows or [], item.days_of_week or range(1, 8))
    lists = suppression.memberships((r.number for r in recipients), item.account_id)
    batch = _Batch(now=now, attempts=[], finals=Counter(), writes=[])
    category = Category(item.category)
    for recipient in recipients:
        on = lists.get(recipient.number, set())
        checks = RecipientChecks(
            on_account_stop_list=SuppressionList.ACCOUNT_STOP_LIST in on,
            on_telecom_blacklist=SuppressionList.TELECOM_BLACKLIST in on,
            ad_opted_out=SuppressionList.AD_OPT_OUT in on,
            window_open=rule.is_open(now, recipient.time_zone),
        )
        decision = pre_dial_check(category, checks)
        if decision.wait:
            batch.blocked_until = rule.next_opening(now, recipient.time_zone)
            break
        batch.walked += 1
        attempt = _attempt(item, recipient)
        # Only a recipient about to be called takes the number's cap.
        won = (
            decision.outcome is not None
            or not cap_applies(category)
            or claim_ad_cap(recipient.number, attempt_id=attempt.attempt_id, campaign_id=item.id, now=now)
        )
        if not won:
            decision = cap_claim_lost()
        if decision.outcome is not None:
            final = recipient.as_item(item.id)
            final.status = decision.outcome.value
            final.reason = decision.reason
            final.updated_at = iso(now)
            batch.writes.append(final)
            batch.finals[stat_key(decision.outcome)] += 1
        else:
            batch.attempts.append(attempt)
    return batch


def _messages(attempts: list[Attempt]) -> list[list[dict[str, Any]]]:
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


def _dispatch(item: CampaignItem, attempts: list[Attempt]) -> None:
    """The chunks depend only on the attempts, so a re-send repeats the batch ids."""
    bodies = [
        {
            "batch_id": f"{chunk[0]['attempt_id']}-{len(chunk)}",
            "campaign_id": item.id,
            "account_id": item.account_id,
            "attempts": chunk,
        }
        for chunk in _messages(attempts)
    ]
    send_messages(DISPATCH_QUEUE, bodies)


def _record(item: CampaignItem, batch: _Batch, pacing: PacingState) -> bool:
    return campaign_store.record_admission(
        item,
        walked=batch.walked,
        admitted=len(batch.attempts),
        finals=batch.finals,
        pacing=json.dumps(pacing.as_dict()),
    )


def _resend_dispatching(item: CampaignItem) -> None:
    """A task crashed between moving the pointer and sending: send that batch's attempts again."""
    first, end = (int(n) for n in item.dispatching)
    audience = recipient_store.read_audience(item.audience_key, first, end - first)
    stored = recipient_store.load_many(item.id, (e.seq for e in audience))
    pre_dial_finals = {seq for seq, r in stored.items() if r.attempt_id is None}
    attempts = [_attempt(item, e) for e in audience if e.seq not in pre_dial_finals]
    if attempts:
        _dispatch(item, attempts)
    campaign_store.clear_dispatching(item)


def admit(campaign_id: str, *, run: int) -> dict[str, Any]:
    item = campaign_store.get_campaign_item(campaign_id)
    if item is None:
        raise LookupError(f"no campaign {campaign_id}")
    if _superseded(item, run):
        return _answer(campaign_id, "end")
    if item.dispatching:
        _resend_dispatching(item)
    status = CampaignStatus(item.status)
    if status not in ACTIVE:
        return _answer(campaign_id, "end")
    now = clock.now()
    waiting = int(item.total) - int(item.next_seq)
    if waiting <= 0:
        return (
            _answer(campaign_id, "reconcile")
            if int(item.in_flight) == 0
            else _answer(campaign_id, "wait", now + RESULTS_POLL)
        )
    pacing_state = PacingState.from_dict(json.loads(item.pacing)) if item.pacing else None
    plan = plan_admission(pacing_state, now, waiting, int(item.speed_per_hour))
    count = min(plan.admit, MAX_ADMIT_PER_TASK)
    if count == 0:
        return _answer(campaign_id, "wait", plan.next_admission_at)
    return _admit_batch(item, plan.state, count, now)


def _admit_batch(item: CampaignItem, planned: PacingState, count: int, now: datetime) -> dict[str, Any]:
    status = CampaignStatus(item.status)
    recipients = recipient_store.read_audience(item.audience_key, int(item.next_seq), count)
    batch = _walk(item, recipients, now)
    recipient_store.save_all(batch.writes)
    unused = count - len(batch.attempts) - sum(batch.finals.values())
    if not _record(item, batch, give_back(planned, unused, int(item.speed_per_hour)) if unused > 0 else planned):
        # Another admitter moved the pointer first (its claims and writes for these recipients are the
        # same, keyed by attempt id): read again and carry on from where it left off.
        return _answer(item.id, "admit")
    if batch.attempts:
        _dispatch(item, batch.attempts)
        campaign_store.clear_dispatching(item)
    if batch.blocked_until is not None and batch.walked == 0:
        if status is CampaignStatus.RUNNING:
            _change_status(item, SystemEvent.WINDOW_CLOSED, now)
        return _answer(item.id, "wait", batch.blocked_until)
    if status is CampaignStatus.WAITING_WINDOW:
        _change_status(item, SystemEvent.WINDOW_OPENED, now)
    if batch.blocked_until is not None:
        return _answer(item.id, "wait", batch.blocked_until)
    return _answer(item.id, "admit")


def reconcile(campaign_id: str) -> dict[str, Any]:
    """Return the unused reservation exactly once and finish (R-BIL-3)."""
    settle_campaign(campaign_id, actor=SYSTEM_ACTOR, event=SystemEvent.COMPLETE)
    return _answer(campaign_id, "end")


def fail(campaign_id: str, error: dict[str, Any] | None) -> dict[str, Any]:
    """The workflow gave up: mark the campaign `error` (its reservation stays until an owner finishes it)."""
    item = campaign_store.get_campaign_item(campaign_id)
    if item is not None and CampaignStatus(item.status) in (CampaignStatus.RUNNING, CampaignStatus.WAITING_WINDOW):
        reason = str((error or {}).get("Error") or "workflow_failed")[:200]
        _change_status(item, SystemEvent.FAIL, clock.now(), reason)
    return _answer(campaign_id, "end")
