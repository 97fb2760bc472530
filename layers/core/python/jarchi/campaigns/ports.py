"""What campaigns need from outside (R-CMP, R-DSP-1, R-BIL-2/3): the campaign and recipient repositories, the
workflow's starts and schedules, and the bundle the campaign services take. DynamoDB/S3 adapters are in
`store/campaigns.py` and `store/recipients.py`, Step Functions and Scheduler in `aws/workflows.py`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Final, Protocol

from jarchi.accounts.ports import AccountRepository
from jarchi.billing.ledger import Posting
from jarchi.campaigns.callbacks import LastCall
from jarchi.campaigns.caller_ids import CallerId
from jarchi.campaigns.follow_ups import FollowUpRule
from jarchi.campaigns.listing import DEFAULT_FILTER, CampaignFilter
from jarchi.campaigns.models import AudienceEntry, Campaign, CampaignEdit, CampaignPart, Comment, RecipientState
from jarchi.campaigns.pacing import PacingState
from jarchi.campaigns.statuses import StatusChange
from jarchi.channels import Category, Channel
from jarchi.compliance.quality import QualityCheck, QualityCounters
from jarchi.errors import Conflict
from jarchi.ports import MessageQueue, resolve

if TYPE_CHECKING:  # the compliance ports are resolved by `wired()`: a read of campaigns does not import them
    from jarchi.compliance.ports import AdCap, DestinationHistory, RestrictedPeriods, SuppressionLists


class CampaignChanged(Conflict):
    """The campaign moved on between our read and our write (another actor changed its status)."""

    def __init__(self, campaign_id: str) -> None:
        super().__init__("campaign_changed", f"campaign {campaign_id} changed meanwhile; read it again")


class SettlementRefused(Exception):
    """Settlement's conditions did not hold (already reconciled, attempts in flight, or a results batch
    moved the charge meanwhile): nothing was written."""


@dataclass(frozen=True, slots=True)
class CampaignPricing:
    """The little the results side reads per batch (with what follow-up SMS need, R-OUT-3)."""

    id: str
    channel: Channel
    category: Category
    tariff: int
    account_id: str = ""
    follow_ups: tuple[FollowUpRule, ...] = ()
    follow_up_tariff: int = 0
    time_zones: tuple[str, ...] = ()  # the recipients' zones: the fallback for a number's own
    message_seconds: int = 0
    total: int = 0  # the current part's recipients
    unjudged: QualityCounters | None = None  # the quality counters while the gate has not judged (R-CPL-5)


@dataclass(frozen=True, slots=True)
class FollowUpCounts:
    """What a results batch changes about follow-up SMS: `in_flight` (sent now − reported now) and `sent`
    (reported accepted by the operator)."""

    in_flight: int = 0
    sent: int = 0
    charged: int = 0  # what the reported ones cost (already in the batch's `charged`)


NO_FOLLOW_UPS: Final = FollowUpCounts()


@dataclass(frozen=True, slots=True)
class CallbackRecord:
    """A callback to book once (R-OUT-4): `event_id` names the inbound call; a connected one's `cost` is
    `posting` (reservation and charge) on the campaign's account."""

    event_id: str
    account_id: str
    campaign_id: str
    seq: int
    number: str
    connected: bool
    seconds: int
    cost: int
    posting: Posting | None


class CalledNumbers(Protocol):
    """Which campaign last called a number (R-OUT-4)."""

    def last_call(self, number: str, caller_id: str | None = None) -> LastCall | None:
        """The newest call to `number` that went out from `caller_id` (a pool number); failing that (or with no
        `caller_id`) the newest call from the deployment's own numbers (no pool); with no `caller_id` at all, the
        newest call."""
        ...


class CallerIdRepository(Protocol):
    """The platform numbers assigned to accounts as caller IDs (R-DSP-5); one account per number."""

    def assign(self, caller_id: CallerId) -> bool:
        """Give the number to `caller_id.account_id`: True if it was free or is already that account's, False if
        another account holds it."""
        ...

    def get(self, number: str) -> CallerId | None: ...

    def for_account(self, account_id: str) -> list[CallerId]:
        """Every number of the account, sorted."""
        ...

    def page(self, account_id: str | None, limit: int, cursor: str | None) -> tuple[list[CallerId], str | None]:
        """The account's numbers (every account's, for `None`), sorted by number, a page at a time."""
        ...

    def release(self, number: str, account_id: str) -> bool:
        """Return the number to the platform if `account_id` still holds it."""
        ...


