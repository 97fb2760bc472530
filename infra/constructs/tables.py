"""One DynamoDB table per `jarchi.store.tables.TableSpec`: the store's definitions are the source of truth."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from infra.constructs.scanners import skip_checkov
from jarchi.store.tables import ALL_TABLES, Key, TableSpec

_ATTRIBUTE_TYPES = {"S": dynamodb.AttributeType.STRING, "N": dynamodb.AttributeType.NUMBER}


def _attribute(key: Key) -> dynamodb.Attribute:
    return dynamodb.Attribute(name=key.name, type=_ATTRIBUTE_TYPES[key.type])


class Tables(Construct):
    """On-demand tables with point-in-time recovery, TTL and GSIs exactly as the store defines them."""

    def __init__(self, scope: Construct, construct_id: str, *, prefix: str) -> None:
        super().__init__(scope, construct_id)
        self.by_logical: dict[str, dynamodb.Table] = {spec.logical: self._table(spec, prefix) for spec in ALL_TABLES}

    def _table(self, spec: TableSpec, prefix: str) -> dynamodb.Table:
        table = dynamodb.Table(
            self,
            spec.logical,
            table_name=f"{prefix}-{spec.logical}",
            partition_key=_attribute(spec.partition),
            sort_key=_attribute(spec.sort) if spec.sort else None,
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            time_to_live_attribute=spec.ttl_attribute,
            removal_policy=RemovalPolicy.RETAIN,
        )
        for index in spec.indexes:
            table.add_global_secondary_index(
                index_name=index.name,
                partition_key=_attribute(index.partition),
                sort_key=_attribute(index.sort) if index.sort else None,
                projection_type=dynamodb.ProjectionType.ALL,
            )
        skip_checkov(
            table,
            "CKV_AWS_119",
            "Encrypted with the AWS-managed DynamoDB key (KMS, audited in CloudTrail); a customer key would add a "
            "KMS request charge to every table call of every attempt and its key policy to every deployment.",
        )
        return table
