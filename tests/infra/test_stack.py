"""Properties of the synthesized cloud stack (R-RUN-2, R-RUN-3, R-RUN-4, R-OPS)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Annotations, Match

from infra.constants import (
    ALARM_TOPIC_NAME,
    FUNCTION_ACCESS,
    LAMBDA_ERROR_RATE_ALARM_PERCENT,
    POWERTOOLS_LAYER_NAME,
    RESOURCE_PREFIX,
    SCHEDULE_GROUP_NAME,
    WORKFLOW_SUBSTITUTION,
)
from infra.constructs.layers import ensure_deps_layer_dir
from jarchi.connectors.registry import CONNECTORS
from jarchi.resources import ALL_BUCKETS, ALL_FUNCTIONS, ALL_QUEUES, Trigger
from jarchi.store.tables import ALL_TABLES, Key, TableSpec
from tests.infra.conftest import Synth


def _by_property(resources: dict[str, dict[str, Any]], prop: str) -> dict[str, dict[str, Any]]:
    return {r["Properties"][prop]: r["Properties"] for r in resources.values()}


def _key_schema(partition: Key, sort: Key | None) -> list[dict[str, str]]:
    schema = [{"AttributeName": partition.name, "KeyType": "HASH"}]
    if sort is not None:
        schema.append({"AttributeName": sort.name, "KeyType": "RANGE"})
    return schema


def _expected_table(spec: TableSpec) -> dict[str, Any]:
    expected: dict[str, Any] = {
        "KeySchema": _key_schema(spec.partition, spec.sort),
        "AttributeDefinitions": sorted(
            ({"AttributeName": name, "AttributeType": type_} for name, type_ in spec.key_attributes().items()),
            key=lambda d: d["AttributeName"],
        ),
        "GlobalSecondaryIndexes": sorted(
            (
                {
                    "IndexName": index.name,
                    "KeySchema": _key_schema(index.partition, index.sort),
                    "Projection": {"ProjectionType": "ALL"},
                }
                for index in spec.indexes
            ),
            key=lambda d: d["IndexName"],
        ),
        "TimeToLiveSpecification": (
            {"AttributeName": spec.ttl_attribute, "Enabled": True} if spec.ttl_attribute else None
        ),
    }
    return expected


def _actual_table(props: dict[str, Any]) -> dict[str, Any]:
    return {
        "KeySchema": props["KeySchema"],
        "AttributeDefinitions": sorted(props["AttributeDefinitions"], key=lambda d: d["AttributeName"]),
        "GlobalSecondaryIndexes": sorted(props.get("GlobalSecondaryIndexes", []), key=lambda d: d["IndexName"]),
        "TimeToLiveSpecification": props.get("TimeToLiveSpecification"),
    }


def _functions(synth: Synth) -> dict[str, dict[str, Any]]:
    return _by_property(synth.resources("AWS::Lambda::Function"), "FunctionName")


def _logical_id(synth: Synth, type_: str, prop: str, value: str) -> str:
    for logical_id, resource in synth.resources(type_).items():
        if resource["Properties"].get(prop) == value:
            return logical_id
    raise AssertionError(f"no {type_} with {prop}={value}")


# --- R-RUN-2: the stack runs the same table and queue definitions as the local platform ----------------


def test_r_run_2_tables_in_stack_match_store_definitions(synth: Synth) -> None:
    tables = _by_property(synth.resources("AWS::DynamoDB::Table"), "TableName")
    assert set(tables) == {f"{RESOURCE_PREFIX}-{spec.logical}" for spec in ALL_TABLES}
    for spec in ALL_TABLES:
        props = tables[f"{RESOURCE_PREFIX}-{spec.logical}"]
        assert _actual_table(props) == _expected_table(spec), spec.logical
        assert props["BillingMode"] == "PAY_PER_REQUEST"
        assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
        assert props["SSESpecification"] == {"SSEEnabled": True}


def test_r_run_2_queues_redrive_to_their_dlq_with_the_spec_receive_count(synth: Synth) -> None:
    queues = synth.resources("AWS::SQS::Queue")
    by_name = {r["Properties"]["QueueName"]: (logical_id, r["Properties"]) for logical_id, r in queues.items()}
    assert set(by_name) == {
        f"{RESOURCE_PREFIX}-{name}" for spec in ALL_QUEUES for name in (spec.logical, spec.dlq_logical)
    }
    for spec in ALL_QUEUES:
        dlq_id, dlq = by_name[f"{RESOURCE_PREFIX}-{spec.dlq_logical}"]
        _, queue = by_name[f"{RESOURCE_PREFIX}-{spec.logical}"]
        assert queue["RedrivePolicy"] == {
            "deadLetterTargetArn": {"Fn::GetAtt": [dlq_id, "Arn"]},
            "maxReceiveCount": spec.max_receive_count,
        }
        assert queue["VisibilityTimeout"] == spec.visibility_timeout_seconds
        assert queue["SqsManagedSseEnabled"] is True
        assert dlq["MessageRetentionPeriod"] == 14 * 24 * 3600
        assert "RedrivePolicy" not in dlq


def test_r_run_2_every_queue_denies_plain_http(synth: Synth) -> None:
    policies = synth.resources("AWS::SQS::QueuePolicy")
    assert len(policies) == 2 * len(ALL_QUEUES)
    for policy in policies.values():
        statements = policy["Properties"]["PolicyDocument"]["Statement"]
        assert any(
            s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in statements
        )


def _function_id(synth: Synth, name: str) -> str:
    return _logical_id(synth, "AWS::Lambda::Function", "FunctionName", f"{RESOURCE_PREFIX}-{name}")


def test_r_run_2_event_source_mappings_report_batch_item_failures(synth: Synth) -> None:
    mappings = synth.resources("AWS::Lambda::EventSourceMapping")
    seen = {}
    for mapping in mappings.values():
        props = mapping["Properties"]
        assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        seen[props["EventSourceArn"]["Fn::GetAtt"][0]] = (props["FunctionName"]["Ref"], props["BatchSize"])
    expected = {
        _logical_id(synth, "AWS::SQS::Queue", "QueueName", f"{RESOURCE_PREFIX}-{spec.queue.logical}"): (
            _function_id(synth, spec.name),
            spec.queue.cloud_batch_size or spec.queue.batch_size,
        )
        for spec in ALL_FUNCTIONS
        if spec.queue is not None
    }
    assert seen == expected
    assert {spec.queue for spec in ALL_FUNCTIONS if spec.queue is not None} == set(ALL_QUEUES)


def test_r_run_2_stack_deploys_exactly_the_function_registry(synth: Synth) -> None:
    # One Lambda per registered function, with the registry's handler, and each one wired to its trigger.
    functions = _functions(synth)
    assert {name: props["Handler"] for name, props in functions.items()} == {
        f"{RESOURCE_PREFIX}-{spec.name}": spec.lambda_handler for spec in ALL_FUNCTIONS
    }
    assert set(FUNCTION_ACCESS) == {spec.name for spec in ALL_FUNCTIONS}
    by_trigger = {trigger: {spec.name for spec in ALL_FUNCTIONS if spec.trigger is trigger} for trigger in Trigger}
    # API: every method proxies to the API function.
    (api,) = by_trigger[Trigger.API]
    integrations = {
        json.dumps(m["Properties"]["Integration"]["Uri"]) for m in synth.resources("AWS::ApiGateway::Method").values()
    }
    assert integrations and all(_function_id(synth, api) in uri for uri in integrations)
    # Step Functions: the state machine's tasks call the workflow function.
    (workflow,) = by_trigger[Trigger.WORKFLOW]
    (state_machine,) = synth.resources("AWS::StepFunctions::StateMachine").values()
    assert state_machine["Properties"]["DefinitionSubstitutions"] == {
        WORKFLOW_SUBSTITUTION: {"Fn::GetAtt": [_function_id(synth, workflow), "Arn"]}
    }
    # SQS: queue functions and only they have an event source mapping.
    consumers = {
        m["Properties"]["FunctionName"]["Ref"] for m in synth.resources("AWS::Lambda::EventSourceMapping").values()
    }
    assert consumers == {_function_id(synth, name) for name in by_trigger[Trigger.QUEUE]}


def test_r_run_2_buckets_are_private_encrypted_and_account_scoped(synth: Synth) -> None:
    buckets = synth.resources("AWS::S3::Bucket")
    assert len(buckets) == len(ALL_BUCKETS)
    names = set()
    for bucket in buckets.values():
        props = bucket["Properties"]
        assert props["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }
        assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"] == {
            "SSEAlgorithm": "AES256"
        }
        parts = props["BucketName"]["Fn::Join"][1]
        assert {"Ref": "AWS::AccountId"} in parts and {"Ref": "AWS::Region"} in parts
        names.add(parts[0])
    assert names == {f"{RESOURCE_PREFIX}-{spec.logical}-" for spec in ALL_BUCKETS}
    for policy in synth.resources("AWS::S3::BucketPolicy").values():
        statement = policy["Properties"]["PolicyDocument"]["Statement"][0]
        assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_r_run_2_lambdas_are_python312_arm64_traced_with_powertools(synth: Synth) -> None:
    functions = _functions(synth)
    assert set(functions) == {f"{RESOURCE_PREFIX}-{spec.name}" for spec in ALL_FUNCTIONS}
    for spec in ALL_FUNCTIONS:
        props = functions[f"{RESOURCE_PREFIX}-{spec.name}"]
        assert props["Runtime"] == "python3.12"
        assert props["Architectures"] == ["arm64"]
        assert props["Handler"] == spec.lambda_handler == f"functions/{spec.name}/handler.handler"
        assert props["TracingConfig"] == {"Mode": "Active"}
        assert props["MemorySize"] == spec.memory_mb
        assert props["Timeout"] == spec.timeout_seconds
        env = props["Environment"]["Variables"]
        assert env["JARCHI_STAGE"] == "cloud"
        assert env["JARCHI_RESOURCE_PREFIX"] == RESOURCE_PREFIX
        assert env["POWERTOOLS_SERVICE_NAME"] == "jarchi"
        assert env["POWERTOOLS_METRICS_NAMESPACE"] == "Jarchi"
        assert len(props["Layers"]) == 3
        powertools = json.dumps(props["Layers"][0])
        assert POWERTOOLS_LAYER_NAME in powertools and "AWS::Region" in powertools


def test_r_run_2_queue_consumers_time_out_well_before_their_messages_reappear(synth: Synth) -> None:
    # AWS advice for SQS event sources: visibility timeout >= 6 x the function timeout.
    functions = _functions(synth)
    for spec in ALL_FUNCTIONS:
        if spec.queue is not None:
            assert 6 * functions[f"{RESOURCE_PREFIX}-{spec.name}"]["Timeout"] <= spec.queue.visibility_timeout_seconds


def test_r_run_2_every_function_uses_a_registered_connector(synth: Synth) -> None:
    for name, props in _functions(synth).items():
        assert props["Environment"]["Variables"]["JARCHI_CONNECTOR"] in CONNECTORS, name


def test_r_run_2_function_asset_holds_only_the_functions_package(synth: Synth) -> None:
    code = _functions(synth)[f"{RESOURCE_PREFIX}-api"]["Code"]
    asset_hash = code["S3Key"].removesuffix(".zip")
    asset_dir = synth.outdir / f"asset.{asset_hash}"
    assert sorted(p.name for p in asset_dir.iterdir()) == ["functions"]
    assert not list(asset_dir.rglob("__pycache__"))


def test_r_run_2_api_function_knows_the_workflow_and_scheduler(synth: Synth) -> None:
    env = _functions(synth)[f"{RESOURCE_PREFIX}-api"]["Environment"]["Variables"]
    state_machine_id = next(iter(synth.resources("AWS::StepFunctions::StateMachine")))
    assert env["JARCHI_STATE_MACHINE_ARN"] == {"Ref": state_machine_id}
    assert env["JARCHI_SCHEDULER_GROUP"] == SCHEDULE_GROUP_NAME
    role_id = env["JARCHI_SCHEDULER_ROLE_ARN"]["Fn::GetAtt"][0]
    trust = synth.resources("AWS::IAM::Role")[role_id]["Properties"]["AssumeRolePolicyDocument"]
    assert trust["Statement"][0]["Principal"] == {"Service": "scheduler.amazonaws.com"}
    synth.template.has_resource_properties("AWS::Scheduler::ScheduleGroup", {"Name": SCHEDULE_GROUP_NAME})
    # The scheduler role may start the campaign state machine, and nothing else.
    synth.template.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "Roles": [{"Ref": role_id}],
            "PolicyDocument": {
                "Statement": [
                    {"Action": "states:StartExecution", "Effect": "Allow", "Resource": {"Ref": state_machine_id}}
                ]
            },
        },
    )


def _queue_senders(synth: Synth, queue_logical: str) -> set[str]:
    """The functions whose roles may send to a queue."""
    queue_id = _logical_id(synth, "AWS::SQS::Queue", "QueueName", f"{RESOURCE_PREFIX}-{queue_logical}")
    roles = {props["Role"]["Fn::GetAtt"][0]: props["FunctionName"] for props in _functions(synth).values()}
    senders = set()
    for policy in synth.resources("AWS::IAM::Policy").values():
        props = policy["Properties"]
        for statement in props["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            if "sqs:SendMessage" in actions and statement["Resource"] == {"Fn::GetAtt": [queue_id, "Arn"]}:
                senders |= {roles[role["Ref"]] for role in props["Roles"] if role["Ref"] in roles}
    return senders


def test_r_dsp_4_results_not_due_yet_can_go_back_onto_the_results_queue(synth: Synth) -> None:
    # dispatch: the simulator's results; results: waiting ones; connector_events: provider reports, grouped
    senders = {f"{RESOURCE_PREFIX}-dispatch", f"{RESOURCE_PREFIX}-results", f"{RESOURCE_PREFIX}-connector_events"}
    assert _queue_senders(synth, "results") == senders


def test_r_run_2_state_machine_runs_the_shared_asl_with_the_workflow_function(synth: Synth) -> None:
    (state_machine,) = synth.resources("AWS::StepFunctions::StateMachine").values()
    props = state_machine["Properties"]
    workflow_id = _function_id(synth, "workflow")
    assert props["DefinitionSubstitutions"] == {WORKFLOW_SUBSTITUTION: {"Fn::GetAtt": [workflow_id, "Arn"]}}
    assert "${" + WORKFLOW_SUBSTITUTION + "}" in props["DefinitionString"]
    assert props["StateMachineType"] == "STANDARD"
    assert props["TracingConfiguration"] == {"Enabled": True}
    assert props["LoggingConfiguration"]["Level"] == "ALL"
    # The definition is a string, so the invoke grant is explicit.
    synth.template.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "Roles": [{"Ref": props["RoleArn"]["Fn::GetAtt"][0]}],
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [Match.object_like({"Action": "lambda:InvokeFunction", "Effect": "Allow"})]
                )
            },
        },
    )


# --- R-RUN-3 / R-API: the cloud API surface ------------------------------------------------------------


def _api_paths(synth: Synth) -> dict[str, str]:
    """logical id -> full path of every API Gateway resource."""
    resources = synth.resources("AWS::ApiGateway::Resource")
    paths: dict[str, str] = {}

    def path_of(logical_id: str) -> str:
        if logical_id not in paths:
            props = resources[logical_id]["Properties"]
            parent = props["ParentId"]
            prefix = path_of(parent["Ref"]) if "Ref" in parent else ""
            paths[logical_id] = f"{prefix}/{props['PathPart']}"
        return paths[logical_id]

    for logical_id in resources:
        path_of(logical_id)
    return paths


def declared_routes(synth: Synth) -> set[tuple[str, str]]:
    """(method, path) of every API Gateway method of the synthesized stack."""
    paths = _api_paths(synth)
    return {
        (m["Properties"]["HttpMethod"], paths[m["Properties"]["ResourceId"]["Ref"]])
        for m in synth.resources("AWS::ApiGateway::Method").values()
    }


def test_r_run_3_every_api_method_proxies_to_the_api_lambda(synth: Synth) -> None:
    # That they are exactly the routes the app serves: tests/infra/test_api_routes.py.
    assert declared_routes(synth)
    for method in synth.resources("AWS::ApiGateway::Method").values():
        integration = method["Properties"]["Integration"]
        assert integration["Type"] == "AWS_PROXY"
        assert integration["IntegrationHttpMethod"] == "POST"


def test_r_run_3_local_clock_route_absent_from_cloud_api(synth: Synth) -> None:
    paths = set(_api_paths(synth).values())
    assert "/v1/local/clock" not in paths
    assert not [p for p in paths if "local" in p or "clock" in p]
    assert not [p for p in paths if "{proxy+}" in p]  # a greedy proxy would serve it anyway


def test_r_run_4_api_stage_has_access_logs_and_tracing(synth: Synth) -> None:
    (stage,) = synth.resources("AWS::ApiGateway::Stage").values()
    props = stage["Properties"]
    assert props["TracingEnabled"] is True
    assert "DestinationArn" in props["AccessLogSetting"]
    assert props["MethodSettings"][0]["MetricsEnabled"] is True


# --- R-RUN-4: offline synth with cdk-nag ---------------------------------------------------------------


def test_r_run_4_cdk_nag_reports_no_unacknowledged_findings(synth: Synth) -> None:
    # cdk-nag v3 is a policy-validation plugin: synth (in the fixture) fails on findings, and the report says so.
    report = json.loads((synth.outdir / "validation-report.json").read_text(encoding="utf-8"))
    violations = [v["ruleName"] for p in report["pluginReports"] for v in p.get("violations", [])]
    assert violations == []
    errors = Annotations.from_stack(synth.stack).find_error("*", Match.string_like_regexp("AwsSolutions-.*"))
    assert errors == []


def test_r_run_4_missing_dependency_layer_folder_is_created_for_offline_synth(tmp_path: Path) -> None:
    target = ensure_deps_layer_dir(tmp_path / "build" / "deps-layer")
    assert (target / "python").is_dir()


# --- R-OPS ---------------------------------------------------------------------------------------------


def test_r_ops_alarms_on_dlq_depth_queue_age_function_error_rates_and_provider_failures(synth: Synth) -> None:
    alarms = _by_property(synth.resources("AWS::CloudWatch::Alarm"), "AlarmName")
    for spec in ALL_QUEUES:
        dlq = alarms[f"{RESOURCE_PREFIX}-{spec.logical}-dlq-not-empty"]
        assert dlq["MetricName"] == "ApproximateNumberOfMessagesVisible"
        assert dlq["Threshold"] == 0 and dlq["ComparisonOperator"] == "GreaterThanThreshold"
        age = alarms[f"{RESOURCE_PREFIX}-{spec.logical}-queue-age"]
        assert age["MetricName"] == "ApproximateAgeOfOldestMessage"
    for function in ALL_FUNCTIONS:  # a rate: errors / invocations of that function
        rate = alarms[f"{RESOURCE_PREFIX}-{function.name}-error-rate"]
        names = {q["MetricStat"]["Metric"]["MetricName"] for q in rate["Metrics"] if "MetricStat" in q}
        assert names == {"Errors", "Invocations"} and rate["Threshold"] == LAMBDA_ERROR_RATE_ALARM_PERCENT
    assert alarms[f"{RESOURCE_PREFIX}-reconciliation-drift"]["Namespace"] == "Jarchi"
    for name, connector in (("sma-call-failures", "chime"), ("eum-delivery-failures", "end_user_messaging")):
        alarm = alarms[f"{RESOURCE_PREFIX}-{name}"]
        stats = [q["MetricStat"]["Metric"] for q in alarm["Metrics"] if "MetricStat" in q]
        assert {m["MetricName"] for m in stats} == {"ProviderFailures", "ProviderReports"}
        assert all({"Name": "connector", "Value": connector} in m["Dimensions"] for m in stats)
    topic = _logical_id(synth, "AWS::SNS::Topic", "TopicName", ALARM_TOPIC_NAME)
    for alarm in alarms.values():  # every alarm notifies ops
        assert alarm["AlarmActions"] == [{"Ref": topic}], alarm["AlarmName"]


@pytest.mark.parametrize(
    "metric",
    [
        "ApproximateAgeOfOldestMessage",
        "ApproximateNumberOfMessagesVisible",
        "Throttles",
        "Duration",
        "ExecutionsFailed",
    ],
)
def test_r_ops_dashboard_shows(synth: Synth, metric: str) -> None:
    (dashboard,) = synth.resources("AWS::CloudWatch::Dashboard").values()
    assert metric in json.dumps(dashboard["Properties"]["DashboardBody"])
