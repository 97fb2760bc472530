"""Real phones and real operators: End User Messaging's configuration set with its event destination (SNS,
KMS-encrypted, → the `connector-events` queue), the Chime SDK SIP media application on the telephony
function, and the connectors' own permissions. Numbers, sender IDs and origination identities are bought and
registered per deployment: they come in as parameters (docs/deploy.md), never from the code."""

from __future__ import annotations

from aws_cdk import Aws, CfnParameter, Fn, Stack
from aws_cdk import aws_chime as chime
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_smsvoice as smsvoice
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.constructs.nag import acknowledge
from infra.constructs.topics import service_topic
from jarchi.connectors.end_user_messaging.events import FINAL_EVENT_TYPES

SMS_VOICE = iam.ServicePrincipal("sms-voice.amazonaws.com")
PSTN_AUDIO = iam.ServicePrincipal("voiceconnector.chime.amazonaws.com")


class Telephony(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        prefix: str,
        telephony: lambda_.Function,
        dispatch: lambda_.Function,
        api: lambda_.Function,
        connector_events: sqs.IQueue,
        media: s3.IBucket,
        recordings: s3.IBucket,
    ) -> None:
        super().__init__(scope, construct_id)
        account, region, partition = Aws.ACCOUNT_ID, Aws.REGION, Aws.PARTITION
        same_account = {"StringEquals": {"aws:SourceAccount": account}}

        self.origination_identity = CfnParameter(
            Stack.of(self),
            "SmsOriginationIdentity",
            default="",
            description="End User Messaging pool (id or ARN) for SMS without a registered sender; empty: none",
        )
        self.caller_ids = CfnParameter(
            Stack.of(self),
            "CallerIds",
            default="",
            allowed_pattern=r"^(\+[1-9][0-9]{6,14}(,\+[1-9][0-9]{6,14})*)?$",
            description="Chime PSTN numbers of the caller-ID pool, E.164, comma-separated; empty: no calls",
        )

        # --- End User Messaging: delivery events → SNS → connector-events -----------------------------------
        topic = service_topic(self, "sms-events", topic_name=f"{prefix}-sms-events", publisher=SMS_VOICE)
        topic.add_subscription(subscriptions.SqsSubscription(connector_events, raw_message_delivery=True))
        self.configuration_set_name = f"{prefix}-sms"
        self.configuration_set = smsvoice.CfnConfigurationSet(
            self,
            "sms-configuration-set",
            configuration_set_name=self.configuration_set_name,
            event_destinations=[
                smsvoice.CfnConfigurationSet.EventDestinationProperty(
                    event_destination_name=f"{prefix}-results",
                    enabled=True,
                    matching_event_types=sorted(FINAL_EVENT_TYPES),
                    sns_destination=smsvoice.CfnConfigurationSet.SnsDestinationProperty(topic_arn=topic.topic_arn),
                )
            ],
        )
        # After the topic policy letting End User Messaging publish (the topic itself is referenced already).
        self.configuration_set.node.add_dependency(topic.node.find_child("Policy"))

        # --- Chime SDK PSTN audio: the SIP media application calls the telephony function -------------------
        permission = lambda_.CfnPermission(
            self,
            "sip-media-application-invoke",
            action="lambda:InvokeFunction",
            function_name=telephony.function_arn,
            principal=PSTN_AUDIO.service,
            source_account=account,
        )
        self.sip_media_application = chime.CfnSipMediaApplication(
            self,
            "sip-media-application",
            name=f"{prefix}-calls",
            aws_region=region,
            endpoints=[
                chime.CfnSipMediaApplication.SipMediaApplicationEndpointProperty(lambda_arn=telephony.function_arn)
            ],
        )
        self.sip_media_application.node.add_dependency(permission)
        media.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[PSTN_AUDIO],
                actions=["s3:GetObject"],
                resources=[media.arn_for_objects("audio/*")],
                conditions=same_account,
            )
        )
        # StartCallRecording delivers the recordings of `record: true` campaigns (R-OUT-5); the bucket's
        # lifecycle rule deletes them after RECORDING_DAYS.
        recordings.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[PSTN_AUDIO],
                actions=["s3:PutObject", "s3:PutObjectAcl"],
                resources=[recordings.arn_for_objects("recordings/*")],
                conditions=same_account,
            )
        )
        connector_events.grant_send_messages(telephony)  # call results at HANGUP
        connector_events.grant_send_messages(api)  # the HTTPS provider's signed callbacks

        # --- the connectors' permissions and settings -----------------------------------------------------
        sms_voice_arn = f"arn:{partition}:sms-voice:{region}:{account}"
        dispatch.add_to_role_policy(
            iam.PolicyStatement(
                actions=["sms-voice:SendTextMessage", "sms-voice:SendVoiceMessage"],
                resources=[
                    f"{sms_voice_arn}:configuration-set/{self.configuration_set_name}",
                    f"{sms_voice_arn}:sender-id/*",
                    f"{sms_voice_arn}:pool/*",
                    f"{sms_voice_arn}:phone-number/*",
                ],
            )
        )
        for kind in ("sender-id", "pool", "phone-number"):
            acknowledge(
                dispatch,
                f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:sms-voice:<AWS::Region>:<AWS::AccountId>:{kind}/*]",
                "Sender IDs, pools and numbers are registered per deployment after the stack exists; the grant is "
                "limited to SendTextMessage and SendVoiceMessage on this account's identities of this kind.",
            )
        dispatch.add_to_role_policy(
            iam.PolicyStatement(
                actions=["chime:CreateSipMediaApplicationCall"],
                resources=[self.sip_media_application.attr_sip_media_application_arn],
            )
        )
        self.connector_config = Fn.sub(
            '{"end_user_messaging":{"configuration_set":"${ConfigurationSet}","origination_identity":"${Identity}"},'
            '"chime":{"sip_media_application_id":"${Sma}","caller_ids":"${CallerIds}"}}',
            {
                "ConfigurationSet": self.configuration_set_name,
                "Identity": self.origination_identity.value_as_string,
                "Sma": self.sip_media_application.attr_sip_media_application_id,
                "CallerIds": self.caller_ids.value_as_string,
            },
        )
        # Only the dispatch function places calls and texts; the telephony function runs the call script with its
        # defaults (the SIP media application's id in its environment would make the two depend on each other).
        dispatch.add_environment("JARCHI_CONNECTOR_CONFIG", self.connector_config)
