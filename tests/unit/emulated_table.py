"""One DynamoDB table in the emulator (moto with `local.emulator`'s request handling): `pk` (S) and `sk` (N), and
an index `by_g` on `g` (S) and `sk`, for the tests that hold the emulator's DynamoDB answers to moto's own."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from moto import mock_aws

from local import emulator


@contextmanager
def emulated_table(region: str, name: str) -> Iterator[Any]:
    """A DynamoDB client of the emulator, with the table `name` created."""
    emulator.set_fake_credentials(region)
    emulator.install_request_serialisation()
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name=region)
        dynamodb.create_table(
            TableName=name,
            BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "N"},
                {"AttributeName": "g", "AttributeType": "S"},
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "by_g",
                    "KeySchema": [
                        {"AttributeName": "g", "KeyType": "HASH"},
                        {"AttributeName": "sk", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
        )
        yield dynamodb
