"""The campaign side's ports in memory: campaign and recipient repositories, workflow runs, the queue.

`FakeCampaigns` shares its `FakeLedger`: a campaign's creation with its reservation, and its settlement with
its posting, are each one atomic step, exactly as the DynamoDB transactions are."""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from jarchi.billing.ledger import Posting
from jarchi.campaigns.caller_ids import CallerId
from jarchi.campaigns.listing import DEFAULT_FILTER, CampaignFilter
from jarchi.campaigns.models import (
    FINAL_STAT_KEYS,
    AudienceEntry,
    Campaign,
    CampaignEdit,
    CampaignPart,
    Comment,
    RecipientState,
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
from jarchi.campaigns.routes import (
    HOLD_SECONDS,
    ROUTE_SHARDS,
    Hold,
    first_shard,
    live_holds,
    shard_capacity,
    slot_name,
    used,
)
from jarchi.campaigns.statuses import SENDING_STATUSES, CampaignStatus, StatusChange
from jarchi.clock import iso
from jarchi.compliance.quality import QualityCheck, QualityCounters
from jarchi.errors import JarchiError
from jarchi.resources import QueueSpec
from tests.fakes._paging import keyset_page, page
from tests.fakes.billing import FakeLedger

MAX_DELAY_SECONDS = 900  # SQS's limit on DelaySeconds


class FakeCampaigns:
    def __init__(self, ledger: FakeLedger | None = None) -> None:
        self.ledger = ledger or FakeLedger()
        self._lock = self.ledger.lock  # one lock: a transaction spans the campaign and the ledger
        self.callbacks_booked: set[str] = set()
        self.campaigns: dict[str, Campaign] = {}
        self.applied: dict[str, set[str]] = defaultdict(set)

    def get(self, campaign_id: str) -> Campaign | None:
        return self.campaigns.get(campaign_id)

    def pricing(self, campaign_id: str) -> CampaignPricing | None:
        campaign = self.campaigns.get(campaign_id)
        if campaign is None:
            return None
        return CampaignPricing(
            campaign.id,
            campaign.channel,
            campaign.category,
            campaign.money.tariff,
            account_id=campaign.account_id,
            follow_ups=campaign.settings.follow_ups,
            follow_up_tariff=campaign.money.follow_up_tariff,
            time_zones=campaign.settings.time_zones,
            message_seconds=campaign.content.message_seconds,
            total=campaign.progress.total,
            unjudged=campaign.quality_counters if campaign.quality is None else None,
        )

    def list_for_account(
        self, account_id: str, limit: int, cursor: str | None, filters: CampaignFilter = DEFAULT_FILTER
    ) -> tuple[list[Campaign], str | None]:
        mine = [c for c in self.campaigns.values() if c.account_id == account_id and filters.matches(c)]
        return keyset_page(mine, lambda c: (iso(c.created_at), c.id), limit, cursor)

    def create(self, campaign: Campaign, reservation: Posting | None) -> None:
        with self._lock:
            if campaign.id in self.campaigns:
                raise KeyError(f"campaign {campaign.id} exists")
            if reservation is not None:
                self.ledger.check(reservation)  # InsufficientCredit: nothing written
                self.ledger.book(reservation)
            self.campaigns[campaign.id] = campaign

    def _update(self, campaign_id: str, **progress: Any) -> None:
        current = self.campaigns.get(campaign_id)
        if current is not None:
            self.campaigns[campaign_id] = replace(current, progress=replace(current.progress, **progress))

    def record_status_change(
        self, campaign: Campaign, change: StatusChange, *, new_run: bool = False, comment: Comment | None = None
    ) -> None:
        with self._lock:
            current = self.campaigns.get(campaign.id)
            if current is None or current.status is not campaign.status:
                raise CampaignChanged(campaign.id)
            run = current.progress.run + (1 if new_run else 0)
            self.campaigns[campaign.id] = replace(
                current,
                status=change.status,
                history=(*campaign.history, change),
                progress=replace(current.progress, run=run),
                comments=(*current.comments, comment) if comment is not None else current.comments,
            )

    def awaiting_review(self, limit: int, cursor: str | None) -> tuple[list[Campaign], str | None]:
        waiting = [c for c in self.campaigns.values() if c.status is CampaignStatus.MODERATION]
        return page(sorted(waiting, key=lambda c: (c.created_at, c.id)), limit, cursor)

    def add_comment(self, campaign_id: str, comment: Comment) -> None:
        with self._lock:
            current = self.campaigns.get(campaign_id)
            if current is None:
                raise CampaignChanged(campaign_id)
            self.campaigns[campaign_id] = replace(current, comments=(*current.comments, comment))

    def edit(self, campaign: Campaign, edit: CampaignEdit, posting: Posting | None) -> None:
        with self._lock:
            current = self.campaigns.get(campaign.id)
            if (
                current is None
                or current.status is not campaign.status
                or current.progress.next_seq != campaign.progress.next_seq
                or (current.money.reserved, current.money.released)
                != (campaign.money.reserved, campaign.money.released)
            ):
                raise CampaignChanged(campaign.id)
            if posting is not None:
                self.ledger.check(posting)
                self.ledger.book(posting)
            money = current.money
            settings = current.settings
            self.campaigns[campaign.id] = replace(
                current,
                name=edit.name if edit.name is not None else current.name,
                comment=edit.comment if edit.comment is not None else current.comment,
                content=replace(current.content, sms_text=edit.sms_text)
                if edit.sms_text is not None
                else current.content,
                settings=replace(
                    settings,
                    start_at=edit.start_at if edit.start_at is not None else settings.start_at,
                    speed_per_hour=edit.speed_per_hour if edit.speed_per_hour is not None else settings.speed_per_hour,
                ),
                money=replace(
                    money,
                    estimated=edit.estimated if edit.estimated is not None else money.estimated,
                    reserved=edit.reserved if edit.reserved is not None else money.reserved,
                    released=edit.released if edit.released is not None else money.released,
                ),
                audience_key=edit.audience_key if edit.audience_key is not None else current.audience_key,
            )

    def set_execution(self, campaign_id: str, execution_arn: str) -> None:
        with self._lock:
            self._update(campaign_id, execution_arn=execution_arn)

    def set_schedule(self, campaign_id: str, schedule_name: str) -> None:
        with self._lock:
            self._update(campaign_id, schedule_name=schedule_name)

    def record_admission(
        self, campaign: Campaign, *, walked: int, admitted: int, finals: Mapping[str, int], pacing: PacingState
    ) -> bool:
        with self._lock:
            current = self.campaigns.get(campaign.id)
            first = campaign.progress.next_seq
            if current is None or current.progress.next_seq != first or current.status not in SENDING_STATUSES:
                return False
            progress = replace(
                current.progress,
                next_seq=first + walked,
                dispatching=(first, first + walked) if admitted else None,
                in_flight=current.progress.in_flight + admitted,
                pacing=PacingState.from_dict(json.loads(json.dumps(pacing.as_dict()))),
            )
            self.campaigns[campaign.id] = replace(current, progress=progress, counts=_added(current.counts, finals))
            return True

    def clear_dispatching(self, campaign_id: str) -> None:
        with self._lock:
            self._update(campaign_id, dispatching=None)

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
        batch_ids = {batch_id, *more_batch_ids}
        with self._lock:
            current = self.campaigns.get(campaign_id)
            if current is None or batch_ids & self.applied[campaign_id]:
                return False
            self.applied[campaign_id] |= batch_ids
            progress = current.progress
            self.campaigns[campaign_id] = replace(
                current,
                progress=replace(
                    progress,
                    in_flight=progress.in_flight - applied,
                    follow_ups_in_flight=progress.follow_ups_in_flight + follow_ups.in_flight,
                ),
                money=replace(
                    current.money,
                    charged=current.money.charged + charged,
                    follow_up_charged=current.money.follow_up_charged + follow_ups.charged,
                ),
                counts=_added(current.counts, finals),
                follow_ups_sent=current.follow_ups_sent + follow_ups.sent,
                leads=current.leads + leads,
                votes=_added(current.votes, votes or {}),
                quality_counters=current.quality_counters.plus(quality or QualityCounters()),
                last_result_at=at or current.last_result_at,
            )
            return True

    def record_callback(self, record: CallbackRecord) -> bool:
        with self._lock:
            if record.event_id in self.callbacks_booked:
                return False
            if record.posting is not None:
                self.ledger.check(record.posting)
                self.ledger.book(record.posting)
            self.callbacks_booked.add(record.event_id)
            current = self.campaigns.get(record.campaign_id)
            if current is not None and record.connected:
                money = current.money
                self.campaigns[record.campaign_id] = replace(
                    current,
                    money=replace(
                        money,
                        reserved=money.reserved + record.cost,
                        charged=money.charged + record.cost,
                        billed=money.billed + record.cost,
                    ),
                    callbacks=current.callbacks + 1,
                )
            return True

    def record_quality(self, campaign_id: str, check: QualityCheck) -> bool:
        with self._lock:
            current = self.campaigns.get(campaign_id)
            if current is None or current.quality is not None:
                return False
            self.campaigns[campaign_id] = replace(current, quality=check)
            return True

    def stop_for_quality(
        self, campaign: Campaign, change: StatusChange, comment: Comment, check: QualityCheck, release: Posting | None
    ) -> None:
        with self._lock:
            current = self.campaigns.get(campaign.id)
            if (
                current is None
                or current.status is not campaign.status
                or current.progress.next_seq != campaign.progress.next_seq
                or current.quality is not None
            ):
                raise CampaignChanged(campaign.id)
            amount = 0
            if release is not None:
                self.ledger.check(release)
                self.ledger.book(release)
                amount = sum(entry.amount for entry in release.entries)
            self.campaigns[campaign.id] = replace(
                current,
                status=change.status,
                history=(*current.history, change),
                comments=(*current.comments, comment),
                quality=check,
                money=replace(current.money, released=current.money.released + amount),
            )

    def settle(
        self, campaign: Campaign, change: StatusChange | None, *, refunded: int, posting: Posting | None
    ) -> None:
        with self._lock:
            current = self.campaigns.get(campaign.id)
            if (
                current is None
                or current.progress.reconciled
                or current.status is not campaign.status
                or current.progress.outstanding != 0
                or current.money.charged != campaign.money.charged
            ):
                raise SettlementRefused(f"campaign {campaign.id} cannot be settled now")
            if posting is not None:
                try:
                    self.ledger.check(posting)
                except JarchiError as refused:
                    raise SettlementRefused(str(refused)) from refused
                self.ledger.book(posting)
            self.campaigns[campaign.id] = replace(
                current,
                status=change.status if change else current.status,
                history=(*campaign.history, change) if change else current.history,
                money=replace(
                    current.money,
                    refunded=refunded,
                    billed=current.money.charged,
                    follow_up_billed=current.money.follow_up_charged,
                ),
                progress=replace(current.progress, reconciled=change is not None),
            )

    def start_part(
        self,
        campaign: Campaign,
        change: StatusChange | None,
        part: CampaignPart,
        posting: Posting | None,
        *,
        reset: bool,
    ) -> None:
        with self._lock:
            current = self.campaigns.get(campaign.id)
            if (
                current is None
                or current.status is not campaign.status
                or current.progress.part != campaign.progress.part
                or current.progress.in_flight != 0
                or current.progress.next_seq != campaign.progress.next_seq
            ):
                raise CampaignChanged(campaign.id)
            if posting is not None:
                self.ledger.check(posting)  # InsufficientCredit: nothing written
                self.ledger.book(posting)
            amount = sum(entry.amount for entry in posting.entries) if posting is not None else 0
            self.campaigns[campaign.id] = replace(
                current,
                status=change.status if change else current.status,
                history=(*campaign.history, change) if change else current.history,
                parts=campaign.parts_with(part),  # from the caller's read, as DynamoDB's
                audience_key=part.audience_key,
                counts=dict.fromkeys(FINAL_STAT_KEYS, 0),
                votes={},
                reset_count=current.reset_count + (1 if reset else 0),
                money=replace(
                    current.money, reserved=current.money.reserved + amount, estimated=current.money.estimated + amount
                ),
                progress=replace(
                    current.progress,
                    run=current.progress.run + (1 if change else 0),
                    part=part.part,
                    total=part.total,
                    next_seq=0,
                    in_flight=0,
                    dispatching=None,
                    pacing=None,
                    reconciled=False,
                ),
            )

    def cancel_parts(self, campaign: Campaign, retry_parts: int, release: Posting | None) -> None:
        with self._lock:
            current = self.campaigns.get(campaign.id)
            retry = campaign.settings.retry
            if (
                current is None
                or retry is None
                or current.status is not campaign.status
                or current.progress.part != campaign.progress.part
                or (release is not None and current.progress.next_seq != campaign.progress.next_seq)
                or current.progress.reconciled
            ):
                raise CampaignChanged(campaign.id)
            progress, money = current.progress, current.money
            if release is not None:
                self.ledger.book(release)
                progress = replace(progress, total=progress.next_seq)
                money = replace(money, released=money.released + sum(e.amount for e in release.entries))
            settings = replace(current.settings, retry=replace(retry, parts=retry_parts))
            self.campaigns[campaign.id] = replace(current, settings=settings, progress=progress, money=money)


def _added(counts: Mapping[str, int], finals: Mapping[str, int]) -> dict[str, int]:
    total = dict(counts)
    for key, count in finals.items():
        total[key] = total.get(key, 0) + count
    return total


class FakeRecipients:
    def __init__(self) -> None:
        self.audiences: dict[str, list[AudienceEntry]] = {}
        self.states: dict[tuple[str, int], RecipientState] = {}

    def put_audience(self, account_id: str, campaign_id: str, entries: Sequence[AudienceEntry]) -> str:
        key = f"campaigns/{account_id}/{campaign_id}/audience/"
        self.audiences[key] = list(entries)
        return key

    def read_audience(self, audience_key: str, first: int, count: int) -> list[AudienceEntry]:
        if count <= 0:
            return []
        return [e for e in self.audiences.get(audience_key, []) if first <= e.seq < first + count]

    def save_all(self, states: Sequence[RecipientState]) -> None:
        for state in states:
            self.states[(state.campaign_id, state.seq)] = state

    def load_many(self, campaign_id: str, seqs: Iterable[int]) -> dict[int, RecipientState]:
        found = ((seq, self.states.get((campaign_id, seq))) for seq in set(seqs))
        return {seq: state for seq, state in found if state is not None}

    def recordings(self, campaign_id: str, limit: int, cursor: str | None) -> tuple[list[RecipientState], str | None]:
        recorded = sorted(
            (s for (c, _), s in self.states.items() if c == campaign_id and s.recording), key=lambda s: s.seq
        )
        return page(recorded, limit, cursor)


@dataclass(frozen=True, slots=True)
class ScheduledStart:
    campaign_id: str
    run: int
    at: datetime


class FakeWorkflowRuns:
    """Records what was started and scheduled; nothing runs by itself (a test calls the workflow's tasks)."""

    def __init__(self) -> None:
        self.started: list[tuple[str, int]] = []
        self.schedules: dict[str, ScheduledStart] = {}

    def start(self, campaign_id: str, run: int) -> str:
        name = f"{campaign_id}-{run}"
        if (campaign_id, run) in self.started:
            raise ValueError(f"execution {name} already exists")
        self.started.append((campaign_id, run))
        return f"arn:fake:states:execution:campaign:{name}"

    def run_started(self, campaign_id: str, run: int) -> bool:
        return (campaign_id, run) in self.started

    def schedule_start(self, campaign_id: str, run: int, at: datetime) -> str:
        name = f"start-{campaign_id}"
        if name in self.schedules:
            raise ValueError(f"schedule {name} already exists")
        self.schedules[name] = ScheduledStart(campaign_id, run, at)
        return name

    def delete_schedule(self, name: str) -> None:
        self.schedules.pop(name, None)


class FakeQueue:
    """The queues: every message sent, with its delay, until a test takes them (`take`)."""

    def __init__(self) -> None:
        self.messages: dict[str, list[tuple[dict[str, Any], int]]] = defaultdict(list)

    def send(
        self, queue: QueueSpec, bodies: Sequence[Mapping[str, Any]], *, delay_seconds: int | Sequence[int] = 0
    ) -> None:
        delays = [delay_seconds] * len(bodies) if isinstance(delay_seconds, int) else list(delay_seconds)
        if len(delays) != len(bodies):
            raise ValueError(f"{len(delays)} delays for {len(bodies)} messages")
        if any(not 0 <= delay <= MAX_DELAY_SECONDS for delay in delays):
            raise ValueError(f"DelaySeconds outside 0..{MAX_DELAY_SECONDS}")
        # A copy through JSON, as SQS carries it: nothing shared with the sender.
        self.messages[queue.logical].extend((json.loads(json.dumps(b)), d) for b, d in zip(bodies, delays, strict=True))

    def take(self, queue: QueueSpec) -> list[dict[str, Any]]:
        """Every waiting message of the queue (delays ignored), oldest first."""
        taken = [body for body, _ in self.messages[queue.logical]]
        self.messages[queue.logical].clear()
        return taken


class FakeFollowUpClaims:
    """`FollowUpClaims` in memory: (campaign, number, rule) → the attempt holding it."""

    def __init__(self) -> None:
        self.held: dict[tuple[str, str, int], str] = {}
        self._lock = threading.Lock()

    def claim(self, campaign_id: str, number: str, rule: int, attempt_id: str) -> bool:
        with self._lock:
            return self.held.setdefault((campaign_id, number, rule), attempt_id) == attempt_id


class FakeCallerIds:
    """The caller-ID pool (R-DSP-5) in memory: one account per number; pages sorted by number."""

    def __init__(self) -> None:
        self.numbers: dict[str, CallerId] = {}
        self._lock = threading.Lock()

    def assign(self, caller_id: CallerId) -> bool:
        with self._lock:
            current = self.numbers.setdefault(caller_id.number, caller_id)
            return current.account_id == caller_id.account_id

    def get(self, number: str) -> CallerId | None:
        return self.numbers.get(number)

    def for_account(self, account_id: str) -> list[CallerId]:
        return sorted((c for c in self.numbers.values() if c.account_id == account_id), key=lambda c: c.number)

    def page(self, account_id: str | None, limit: int, cursor: str | None) -> tuple[list[CallerId], str | None]:
        chosen = self.numbers.values() if account_id is None else self.for_account(account_id)
        return page(sorted(chosen, key=lambda c: c.number), limit, cursor)

    def release(self, number: str, account_id: str) -> bool:
        with self._lock:
            current = self.numbers.get(number)
            if current is None or current.account_id != account_id:
                return False
            del self.numbers[number]
            return True


class FakeRouteCapacity:
    """Route slots (R-DSP-3) in memory, by the same rules as the sharded table: each shard holds its share of the
    limit, a campaign starts at its own shard, holds expire `HOLD_SECONDS` after the campaign last took there."""

    def __init__(self) -> None:
        self.shards: dict[str, dict[str, Hold]] = defaultdict(dict)
        self._lock = threading.Lock()

    def take(self, route: str, holder: str, wanted: int, limit: int, now: datetime) -> list[int]:
        granted: list[int] = []
        until = now + timedelta(seconds=HOLD_SECONDS)
        start = first_shard(route, holder)
        with self._lock:
            for offset in range(ROUTE_SHARDS):
                shard = (start + offset) % ROUTE_SHARDS
                holds = live_holds(self.shards[slot_name(route, shard)], now)
                taken = max(0, min(shard_capacity(limit, shard) - used(holds, now), wanted - len(granted)))
                if taken:
                    mine = holds.get(holder)
                    holds[holder] = Hold((mine.count if mine else 0) + taken, until)
                    granted += [shard] * taken
                self.shards[slot_name(route, shard)] = holds
                if len(granted) >= wanted:
                    break
        return granted

    def give_back(self, route: str, shard: int, holder: str, count: int, now: datetime) -> None:
        with self._lock:
            holds = live_holds(self.shards[slot_name(route, shard)], now)
            mine = holds.get(holder)
            if mine is not None:
                if mine.count > count:
                    holds[holder] = Hold(mine.count - count, mine.until)
                else:
                    del holds[holder]
            self.shards[slot_name(route, shard)] = holds

    def in_use(self, route: str, now: datetime) -> int:
        with self._lock:
            return sum(used(self.shards[slot_name(route, shard)], now) for shard in range(ROUTE_SHARDS))
