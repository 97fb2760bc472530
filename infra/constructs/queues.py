"""One SQS queue and its dead-letter queue per `jarchi.resources.QueueSpec`."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.constants import DLQ_RETENTION_DAYS
from infra.constructs.nag import acknowledge
from infra.constructs.scanners import skip_checkov
from jarchi.resources import ALL_QUEUES, QueueSpec


class Queues(Construct):
    """Work queues redriven to their DLQ after `max_receive_count` deliveries; SSL only, SQS-managed SSE."""

    def __init__(self, scope: Construct, construct_id: str, *, prefix: str) -> None:
        super().__init__(scope, construct_id)
        self.specs: dict[str, QueueSpec] = {spec.logical: spec for spec in ALL_QUEUES}
        self.dlqs: dict[str, sqs.Queue] = {}
        self.by_logical: dict[str, sqs.Queue] = {}
        for spec in ALL_QUEUES:
            dlq = sqs.Queue(
                self,
                spec.dlq_logical,
                queue_name=f"{prefix}-{spec.dlq_logical}",
                retention_period=Duration.days(DLQ_RETENTION_DAYS),
                encryption=sqs.QueueEncryption.SQS_MANAGED,
                enforce_ssl=True,
            )
            acknowledge(dlq, "AwsSolutions-SQS3", "This queue is itself a dead-letter queue.")
            self.dlqs[spec.logical] = dlq
            self.by_logical[spec.logical] = sqs.Queue(
                self,
                spec.logical,
                queue_name=f"{prefix}-{spec.logical}",
                visibility_timeout=Duration.seconds(spec.visibility_timeout_seconds),
                encryption=sqs.QueueEncryption.SQS_MANAGED,
                enforce_ssl=True,
                dead_letter_queue=sqs.DeadLetterQueue(queue=dlq, max_receive_count=spec.max_receive_count),
            )
            for queue in (dlq, self.by_logical[spec.logical]):
                skip_checkov(
                    queue,
                    "CKV_AWS_27",
                    "Encrypted at rest with SQS-managed keys (SqsManagedSseEnabled); checkov only recognises a KMS "
                    "key, which would add a KMS call per message batch.",
                )
