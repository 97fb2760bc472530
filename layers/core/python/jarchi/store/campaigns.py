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

from collections.abc import Callable, Mapping
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)
from pynamodb.exceptions import UpdateError
from pynamodb.expressions.update import Action
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from jarchi.store.base import decode_cursor, encode_cursor, table_meta
from jarchi.store.tables import CAMPAIGNS, RECIPIENTS
from jarchi.store.transactions import LabelledTransaction

# The stats keys of the API (SPEC §11). Final outcomes are counter attributes maintained with ADD per
# batch; pending and in progress follow from the admission pointer and the in-flight count (see `stats`).
STAT_KEYS = (
    "pending",
    "in_progress",
    "answered",
    "delivered",
    "no_answer",
    "busy",
    "failed",
    "frequency_capped",
    "opted_out",
    "blacklisted",
    "invalid",
)


def stat_attribute(key: str) -> str:
    return f"n_{key}"


def stats(item: CampaignItem) -> dict[str, int]:
    """Recipients by state: pending = not yet reached by admission, in progress = admitted, no result yet."""
    derived = {"pending": int(item.total) - int(item.next_seq), "in_progress": int(item.in_flight)}
    return {key: derived[key] if key in derived else int(getattr(item, stat_attribute(key))) for key in STAT_KEYS}


