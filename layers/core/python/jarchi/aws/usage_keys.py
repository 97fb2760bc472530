"""API Gateway usage-plan keys, one per API token: how the cloud throttles each token (R-API, issue 14).

A bearer token is not an API key, so the Lambda authorizer (`jarchi.gateway`) names one for it in its answer
(`usageIdentifierKey`, the API's key source being AUTHORIZER) and API Gateway applies the usage plan's rate
and burst to that key. The key's value is derived from the token's id: it is never sent by a client (API
Gateway takes keys only from the authorizer), so it identifies without being a secret. The key's customer id
is the token's account, so a sweep can tell whether the token still exists."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import ClientError

KEY_PREFIX = "jarchi-token-"


def key_value(token_id: str) -> str:
    """The key API Gateway counts this token's requests under (20..128 characters, as API keys must be)."""
    return f"{KEY_PREFIX}{token_id}"


@dataclass(frozen=True)
class UsageKey:
    id: str
    account_id: str
    token_id: str


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


class ApiGatewayUsageKeys:
    def __init__(self, region: str, usage_plan_name: str) -> None:
        self.client: Any = boto3.client("apigateway", region_name=region)
        self.usage_plan_name = usage_plan_name
        self._plan_id: str | None = None

    def plan_id(self) -> str:
        """Looked up by name once per container (an environment variable would make the stack a cycle:
        the plan depends on the stage, the stage on the methods, the methods on the authorizer)."""
        if self._plan_id is None:
            plans = self.client.get_paginator("get_usage_plans").paginate()
            found = [p["id"] for page in plans for p in page.get("items", []) if p["name"] == self.usage_plan_name]
            if not found:
                raise LookupError(f"no usage plan named {self.usage_plan_name!r}")
            self._plan_id = found[0]
        return self._plan_id

    def register(self, account_id: str, token_id: str) -> str:
        """The token's key in the usage plan, made if missing (idempotent); its API Gateway id."""
        value = key_value(token_id)
        try:
            key_id = str(self.client.create_api_key(name=value, value=value, enabled=True, customerId=account_id)["id"])
        except ClientError as error:
            if _code(error) != "ConflictException":
                raise
            key_id = next(key.id for key in self.keys() if key.token_id == token_id)
        try:
            self.client.create_usage_plan_key(usagePlanId=self.plan_id(), keyId=key_id, keyType="API_KEY")
        except ClientError as error:
            if _code(error) != "ConflictException":  # already in the plan
                raise
        return key_id

    def keys(self) -> Iterator[UsageKey]:
        """Every token key (made by `register`)."""
        pages = self.client.get_paginator("get_api_keys").paginate(nameQuery=KEY_PREFIX, includeValues=False)
        for page in pages:
            for item in page.get("items", []):
                name = str(item.get("name", ""))
                if name.startswith(KEY_PREFIX):
                    yield UsageKey(str(item["id"]), str(item.get("customerId", "")), name.removeprefix(KEY_PREFIX))

    def remove(self, key_id: str) -> None:
        try:
            self.client.delete_api_key(apiKey=key_id)
        except ClientError as error:
            if _code(error) != "NotFoundException":
                raise
