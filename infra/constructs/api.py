"""The public REST API: one API Gateway method per route in `API_ROUTES`, all proxied to the api Lambda."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.constants import (
    API_ROUTES,
    API_STAGE,
    API_THROTTLE_BURST,
    API_THROTTLE_RATE,
    LOG_RETENTION,
    RESOURCE_PREFIX,
)
from infra.constructs.nag import acknowledge
from infra.constructs.scanners import log_group_without_kms, skip_checkov
from jarchi.reports.files import XLSX_CONTENT_TYPE


class PublicApi(Construct):
    """Explicit routes rather than a greedy `{proxy+}`: only the cloud surface exists (no local clock)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        handler: lambda_.IFunction,
        routes: tuple[tuple[str, str], ...] = API_ROUTES,
    ) -> None:
        super().__init__(scope, construct_id)
        access_logs = logs.LogGroup(self, "AccessLogs", retention=LOG_RETENTION, removal_policy=RemovalPolicy.DESTROY)
        self.rest_api = apigw.RestApi(
            self,
            "RestApi",
            rest_api_name=f"{RESOURCE_PREFIX}-api",
            description="Jarchi public API (routes under /v1)",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            # The Excel export is binary: API Gateway decodes the proxy's base64 body for a client accepting it.
            binary_media_types=[XLSX_CONTENT_TYPE],
            cloud_watch_role=True,
            cloud_watch_role_removal_policy=RemovalPolicy.RETAIN,
            deploy_options=apigw.StageOptions(
                stage_name=API_STAGE,
                tracing_enabled=True,
                metrics_enabled=True,
                logging_level=apigw.MethodLoggingLevel.ERROR,
                data_trace_enabled=False,
                throttling_rate_limit=API_THROTTLE_RATE,
                throttling_burst_limit=API_THROTTLE_BURST,
                access_log_destination=apigw.LogGroupLogDestination(access_logs),
                access_log_format=apigw.AccessLogFormat.json_with_standard_fields(
                    caller=True,
                    http_method=True,
                    ip=True,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=True,
                ),
            ),
        )
        # One integration, one invoke permission for the whole API (not one per method).
        integration = apigw.LambdaIntegration(
            handler, proxy=True, allow_test_invoke=False, scope_permission_to_method=False
        )
        for method, path in routes:
            skip_checkov(
                self._resource(path).add_method(method, integration),
                "CKV_AWS_59",
                "Authentication is the platform's own per-account bearer tokens (R-ACC-1), checked by the api "
                "Lambda, as for AwsSolutions-APIG4; the open routes (OpenAPI, docs, brand, signed provider events) "
                "are open on purpose.",
            )
        log_group_without_kms(access_logs)
        skip_checkov(
            self.rest_api.deployment_stage,
            "CKV_AWS_120",
            "No response cache: every answer is per account and changes with each attempt (stale reads would show "
            "wrong balances and statuses).",
        )
        self._acknowledge()

    def _resource(self, path: str) -> apigw.IResource:
        resource: apigw.IResource = self.rest_api.root
        for part in path.strip("/").split("/"):
            resource = resource.get_resource(part) or resource.add_resource(part)
        return resource

    def _acknowledge(self) -> None:
        acknowledge(
            self.rest_api,
            "AwsSolutions-APIG2",
            "Requests are validated in the api Lambda (Powertools + pydantic) against the same OpenAPI "
            "models it publishes; errors follow the API's error contract.",
        )
        acknowledge(
            self.rest_api,
            "AwsSolutions-APIG3",
            "No WAF web ACL yet: per-account throttling and bearer-token auth are enforced by the stage and "
            "the Lambda. Attach a web ACL at deployment when a reseller domain needs it.",
        )
        for rule in ("AwsSolutions-APIG4", "AwsSolutions-COG4"):
            acknowledge(
                self.rest_api,
                rule,
                "Authentication is the platform's own per-account bearer tokens (R-ACC-1), hashed in DynamoDB "
                "and checked by the api Lambda; there are no IAM or Cognito users.",
            )
        acknowledge(
            self.rest_api,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
            "AmazonAPIGatewayPushToCloudWatchLogs]",
            "The account-level API Gateway logging role uses the AWS-managed policy made for it.",
        )
