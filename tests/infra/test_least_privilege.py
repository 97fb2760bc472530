"""Least privilege over every function's role (issue 10, "The stack"): no wildcard action, a `*` resource only for
the actions whose service allows nothing narrower, and only the tables, buckets and queues the function uses."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.access import DYNAMODB_ACTIONS, S3_ACTIONS, S3_PREFIXES
from infra.constants import FUNCTION_ACCESS, RESOURCE_PREFIX
from jarchi.resources import ALL_FUNCTIONS, Trigger
from tests.infra.conftest import Synth
from tests.infra.test_telephony import _statements

# Actions granted on `*`, each because its service has no resource to name (or not one known at deploy time).
STAR_RESOURCE_ACTIONS = {
    "xray:PutTraceSegments": "X-Ray has no resource-level permissions",
    "xray:PutTelemetryRecords": "X-Ray has no resource-level permissions",
    "acm:RequestCertificate": "the certificate does not exist before the request",
    "polly:SynthesizeSpeech": "its only resource type is the lexicon, and the speech engine names none",
}

# Each function's actions on services other than DynamoDB, S3 and SQS (those are checked table by table, bucket by
# bucket and queue by queue below): what its code calls, nothing else.
OTHER_ACTIONS = {
    "api": {
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "polly:SynthesizeSpeech",  # text-to-speech audio (R-TTS-1)
        "states:StartExecution",  # a campaign's run
        "states:DescribeExecution",  # whether a retried action's run started
        "scheduler:CreateSchedule",  # scheduled campaigns (R-CMP-2)
        "scheduler:UpdateSchedule",
        "scheduler:DeleteSchedule",
        "scheduler:GetSchedule",
        "iam:PassRole",  # the schedules' role
        "acm:RequestCertificate",  # white-label domains (R-ACC-6)
        "acm:DescribeCertificate",
        "acm:DeleteCertificate",
        "apigateway:GET",
        "apigateway:POST",
        "apigateway:DELETE",
        "route53:GetHostedZone",
        "route53:ChangeResourceRecordSets",
    },
    "authorizer": {  # a token's usage-plan key, and the hourly sweep of revoked tokens' keys
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "apigateway:GET",
        "apigateway:POST",
        "apigateway:DELETE",
    },
    "dispatch": {  # the connectors: End User Messaging texts and voice messages, Chime SDK calls
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "sms-voice:SendTextMessage",
        "sms-voice:SendVoiceMessage",
        "chime:CreateSipMediaApplicationCall",
    },
    "domains": {  # moves pending white-label domains on
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "acm:RequestCertificate",
        "acm:DescribeCertificate",
        "acm:DeleteCertificate",
        "apigateway:GET",
        "apigateway:POST",
        "apigateway:DELETE",
        "route53:GetHostedZone",
        "route53:ChangeResourceRecordSets",
    },
}
XRAY_ONLY = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}

# queue (logical name) → the functions that send to it. Publishers of webhook events are the functions that write
# statuses or recipient states (not dispatch, whose results go to the results queue, nor telephony).
SENDERS = {
    "dispatch": {"workflow", "dispatch", "results"},  # admitted attempts, connector retries, retry parts/follow-ups
    "results": {"dispatch", "results", "connector_events"},  # placements' results, results not due yet, reports
    "connector-events": {"api", "telephony"},  # the HTTPS provider's callbacks, the SMA's call results
    "exports": {"api"},
    "imports": {"api", "imports"},
    "webhooks": {"api", "workflow", "results", "connector_events", "webhooks"},
    "webhooks-dlq": {"webhooks"},
}
# A Scan reads a whole table: only where no key or index can name the items wanted.
SCANS = {
    "api": "the admin's listing of every account, and of every caller ID",
    "domains": "the pending domains of every reseller, a table of one item per white-label domain",
}


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _by_name(synth: Synth, type_: str, name_property: str) -> dict[str, str]:
    """Deployed name → logical id, for the resources of `type_` with a literal name."""
    return {str(r["Properties"][name_property]): lid for lid, r in synth.resources(type_).items()}


def _referenced(synth: Synth, statements: list[dict[str, Any]], type_: str) -> set[str]:
    """The logical ids of `type_` resources that the statements' resources name."""
    ids = set(synth.resources(type_))
    text = json.dumps([s["Resource"] for s in statements])
    return {logical_id for logical_id in ids if f'"{logical_id}"' in text}


