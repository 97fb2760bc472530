"""The public REST API: one API Gateway method per route in `API_ROUTES`, all proxied to the api Lambda,
behind a Lambda authorizer that names each token's usage-plan key (jarchi.gateway): per-token rate limits
with `jarchi.limits`' numbers, and no API Lambda call for a request without a valid token."""

from __future__ import annotations

import json

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
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
    USAGE_KEYS_SWEEP_HOURS,
)
from infra.constructs.nag import acknowledge
from infra.constructs.scanners import log_group_without_kms, skip_checkov
from jarchi import limits
from jarchi.gateway import AUTHORIZER_CACHE_SECONDS, SWEEP_EVENT, usage_plan_name
from jarchi.reports.files import XLSX_CONTENT_TYPE
from jarchi.resources import API_PUBLIC_PATHS

# API Gateway's own refusals, in the API's error shape (SPEC §11): (response type, status, code, message).
GATEWAY_ERRORS: tuple[tuple[apigw.ResponseType, str | None, str, str], ...] = (
    (apigw.ResponseType.UNAUTHORIZED, "401", "unauthorized", "a valid bearer token is required"),
    (apigw.ResponseType.ACCESS_DENIED, "401", "unauthorized", "this token is not valid or was revoked"),
    (
        apigw.ResponseType.THROTTLED,
        "429",
        "rate_limited",
        f"more than {limits.RATE_LIMIT_PER_SECOND} requests a second with this token; retry in 1 s",
    ),
    (apigw.ResponseType.QUOTA_EXCEEDED, "429", "rate_limited", "this token's quota is used up"),
    (apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN, "404", "not_found", "no such route"),
    (apigw.ResponseType.DEFAULT_4_XX, None, "bad_request", "the request was refused"),
    (apigw.ResponseType.DEFAULT_5_XX, None, "internal_error", "something went wrong on our side"),
)


class PublicApi(Construct):
    """Explicit routes rather than a greedy `{proxy+}`: only the cloud surface exists (no local clock)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        handler: lambda_.IFunction,
        authorizer: lambda_.IFunction,
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
            # A usage plan counts the key the authorizer names, never a client's x-api-key header.
            api_key_source_type=apigw.ApiKeySourceType.AUTHORIZER,
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
        self.authorizer = apigw.RequestAuthorizer(
            self,
            "TokenAuthorizer",
            authorizer_name=f"{RESOURCE_PREFIX}-tokens",
            handler=authorizer,
            identity_sources=[apigw.IdentitySource.header("Authorization")],
            results_cache_ttl=Duration.seconds(AUTHORIZER_CACHE_SECONDS),
        )
        for method, path in routes:
            if path in API_PUBLIC_PATHS:
                skip_checkov(
                    self._resource(path).add_method(method, integration),
                    "CKV_AWS_59",
                    "Open on purpose: the OpenAPI document, the docs, the brand and the signed provider events "
                    "(their HMAC is checked by the api Lambda).",
                )
            else:
                self._resource(path).add_method(method, integration, authorizer=self.authorizer, api_key_required=True)
        log_group_without_kms(access_logs)
        skip_checkov(
            self.rest_api.deployment_stage,
            "CKV_AWS_120",
            "No response cache: every answer is per account and changes with each attempt (stale reads would show "
            "wrong balances and statuses).",
        )
        self.usage_plan = self.rest_api.add_usage_plan(
            "PerToken",
            name=usage_plan_name(RESOURCE_PREFIX),
            description="Each API token's own rate (its key is named by the Lambda authorizer)",
            throttle=apigw.ThrottleSettings(
                rate_limit=limits.RATE_LIMIT_PER_SECOND, burst_limit=limits.RATE_LIMIT_BURST
            ),
            api_stages=[apigw.UsagePlanPerApiStage(api=self.rest_api, stage=self.rest_api.deployment_stage)],
        )
        self._gateway_errors()
        self._manage_usage_keys(authorizer)
        self._acknowledge()

    def _gateway_errors(self) -> None:
        for response_type, status, code, message in GATEWAY_ERRORS:
            headers = {"Content-Type": "'application/json'"}
            if status == "429":
                headers["Retry-After"] = "'1'"
            body = json.dumps({"error": {"code": code, "message": message}}, separators=(",", ":"))
            self.rest_api.add_gateway_response(
                f"{response_type.response_type}-response",
                type=response_type,
                status_code=status,
                response_headers=headers,
                templates={"application/json": body},
            )

    def _manage_usage_keys(self, authorizer: lambda_.IFunction) -> None:
        """The authorizer makes each token's key at its first use and, hourly, removes revoked tokens' keys."""
        stack = Stack.of(self)
        apigateway = f"arn:{stack.partition}:apigateway:{stack.region}::"
        authorizer.add_to_role_policy(
            iam.PolicyStatement(
                actions=["apigateway:GET", "apigateway:POST", "apigateway:DELETE"],
                resources=[f"{apigateway}/apikeys", f"{apigateway}/apikeys/*", f"{apigateway}/usageplans"],
            )
        )
        # Any plan's keys: naming this plan would make a cycle (the function waits for its policy, the plan
        # for the stage, the stage for the methods, the methods for the authorizer, i.e. the function).
        authorizer.add_to_role_policy(
            iam.PolicyStatement(actions=["apigateway:POST"], resources=[f"{apigateway}/usageplans/*/keys"])
        )
        acknowledge(
            authorizer,
            "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:apigateway:<AWS::Region>::/apikeys/*]",
            "One API key per API token, made and removed at run time: their ids are not known at deployment.",
        )
        acknowledge(
            authorizer,
            "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:apigateway:<AWS::Region>::/usageplans/*/keys]",
            "The plan's id cannot be named without a dependency cycle; the function adds keys only to the "
            "per-token plan it looks up by name.",
        )
        self.sweep = events.Rule(
            self,
            "SweepUsageKeys",
            schedule=events.Schedule.rate(Duration.hours(USAGE_KEYS_SWEEP_HOURS)),
            targets=[
                targets.LambdaFunction(
                    authorizer, event=events.RuleTargetInput.from_object(SWEEP_EVENT), retry_attempts=0
                )
            ],
        )

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
            "No WAF web ACL yet: per-token throttling is the usage plan keyed by the Lambda authorizer, and "
            "requests without a valid token stop at the authorizer. Attach a web ACL at deployment when a "
            "reseller domain needs it.",
        )
        for rule in ("AwsSolutions-APIG4", "AwsSolutions-COG4"):
            acknowledge(
                self.rest_api,
                rule,
                "Authentication is the platform's own per-account bearer tokens (R-ACC-1), hashed in DynamoDB, "
                "checked by the Lambda authorizer and again by the api Lambda; the few public routes (OpenAPI "
                "document, docs, brand, signed provider callbacks) have none by design.",
            )
        acknowledge(
            self.rest_api,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
            "AmazonAPIGatewayPushToCloudWatchLogs]",
            "The account-level API Gateway logging role uses the AWS-managed policy made for it.",
        )
