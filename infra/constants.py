"""Names and limits of the cloud stack, in one place. Tables, queues and buckets themselves are defined
once in `jarchi.store.tables` and `jarchi.resources`; this module holds only what is cloud-specific."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

from aws_cdk.aws_logs import RetentionDays

from jarchi.metrics import NAMESPACE
from jarchi.store.tables import ALL_TABLES

REPO_ROOT: Final = Path(__file__).resolve().parent.parent

STACK_NAME: Final = "Jarchi"
# Prefix of every physical name; the Lambdas get it as JARCHI_RESOURCE_PREFIX so that
# `jarchi.settings.Settings.table_name()` / `queue_name()` compute the same names.
RESOURCE_PREFIX: Final = "jarchi"
STAGE: Final = "cloud"

# --- code assets -----------------------------------------------------------------------------------------
FUNCTIONS_DIR: Final = REPO_ROOT / "functions"
CORE_LAYER_DIR: Final = REPO_ROOT / "layers" / "core"
STATE_MACHINE_ASL: Final = REPO_ROOT / "infra" / "statemachines" / "campaign.asl.json"
# Filled by `make layer` (pip install --platform manylinux2014_aarch64 ... -t build/deps-layer/python);
# created empty at synth time when missing so that `cdk synth` works offline.
DEPS_LAYER_DIR: Final = REPO_ROOT / "build" / "deps-layer"
ASSET_EXCLUDES: Final = ("**/__pycache__", "**/*.pyc", "**/.mypy_cache", "**/.pytest_cache", "**/.ruff_cache")

# --- Powertools for AWS Lambda (Python) v3 public layer -------------------------------------------------
# It carries Powertools, pydantic and the X-Ray SDK. The layer version must match the pinned
# aws-lambda-powertools in pyproject.toml; check it with
#   aws ssm get-parameter --name /aws/service/powertools/python/arm64/python3.12/<version>
# It can be overridden at synth time with `-c powertools_layer_version=N`.
POWERTOOLS_LAYER_ACCOUNT: Final = "017000801446"
POWERTOOLS_LAYER_NAME: Final = "AWSLambdaPowertoolsPythonV3-python312-arm64"
POWERTOOLS_LAYER_VERSION: Final = 27
POWERTOOLS_METRICS_NAMESPACE: Final = NAMESPACE  # the metric names themselves: jarchi.metrics

# --- Lambda functions ------------------------------------------------------------------------------------
# The functions themselves (name, handler, trigger, memory, timeout) are `jarchi.resources.ALL_FUNCTIONS`,
# read by the local runtime too; here only what they may touch in the cloud (least-privilege IAM grants).


@dataclass(frozen=True)
class Access:
    # Logical table names (jarchi.store.tables) the function reads and writes.
    tables: tuple[str, ...]
    # Logical bucket names (jarchi.resources) the function reads and writes.
    buckets: tuple[str, ...] = ()


ALL_TABLE_NAMES: Final = tuple(spec.logical for spec in ALL_TABLES)

# One entry per function of `jarchi.resources.ALL_FUNCTIONS` (tests/infra/test_stack.py checks).
FUNCTION_ACCESS: Final[dict[str, Access]] = {
    # recordings: presigned links to the calls' recordings (R-OUT-5). Not ad_cap nor route_capacity: claims and
    # route slots are taken by the workflow and given back by the results function only.
    "api": Access(
        tables=tuple(t for t in ALL_TABLE_NAMES if t not in ("ad_cap", "route_capacity")),
        buckets=("media", "lists", "exports", "recordings"),
    ),
    # admits a campaign's recipients: its campaign, account, ledger, audience, compliance tables and route slots
    "workflow": Access(
        tables=(
            "accounts",
            "ledger",
            "campaigns",
            "recipients",
            "ad_cap",
            "suppression",
            "restricted_periods",
            "webhooks",
            "route_capacity",
        ),
        buckets=("lists",),
    ),
    # places the batches through the connector; only its own idempotency records are in DynamoDB
    "dispatch": Access(
        tables=("idempotency",),
        buckets=("recordings",),  # the simulator's stand-in recordings (R-OUT-5); the SMA reads the audio itself
    ),
    "results": Access(
        tables=(
            "ledger",
            "campaigns",
            "recipients",
            "ad_cap",
            "suppression",
            "idempotency",
            "webhooks",
            "route_capacity",  # the ended calls give their route slots back (R-DSP-3)
        )
    ),
    # report claims; sends to the results queue; books callbacks (R-OUT-4): campaign, recipient and ledger
    "connector_events": Access(tables=("idempotency", "campaigns", "recipients", "ledger", "webhooks")),
    # the call script keeps its state in the call; sends to connector-events; answers callbacks (R-OUT-4):
    # the recipients' by_called_number index, the campaign, the account's balance
    "telephony": Access(tables=("recipients", "campaigns", "ledger")),
    "domains": Access(tables=("domains",)),  # moves pending white-label domains on (ACM, API Gateway, Route53)
    # reads a campaign and its recipients (items and the audience), writes the file and the export's record
    "exports": Access(tables=("campaigns", "recipients", "exports", "ledger"), buckets=("lists", "exports")),
    # reads the webhook (url, secret), writes the delivery's state; the subscription lookups of the publishers
    # need "webhooks" on every function that writes statuses or recipient states
    "webhooks": Access(tables=("webhooks",)),
    # looks a token up by its hash and records its usage-plan key (jarchi.gateway)
    "authorizer": Access(tables=("accounts",)),
    # streams an uploaded telecom blacklist from the lists bucket into the suppression table (its record too)
    "imports": Access(tables=("suppression",), buckets=("lists",)),
}
DOMAINS_REFRESH_MINUTES: Final = 5

LOG_RETENTION: Final = RetentionDays.ONE_MONTH
DLQ_RETENTION_DAYS: Final = 14
# Telephony connector used in the cloud until a Chime SIP media application / End User Messaging
# origination identity is provisioned (JARCHI_CONNECTOR).
CLOUD_CONNECTOR: Final = "simulator"

# --- workflow and scheduler ------------------------------------------------------------------------------
STATE_MACHINE_NAME: Final = f"{RESOURCE_PREFIX}-campaign"
SCHEDULE_GROUP_NAME: Final = f"{RESOURCE_PREFIX}-campaigns"
WORKFLOW_SUBSTITUTION: Final = "WorkflowFunctionArn"

# --- API Gateway -----------------------------------------------------------------------------------------
# Stage name in the execute-api URL (https://{id}.execute-api.{region}.amazonaws.com/api/v1/...); the app
# itself serves every route under /v1, which is also what a reseller custom domain maps to.
API_STAGE: Final = "api"
API_THROTTLE_RATE: Final = 200
API_THROTTLE_BURST: Final = 400
USAGE_KEYS_SWEEP_HOURS: Final = 1  # the usage keys of revoked tokens are removed within this

# The cloud API surface: every public route of functions/api, one API Gateway method each (Lambda proxy
# integration to the one api Lambda), with the app's own path parameter names. The local-only clock route
# (R-RUN-3) is deliberately absent. tests/infra/test_api_routes.py checks this against the routes the
# resolver serves: a route is added here in the change that makes the app serve it.
API_ROUTES: Final[tuple[tuple[str, str], ...]] = (
    ("POST", "/v1/accounts"),
    ("GET", "/v1/accounts"),
    ("GET", "/v1/accounts/{account_id}"),
    ("PATCH", "/v1/accounts/{account_id}"),
    ("PUT", "/v1/accounts/{account_id}/tariff"),
    ("GET", "/v1/accounts/{account_id}/tariff"),
    ("GET", "/v1/accounts/me"),
    ("POST", "/v1/accounts/{account_id}/tokens"),
    ("GET", "/v1/accounts/{account_id}/tokens"),
    ("DELETE", "/v1/accounts/{account_id}/tokens/{token_id}"),
    ("POST", "/v1/accounts/{account_id}/credit"),
    ("GET", "/v1/credit"),
    ("GET", "/v1/credit/transactions"),
    ("GET", "/v1/credit/transactions/export"),
    ("GET", "/v1/openapi.json"),
    ("GET", "/v1/docs"),
    ("POST", "/v1/audio"),
    ("GET", "/v1/audio"),
    ("GET", "/v1/audio/{audio_id}"),
    ("DELETE", "/v1/audio/{audio_id}"),
    ("POST", "/v1/audio/{audio_id}/moderation"),
    ("POST", "/v1/contact-lists"),
    ("GET", "/v1/contact-lists/{list_id}"),
    ("GET", "/v1/contact-lists"),
    ("GET", "/v1/contact-lists/{list_id}/recipients"),
    ("POST", "/v1/contact-lists/uploads"),
    ("POST", "/v1/contact-lists/uploads/{upload_id}/complete"),
    ("PATCH", "/v1/contact-lists/{list_id}"),
    ("DELETE", "/v1/contact-lists/{list_id}"),
    ("POST", "/v1/contact-lists/{list_id}/numbers"),
    ("DELETE", "/v1/contact-lists/{list_id}/numbers"),
    ("POST", "/v1/contact-lists/{list_id}/clean"),
    ("POST", "/v1/blacklist/imports"),
    ("POST", "/v1/blacklist/imports/{import_id}/start"),
    ("GET", "/v1/blacklist/imports/{import_id}"),
    ("POST", "/v1/senders"),
    ("GET", "/v1/senders"),
    ("GET", "/v1/senders/{sender_id}"),
    ("POST", "/v1/senders/{sender_id}/moderation"),
    ("POST", "/v1/estimates"),
    ("POST", "/v1/campaigns"),
    ("GET", "/v1/campaigns"),
    ("GET", "/v1/campaigns/{campaign_id}"),
    ("PATCH", "/v1/campaigns/{campaign_id}"),
    ("POST", "/v1/campaigns/{campaign_id}/{action}"),
    ("POST", "/v1/campaigns/{campaign_id}/moderation"),
    ("GET", "/v1/moderation/campaigns"),
    ("POST", "/v1/otp"),
    ("POST", "/v1/otp/{otp_id}/verify"),
    ("POST", "/v1/restricted-periods"),
    ("GET", "/v1/restricted-periods"),
    ("DELETE", "/v1/restricted-periods/{period_id}"),
    ("POST", "/v1/caller-ids"),
    ("GET", "/v1/caller-ids"),
    ("POST", "/v1/caller-ids/{caller_id}/release"),
    ("GET", "/v1/campaigns/{campaign_id}/recipients"),
    ("GET", "/v1/campaigns/{campaign_id}/recipients/{number}"),
    ("GET", "/v1/campaigns/{campaign_id}/recordings"),
    ("POST", "/v1/quick-send"),
    ("GET", "/v1/stop-list"),
    ("POST", "/v1/stop-list"),
    ("DELETE", "/v1/stop-list"),
    ("POST", "/v1/blacklist"),
    ("GET", "/v1/opt-outs/{number}"),
    ("DELETE", "/v1/opt-outs/{number}"),
    ("POST", "/v1/domains"),
    ("GET", "/v1/domains"),
    ("GET", "/v1/domains/{domain_id}"),
    ("DELETE", "/v1/domains/{domain_id}"),
    ("GET", "/v1/brand"),
    ("GET", "/v1/campaigns/{campaign_id}/export"),
    ("GET", "/v1/exports/{export_id}"),
    ("POST", "/v1/webhooks"),
    ("GET", "/v1/webhooks"),
    ("DELETE", "/v1/webhooks/{webhook_id}"),
    ("GET", "/v1/webhooks/{webhook_id}/deliveries"),
    ("POST", "/v1/connectors/https/events"),  # signed provider callbacks (no bearer token)
)

# --- observability ---------------------------------------------------------------------------------------
DASHBOARD_NAME: Final = f"{RESOURCE_PREFIX}-operations"
QUEUE_AGE_ALARM_SECONDS: Final = 300
LAMBDA_ERROR_RATE_ALARM_PERCENT: Final = 5  # errors / invocations over 5 minutes
# SIP media application call failures and End User Messaging delivery failures, as a share of the provider's
# final reports over 15 minutes, once it reported at least this many (a handful of bad numbers is no outage).
PROVIDER_FAILURE_ALARM_PERCENT: Final = 20
PROVIDER_FAILURE_ALARM_MIN_REPORTS: Final = 20
ALARM_TOPIC_NAME: Final = f"{RESOURCE_PREFIX}-alarms"