@pytest.mark.parametrize("function", [spec.name for spec in ALL_FUNCTIONS])
def test_least_privilege_no_wildcard_action_and_star_resources_only_where_nothing_narrower_exists(
    synth: Synth, function: str
) -> None:
    statements = _statements(synth, function)
    assert statements, f"{function} has no policy"
    for statement in statements:
        actions = _listed(statement["Action"])
        assert statement["Effect"] == "Allow"
        assert not [a for a in actions if "*" in a], f"{function}: wildcard action in {actions}"
        if "*" in _listed(statement["Resource"]):
            assert set(actions) <= set(STAR_RESOURCE_ACTIONS), f"{function}: {actions} on every resource"


@pytest.mark.parametrize("function", [spec.name for spec in ALL_FUNCTIONS])
def test_least_privilege_each_function_names_only_its_own_tables_and_buckets(synth: Synth, function: str) -> None:
    statements = _statements(synth, function)
    access = FUNCTION_ACCESS[function]
    tables = _by_name(synth, "AWS::DynamoDB::Table", "TableName")
    dynamodb = [s for s in statements if _listed(s["Action"])[0].startswith("dynamodb:")]
    assert _referenced(synth, dynamodb, "AWS::DynamoDB::Table") == {
        tables[f"{RESOURCE_PREFIX}-{t}"] for t in access.tables
    }
    assert set(_object_actions(synth, function)) == set(access.buckets)


def _bucket_names(synth: Synth) -> dict[str, str]:
    """Bucket logical id → its logical name in `jarchi.resources` (media, lists, ...)."""
    return {
        synth.stack.get_logical_id(bucket.node.default_child): logical  # type: ignore[arg-type]
        for logical, bucket in synth.stack.buckets.by_logical.items()
    }


def _object_actions(synth: Synth, function: str) -> dict[str, dict[str, set[str]]]:
    """Bucket → key prefix (`""`: the bucket itself) → the S3 actions the function's policy grants there."""
    names = _bucket_names(synth)
    granted: dict[str, dict[str, set[str]]] = {}
    for statement in _statements(synth, function):
        actions = [a for a in _listed(statement["Action"]) if a.startswith("s3:")]
        if not actions:
            continue
        assert len(actions) == len(_listed(statement["Action"])), f"{function}: S3 mixed with other services"
        for resource in _listed(statement["Resource"]):
            if "Fn::GetAtt" in resource:  # the bucket's ARN
                bucket, prefix = resource["Fn::GetAtt"][0], ""
            else:  # {"Fn::Join": ["", [{"Fn::GetAtt": [bucket, "Arn"]}, "/<prefix>*"]]}
                [head, tail] = resource["Fn::Join"][1]
                bucket, prefix = head["Fn::GetAtt"][0], tail
                assert prefix.startswith("/") and prefix.endswith("/*"), f"{function}: {prefix} is not one prefix"
                prefix = prefix[1:-1]
            granted.setdefault(names[bucket], {}).setdefault(prefix, set()).update(actions)
    return granted


@pytest.mark.parametrize("function", [spec.name for spec in ALL_FUNCTIONS])
def test_least_privilege_each_function_is_granted_exactly_its_s3_actions_prefix_by_prefix(
    synth: Synth, function: str
) -> None:
    """Each object action on the key prefixes `infra/access.py` names for the function (tests/conftest.py fails a test
    in which it issues one outside them), and ListBucket, on the bucket alone, where it reads objects: a missing key
    is then a 404, which the code reads as "not there", not a 403."""
    expected: dict[str, dict[str, set[str]]] = {
        bucket: {prefix: set(actions) for prefix, actions in prefixes.items()}
        for bucket, prefixes in S3_ACTIONS.get(function, {}).items()
    }
    for prefixes in expected.values():
        assert set(prefixes) <= set(S3_PREFIXES)
        if any("s3:GetObject" in actions for actions in prefixes.values()):
            prefixes[""] = {"s3:ListBucket"}
    assert _object_actions(synth, function) == expected


