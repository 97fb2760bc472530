"""The Lambda functions of `jarchi.resources.ALL_FUNCTIONS`, their log groups, environment and SQS event sources."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration, IgnoreMode, RemovalPolicy
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.constants import (
    ASSET_EXCLUDES,
    CLOUD_CONNECTOR,
    LOG_RETENTION,
    POWERTOOLS_METRICS_NAMESPACE,
    REPO_ROOT,
    RESOURCE_PREFIX,
    STAGE,
)
from infra.constructs.layers import ARCHITECTURE, RUNTIME
from infra.constructs.nag import acknowledge
from infra.constructs.scanners import ignore_cfn_lint, log_group_without_kms, skip_checkov
from jarchi.connectors.registry import CONNECTORS
from jarchi.metrics import SERVICE
from jarchi.resources import ALL_FUNCTIONS, FunctionSpec, Trigger

# The asset is the repo root with only functions/ kept, so handlers import as `functions.<name>...`
# in the cloud exactly as they do locally.
_FUNCTIONS_ONLY = ["/*", "!/functions", *ASSET_EXCLUDES]


def functions_code() -> lambda_.Code:
    return lambda_.Code.from_asset(str(REPO_ROOT), exclude=_FUNCTIONS_ONLY, ignore_mode=IgnoreMode.GIT)


def cloud_connector(scope: Construct) -> str:
    """`-c connector=<name>` (`aws` once numbers and identities are in place, docs/deploy.md), else
    `CLOUD_CONNECTOR`; a name the connector registry does not know stops the synth."""
    name = str(scope.node.try_get_context("connector") or CLOUD_CONNECTOR)
    if name not in CONNECTORS:
        raise ValueError(f"-c connector={name}: no such connector; known: {', '.join(CONNECTORS)}")
    return name


class Functions(Construct):
    """One Lambda per registered function: Python 3.12 on arm64, X-Ray active, Powertools configured."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        layers: list[lambda_.ILayerVersion],
        environment: dict[str, str],
    ) -> None:
        super().__init__(scope, construct_id)
        code = functions_code()
        self.specs: dict[str, FunctionSpec] = {spec.name: spec for spec in ALL_FUNCTIONS}
        self.by_name: dict[str, lambda_.Function] = {
            spec.name: self._function(spec, code, layers, environment) for spec in ALL_FUNCTIONS
        }

    def _function(
        self,
        spec: FunctionSpec,
        code: lambda_.Code,
        layers: list[lambda_.ILayerVersion],
        environment: dict[str, str],
    ) -> lambda_.Function:
        function_name = f"{RESOURCE_PREFIX}-{spec.name}"
        log_group = logs.LogGroup(
            self,
            f"{spec.name}-logs",
            log_group_name=f"/aws/lambda/{function_name}",
            retention=LOG_RETENTION,
            removal_policy=RemovalPolicy.DESTROY,
        )
        function = lambda_.Function(
            self,
            spec.name,
            function_name=function_name,
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            handler=spec.lambda_handler,
            code=code,
            layers=layers,
            memory_size=spec.memory_mb,
            timeout=Duration.seconds(spec.timeout_seconds),
            tracing=lambda_.Tracing.ACTIVE,
            log_group=log_group,
            environment={
                **environment,
                "JARCHI_STAGE": STAGE,
                "JARCHI_RESOURCE_PREFIX": RESOURCE_PREFIX,
                "JARCHI_CONNECTOR": cloud_connector(self),
                "POWERTOOLS_SERVICE_NAME": SERVICE,
                "POWERTOOLS_METRICS_NAMESPACE": POWERTOOLS_METRICS_NAMESPACE,
                "POWERTOOLS_LOG_LEVEL": "INFO",
            },
        )
        acknowledge(
            function,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
            "The AWS-managed basic execution role only lets the function write its own CloudWatch logs.",
        )
        acknowledge(
            function,
            "AwsSolutions-L1",
            "Pinned to Python 3.12: the newest runtime with a published Powertools v3 arm64 layer we test against.",
        )
        acknowledge(
            function,
            "AwsSolutions-IAM5[Resource::*]",
            "X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions.",
        )
        _scanner_suppressions(function, log_group)
        return function

    def by_trigger(self, trigger: Trigger) -> lambda_.Function:
        """The one function the API (or the campaign state machine) invokes."""
        (spec,) = (spec for spec in ALL_FUNCTIONS if spec.trigger is trigger)
        return self.by_name[spec.name]

    def consume(self, queues: Mapping[str, sqs.IQueue]) -> None:
        """SQS → Lambda for every queue-triggered function, with partial batch failures (BatchProcessor
        reports the failed message ids)."""
        for spec in ALL_FUNCTIONS:
            if spec.queue is None:
                continue
            self.by_name[spec.name].add_event_source(
                event_sources.SqsEventSource(
                    queues[spec.queue.logical],
                    batch_size=spec.queue.event_batch_size,
                    report_batch_item_failures=True,
                    max_batching_window=Duration.seconds(spec.queue.batching_window_seconds),
                )
            )


def _scanner_suppressions(function: lambda_.Function, log_group: logs.LogGroup) -> None:
    log_group_without_kms(log_group)
    skip_checkov(
        function,
        "CKV_AWS_115",
        "No reserved concurrency: a new account's whole quota can be as low as 10, and the dispatch rate is "
        "bounded by the queues' batch sizes and the per-account placement limits, not by Lambda.",
    )
    skip_checkov(
        function,
        "CKV_AWS_116",
        "No function is invoked asynchronously: SQS event sources redrive to the queue's own DLQ, the API and "
        "Step Functions invoke synchronously, so a function DLQ would never receive anything.",
    )
    skip_checkov(
        function,
        "CKV_AWS_117",
        "Outside a VPC on purpose: the functions reach only AWS APIs and public webhooks; a VPC would add NAT "
        "gateways (cost, cold start) and protect nothing the IAM policies do not already.",
    )
    skip_checkov(
        function,
        "CKV_AWS_173",
        "The environment holds resource names and settings, no secret; Lambda encrypts it at rest with its own key.",
    )
    ignore_cfn_lint(
        function,
        "W3005",
        "CDK writes DependsOn on the service role beside the GetAtt of its ARN; redundant, harmless, not ours to drop.",
    )
