"""The check behind infra/access.py: a DynamoDB request issued from a function's code, with an action that
function's grant lacks, is a violation that fails the test (tests/conftest.py); one within it is not."""

from __future__ import annotations

from typing import Any

import boto3

from jarchi.settings import Settings
from tests import dynamodb_calls


def _as_function(function: str, source: str, **names: Any) -> None:
    """Run `source` as if it were code of `functions.<function>` (the recorder reads the module name)."""
    exec(
        compile(source, f"functions/{function}/probe.py", "exec"), {"__name__": f"functions.{function}.probe", **names}
    )


def test_an_action_outside_the_functions_grant_is_a_violation(aws: Settings) -> None:
    client = boto3.client("dynamodb", region_name=aws.region)
    table = aws.table_name("accounts")
    key = {"pk": {"S": "acc-probe"}, "sk": {"S": "profile"}}
    _as_function("authorizer", "client.get_item(TableName=table, Key=key)", client=client, table=table, key=key)
    assert dynamodb_calls.take_violations() == []  # GetItem: the authorizer reads tokens
    _as_function("authorizer", "client.delete_item(TableName=table, Key=key)", client=client, table=table, key=key)
    [violation] = dynamodb_calls.take_violations()
    assert "authorizer" in violation and "dynamodb:DeleteItem" in violation and "accounts" in violation


def test_a_transaction_needs_each_items_action_and_requests_outside_functions_are_not_checked(
    aws: Settings,
) -> None:
    client = boto3.client("dynamodb", region_name=aws.region)
    table = aws.table_name("accounts")
    item = {"pk": {"S": "acc-probe"}, "sk": {"S": "profile"}}
    client.delete_item(TableName=table, Key=item)  # the test's own request: no function's
    assert dynamodb_calls.take_violations() == []
    _as_function(
        "authorizer",
        "client.transact_write_items(TransactItems=[{'Put': {'TableName': table, 'Item': item}}])",
        client=client,
        table=table,
        item=item,
    )
    [violation] = dynamodb_calls.take_violations()
    assert "dynamodb:PutItem" in violation  # TransactWriteItems is no IAM action: the item's Put is
