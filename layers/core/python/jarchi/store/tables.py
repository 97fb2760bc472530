"""The DynamoDB tables, defined once. The pynamodb models, the local runtime and the CDK stack all read
these definitions (tests/infra asserts the synthesized stack agrees)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

KeyType = Literal["S", "N"]


@dataclass(frozen=True)
class Key:
    name: str
    type: KeyType = "S"


@dataclass(frozen=True)
class Index:
    name: str
    partition: Key
    sort: Key | None = None


@dataclass(frozen=True)
class TableSpec:
    logical: str
    partition: Key
    sort: Key | None = None
    indexes: tuple[Index, ...] = field(default_factory=tuple)
    ttl_attribute: str | None = None

    def key_attributes(self) -> dict[str, KeyType]:
        keys = [self.partition, self.sort]
        for index in self.indexes:
            keys += [index.partition, index.sort]
        return {k.name: k.type for k in keys if k is not None}


ACCOUNTS = TableSpec(
    "accounts",
    Key("pk"),
    Key("sk"),
    indexes=(
        Index("by_token_hash", Key("token_hash")),
        Index("by_parent", Key("parent_id"), Key("created_at")),
    ),
)
LEDGER = TableSpec(
    "ledger", Key("account_id"), Key("sk"), indexes=(Index("by_campaign", Key("campaign_id"), Key("sk")),)
)
CAMPAIGNS = TableSpec(
    "campaigns",
    Key("id"),
    indexes=(
        # The campaign list (R-REP-1): an account's campaigns not archived, or archived (`list_key` =
        # `<account>#live|archived`), or of one status (`status_key` = `<account>#<status>`), newest first by
        # `created_key` = `<created_at>#<id>` (unique, so a cursor is one exact position).
        Index("by_list", Key("list_key"), Key("created_key")),
        Index("by_status", Key("status_key"), Key("created_key")),
        # Sparse: only campaigns waiting for a reviewer carry `review_queue` (R-CPL-4), oldest first.
        Index("awaiting_review", Key("review_queue"), Key("created_at")),
    ),
)
# Sparse `by_called_number`: only recipient items of a call that reached the network carry `called_at`, so a
# callback finds the campaign that last called a number with one query (R-OUT-4).
RECIPIENTS = TableSpec(
    "recipients",
    Key("campaign_id"),
    Key("seq", "N"),
    indexes=(
        Index("by_called_number", Key("number"), Key("called_at")),
        # Sparse: only a recorded call's item carries `recorded_in` (its campaign): the campaign's recordings in
        # seq order, one query a page (R-OUT-5).
        Index("by_recording", Key("recorded_in"), Key("seq", "N")),
    ),
)
AD_CAP = TableSpec("ad_cap", Key("number"), ttl_attribute="expires_at")
SUPPRESSION = TableSpec("suppression", Key("list_id"), Key("number"))
AUDIO = TableSpec("audio", Key("id"), indexes=(Index("by_account", Key("account_id"), Key("created_at")),))
CONTACT_LISTS = TableSpec(
    "contact_lists", Key("id"), indexes=(Index("by_account", Key("account_id"), Key("created_at")),)
)
SENDERS = TableSpec("senders", Key("id"), indexes=(Index("by_account", Key("account_id"), Key("created_at")),))
DOMAINS = TableSpec("domains", Key("domain"), indexes=(Index("by_account", Key("account_id"), Key("created_at")),))
# Admin-defined restricted periods (R-CPL-1): one partition, sorted by end, so admission reads only those
# not over yet with one query.
RESTRICTED_PERIODS = TableSpec("restricted_periods", Key("pk"), Key("sk"))
# One-time codes (R-CMP-7): `OTP#<id>` / `CODE` (the code's hash, expiry, tries) and `SENDS#<key>` / `SENDS`
# (the send times of a number or an account in the rate limit's window); expired items leave by TTL.
OTP = TableSpec("otp", Key("pk"), Key("sk"), ttl_attribute="ttl")
# Background exports (R-REP-3): read by id only (the caller's visibility is its campaign's).
EXPORTS = TableSpec("exports", Key("id"))
# Webhooks (SPEC §14): partition = account, `sk` = `HOOK#<id>` for a webhook, `DLV#<webhook id>#<event id>` for
# the latest state of one event's delivery to it.
WEBHOOKS = TableSpec("webhooks", Key("account_id"), Key("sk"))
# Caller IDs (R-DSP-5): one item per platform number assigned to an account (the key makes a number one
# account's at a time); an account's numbers by `by_account`.
CALLER_IDS = TableSpec("caller_ids", Key("number"), indexes=(Index("by_account", Key("account_id"), Key("number")),))
# Route capacity (R-DSP-3): one item per shard of a route (`slot` = `<route>#<shard>`), with the calls each
# campaign holds on it; written with a version condition (`jarchi.campaigns.routes`).
ROUTE_CAPACITY = TableSpec("route_capacity", Key("slot"))
# The Powertools idempotency utility's own table layout.
IDEMPOTENCY = TableSpec("idempotency", Key("id"), ttl_attribute="expiration")

ALL_TABLES: tuple[TableSpec, ...] = (
    ACCOUNTS,
    LEDGER,
    CAMPAIGNS,
    RECIPIENTS,
    AD_CAP,
    SUPPRESSION,
    AUDIO,
    CONTACT_LISTS,
    SENDERS,
    DOMAINS,
    RESTRICTED_PERIODS,
    OTP,
    EXPORTS,
    WEBHOOKS,
    CALLER_IDS,
    ROUTE_CAPACITY,
    IDEMPOTENCY,
)
