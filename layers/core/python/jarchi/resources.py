"""Queues, buckets and Lambda functions, defined once for the CDK stack and the local runtime."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True)
class QueueSpec:
    logical: str
    visibility_timeout_seconds: int
    max_receive_count: int  # deliveries before a message is redriven to the DLQ
    batch_size: int  # Lambda event source mapping batch size (and a local poller's receive, at most 10)
    batching_window_seconds: int = 1  # the cloud event source waits this long to fill a batch
    cloud_batch_size: int | None = None  # the cloud event source's batch size, when above SQS's 10 a receive

    @property
    def dlq_logical(self) -> str:
        return f"{self.logical}-dlq"

    @property
    def event_batch_size(self) -> int:
        """The most messages one invocation of the consuming function gets: the event source mapping's batch
        size, in the cloud (infra/constructs/functions.py) and locally (local/pollers.py)."""
        return self.cloud_batch_size or self.batch_size


@dataclass(frozen=True)
class BucketSpec:
    logical: str
    expire_days: int | None = None  # objects are deleted this long after they were written


DISPATCH_QUEUE = QueueSpec("dispatch", visibility_timeout_seconds=120, max_receive_count=5, batch_size=10)
RESULTS_QUEUE = QueueSpec("results", visibility_timeout_seconds=120, max_receive_count=5, batch_size=10)
# Provider reports (End User Messaging events via SNS, the SIP media application's call results, signed HTTPS
# callbacks), grouped into results messages by functions/connector_events (jarchi.connectors.callbacks).
# Big batches keep the campaigns' applied-batch sets small: at 800 SMS an hour a report arrives every 4.5 s, so a
# 5-minute window groups ~60 of them under one batch id. Visibility >= 6 x the 20 s timeout + the window (AWS).
CONNECTOR_EVENTS_QUEUE = QueueSpec(
    "connector-events",
    visibility_timeout_seconds=450,
    max_receive_count=5,
    batch_size=10,
    batching_window_seconds=300,
    cloud_batch_size=200,
)
# Background exports (R-REP-3): one message per export; a 60,000-row Excel file takes under a minute.
EXPORTS_QUEUE = QueueSpec("exports", visibility_timeout_seconds=1800, max_receive_count=3, batch_size=1)
# Webhook deliveries (SPEC §14): one message per (webhook, event); retries go back with a delay
# (jarchi.reports.webhooks),
# so SQS's own redelivery only covers a crashed handler.
WEBHOOKS_QUEUE = QueueSpec("webhooks", visibility_timeout_seconds=120, max_receive_count=5, batch_size=10)
# Telecom blacklist imports (R-CPL-3, jarchi.lists.imports): one message per import and invocation; an invocation
# stops at its deadline and sends the message again, so the visibility only covers one invocation (6 x 900 s).
IMPORTS_QUEUE = QueueSpec("imports", visibility_timeout_seconds=5400, max_receive_count=3, batch_size=1)
ALL_QUEUES: tuple[QueueSpec, ...] = (
    DISPATCH_QUEUE,
    RESULTS_QUEUE,
    CONNECTOR_EVENTS_QUEUE,
    EXPORTS_QUEUE,
    WEBHOOKS_QUEUE,
    IMPORTS_QUEUE,
)

MEDIA_BUCKET = BucketSpec("media")  # audio uploads and generated speech
LISTS_BUCKET = BucketSpec("lists")  # uploaded contact-list files and their parsed form
EXPORTS_BUCKET = BucketSpec("exports", expire_days=7)  # background exports, read through presigned URLs
# Call recordings of campaigns with `record: true` (R-OUT-5), under `recordings/<campaign>/`: kept 90 days.
RECORDING_DAYS = 90
RECORDINGS_BUCKET = BucketSpec("recordings", expire_days=RECORDING_DAYS)
ALL_BUCKETS: tuple[BucketSpec, ...] = (MEDIA_BUCKET, LISTS_BUCKET, EXPORTS_BUCKET, RECORDINGS_BUCKET)


# --- Lambda functions ------------------------------------------------------------------------------------
# One registry read by the CDK stack (infra/constructs/functions.py: one Lambda each, the SQS event source
# mappings, the state machine's task, the API integration) and by the local runtime (local/functions.py:
# the handler behind each name; local/runtime.py: one SQS poller per queue trigger). Which tables and
# buckets a function may touch is a cloud (IAM) fact: infra/constants.FUNCTION_ACCESS, keyed by these names.


class Trigger(StrEnum):
    """What invokes a function: API Gateway's proxy events, an SQS event source, the campaign state machine,
    the SIP media application."""

    API = "api"
    QUEUE = "queue"
    WORKFLOW = "workflow"
    TELEPHONY = "telephony"  # the Chime SIP media application invokes it with call events
    SCHEDULE = "schedule"  # an EventBridge rule every few minutes (locally: not run; reads do its work)
    AUTHORIZER = "authorizer"  # API Gateway's Lambda authorizer (cloud only: locally the API limits itself)


@dataclass(frozen=True)
class FunctionSpec:
    name: str  # logical name; deployed as f"{resource_prefix}-{name}"
    module: str  # the entry point's module, e.g. "functions.api.handler"
    trigger: Trigger
    memory_mb: int
    timeout_seconds: int
    queue: QueueSpec | None = None  # the queue a QUEUE function consumes (batch size: queue.batch_size)
    attribute: str = "handler"

    def __post_init__(self) -> None:
        if (self.queue is not None) != (self.trigger is Trigger.QUEUE):
            raise ValueError(f"{self.name}: a queue goes with the queue trigger, and only with it")

    @property
    def lambda_handler(self) -> str:
        """The Lambda `Handler` setting: a path relative to the asset root, then the attribute."""
        return f"{self.module.replace('.', '/')}.{self.attribute}"

    @property
    def import_path(self) -> str:
        """`module:attribute`, how the local runtime imports the same handler."""
        return f"{self.module}:{self.attribute}"


# Routes open without a bearer token (the provider callbacks carry an HMAC signature instead): the API lets
# them pass its door, and the cloud API puts no authorizer in front of them.
API_PUBLIC_PATHS: frozenset[str] = frozenset(
    {"/v1/openapi.json", "/v1/docs", "/v1/connectors/https/events", "/v1/brand"}
)
API_FUNCTION = FunctionSpec(
    "api",
    "functions.api.handler",
    Trigger.API,
    memory_mb=1024,
    timeout_seconds=29,  # the API Gateway integration limit
)
WORKFLOW_FUNCTION = FunctionSpec(
    "workflow", "functions.workflow.handler", Trigger.WORKFLOW, memory_mb=1024, timeout_seconds=300
)
DISPATCH_FUNCTION = FunctionSpec(
    "dispatch",
    "functions.dispatch.handler",
    Trigger.QUEUE,
    memory_mb=512,
    timeout_seconds=20,  # AWS advice: the queue's visibility timeout (120 s) >= 6 x this
    queue=DISPATCH_QUEUE,
)
RESULTS_FUNCTION = FunctionSpec(
    "results",
    "functions.results.handler",
    Trigger.QUEUE,
    memory_mb=512,
    timeout_seconds=20,  # AWS advice: the queue's visibility timeout (120 s) >= 6 x this
    queue=RESULTS_QUEUE,
)
CONNECTOR_EVENTS_FUNCTION = FunctionSpec(
    "connector_events",
    "functions.connector_events.handler",
    Trigger.QUEUE,
    memory_mb=512,
    timeout_seconds=20,  # AWS advice: the queue's visibility timeout (120 s) >= 6 x this
    queue=CONNECTOR_EVENTS_QUEUE,
)
TELEPHONY_FUNCTION = FunctionSpec(
    "telephony",
    "functions.telephony.handler",
    Trigger.TELEPHONY,
    memory_mb=512,
    timeout_seconds=5,  # the SIP media application waits 5 s for an answer before it retries
)
DOMAINS_FUNCTION = FunctionSpec(
    "domains",
    "functions.domains.handler",
    Trigger.SCHEDULE,
    memory_mb=256,
    timeout_seconds=60,  # a few ACM and API Gateway calls per pending domain
)
EXPORTS_FUNCTION = FunctionSpec(
    "exports",
    "functions.exports.handler",
    Trigger.QUEUE,
    memory_mb=1024,
    timeout_seconds=300,  # AWS advice: the queue's visibility timeout (1,800 s) >= 6 x this
    queue=EXPORTS_QUEUE,
)
WEBHOOKS_FUNCTION = FunctionSpec(
    "webhooks",
    "functions.webhooks.handler",
    Trigger.QUEUE,
    memory_mb=256,
    timeout_seconds=20,  # ten deliveries of at most 5 s each would not fit: the sender's timeout is 1.5 s a try
    queue=WEBHOOKS_QUEUE,
)
AUTHORIZER_FUNCTION = FunctionSpec(
    "authorizer",
    "functions.authorizer.handler",
    Trigger.AUTHORIZER,
    memory_mb=256,
    timeout_seconds=10,  # a cache miss: a token lookup, at a token's first use one API Gateway key
)
IMPORTS_FUNCTION = FunctionSpec(
    "imports",
    "functions.imports.handler",
    Trigger.QUEUE,
    memory_mb=512,
    timeout_seconds=900,  # Lambda's limit; an import longer than one invocation resumes in the next
    queue=IMPORTS_QUEUE,
)
ALL_FUNCTIONS: tuple[FunctionSpec, ...] = (
    API_FUNCTION,
    AUTHORIZER_FUNCTION,
    WORKFLOW_FUNCTION,
    DISPATCH_FUNCTION,
    RESULTS_FUNCTION,
    CONNECTOR_EVENTS_FUNCTION,
    TELEPHONY_FUNCTION,
    DOMAINS_FUNCTION,
    EXPORTS_FUNCTION,
    WEBHOOKS_FUNCTION,
    IMPORTS_FUNCTION,
)