class FollowUpClaims(Protocol):
    """At most one follow-up SMS per rule per recipient of a campaign (R-OUT-3)."""

    def claim(self, campaign_id: str, number: str, rule: int, attempt_id: str) -> bool:
        """Take the (campaign, number, rule) follow-up for `attempt_id`: True if it was free or is already
        this attempt's (a redelivery), False if another attempt holds it."""
        ...


class CampaignRepository(Protocol):
    def get(self, campaign_id: str) -> Campaign | None:
        """Consistently read."""
        ...

    def pricing(self, campaign_id: str) -> CampaignPricing | None: ...

    def list_for_account(
        self, account_id: str, limit: int, cursor: str | None, filters: CampaignFilter = DEFAULT_FILTER
    ) -> tuple[list[Campaign], str | None]:
        """Newest first, those `filters` match (archived ones only when asked for)."""
        ...

    def create(self, campaign: Campaign, reservation: Posting | None) -> None:
        """The campaign and its credit reservation, all or nothing (`InsufficientCredit` if the account
        cannot cover it)."""
        ...

    def record_status_change(
        self, campaign: Campaign, change: StatusChange, *, new_run: bool = False, comment: Comment | None = None
    ) -> None:
        """Move to `change.status` and append it to the history if the status is still `campaign.status`
        (else `CampaignChanged`); with `new_run`, a new workflow run takes over; `comment` joins the
        comments in the same write."""
        ...

    def awaiting_review(self, limit: int, cursor: str | None) -> tuple[list[Campaign], str | None]:
        """Every account's campaigns in `moderation`, oldest first (R-CPL-4)."""
        ...

    def add_comment(self, campaign_id: str, comment: Comment) -> None:
        """Append to the campaign's comments (no status condition)."""
        ...

    def edit(self, campaign: Campaign, edit: CampaignEdit, posting: Posting | None) -> None:
        """Apply `edit`, with `posting` (the reservation's adjustment) in the same transaction, only if the
        status, the admission pointer and the reservation are still `campaign`'s: else `CampaignChanged`
        (or `InsufficientCredit` from the posting), nothing written."""
        ...

    def set_execution(self, campaign_id: str, execution_arn: str) -> None: ...

    def set_schedule(self, campaign_id: str, schedule_name: str) -> None: ...

    def record_admission(
        self, campaign: Campaign, *, walked: int, admitted: int, finals: Mapping[str, int], pacing: PacingState
    ) -> bool:
        """One admission batch in one write: pointer, in-flight, counters, pacing, and the batch's range
        marked as being sent. False (nothing written) if the pointer moved since `campaign` was read."""
        ...

    def clear_dispatching(self, campaign_id: str) -> None:
        """The admission batch's attempts are all on the dispatch queue."""
        ...

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
        """One results batch's counters, running charge, follow-up counts, vote histogram (`VOTE_KEYS`, the
        current part's) and quality counters (and `at` as the last result's time), once: False if this batch
        was applied before. With `more_batch_ids`, the figures are those batches' too, all recorded in the
        one write: False (nothing written) if any of them was applied before."""
        ...

    def record_quality(self, campaign_id: str, check: QualityCheck) -> bool:
        """Keep the gate's verdict, only if none is kept yet (False: judged already)."""
        ...

    def stop_for_quality(
        self, campaign: Campaign, change: StatusChange, comment: Comment, check: QualityCheck, release: Posting | None
    ) -> None:
        """The gate's stop (R-CPL-5) in one transaction: the status change and the system comment, the verdict,
        and `release` (the reservation of what was not placed) added to `released`; only if the status is still
        `campaign.status` and no verdict is kept yet, else `CampaignChanged`, nothing written."""
        ...

    def record_callback(self, record: CallbackRecord) -> bool:
        """Book a callback once (keyed by its event id): the posting, the campaign's reserved, charged and billed
        grown by its cost and its `callbacks` count, the recipient's callbacks beside it, in one transaction.
        False if it was booked before; `InsufficientCredit` if the account cannot pay it."""
        ...

    def settle(
        self, campaign: Campaign, change: StatusChange | None, *, refunded: int, posting: Posting | None
    ) -> None:
        """Finish, mark reconciled, set `refunded` (the new total) and `billed` (= charged) and book `posting`
        (charge and refund) in one transaction, only if not reconciled yet, the status is still
        `campaign.status`, nothing is in flight (no follow-up SMS either) and the charge is still
        `campaign.money.charged`; else `SettlementRefused`, nothing written. Without `change` (a part's money
        before the next smart part starts) only the money moves: no status, not reconciled."""
        ...

    def start_part(
        self,
        campaign: Campaign,
        change: StatusChange | None,
        part: CampaignPart,
        posting: Posting | None,
        *,
        reset: bool,
    ) -> None:
        """A new part (reset, retry-failed, resume-unfinished: with `change`; a smart retry part: None, the same
        run carries on) in one transaction with its reservation:
        `change` joins the history and a new run takes over, the admission pointer, in-flight count, pacing and
        final counters start again over `part`'s audience, the previous part's counts are kept in its record,
        `reserved` and `estimated` grow by the posting's amount, `reset_count` by one with `reset`. Only if the
        status, part and pointer are still `campaign`'s and nothing is in flight: else `CampaignChanged` (or
        `InsufficientCredit`), nothing written."""
        ...

    def cancel_parts(self, campaign: Campaign, retry_parts: int, release: Posting | None) -> None:
        """`cancel_last_part` / `cancel_all_parts`: the smart parts planned become `retry_parts`; with `release`
        the current smart part also ends where admission stands (its `total` = the pointer) and what it reserved
        for the rest is released, in one transaction; only if status, part and pointer are still `campaign`'s,
        else `CampaignChanged`."""
        ...


