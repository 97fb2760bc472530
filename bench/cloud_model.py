"""The cloud on paper (issue 17): the requests the local benchmark counts per attempt, turned into the
sustainable rate under default AWS quotas, the AWS cost per 1,000 attempts at list prices, and the resource
that limits a 10k, 100k and 1M-recipient campaign and 100 campaigns at once.

    .venv/bin/python -m bench.cloud_model                       # the counts recorded in COUNTED below
    .venv/bin/python -m bench.cloud_model --counts counts.json  # the counts `bench.campaign --counts-out` wrote

Every quota, price and latency is a named constant with its source, so a reader can check or change it.
Prices are us-east-1 list prices (eu-central-1 is ~20 % higher for DynamoDB); telephony is priced apart,
and its rates are assumptions (they depend on the account, the country and the sender). Nothing here calls
AWS. Exits 0 (a model has no target; `tests/bench/test_cloud_model.py` checks its arithmetic).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

# --- what the local benchmark counted, per attempt (bench.campaign, 60,000 recipients, 2026-12-01) -------
# (operation -> requests per attempt; item writes per attempt by table; keys read per attempt)
COUNTED: dict[str, dict[str, float]] = {
    "advertising_sms": {
        "dynamodb.PutItem": 1.005,  # the ad-cap claim (plus the dispatch idempotency record, 1 per 200)
        "dynamodb.BatchWriteItem": 0.04,  # results: 25 recipient items a request
        "dynamodb.BatchGetItem": 0.03,  # suppression: 3 keys a number, 100 keys a request
        "dynamodb.DeleteItem": 0.02,  # ad-cap releases for attempts that never reached the network
        "dynamodb.UpdateItem": 0.011,  # campaign counters, the idempotency record's completion
        "dynamodb.GetItem": 0.008,
        "sqs.SendMessageBatch": 0.0055,
        "sqs.ReceiveMessage": 0.01,
        "sqs.DeleteMessageBatch": 0.001,
        "writes.ad_cap": 1.02,
        "writes.recipients": 1.0,
        "writes.idempotency": 0.01,
        "writes.campaigns": 0.006,
        "reads.suppression_keys": 3.0,
    },
    "service_sms": {
        "dynamodb.BatchWriteItem": 0.04,
        "dynamodb.BatchGetItem": 0.01,  # suppression: the stop list only, 1 key a number (issue 17, third pass)
        "dynamodb.UpdateItem": 0.011,
        "dynamodb.GetItem": 0.008,
        "dynamodb.PutItem": 0.005,
        "sqs.SendMessageBatch": 0.0055,
        "sqs.ReceiveMessage": 0.01,
        "sqs.DeleteMessageBatch": 0.001,
        "writes.recipients": 1.0,
        "writes.idempotency": 0.01,
        "writes.campaigns": 0.006,
        "reads.suppression_keys": 1.0,
    },
}
COUNTED["service_voice"] = dict(COUNTED["service_sms"])

# --- how the platform packs work (jarchi.campaigns.workflow, jarchi.resources) --------------------------
ATTEMPTS_PER_MESSAGE = 200
MESSAGES_PER_LAMBDA_BATCH = 10  # the dispatch and results event sources' batch size
ATTEMPTS_PER_ADMIT_TASK = 2_000  # MAX_ADMIT_PER_TASK
TRANSITIONS_PER_ADMIT_TASK = 2  # the Admit task and the Route choice
CAMPAIGN_ITEM_KB = 4.0  # the campaign item (counters, pacing, applied batch ids): WRUs per write
MESSAGE_KB = 80.0  # one dispatch message of 200 attempts; SQS bills each 64 KB chunk as one request
LAMBDA_MEMORY_GB = 0.5

# --- default quotas (AWS documentation, checked 2026-12) ------------------------------------------------
DYNAMODB_TABLE_WRU_PER_S = 40_000  # on-demand table throughput quota (default, per table)
DYNAMODB_TABLE_RRU_PER_S = 40_000
DYNAMODB_PARTITION_WRU_PER_S = 1_000  # per partition (before adaptive capacity splits it)
DYNAMODB_PARTITION_RRU_PER_S = 3_000
DYNAMODB_NEW_TABLE_WRU_PER_S = 4_000  # what a new on-demand table serves at once (it doubles with traffic)
LAMBDA_CONCURRENCY = 1_000  # per account and region
SFN_TRANSITIONS_PER_S = 800  # Standard workflows, StateTransition refill outside the three largest regions
SQS_REQUESTS_PER_S = math.inf  # standard queues: no published API rate limit

# --- latencies the cloud adds (assumptions; the local run has none) -------------------------------------
DYNAMODB_WRITE_SECONDS = 0.005  # one conditional PutItem, in-region
PROVIDER_CALL_SECONDS = {"advertising_sms": 0.05, "service_sms": 0.05, "service_voice": 0.15}

# --- telephony provider rates (assumptions: they depend on the account, country and originator) ---------
PROVIDER_RATE_PER_S = {"advertising_sms": 100.0, "service_sms": 100.0, "service_voice": 30.0}
PROVIDER_PRICE_PER_ATTEMPT_USD = {"advertising_sms": 0.03, "service_sms": 0.03, "service_voice": 0.02}

# --- list prices, us-east-1, USD -------------------------------------------------------------------------
PRICE_DYNAMODB_WRU = 0.625 / 1e6
PRICE_DYNAMODB_RRU = 0.125 / 1e6
PRICE_SQS_REQUEST = 0.40 / 1e6
PRICE_LAMBDA_REQUEST = 0.20 / 1e6
PRICE_LAMBDA_GB_SECOND = 0.0000133334  # arm64
PRICE_SFN_TRANSITION = 0.025 / 1e3

SIZES = (10_000, 100_000, 1_000_000)
CONCURRENT_CAMPAIGNS = 100


@dataclass(frozen=True)
class PerAttempt:
    """What one attempt costs the cloud, derived from the counted requests."""

    wru_by_table: dict[str, float]
    rru_by_table: dict[str, float]
    sqs_requests: float
    lambda_invocations: float
    lambda_gb_seconds: float
    transitions: float

    @property
    def wru(self) -> float:
        return sum(self.wru_by_table.values())

    @property
    def rru(self) -> float:
        return sum(self.rru_by_table.values())


def per_attempt(scenario: str, counted: Mapping[str, float]) -> PerAttempt:
    wru = {
        "ad_cap": counted.get("writes.ad_cap", 0.0),
        "recipients": counted.get("writes.recipients", 0.0),
        "idempotency": counted.get("writes.idempotency", 0.0),
        "campaigns": counted.get("writes.campaigns", 0.0) * CAMPAIGN_ITEM_KB,
    }
    # BatchGetItem is eventually consistent: 0.5 RRU a key, found or not; a GetItem of the campaign is
    # strongly consistent: 1 RRU per 4 KB.
    rru = {
        "suppression": counted.get("reads.suppression_keys", 0.0) * 0.5,
        "campaigns": counted.get("dynamodb.GetItem", 0.0) * math.ceil(CAMPAIGN_ITEM_KB / 4),
    }
    chunks = math.ceil(MESSAGE_KB / 64)
    sqs = sum(v for k, v in counted.items() if k.startswith("sqs.")) * chunks
    per_batch = ATTEMPTS_PER_MESSAGE * MESSAGES_PER_LAMBDA_BATCH
    invocations = 2 / per_batch + 1 / ATTEMPTS_PER_ADMIT_TASK  # dispatch, results, one admit task
    seconds = PROVIDER_CALL_SECONDS[scenario] + (DYNAMODB_WRITE_SECONDS if "writes.ad_cap" in counted else 0.0)
    return PerAttempt(
        wru_by_table=wru,
        rru_by_table=rru,
        sqs_requests=sqs,
        lambda_invocations=invocations,
        lambda_gb_seconds=seconds * LAMBDA_MEMORY_GB,
        transitions=TRANSITIONS_PER_ADMIT_TASK / ATTEMPTS_PER_ADMIT_TASK,
    )


def cost_per_thousand(scenario: str, attempt: PerAttempt) -> dict[str, float]:
    """USD per 1,000 attempts, by service; telephony apart."""
    aws = {
        "dynamodb": 1000 * (attempt.wru * PRICE_DYNAMODB_WRU + attempt.rru * PRICE_DYNAMODB_RRU),
        "sqs": 1000 * attempt.sqs_requests * PRICE_SQS_REQUEST,
        "lambda": 1000
        * (attempt.lambda_invocations * PRICE_LAMBDA_REQUEST + attempt.lambda_gb_seconds * PRICE_LAMBDA_GB_SECOND),
        "step_functions": 1000 * attempt.transitions * PRICE_SFN_TRANSITION,
    }
    aws["aws_total"] = sum(aws.values())
    aws["telephony"] = 1000 * PROVIDER_PRICE_PER_ATTEMPT_USD[scenario]
    return aws


def ceilings(scenario: str, attempt: PerAttempt, campaigns: int) -> dict[str, float]:
    """Attempts per second (all campaigns together) each resource allows, with `campaigns` running at once."""
    limits: dict[str, float] = {}
    for table, wru in attempt.wru_by_table.items():
        if wru > 0:
            limits[f"DynamoDB {table} table writes ({DYNAMODB_TABLE_WRU_PER_S:,} WRU/s)"] = (
                DYNAMODB_TABLE_WRU_PER_S / wru
            )
    limits["DynamoDB new on-demand tables (4,000 WRU/s until they have served more)"] = (
        DYNAMODB_NEW_TABLE_WRU_PER_S / max(attempt.wru_by_table.values())
    )
    # A campaign's recipients share one partition key (campaign_id): its writes hit one partition.
    recipients = attempt.wru_by_table.get("recipients", 0.0)
    if recipients > 0:
        limits["DynamoDB recipients partition (1,000 WRU/s per campaign)"] = (
            campaigns * DYNAMODB_PARTITION_WRU_PER_S / recipients
        )
    # The campaign item takes the counters: one partition per campaign.
    campaign_wru = attempt.wru_by_table.get("campaigns", 0.0)
    if campaign_wru > 0:
        limits["DynamoDB campaign item (1,000 WRU/s per campaign)"] = (
            campaigns * DYNAMODB_PARTITION_WRU_PER_S / campaign_wru
        )
    # The telecom blacklist is one list id for every account: one partition, read for every number.
    suppression = attempt.rru_by_table.get("suppression", 0.0)
    if suppression > 0:
        limits["DynamoDB suppression table reads (40,000 RRU/s)"] = DYNAMODB_TABLE_RRU_PER_S / suppression
        limits["DynamoDB telecom-blacklist partition (3,000 RRU/s)"] = DYNAMODB_PARTITION_RRU_PER_S / (suppression / 3)
    # Admission claims the cap one number after another inside one task per campaign.
    if attempt.wru_by_table.get("ad_cap", 0.0) > 0:
        limits["admission: sequential cap claims (5 ms each, one task per campaign)"] = (
            campaigns / DYNAMODB_WRITE_SECONDS
        )
    limits["Lambda concurrency (1,000; dispatch waits on the provider)"] = (
        LAMBDA_CONCURRENCY / (PROVIDER_CALL_SECONDS[scenario])
    )
    limits["Step Functions state transitions (800/s)"] = SFN_TRANSITIONS_PER_S / attempt.transitions
    return limits


@dataclass(frozen=True)
class Verdict:
    label: str
    rate: float  # attempts per second the AWS side sustains, all campaigns together
    limit: str  # the AWS resource that sets it
    hours: float  # to send every audience at that rate
    provider_hours: float  # at the telephony provider's (assumed) rate, when it is lower


def verdict(scenario: str, attempt: PerAttempt, recipients: int, campaigns: int) -> Verdict:
    limit, rate = min(ceilings(scenario, attempt, campaigns).items(), key=lambda kv: kv[1])
    label = f"{campaigns} × {recipients:,}" if campaigns > 1 else f"{recipients:,}"
    total = recipients * campaigns
    provider = min(rate, PROVIDER_RATE_PER_S[scenario])
    return Verdict(label, rate, limit, total / rate / 3600, total / provider / 3600)


def load_counts(path: Path | None) -> dict[str, dict[str, float]]:
    if path is None:
        return COUNTED
    loaded: dict[str, dict[str, float]] = json.loads(path.read_text())
    return loaded


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The cloud on paper, from the counted requests per attempt.")
    parser.add_argument("--counts", type=Path, help="JSON written by `bench.campaign --counts-out`")
    args = parser.parse_args(argv if argv is not None else [])
    counts = load_counts(args.counts)
    print(
        "| campaign | recipients | AWS ceiling (attempts/s) | limiting AWS resource | hours | hours at the provider |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    for scenario, counted in counts.items():
        attempt = per_attempt(scenario, counted)
        rows = [verdict(scenario, attempt, n, 1) for n in SIZES]
        rows.append(verdict(scenario, attempt, 10_000, CONCURRENT_CAMPAIGNS))
        for row in rows:
            print(
                f"| {scenario} | {row.label} | {row.rate:,.0f} | {row.limit} | {row.hours:.2f} "
                f"| {row.provider_hours:.2f} ({PROVIDER_RATE_PER_S[scenario]:.0f}/s) |"
            )
    print()
    print("| campaign | DynamoDB | SQS | Lambda | Step Functions | AWS total | telephony (apart) |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for scenario, counted in counts.items():
        cost = cost_per_thousand(scenario, per_attempt(scenario, counted))
        print(
            f"| {scenario} | ${cost['dynamodb']:.4f} | ${cost['sqs']:.5f} | ${cost['lambda']:.4f} "
            f"| ${cost['step_functions']:.5f} | **${cost['aws_total']:.4f}** | ${cost['telephony']:.2f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
