"""Money and counters when results arrive, and the final reconciliation (R-BIL-3, R-DSP-1).

Results arrive in batches (one SQS message). A batch is applied exactly once: its recipients' final
statuses are written first (idempotent: same values), then one transaction carries a once-marker for the
batch, the batch's charge in the ledger with the account's balance, and the campaign's counters. A
duplicate delivery finds the marker and changes nothing."""

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


def _seq(attempt_id: str) -> int:
    return int(attempt_id.rsplit(".", 2)[1])


def apply_results(batch_id: str, campaign_id: str, results: list[AttemptResult]) -> BatchOutcome:
    item = campaign_store.get_campaign_item(campaign_id)
    if item is None:
        raise NotFound.of("campaign", campaign_id)
    now = clock.now()
    recipients = recipient_store.load_many(campaign_id, (_seq(r.attempt_id) for r in results))
    finals: Counter[str] = Counter()
    charged = 0
    writes: list[RecipientItem] = []
    for result in results:
        recipient = recipients.get(_seq(result.attempt_id))
        if recipient is None or recipient.attempt_id != result.attempt_id or not is_final(result.outcome):
            continue
        cost = attempt_charge(
            Channel(item.channel), result.outcome, units=int(recipient.units), tariff=int(item.tariff)
        )
        recipient.status = result.outcome.value
        recipient.vote = result.vote
        recipient.listened_seconds = result.listened_seconds
        recipient.cost = cost
        recipient.updated_at = iso(now)
        writes.append(recipient)
        finals[stat_key(result.outcome)] += 1
        charged += cost
        if releases_ad_cap(result.outcome):
            release_ad_cap(recipient.number, result.attempt_id)
        if opts_out_of_ads(item.category, result.vote):
            suppression.add(SuppressionList.AD_OPT_OUT, recipient.number, added_at=iso(now), source=campaign_id)
    recipient_store.save_all(writes)
    applied = sum(finals.values())
    tx = LabelledTransaction()
    if charged > 0:
        ledger_store.stage_posting(tx, credit.charge(item.account_id, campaign_id, charged, batch_id))
    else:
        ledger_store.stage_once(tx, item.account_id, f"charge:{campaign_id}:{batch_id}", iso(now))
    campaign_store.stage_results(tx, campaign_id, applied=applied, charged=charged, finals=finals)
    try:
        tx.commit()
    except TransactionFailed as failure:
        if "once" in failure.failed:
            return BatchOutcome(applied=0, charged=0, duplicate=True)
        raise ledger_store.explain_failure(
            credit.charge(item.account_id, campaign_id, max(charged, 1), batch_id), failure
        ) from failure
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
    remaining = int(item.reserved) - int(item.charged) - int(item.released)
    tx = LabelledTransaction()
    if remaining > 0:
        ledger_store.stage_posting(tx, credit.refund(item.account_id, campaign_id, remaining))
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
