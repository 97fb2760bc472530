"""An SNS topic a service publishes to, encrypted with a customer key that service may use (an SNS-managed key
cannot name a service principal), TLS only, publishable only from this account."""

from __future__ import annotations

from aws_cdk import Aws
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from constructs import Construct


def service_topic(
    scope: Construct, construct_id: str, *, topic_name: str, publisher: iam.ServicePrincipal
) -> sns.Topic:
    same_account = {"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}}
    key = kms.Key(
        scope, f"{construct_id}-key", enable_key_rotation=True, description=f"Encrypts the {topic_name} topic"
    )
    key.add_to_resource_policy(
        iam.PolicyStatement(
            principals=[publisher],
            actions=["kms:GenerateDataKey*", "kms:Decrypt"],
            resources=["*"],  # a key policy's own key
            conditions=same_account,
        )
    )
    topic = sns.Topic(scope, construct_id, topic_name=topic_name, master_key=key, enforce_ssl=True)
    topic.add_to_resource_policy(
        iam.PolicyStatement(
            principals=[publisher], actions=["sns:Publish"], resources=[topic.topic_arn], conditions=same_account
        )
    )
    return topic
