"""One private, encrypted, SSL-only S3 bucket per `jarchi.resources.BucketSpec`."""

from __future__ import annotations

from aws_cdk import Aws, Duration, RemovalPolicy
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.constructs.nag import acknowledge
from infra.constructs.scanners import skip_checkov
from jarchi.resources import ALL_BUCKETS


def bucket_suffix() -> str:
    """Bucket names are global: `{prefix}-{logical}` gets `-{account}-{region}` appended (deploy-time tokens)."""
    return f"-{Aws.ACCOUNT_ID}-{Aws.REGION}"


class Buckets(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, prefix: str) -> None:
        super().__init__(scope, construct_id)
        self.by_logical: dict[str, s3.Bucket] = {}
        for spec in ALL_BUCKETS:
            bucket = s3.Bucket(
                self,
                spec.logical,
                bucket_name=f"{prefix}-{spec.logical}{bucket_suffix()}",
                block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
                encryption=s3.BucketEncryption.S3_MANAGED,
                enforce_ssl=True,
                versioned=False,
                object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
                removal_policy=RemovalPolicy.RETAIN,
                lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(spec.expire_days))]
                if spec.expire_days
                else None,
            )
            acknowledge(
                bucket,
                "AwsSolutions-S1",
                "Objects are written and read only by the Jarchi Lambdas, whose calls are traced and logged; "
                "S3 server access logs would add a log bucket without adding an audit trail we use.",
            )
            skip_checkov(
                bucket,
                "CKV_AWS_18",
                "As AwsSolutions-S1: only the Jarchi Lambdas read and write the objects, and their calls are traced.",
            )
            skip_checkov(
                bucket,
                "CKV_AWS_21",
                "Objects are written once under new keys (uploads, exports, speech) and expire by lifecycle rule; "
                "versions would keep deleted personal data (contact lists) past their expiry.",
            )
            self.by_logical[spec.logical] = bucket