def test_least_privilege_no_function_may_touch_another_prefix_than_its_own_key_layout(synth: Synth) -> None:
    """No grant covers a whole bucket's objects (`bucket/*`); every granted prefix is a key layout of the code."""
    for function in (spec.name for spec in ALL_FUNCTIONS):
        for prefixes in _object_actions(synth, function).values():
            assert "*" not in prefixes
            assert set(prefixes) - {""} <= set(S3_PREFIXES), function


@pytest.mark.parametrize("function", [spec.name for spec in ALL_FUNCTIONS])
def test_least_privilege_a_function_receives_only_from_its_own_queue(synth: Synth, function: str) -> None:
    spec = next(s for s in ALL_FUNCTIONS if s.name == function)
    receiving = [s for s in _statements(synth, function) if "sqs:ReceiveMessage" in _listed(s["Action"])]
    if spec.trigger is not Trigger.QUEUE:
        assert receiving == []
        return
    assert spec.queue is not None
    own = _by_name(synth, "AWS::SQS::Queue", "QueueName")[f"{RESOURCE_PREFIX}-{spec.queue.logical}"]
    assert _referenced(synth, receiving, "AWS::SQS::Queue") == {own}


def _table_actions(synth: Synth, function: str) -> dict[str, set[str]]:
    """Logical table name → the DynamoDB actions the function's policy grants on it (its indexes included)."""
    by_id = {
        lid: name.removeprefix(f"{RESOURCE_PREFIX}-")
        for name, lid in _by_name(synth, "AWS::DynamoDB::Table", "TableName").items()
    }
    granted: dict[str, set[str]] = {}
    for statement in _statements(synth, function):
        actions = [a for a in _listed(statement["Action"]) if a.startswith("dynamodb:")]
        if not actions:
            continue
        assert len(actions) == len(_listed(statement["Action"])), f"{function}: DynamoDB mixed with others"
        for logical_id in _referenced(synth, [statement], "AWS::DynamoDB::Table"):
            granted.setdefault(by_id[logical_id], set()).update(actions)
    return granted


@pytest.mark.parametrize("function", [spec.name for spec in ALL_FUNCTIONS])
def test_least_privilege_each_function_is_granted_exactly_its_dynamodb_actions_table_by_table(
    synth: Synth, function: str
) -> None:
    """The synthesized policy grants what `infra/access.py` names, no more: the actions the function was seen to
    issue (tests/conftest.py fails a test in which it issues one outside them), not CDK's read/write group."""
    expected = {table: set(actions) for table, actions in DYNAMODB_ACTIONS[function].items()}
    assert _table_actions(synth, function) == expected
    assert set(expected) == set(FUNCTION_ACCESS[function].tables)
    granted = set().union(*expected.values())
    assert not {"dynamodb:DescribeTable", "dynamodb:GetRecords", "dynamodb:GetShardIterator"} & granted
    assert ("dynamodb:Scan" in granted) == (function in SCANS)


@pytest.mark.parametrize("function", [spec.name for spec in ALL_FUNCTIONS])
def test_least_privilege_each_function_calls_only_its_own_other_services(synth: Synth, function: str) -> None:
    """Beyond DynamoDB, S3 and SQS: exactly the actions its code calls (X-Ray alone for most functions)."""
    granted = {
        action
        for statement in _statements(synth, function)
        for action in _listed(statement["Action"])
        if not action.startswith(("dynamodb:", "s3:", "sqs:"))
    }
    assert granted == OTHER_ACTIONS.get(function, XRAY_ONLY)


@pytest.mark.parametrize("queue", sorted(SENDERS))
def test_least_privilege_only_the_functions_that_send_to_a_queue_may(synth: Synth, queue: str) -> None:
    queue_id = _by_name(synth, "AWS::SQS::Queue", "QueueName")[f"{RESOURCE_PREFIX}-{queue}"]
    senders = {
        spec.name
        for spec in ALL_FUNCTIONS
        for statement in _statements(synth, spec.name)
        if "sqs:SendMessage" in _listed(statement["Action"])
        and queue_id in _referenced(synth, [statement], "AWS::SQS::Queue")
    }
    assert senders == SENDERS[queue]
