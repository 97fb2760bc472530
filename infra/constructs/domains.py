"""White-label domains (R-ACC-6): the background function on a schedule, and what the API and it may do in
ACM, API Gateway (custom domain names and their base-path mappings only) and Route53 (record sets of
hosted zones granted to the platform). The domains themselves are made at run time by `jarchi.aws.domains`."""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.constants import API_STAGE, DOMAINS_REFRESH_MINUTES
from infra.constructs.nag import acknowledge


class WhiteLabelDomains(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        rest_api: apigw.RestApi,
        api: lambda_.Function,
        refresher: lambda_.Function,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.rule = events.Rule(
            self,
            "Refresh",
            schedule=events.Schedule.rate(Duration.minutes(DOMAINS_REFRESH_MINUTES)),
            targets=[targets.LambdaFunction(refresher, retry_attempts=0)],
        )
        certificates = stack.format_arn(service="acm", resource="certificate", resource_name="*")
        domain_names = f"arn:{stack.partition}:apigateway:{stack.region}::/domainnames"
        zones = f"arn:{stack.partition}:route53:::hostedzone/*"
        statements = [
            iam.PolicyStatement(actions=["acm:RequestCertificate"], resources=["*"]),
            iam.PolicyStatement(actions=["acm:DescribeCertificate", "acm:DeleteCertificate"], resources=[certificates]),
            iam.PolicyStatement(
                actions=["apigateway:GET", "apigateway:POST", "apigateway:DELETE"],
                resources=[domain_names, f"{domain_names}/*"],
            ),
            iam.PolicyStatement(
                actions=["route53:GetHostedZone", "route53:ChangeResourceRecordSets"], resources=[zones]
            ),
        ]
        for function in (api, refresher):
            for statement in statements:
                function.add_to_role_policy(statement)
            function.add_environment("JARCHI_REST_API_ID", rest_api.rest_api_id)
            function.add_environment("JARCHI_API_STAGE", API_STAGE)
            acknowledge(
                function,
                "AwsSolutions-IAM5[Resource::*]",
                "acm:RequestCertificate supports no resource-level permission; X-Ray likewise.",
            )
            for wildcard in (
                "Resource::arn:<AWS::Partition>:acm:<AWS::Region>:<AWS::AccountId>:certificate/*",
                "Resource::arn:<AWS::Partition>:apigateway:<AWS::Region>::/domainnames/*",
                "Resource::arn:<AWS::Partition>:route53:::hostedzone/*",
            ):
                acknowledge(
                    function,
                    f"AwsSolutions-IAM5[{wildcard}]",
                    "Reseller domains, their certificates and granted zones are created at run time, one per "
                    "reseller: their names are not known when the stack is deployed.",
                )
