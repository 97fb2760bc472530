"""R-API (issue 14): per-token rate limits in the cloud, with the local platform's numbers, and no API Lambda
call for a request without a valid token: a Lambda REQUEST authorizer names each token's usage-plan key."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from infra.constants import RESOURCE_PREFIX
from jarchi import limits
from jarchi.gateway import AUTHORIZER_CACHE_SECONDS, SWEEP_EVENT, usage_plan_name
from jarchi.resources import API_PUBLIC_PATHS
from tests.infra.conftest import Synth
from tests.infra.test_stack import _api_paths, _functions, _logical_id

AUTHORIZER_FUNCTION = f"{RESOURCE_PREFIX}-authorizer"


def _authorizer_function_id(synth: Synth) -> str:
    return _logical_id(synth, "AWS::Lambda::Function", "FunctionName", AUTHORIZER_FUNCTION)


def test_r_api_a_request_authorizer_on_the_authorization_header_cached_per_token(synth: Synth) -> None:
    (authorizer,) = synth.resources("AWS::ApiGateway::Authorizer").values()
    props = authorizer["Properties"]
    assert props["Type"] == "REQUEST"
    assert props["IdentitySource"] == "method.request.header.Authorization"  # no header: refused by API Gateway
    assert props["AuthorizerResultTtlInSeconds"] == AUTHORIZER_CACHE_SECONDS
    assert _authorizer_function_id(synth) in json.dumps(props["AuthorizerUri"])
    (rest_api,) = synth.resources("AWS::ApiGateway::RestApi").values()
    assert rest_api["Properties"]["ApiKeySourceType"] == "AUTHORIZER"  # never a client's x-api-key


def test_r_api_every_route_but_the_public_ones_needs_the_authorizer_and_a_usage_key(synth: Synth) -> None:
    paths = _api_paths(synth)
    (authorizer_id,) = synth.resources("AWS::ApiGateway::Authorizer")
    guarded = public = 0
    for method in synth.resources("AWS::ApiGateway::Method").values():
        props = method["Properties"]
        if paths[props["ResourceId"]["Ref"]] in API_PUBLIC_PATHS:
            assert props.get("AuthorizationType", "NONE") == "NONE" and not props.get("ApiKeyRequired")
            public += 1
        else:
            assert props["AuthorizationType"] == "CUSTOM"
            assert props["AuthorizerId"] == {"Ref": authorizer_id}
            assert props["ApiKeyRequired"] is True
            guarded += 1
    assert guarded >= 30 and public == len(API_PUBLIC_PATHS - {"/v1/docs", "/v1/openapi.json"}) + 2


def test_r_api_the_usage_plan_throttles_each_token_with_the_local_numbers(synth: Synth) -> None:
    (plan,) = synth.resources("AWS::ApiGateway::UsagePlan").values()
    props = plan["Properties"]
    assert props["UsagePlanName"] == usage_plan_name(RESOURCE_PREFIX)
    assert props["Throttle"] == {"RateLimit": limits.RATE_LIMIT_PER_SECOND, "BurstLimit": limits.RATE_LIMIT_BURST}
    (stage_id,) = synth.resources("AWS::ApiGateway::Stage")
    assert [s["Stage"] for s in props["ApiStages"]] == [{"Ref": stage_id}]


def _gateway_response(synth: Synth, response_type: str) -> dict[str, Any]:
    (found,) = [
        r["Properties"]
        for r in synth.resources("AWS::ApiGateway::GatewayResponse").values()
        if r["Properties"]["ResponseType"] == response_type
    ]
    return found


def test_r_api_api_gateways_own_refusals_are_in_the_error_shape(synth: Synth) -> None:
    throttled = _gateway_response(synth, "THROTTLED")
    assert throttled["StatusCode"] == "429"
    assert throttled["ResponseParameters"]["gatewayresponse.header.Retry-After"] == "'1'"
    assert json.loads(throttled["ResponseTemplates"]["application/json"])["error"]["code"] == "rate_limited"
    for response_type in ("UNAUTHORIZED", "ACCESS_DENIED"):
        refused = _gateway_response(synth, response_type)
        assert refused["StatusCode"] == "401"
        assert json.loads(refused["ResponseTemplates"]["application/json"])["error"]["code"] == "unauthorized"
    for response_type in ("DEFAULT_4XX", "DEFAULT_5XX", "QUOTA_EXCEEDED", "MISSING_AUTHENTICATION_TOKEN"):
        body = json.loads(_gateway_response(synth, response_type)["ResponseTemplates"]["application/json"])
        assert set(body["error"]) == {"code", "message"}


def test_r_api_the_authorizer_manages_usage_keys_and_sweeps_hourly(synth: Synth) -> None:
    function_id = _authorizer_function_id(synth)
    role_id = _functions(synth)[AUTHORIZER_FUNCTION]["Role"]["Fn::GetAtt"][0]
    statements = [
        statement
        for policy in synth.resources("AWS::IAM::Policy").values()
        if {"Ref": role_id} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    actions = {a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    assert {"apigateway:GET", "apigateway:POST", "apigateway:DELETE", "dynamodb:Query", "dynamodb:UpdateItem"} <= (
        actions
    )
    assert "dynamodb:DeleteItem" not in actions  # the authorizer never deletes (infra/access.py)
    sweeps = [
        rule["Properties"]
        for rule in synth.resources("AWS::Events::Rule").values()
        if any(function_id in json.dumps(t["Arn"]) for t in rule["Properties"]["Targets"])
    ]
    assert [s["ScheduleExpression"] for s in sweeps] == ["rate(1 hour)"]
    assert json.loads(sweeps[0]["Targets"][0]["Input"]) == SWEEP_EVENT


def test_r_api_the_authorizer_starts_without_the_api_or_powertools() -> None:
    """Its cold start is on a cache miss's path: it imports neither the API nor its framework."""
    probe = (
        "import sys, functions.authorizer.handler; "
        "print(sorted(m for m in sys.modules if m.startswith(('aws_lambda_powertools', 'functions.api'))))"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]", loaded
