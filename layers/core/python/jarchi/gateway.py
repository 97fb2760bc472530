"""The Lambda authorizer in front of the cloud API: each token's own rate limit, and no API Lambda call for a
request without a valid token (R-API, issue 14).

API Gateway calls `authorize` (a REQUEST authorizer on the `Authorization` header) on a cache miss and keeps
its answer for `AUTHORIZER_CACHE_SECONDS` per header value. A request without the header is refused by API
Gateway itself; one with a token that is not valid gets a Deny (API Gateway's ACCESS_DENIED, answered as 401
in the error shape), cached too, so a flood repeating one bad token calls neither function; neither ever
reaches the API Lambda. A Deny rather than raising "Unauthorized": a raise counts as a Lambda error (the
error-rate alarm) and is not cached. A
valid token's answer names its usage-plan key (`usageIdentifierKey`), registered at its first use, so the
plan's rate and burst (`jarchi.limits`, the same numbers the local platform's limiter uses) apply per token.
The API Lambda still authenticates every request: a revocation is refused at once there, even while this
answer is cached. `sweep` (hourly) removes the keys of revoked tokens."""

from __future__ import annotations

from functools import cache
from typing import Any, Final

from jarchi.accounts.tokens import bearer_token, token_hash
from jarchi.aws.usage_keys import ApiGatewayUsageKeys, key_value
from jarchi.settings import get_settings
from jarchi.store.accounts import DynamoAccounts

AUTHORIZER_CACHE_SECONDS: Final = 300
SWEEP_EVENT: Final = {"jarchi": "sweep_usage_keys"}  # the hourly rule's input


def usage_plan_name(resource_prefix: str) -> str:
    return f"{resource_prefix}-per-token"


@cache
def _accounts() -> DynamoAccounts:
    return DynamoAccounts()


@cache
def _keys() -> ApiGatewayUsageKeys:
    settings = get_settings()
    return ApiGatewayUsageKeys(settings.region, usage_plan_name(settings.resource_prefix))


def _header(event: dict[str, Any], name: str) -> str | None:
    headers = event.get("headers") or {}
    return next((str(value) for key, value in headers.items() if key.lower() == name), None)


def _whole_api(method_arn: str) -> str:
    """`arn:…:execute-api:region:account:api/stage/*`: the answer is cached per token and reused for every
    route, so it must allow them all (which route a token may use is the API's own check)."""
    api, stage = method_arn.split("/")[:2]
    return f"{api}/{stage}/*"


def _policy(principal: str, effect: str, method_arn: str) -> dict[str, Any]:
    statement = {"Action": "execute-api:Invoke", "Effect": effect, "Resource": _whole_api(method_arn)}
    return {"principalId": principal, "policyDocument": {"Version": "2012-10-17", "Statement": [statement]}}


def authorize(event: dict[str, Any]) -> dict[str, Any]:
    """A REQUEST authorizer's answer: Allow under the token's usage key, or Deny."""
    secret = bearer_token(_header(event, "authorization"))
    found = _accounts().find_token_and_usage_key(token_hash(secret)) if secret else None
    if found is None:
        return _policy("anonymous", "Deny", event["methodArn"])
    token, key_id = found
    if key_id is None:
        key_id = _keys().register(token.account_id, token.id)
        if not _accounts().set_usage_key(token, key_id):  # revoked meanwhile
            _keys().remove(key_id)
            return _policy("anonymous", "Deny", event["methodArn"])
    return {
        **_policy(token.id, "Allow", event["methodArn"]),
        "usageIdentifierKey": key_value(token.id),
        "context": {"account_id": token.account_id, "token_id": token.id},
    }


def sweep() -> dict[str, int]:
    """Remove the usage keys of tokens that no longer exist."""
    kept = removed = 0
    for key in list(_keys().keys()):
        if _accounts().token_exists(key.account_id, key.token_id):
            kept += 1
        else:
            _keys().remove(key.id)
            removed += 1
    return {"kept": kept, "removed": removed}


def reset() -> None:
    """Forget the cached adapters (tests: a new emulator)."""
    _accounts.cache_clear()
    _keys.cache_clear()
