"""R-API (issue 14): the cloud's Lambda authorizer against moto's DynamoDB and API Gateway: a valid token is
let through under its own usage-plan key (made once, at its first use), anything else is denied (401 in the
error shape, tests/infra/test_api_authorizer.py) before the API Lambda, and the hourly sweep removes the keys
of revoked tokens."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from functions.authorizer.handler import handler
from jarchi import gateway
from jarchi.accounts.tokens import token_hash
from jarchi.aws.usage_keys import key_value
from jarchi.settings import Settings
from jarchi.store.accounts import DynamoAccounts
from local.seed import seed_admin

METHOD_ARN = "arn:aws:execute-api:eu-central-1:123456789012:abc123/api/GET/v1/accounts/me"


@pytest.fixture
def plan(aws: Settings) -> Iterator[tuple[Any, str]]:
    """A REST API with the per-token usage plan, as the cloud stack makes it."""
    client = boto3.client("apigateway", region_name=aws.region)
    api = client.create_rest_api(name="jarchi-api")
    usage_plan = client.create_usage_plan(
        name=gateway.usage_plan_name(aws.resource_prefix), throttle={"rateLimit": 50, "burstLimit": 100}
    )
    gateway.reset()
    yield client, usage_plan["id"]
    gateway.reset()
    client.delete_rest_api(restApiId=api["id"])


def _event(authorization: str | None) -> dict[str, Any]:
    headers = {"Authorization": authorization} if authorization is not None else {}
    return {"type": "REQUEST", "methodArn": METHOD_ARN, "headers": headers}


def _plan_keys(client: Any, plan_id: str) -> list[str]:
    return [key["name"] for key in client.get_usage_plan_keys(usagePlanId=plan_id)["items"]]


def test_r_api_a_valid_token_passes_under_its_own_usage_key_made_once(plan: tuple[Any, str]) -> None:
    client, plan_id = plan
    secret = seed_admin().secret
    token = DynamoAccounts().find_token(token_hash(secret))
    assert token is not None
    answer = handler(_event(f"Bearer {secret}"), None)
    assert answer["principalId"] == token.id
    assert answer["usageIdentifierKey"] == key_value(token.id)
    (statement,) = answer["policyDocument"]["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Resource"] == "arn:aws:execute-api:eu-central-1:123456789012:abc123/api/*"  # cached: all
    assert _plan_keys(client, plan_id) == [key_value(token.id)]
    gateway.reset()  # another container: the key is found on the token, not made again
    assert handler(_event(f"bearer {secret}"), None)["usageIdentifierKey"] == key_value(token.id)
    assert [k["name"] for k in client.get_api_keys()["items"]] == [key_value(token.id)]


def _denied(answer: dict[str, Any]) -> bool:
    (statement,) = answer["policyDocument"]["Statement"]
    return bool(statement["Effect"] == "Deny" and "usageIdentifierKey" not in answer)


@pytest.mark.parametrize("authorization", [None, "", "Basic abc", "Bearer jk_not_a_token_of_ours"])
def test_r_api_anything_but_a_valid_token_is_denied_at_the_authorizer(
    plan: tuple[Any, str], authorization: str | None
) -> None:
    client, _ = plan
    assert _denied(handler(_event(authorization), None))  # the API Lambda is not called
    assert client.get_api_keys()["items"] == []


def test_r_api_the_sweep_removes_the_keys_of_revoked_tokens(plan: tuple[Any, str]) -> None:
    client, plan_id = plan
    admin = seed_admin()
    spare = seed_admin()  # a second admin account's token: two keys
    for issued in (admin, spare):
        handler(_event(f"Bearer {issued.secret}"), None)
    assert len(_plan_keys(client, plan_id)) == 2
    DynamoAccounts().delete_token(spare.token.account_id, spare.token.id)
    assert handler(gateway.SWEEP_EVENT, None) == {"kept": 1, "removed": 1}
    assert [k["name"] for k in client.get_api_keys()["items"]] == [key_value(admin.token.id)]
    assert _denied(handler(_event(f"Bearer {spare.secret}"), None))
