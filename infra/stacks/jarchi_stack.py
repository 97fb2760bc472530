"""The Jarchi stack: a thin composition of one construct per concern, plus the wiring between them."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.access import DYNAMODB_ACTIONS, S3_ACTIONS
from infra.constants import (
    POWERTOOLS_LAYER_VERSION,
    RESOURCE_PREFIX,
    SCHEDULE_GROUP_NAME,
    STATE_MACHINE_ASL,
)
from infra.constructs.api import PublicApi
from infra.constructs.buckets import Buckets, bucket_suffix
from infra.constructs.domains import WhiteLabelDomains
from infra.constructs.functions import Functions
from infra.constructs.layers import Layers
from infra.constructs.nag import acknowledge, arn_ref
from infra.constructs.observability import Observability
from infra.constructs.queues import Queues
from infra.constructs.tables import Tables
from infra.constructs.telephony import Telephony
from infra.constructs.workflow import CampaignWorkflow
from jarchi.resources import Trigger
from jarchi.store.tables import ALL_TABLES

# A missing key answers 404 (None to the code: `jarchi.aws.media`) rather than 403 only with ListBucket on the bucket;
# a function that reads objects gets it, on its buckets only (S3 evaluates it on the bucket, not on a prefix).
S3_LIST_BUCKET = "s3:ListBucket"
INDEXED = {spec.logical: bool(spec.indexes) for spec in ALL_TABLES}


class JarchiStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        definition: Path = STATE_MACHINE_ASL,
        powertools_layer_version: int = POWERTOOLS_LAYER_VERSION,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        prefix = RESOURCE_PREFIX

        self.tables = Tables(self, "Tables", prefix=prefix)
        self.queues = Queues(self, "Queues", prefix=prefix)
        self.buckets = Buckets(self, "Buckets", prefix=prefix)
        self.layers = Layers(self, "Layers", powertools_version=powertools_layer_version)
        self.functions = Functions(
            self,
            "Functions",
            layers=self.layers.all,
            environment={
                # Bucket names are global: settings.bucket_name() needs this suffix (see docs/infra.md).
                "JARCHI_BUCKET_SUFFIX": bucket_suffix(),
                **{
                    f"JARCHI_{logical.upper()}_BUCKET": bucket.bucket_name
                    for logical, bucket in self.buckets.by_logical.items()
                },
            },
        )
        fns = self.functions.by_name
        workflow_fn = self.functions.by_trigger(Trigger.WORKFLOW)
        self.workflow = CampaignWorkflow(self, "Workflow", definition=definition, workflow_function=workflow_fn)
        api_fn = self.functions.by_trigger(Trigger.API)
        self.api = PublicApi(self, "Api", handler=api_fn, authorizer=self.functions.by_trigger(Trigger.AUTHORIZER))
        self.domains = WhiteLabelDomains(
            self,
            "Domains",
            rest_api=self.api.rest_api,
            api=api_fn,
            refresher=self.functions.by_trigger(Trigger.SCHEDULE),
        )
        self._grant()
        self.functions.consume(self.queues.by_logical)
        self.telephony = Telephony(
            self,
            "Telephony",
            prefix=prefix,
            telephony=fns["telephony"],
            dispatch=fns["dispatch"],
            api=api_fn,
            connector_events=self.queues.by_logical["connector-events"],
            media=self.buckets.by_logical["media"],
            recordings=self.buckets.by_logical["recordings"],
        )

        api_fn.add_environment("JARCHI_STATE_MACHINE_ARN", self.workflow.state_machine.state_machine_arn)
        api_fn.add_environment("JARCHI_SCHEDULER_ROLE_ARN", self.workflow.scheduler_role.role_arn)
        api_fn.add_environment("JARCHI_SCHEDULER_GROUP", SCHEDULE_GROUP_NAME)

        self.observability = Observability(
            self,
            "Observability",
            queues=dict(self.queues.by_logical),
            dlqs=dict(self.queues.dlqs),
            functions=dict(fns),
            state_machine=self.workflow.state_machine,
            tables=dict(self.tables.by_logical),
        )
        CfnOutput(self, "ApiUrl", value=self.api.rest_api.url)
        CfnOutput(self, "StateMachineArn", value=self.workflow.state_machine.state_machine_arn)

    @staticmethod
    def _grant_objects(function: Any, bucket: s3.Bucket, logical: str, prefixes: Mapping[str, frozenset[str]]) -> None:
        """The function's actions on its key prefixes of one bucket (`infra.access.S3_ACTIONS`): a statement per set
        of actions, naming each prefix it applies to."""
        by_actions: dict[tuple[str, ...], list[str]] = {}
        for prefix, actions in prefixes.items():
            by_actions.setdefault(tuple(sorted(actions)), []).append(prefix)
        for named, keys in sorted(by_actions.items()):
            resources = [bucket.arn_for_objects(f"{prefix}*") for prefix in sorted(keys)]
            function.add_to_role_policy(iam.PolicyStatement(actions=list(named), resources=resources))
            for prefix in keys:
                acknowledge(
                    function,
                    f"AwsSolutions-IAM5[Resource::{arn_ref(bucket)}/{prefix}*]",
                    f"Objects under {prefix} in the {logical} bucket are keyed per account and per resource.",
                )
        if any("s3:GetObject" in actions for actions in prefixes.values()):
            function.add_to_role_policy(iam.PolicyStatement(actions=[S3_LIST_BUCKET], resources=[bucket.bucket_arn]))

    def _grant(self) -> None:
        """Least privilege: each function gets the DynamoDB actions it issues, table by table, the S3 actions it issues,
        key prefix by key prefix (`infra.access`), and its queues."""
        for name, function in self.functions.by_name.items():
            for logical, actions in DYNAMODB_ACTIONS[name].items():
                table = self.tables.by_logical[logical]
                resources = [table.table_arn]
                if INDEXED[logical] and "dynamodb:Query" in actions:  # a Scan (the domains refresh) reads the table
                    resources.append(f"{table.table_arn}/index/*")
                    acknowledge(
                        function,
                        f"AwsSolutions-IAM5[Resource::{arn_ref(table)}/index/*]",
                        f"Queries on the {logical} table's own GSIs (all of them are read by this function).",
                    )
                function.add_to_role_policy(iam.PolicyStatement(actions=sorted(actions), resources=resources))
            for logical, prefixes in S3_ACTIONS.get(name, {}).items():
                self._grant_objects(function, self.buckets.by_logical[logical], logical, prefixes)
        fns = self.functions.by_name
        dispatch, results = self.queues.by_logical["dispatch"], self.queues.by_logical["results"]
        dispatch.grant_send_messages(fns["workflow"])  # admitted attempts
        dispatch.grant_send_messages(fns["dispatch"])  # connector retries with backoff
        dispatch.grant_send_messages(fns["results"])  # retry parts, follow-up SMS
        results.grant_send_messages(fns["dispatch"])  # the simulator's (and HTTPS connector's) results
        results.grant_send_messages(fns["results"])  # results not due yet go back with a delay (R-DSP-4)
        results.grant_send_messages(fns["connector_events"])  # provider reports, grouped (jarchi.connectors.callbacks)
        self.queues.by_logical["exports"].grant_send_messages(fns["api"])  # background exports (R-REP-3)
        imports = self.queues.by_logical["imports"]
        imports.grant_send_messages(fns["api"])  # a started blacklist import (R-CPL-3)
        imports.grant_send_messages(fns["imports"])  # the next invocation of an import past its deadline
        webhooks = self.queues.by_logical["webhooks"]
        # webhook events where statuses and recipient states are written, and retries (SPEC §14); not dispatch
        # (it writes no state: its results go to the results queue) nor telephony (its reports go to connector-events)
        publishers = ("api", "workflow", "results", "connector_events", "webhooks")
        for publisher in publishers:
            webhooks.grant_send_messages(fns[publisher])
        self.queues.dlqs["webhooks"].grant_send_messages(fns["webhooks"])  # dead-lettered after 24 h
        # Text-to-speech audio (R-TTS-1, `jarchi.connectors.polly`, the cloud's speech engine): SynthesizeSpeech has
        # no resource but lexicons, and the engine names none, so `*` is the only resource it can be granted on.
        fns["api"].add_to_role_policy(iam.PolicyStatement(actions=["polly:SynthesizeSpeech"], resources=["*"]))
        acknowledge(
            fns["api"],
            "AwsSolutions-IAM5[Resource::*]",
            "polly:SynthesizeSpeech is authorized on * when no lexicon is named (the speech engine names none).",
        )
        self.workflow.state_machine.grant_start_execution(fns["api"])
        # Whether a run's execution exists: a retried owner action completes a run its first request raised
        # and never started (`campaigns.service._run_cut_short`).
        self.workflow.state_machine.grant_execution(fns["api"], "states:DescribeExecution")
        machine = self.get_logical_id(self.workflow.state_machine.node.default_child)  # type: ignore[arg-type]
        acknowledge(
            fns["api"],
            "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:"
            f'{{"Fn::Select":[6,{{"Fn::Split":[":",{{"Ref":"{machine}"}}]}}]}}:*]',
            "Executions are named per campaign run; DescribeExecution is limited to the campaign state machine's.",
        )
        self.workflow.grant_schedule_campaigns(fns["api"])
        acknowledge(
            fns["api"],
            "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:"
            f"schedule/{SCHEDULE_GROUP_NAME}/*]",
            "One-time schedules are created per campaign; the grant is limited to the campaign schedule group.",
        )