class RecipientRepository(Protocol):
    """The frozen audience (written once at creation, read in ranges) and each recipient's stored state
    (written when admission decides about it, and with its result)."""

    def put_audience(self, account_id: str, campaign_id: str, entries: Sequence[AudienceEntry]) -> str:
        """Store the audience; its key."""
        ...

    def read_audience(self, audience_key: str, first: int, count: int) -> list[AudienceEntry]:
        """Entries `first .. first + count - 1` (fewer at the end)."""
        ...

    def save_all(self, states: Sequence[RecipientState]) -> None: ...

    def load_many(self, campaign_id: str, seqs: Iterable[int]) -> dict[int, RecipientState]: ...

    def recordings(self, campaign_id: str, limit: int, cursor: str | None) -> tuple[list[RecipientState], str | None]:
        """The campaign's recipients whose call was recorded (R-OUT-5), in seq order, a page at a time."""
        ...


class WorkflowRuns(Protocol):
    """Starting the campaign workflow now, or at a time. Every execution's input names its run."""

    def start(self, campaign_id: str, run: int) -> str:
        """The execution's id (ARN)."""
        ...

    def run_started(self, campaign_id: str, run: int) -> bool:
        """Whether `start` made the run's execution (running or ended)."""
        ...

    def schedule_start(self, campaign_id: str, run: int, at: datetime) -> str:
        """A one-time schedule that starts the run at `at`; its name."""
        ...

    def delete_schedule(self, name: str) -> None:
        """Gone already is fine."""
        ...


@dataclass(frozen=True, slots=True)
class CampaignPorts:
    campaigns: CampaignRepository
    recipients: RecipientRepository
    workflows: WorkflowRuns
    queue: MessageQueue
    ad_cap: AdCap
    suppression: SuppressionLists
    restricted: RestrictedPeriods | None = None  # None: no restricted periods (fakes that do not need them)
    # The campaign's account (allowed countries at admission); None: fakes that do not need it, no refusals.
    accounts: AccountRepository | None = None
    destinations: DestinationHistory | None = None  # None: no "never-seen range" part of the pumping guard
    follow_up_claims: FollowUpClaims | None = None  # None: resolved when a campaign has follow-up rules
    routes: RouteCapacity | None = None  # None: no route limits (fakes that do not need them)

    @classmethod
    def wired(cls) -> CampaignPorts:
        from jarchi.compliance.ports import AdCap, DestinationHistory, RestrictedPeriods, SuppressionLists

        return cls(
            campaigns=resolve(CampaignRepository),
            recipients=resolve(RecipientRepository),
            workflows=resolve(WorkflowRuns),
            queue=resolve(MessageQueue),
            ad_cap=resolve(AdCap),
            suppression=resolve(SuppressionLists),
            restricted=resolve(RestrictedPeriods),
            accounts=resolve(AccountRepository),
            destinations=resolve(DestinationHistory),
            follow_up_claims=resolve(FollowUpClaims),
            routes=resolve(RouteCapacity),
        )


class RouteCapacity(Protocol):
    """Call slots per route, shared by every campaign (R-DSP-3; rules in `jarchi.campaigns.routes`)."""

    def take(self, route: str, holder: str, wanted: int, limit: int, now: datetime) -> list[int]:
        """Up to `wanted` slots of `route` for campaign `holder`, each as the shard it is held on (fewer, or none,
        when the route is full)."""
        ...

    def give_back(self, route: str, shard: int, holder: str, count: int, now: datetime) -> None:
        """Calls that ended (or were never placed) free their slots."""
        ...

    def in_use(self, route: str, now: datetime) -> int:
        """Slots of `route` held now, over every shard."""
        ...
