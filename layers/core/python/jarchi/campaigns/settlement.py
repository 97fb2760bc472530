"""Money and counters when results arrive, and the final reconciliation (R-BIL-3, R-DSP-1).

Results arrive in batches (one SQS message). A batch is applied exactly once: its recipients' final states
are written first (BatchWriteItem, no reads: each result carries its number and units; rewriting the same
values is harmless), then one conditional UpdateItem on the campaign item adds the batch id to the applied
set and moves the counters and the running charge. A duplicate delivery fails that condition and changes
nothing. The ledger sees the campaign's money once, at reconciliation: the charge and the refund of the
rest of the reservation in one transaction, so `reserved = charged + released + refunded`."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from jarchi import clock
from jarchi.billing import credit
from jarchi.campaigns.statuses import CampaignStatus, Trigger, apply
from jarchi.clock import iso
from jarchi.compliance.adcap import SuppressionList
from jarchi.compliance.categories import Channel
from jarchi.connectors.base import AttemptResult
from jarchi.dispatch.outcomes import attempt_charge, is_final, opts_out_of_ads, releases_ad_cap, stat_key
from jarchi.errors import NotFound
from jarchi.store import campaigns as campaign_store
from jarchi.store import ledger as ledger_store
from jarchi.store import recipients as recipient_store
from jarchi.store import suppression
from jarchi.store.adcap import release_ad_cap
from jarchi.store.campaigns import CampaignItem, RecipientItem
from jarchi.store.transactions import LabelledTransaction, TransactionFailed


@dataclass(frozen=True)
class BatchOutcome:
    applied: int
    charged: int
    duplicate: bool


def _seq_and_attempt(attempt_id: str) -> tuple[int, int]:
    _campaign, seq, attempt = attempt_id.rsplit(".", 2)
    return int(seq), int(attempt)


_PRICING = ["id", "channel", "category", "tariff"]


def apply_results(batch_id: str, campaign_id: str, results: list[AttemptResult]) -> BatchOutcome:
    item = campaign_store.get_campaign_item(campaign_id, _PRICING)
    if item is None:
        raise NotFound.of("campaign", campaign_id)
    now = clock.now()
    finals: Counter[str] = Counter()
    charged = 0
    writes: list[RecipientItem] = []
    for result in results:
        if not is_final(result.outcome):
            continue
        seq, attempt = _seq_and_attempt(result.attempt_id)
        cost = attempt_charge(Channel(item.channel), result.outcome, units=result.units, tariff=int(item.tariff))
        writes.append(
            RecipientItem(
                campaign_id,
                seq,
                number=result.number,
                units=result.units,
                status=result.outcome.value,
                attempts=attempt,
                attempt_id=result.attempt_id,
                vote=result.vote,
                listened_seconds=result.listened_seconds,
                cost=cost,
                updated_at=iso(now),
            )
        )
        finals[stat_key(result.outcome)] += 1
        charged += cost
        if releases_ad_cap(result.outcome):
            release_ad_cap(result.number, result.attempt_id)
        if opts_out_of_ads(item.category, result.vote):
            suppression.add(SuppressionList.AD_OPT_OUT, result.number, added_at=iso(now), source=campaign_id)
    recipient_store.save_all(writes)
    applied = sum(finals.values())
    first_time = campaign_store.record_results(campaign_id, batch_id, applied=applied, charged=charged, finals=finals)
    if not first_time:
        return BatchOutcome(applied=0, charged=0, duplicate=True)
    return BatchOutcome(applied=applied, charged=charged, duplicate=False)


def settle_campaign(campaign_id: str, *, actor: str, event: Trigger, reason: str | None = None) -> CampaignItem:
    """Finish a campaign and give back what it reserved and did not spend, in one transaction, once.

    Refuses while attempts are in flight (`campaign_in_flight`)."""
    item = campaign_store.get_campaign_item(campaign_id)
    if item is None:
        raise NotFound.of("campaign", campaign_id)
    if item.reconciled:
        return item
    now: datetime = clock.now()
    change = apply(item.status, event, at=now, actor=actor, reason=reason, in_flight=int(item.in_flight))
    charged = int(item.charged)
    remaining = int(item.reserved) - charged - int(item.released)
    tx = LabelledTransaction()
    if charged > 0 or remaining > 0:
        ledger_store.stage_posting(tx, credit.settlement(item.account_id, campaign_id, charged, max(remaining, 0)))
    campaign_store.stage_settlement(tx, item, change.status.value, change.as_dict(), max(remaining, 0))
    try:
        tx.commit()
    except TransactionFailed as failure:
        current = campaign_store.get_campaign_item(campaign_id)
        if current is not None and current.reconciled:
            return current
        if current is not None and int(current.in_flight) > 0:
            apply(current.status, event, at=now, actor=actor, in_flight=int(current.in_flight))  # raises
        raise failure
    assert change.status is CampaignStatus.FINISHED
    settled = campaign_store.get_campaign_item(campaign_id)
    assert settled is not None
    return settled
