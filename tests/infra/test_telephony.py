"""The cloud connectors in the stack (R-DSP-4): End User Messaging's configuration set and its event path to
connector-events, the SIP media application on the telephony function, least-privilege grants."""

from __future__ import annotations

from typing import Any

from infra.constants import RESOURCE_PREFIX
from jarchi.connectors.end_user_messaging.events import FINAL_EVENT_TYPES
from jarchi.resources import RECORDING_DAYS
from tests.infra.conftest import Synth
from tests.infra.test_stack import _function_id, _logical_id


def _only(synth: Synth, type_: str) -> dict[str, Any]:
    (resource,) = synth.resources(type_).values()
    return resource["Properties"]


def _statements(synth: Synth, function: str) -> list[dict[str, Any]]:
    function_id = _function_id(synth, function)
    role = synth.resources("AWS::Lambda::Function")[function_id]["Properties"]["Role"]["Fn::GetAtt"][0]
    policies = [*synth.resources("AWS::IAM::Policy").values(), *synth.resources("AWS::IAM::ManagedPolicy").values()]
    return [  # CDK moves statements past a policy's size limit into overflow managed policies
        statement
        for policy in policies
        if {"Ref": role} in policy["Properties"].get("Roles", [])
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def test_r_sms_5_final_delivery_events_go_through_an_encrypted_topic_to_connector_events(synth: Synth) -> None:
    config_set = _only(synth, "AWS::SMSVOICE::ConfigurationSet")
    assert config_set["ConfigurationSetName"] == f"{RESOURCE_PREFIX}-sms"
    [destination] = config_set["EventDestinations"]
    assert destination["Enabled"] is True
    assert sorted(destination["MatchingEventTypes"]) == sorted(FINAL_EVENT_TYPES)
    topic_id = destination["SnsDestination"]["TopicArn"]["Ref"]
    topic = synth.resources("AWS::SNS::Topic")[topic_id]["Properties"]
    assert "KmsMasterKeyId" in topic
    queue_id = _logical_id(synth, "AWS::SQS::Queue", "QueueName", f"{RESOURCE_PREFIX}-connector-events")
    [subscription] = synth.resources("AWS::SNS::Subscription").values()
    assert subscription["Properties"]["Endpoint"] == {"Fn::GetAtt": [queue_id, "Arn"]}
    assert subscription["Properties"]["RawMessageDelivery"] is True
    key = synth.resources("AWS::KMS::Key")[topic["KmsMasterKeyId"]["Fn::GetAtt"][0]]
    assert key["Properties"]["EnableKeyRotation"] is True


def test_r_dsp_4_the_sip_media_application_calls_the_telephony_function(synth: Synth) -> None:
    sma = _only(synth, "AWS::Chime::SipMediaApplication")
    telephony = _function_id(synth, "telephony")
    assert sma["Endpoints"] == [{"LambdaArn": {"Fn::GetAtt": [telephony, "Arn"]}}]
    permissions = [
        p["Properties"]
        for p in synth.resources("AWS::Lambda::Permission").values()
        if p["Properties"]["Principal"] == "voiceconnector.chime.amazonaws.com"
    ]
    assert [p["FunctionName"] for p in permissions] == [{"Fn::GetAtt": [telephony, "Arn"]}]
    assert all("SourceAccount" in p for p in permissions)


def test_least_privilege_the_dispatch_function_sends_messages_and_creates_calls_only(synth: Synth) -> None:
    statements = _statements(synth, "dispatch")
    texts = [s for s in statements if s["Action"] == ["sms-voice:SendTextMessage", "sms-voice:SendVoiceMessage"]]
    calls = [s for s in statements if s["Action"] == "chime:CreateSipMediaApplicationCall"]
    assert len(texts) == 1 and len(calls) == 1
    sma_id = next(iter(synth.resources("AWS::Chime::SipMediaApplication")))
    assert calls[0]["Resource"] == {"Fn::GetAtt": [sma_id, "SipMediaApplicationArn"]}
    resources = [part for r in texts[0]["Resource"] for part in r["Fn::Join"][1] if isinstance(part, str)]
    assert any(f"configuration-set/{RESOURCE_PREFIX}-sms" in part for part in resources)
    for statement in statements:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        assert not any(a.startswith(("sms-voice:", "chime:")) for a in actions) or statement in texts + calls


def test_provider_reports_reach_connector_events_from_their_three_sources_only(synth: Synth) -> None:
    queue_arn = {
        "Fn::GetAtt": [_logical_id(synth, "AWS::SQS::Queue", "QueueName", f"{RESOURCE_PREFIX}-connector-events"), "Arn"]
    }
    senders = set()
    for name in ("api", "workflow", "dispatch", "results", "connector_events", "telephony"):
        for statement in _statements(synth, name):
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            if "sqs:SendMessage" in actions and queue_arn in resources:
                senders.add(name)
    assert senders == {"telephony", "api"}  # besides End User Messaging's topic (the queue's own policy)


def test_numbers_and_identities_are_parameters_and_reach_the_dispatch_function(synth: Synth) -> None:
    parameters = synth.template.to_json()["Parameters"]
    assert parameters["SmsOriginationIdentity"]["Default"] == ""
    assert parameters["CallerIds"]["Default"] == ""
    dispatch = synth.resources("AWS::Lambda::Function")[_function_id(synth, "dispatch")]
    env = dispatch["Properties"]["Environment"]["Variables"]
    template, values = env["JARCHI_CONNECTOR_CONFIG"]["Fn::Sub"]
    assert "${Sma}" in template and values["CallerIds"] == {"Ref": "CallerIds"}


def test_provider_reports_are_grouped_in_big_batches_so_the_applied_sets_stay_small(synth: Synth) -> None:
    queue_id = _logical_id(synth, "AWS::SQS::Queue", "QueueName", f"{RESOURCE_PREFIX}-connector-events")
    [mapping] = [
        m["Properties"]
        for m in synth.resources("AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["EventSourceArn"] == {"Fn::GetAtt": [queue_id, "Arn"]}
    ]
    assert (mapping["BatchSize"], mapping["MaximumBatchingWindowInSeconds"]) == (200, 300)
    visibility = synth.resources("AWS::SQS::Queue")[queue_id]["Properties"]["VisibilityTimeout"]
    assert visibility >= 6 * 20 + 300  # AWS: six function timeouts plus the batching window


def test_r_out_5_recordings_are_kept_90_days_and_only_the_chime_service_of_this_account_writes_them(
    synth: Synth,
) -> None:
    [(bucket_id, bucket)] = [
        (logical, b)
        for logical, b in synth.resources("AWS::S3::Bucket").items()
        if b["Properties"]["BucketName"]["Fn::Join"][1][0] == f"{RESOURCE_PREFIX}-recordings-"
    ]
    [rule] = bucket["Properties"]["LifecycleConfiguration"]["Rules"]
    assert (rule["Status"], rule["ExpirationInDays"]) == ("Enabled", RECORDING_DAYS) and RECORDING_DAYS == 90
    [policy] = [
        p["Properties"]["PolicyDocument"]["Statement"]
        for p in synth.resources("AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": bucket_id}
    ]
    [chime] = [s for s in policy if s.get("Principal") == {"Service": "voiceconnector.chime.amazonaws.com"}]
    assert chime["Effect"] == "Allow" and sorted(chime["Action"]) == ["s3:PutObject", "s3:PutObjectAcl"]
    assert chime["Resource"]["Fn::Join"][1][-1] == "/recordings/*"
    assert chime["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