class _ByAccount(GlobalSecondaryIndex["CampaignItem"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "by_account"
        projection = AllProjection()

    account_id = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class CampaignItem(Model):
    Meta = table_meta(CAMPAIGNS)
    id = UnicodeAttribute(hash_key=True)
    account_id = UnicodeAttribute()
    created_at = UnicodeAttribute()
    name = UnicodeAttribute()
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
    unit = UnicodeAttribute()  # "pulse" | "segment"
    tariff = NumberAttribute()  # per unit, minor units
    total = NumberAttribute()
    estimated = NumberAttribute(default=0)
    reserved = NumberAttribute(default=0)
    charged = NumberAttribute(default=0)
    released = NumberAttribute(default=0)
    refunded = NumberAttribute(default=0)
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
    # Counters of final outcomes (see STAT_KEYS and `stats`).
    n_answered = NumberAttribute(default=0)
    n_delivered = NumberAttribute(default=0)
    n_no_answer = NumberAttribute(default=0)
    n_busy = NumberAttribute(default=0)
    n_failed = NumberAttribute(default=0)
    n_frequency_capped = NumberAttribute(default=0)
    n_opted_out = NumberAttribute(default=0)
    n_blacklisted = NumberAttribute(default=0)
    n_invalid = NumberAttribute(default=0)
    by_account = _ByAccount()


class RecipientItem(Model):
    """One recipient's state once admission has decided about it (the audience holds who and what)."""

    Meta = table_meta(RECIPIENTS)
    campaign_id = UnicodeAttribute(hash_key=True)
    seq = NumberAttribute(range_key=True)
    number = UnicodeAttribute()
    units = NumberAttribute()  # pulses or segments this recipient costs if successful
    status = UnicodeAttribute(default="pending")  # pending | in_progress | a final outcome
    attempts = NumberAttribute(default=0)
    attempt_id = UnicodeAttribute(null=True)
    vote = NumberAttribute(null=True)
    listened_seconds = NumberAttribute(null=True)
    cost = NumberAttribute(default=0)
    reason = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)


_READ_ATTRIBUTES = [name for name in CampaignItem.get_attributes() if name != "applied"]


def get_campaign_item(campaign_id: str, attributes: list[str] | None = None) -> CampaignItem | None:
    """The campaign, consistently read; only `attributes` if given (a smaller read for hot paths)."""
    try:
        return CampaignItem.get(campaign_id, consistent_read=True, attributes_to_get=attributes or _READ_ATTRIBUTES)
    except CampaignItem.DoesNotExist:
        return None


def list_for_account(account_id: str, limit: int, cursor: str | None) -> tuple[list[CampaignItem], str | None]:
    """Newest first."""
    start = decode_cursor(cursor)
    if start is not None and start.get("account_id", {}).get("S") != account_id:
        start = None
    result = CampaignItem.by_account.query(account_id, limit=limit, last_evaluated_key=start, scan_index_forward=False)
    return list(result), encode_cursor(result.last_evaluated_key)


def plain(value: Any) -> dict[str, Any]:
    """A map attribute's content as a plain dict (pynamodb hands raw maps back as MapAttribute)."""
    if value is None:
        return {}
    if isinstance(value, MapAttribute):
        return dict(value.as_dict())  # type: ignore[no-untyped-call]
    return dict(value)


def record_status_change(
    item: CampaignItem, status: str, history_entry: dict[str, Any], *, new_run: bool = False
) -> None:
    """Move the campaign to `status` and append the history line, if nobody moved it meanwhile; with
    `new_run`, a new workflow run takes over (`item.run` is the new one afterwards)."""
    actions: list[Action] = [
        CampaignItem.status.set(status),
        CampaignItem.history.set([*(item.history or []), history_entry]),
    ]
    if new_run:
        actions.append(CampaignItem.run.add(1))
    item.update(actions=actions, condition=CampaignItem.status == item.status)


def set_execution(item: CampaignItem, execution_arn: str) -> None:
    item.update(actions=[CampaignItem.execution_arn.set(execution_arn)])


def set_schedule(item: CampaignItem, schedule_name: str) -> None:
    item.update(actions=[CampaignItem.schedule_name.set(schedule_name)])


def _updated_if(update: Callable[[], object]) -> bool:
    """Run a conditional update: False if its condition refused it (nothing written)."""
    try:
        update()
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def _counter_actions(finals: Mapping[str, int]) -> list[Action]:
    return [getattr(CampaignItem, stat_attribute(key)).add(count) for key, count in finals.items()]


def record_admission(item: CampaignItem, *, walked: int, admitted: int, finals: Mapping[str, int], pacing: str) -> bool:
    """One admission batch: pointer, in-flight, counters and pacing in one write, and the batch's range
    marked as being sent. The pointer it read must still be there: False (nothing written) if another
    admitter moved it meanwhile."""
    first = int(item.next_seq)
    actions: list[Action] = [
        CampaignItem.next_seq.add(walked),
        CampaignItem.dispatching.set([first, first + walked]) if admitted else CampaignItem.dispatching.remove(),
        CampaignItem.in_flight.add(admitted),
        CampaignItem.pacing.set(pacing),
        *_counter_actions(finals),
    ]
    return _updated_if(lambda: item.update(actions=actions, condition=CampaignItem.next_seq == first))


def clear_dispatching(item: CampaignItem) -> None:
    """The admission batch's attempts are all on the dispatch queue."""
    item.update(actions=[CampaignItem.dispatching.remove()])


def record_results(campaign_id: str, batch_id: str, *, applied: int, charged: int, finals: Mapping[str, int]) -> bool:
    """One results batch's counters and running charge, once: False if this batch was applied before."""
    actions: list[Action] = [
        CampaignItem.applied.add({batch_id}),
        CampaignItem.in_flight.add(-applied),
        CampaignItem.charged.add(charged),
        *_counter_actions(finals),
    ]
    condition = CampaignItem.id.exists() & ~CampaignItem.applied.contains(batch_id)
    # No item comes back: it would carry the whole (growing) applied set on every batch.
    return _updated_if(
        lambda: CampaignItem._get_connection().update_item(
            campaign_id, actions=actions, condition=condition, return_values="NONE"
        )
    )


def stage_settlement(
    tx: LabelledTransaction, item: CampaignItem, status: str, history_entry: dict[str, Any], refunded: int
) -> None:
    """Finish and mark reconciled, only once and only with nothing in flight (label "campaign").
    The condition also pins `charged`: a results batch landing meanwhile makes the caller try again."""
    tx.update(
        "campaign",
        CampaignItem(item.id),
        [
            CampaignItem.status.set(status),
            CampaignItem.history.set([*(item.history or []), history_entry]),
            CampaignItem.refunded.set(refunded),
            CampaignItem.reconciled.set(True),
        ],
        (CampaignItem.reconciled == False)  # noqa: E712
        & (CampaignItem.in_flight == 0)
        & (CampaignItem.charged == int(item.charged)),
    )


def put_new(tx: LabelledTransaction, item: CampaignItem) -> None:
    tx.put("campaign", item, CampaignItem.id.does_not_exist())
