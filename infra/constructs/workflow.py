"""The campaign state machine (ASL from infra/statemachines) and the EventBridge Scheduler that starts it."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Aws, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.constants import LOG_RETENTION, SCHEDULE_GROUP_NAME, STATE_MACHINE_NAME, WORKFLOW_SUBSTITUTION
from infra.constructs.nag import acknowledge, arn_ref
from infra.constructs.scanners import ignore_cfn_lint, log_group_without_kms


class CampaignWorkflow(Construct):
    """STANDARD state machine whose Lambda tasks call the workflow function; scheduled starts via Scheduler."""

    def __init__(
        self, scope: Construct, construct_id: str, *, definition: Path, workflow_function: lambda_.IFunction
    ) -> None:
        super().__init__(scope, construct_id)
        log_group = logs.LogGroup(
            self,
            "Logs",
            log_group_name=f"/aws/vendedlogs/states/{STATE_MACHINE_NAME}",
            retention=LOG_RETENTION,
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            state_machine_name=STATE_MACHINE_NAME,
            state_machine_type=sfn.StateMachineType.STANDARD,
            definition_body=sfn.DefinitionBody.from_string(definition.read_text(encoding="utf-8")),
            definition_substitutions={WORKFLOW_SUBSTITUTION: workflow_function.function_arn},
            tracing_enabled=True,
            logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=True),
        )
        log_group_without_kms(log_group)
        ignore_cfn_lint(
            self.state_machine,
            "W3005",
            "CDK writes DependsOn on the state machine's role beside the GetAtt of its ARN; redundant, harmless.",
        )
        # The ASL is a string, so CDK cannot infer the Lambda task's permission: grant it explicitly.
        workflow_function.grant_invoke(self.state_machine)
        acknowledge(
            self.state_machine,
            f"AwsSolutions-IAM5[Resource::{arn_ref(workflow_function)}:*]",
            "Invoking any version/alias of the one workflow function the definition names.",
        )
        acknowledge(
            self.state_machine,
            "AwsSolutions-IAM5[Resource::*]",
            "X-Ray and CloudWatch Logs delivery actions support no resource-level permissions.",
        )

        # Scheduled campaign starts (R-CMP-2): the api Lambda creates one-time schedules in this group.
        self.schedule_group = scheduler.ScheduleGroup(self, "ScheduleGroup", schedule_group_name=SCHEDULE_GROUP_NAME)
        self.scheduler_role = iam.Role(
            self,
            "SchedulerRole",
            assumed_by=iam.ServicePrincipal(
                "scheduler.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}},
            ),
            description="EventBridge Scheduler starts campaign executions",
        )
        self.state_machine.grant_start_execution(self.scheduler_role)

    def schedules_arn(self) -> str:
        """ARN pattern of the schedules in the campaign group (what the api Lambda may manage)."""
        return f"arn:{Aws.PARTITION}:scheduler:{Aws.REGION}:{Aws.ACCOUNT_ID}:schedule/{SCHEDULE_GROUP_NAME}/*"

    def grant_schedule_campaigns(self, grantee: iam.IGrantable) -> None:
        """Create/update/delete one-time schedules in the group and pass the scheduler role to them."""
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(
                actions=[
                    "scheduler:CreateSchedule",
                    "scheduler:UpdateSchedule",
                    "scheduler:DeleteSchedule",
                    "scheduler:GetSchedule",
                ],
                resources=[self.schedules_arn()],
            )
        )
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["iam:PassRole"],
                resources=[self.scheduler_role.role_arn],
                conditions={"StringEquals": {"iam:PassedToService": "scheduler.amazonaws.com"}},
            )
        )
