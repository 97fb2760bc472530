"""The OpenAPI document as the API really answers: Powertools' generated document, completed at one place.

Powertools documents the success answer of each route and a FastAPI-style `{"detail": [...]}` 422. The API
answers every error as `{"error": {"code", "message", ...}}` (R-API), from its front door (functions.api.edge)
as from the routes, so the statuses every operation can answer are added here by rule, with that schema:

- every operation behind the token: 400 (malformed query or body), 401, 403, 404, 422 (validation), 429
  (rate limit, with `Retry-After`);
- every operation that takes a body: 413 (too big, refused unread) and 415 (not JSON);
- every mutating operation: 409 (a conflicting state, or the same `Idempotency-Key` still running) and the
  optional `Idempotency-Key` header;
- operations that reserve or move money: 402 (`PAYMENT_ROUTES`); an OTP's verify 410 (`GONE_ROUTES`).

Query and path parameters carry the bounds the front door enforces (non-empty, at most so long), and a 204
has no content. A create (a POST answering 201 with an `id`) links to the operations on what it made
(`links`: the POST on `/v1/x` → every operation on `/v1/x/{x_id}...`, the new id as that parameter), for
clients and for schemathesis' stateful phase. New routes get all of this without a line here."""

from __future__ import annotations

import copy
import json
from typing import Any, Final

from functions.api.schemas.common import ErrorBody
from jarchi import limits

MUTATING: Final = frozenset({"post", "put", "patch", "delete"})
PUBLIC_OPERATIONS: Final = frozenset({("get", "/v1/openapi.json"), ("get", "/v1/docs"), ("get", "/v1/brand")})
PAYMENT_ROUTES: Final = frozenset(
    {
        ("post", "/v1/campaigns"),
        ("post", "/v1/quick-send"),
        ("post", "/v1/campaigns/{campaign_id}/{action}"),
        ("patch", "/v1/campaigns/{campaign_id}"),
        ("post", "/v1/accounts/{account_id}/credit"),
        ("post", "/v1/otp"),
    }
)
# Operations whose resource can be gone for good: 410.
GONE_ROUTES: Final = frozenset({("post", "/v1/otp/{otp_id}/verify")})
ERROR_REF: Final = "#/components/schemas/ErrorBody"
DESCRIPTIONS: Final = {
    400: "Malformed request: query, encoding, JSON or a rule of the domain (`error.code` says which)",
    401: "No valid bearer token",
    402: "Not enough available credit",
    403: "Not allowed for this caller",
    404: "No such resource for this caller (another tenant's is never revealed)",
    409: "Conflicts with the resource's state, or the same Idempotency-Key is still running",
    410: "Gone for good (an expired one-time code)",
    413: f"The body is larger than {limits.MAX_REQUEST_BYTES} bytes, or a file in it is too large",
    415: "The body is not `application/json`",
    422: "The body or a parameter does not validate (`error.fields` lists each problem)",
    429: "Too many requests with this token: wait `Retry-After` seconds",
}
IDEMPOTENCY_HEADER: Final = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "The same key and body answer the first result once more (`Idempotent-Replayed: true`); "
    "the same key with another body is 422 `idempotency_key_reused`.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
}
DROPPED_SCHEMAS: Final = ("HTTPValidationError", "ValidationError", "ResponseValidationError")


def _error_response(status: int) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": DESCRIPTIONS[status],
        "content": {"application/json": {"schema": {"$ref": ERROR_REF}}},
    }
    if status == 429:
        response["headers"] = {
            "Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer", "minimum": 1}}
        }
    return response


def _statuses(method: str, path: str, operation: dict[str, Any]) -> list[int]:
    statuses = [400, 401, 403, 404, 422, 429]
    if "requestBody" in operation:
        statuses += [413, 415]
    if method in MUTATING:
        statuses.append(409)
    if (method, path) in PAYMENT_ROUTES:
        statuses.append(402)
    if (method, path) in GONE_ROUTES:
        statuses.append(410)
    return sorted(statuses)


def _bound_parameters(operation: dict[str, Any]) -> None:
    for parameter in operation.get("parameters", []):
        schema = parameter.get("schema", {})
        options = schema.get("anyOf", [schema])
        for option in options:
            if option.get("type") != "string":
                continue
            option.setdefault("minLength", 1)
            longest = limits.MAX_ID_CHARS if parameter.get("in") == "path" else limits.MAX_QUERY_VALUE_CHARS
            option["maxLength"] = min(option.get("maxLength", longest), longest)


def _complete_operation(method: str, path: str, operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    if (method, path) in PUBLIC_OPERATIONS:
        if "422" in responses:  # the generated 422 names a schema the document drops
            responses["422"] = _error_response(422)
        return
    _bound_parameters(operation)
    for status in _statuses(method, path, operation):
        responses[str(status)] = _error_response(status)
    if "204" in responses:
        responses["204"] = {"description": "Done; no content"}
    if method in MUTATING:
        parameters = operation.setdefault("parameters", [])
        if not any(p.get("name") == IDEMPOTENCY_HEADER["name"] for p in parameters):
            parameters.append(copy.deepcopy(IDEMPOTENCY_HEADER))


def _path_parameters(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{") and part.endswith("}")]


def _creates_with_id(operation: dict[str, Any], schemas: dict[str, Any]) -> bool:
    created = operation.get("responses", {}).get("201", {})
    ref = created.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref", "")
    schema = schemas.get(ref.rsplit("/", 1)[-1], {}) if ref.startswith("#/components/schemas/") else {}
    return "id" in schema.get("properties", {})


def _links(paths: dict[str, Any], created: str) -> dict[str, Any]:
    """Links from the 201 of `POST created` to every operation on one of the things it makes."""
    links: dict[str, Any] = {}
    for path, item in paths.items():
        rest = path.removeprefix(created + "/").split("/")
        if not path.startswith(created + "/") or not (rest[0].startswith("{") and rest[0].endswith("}")):
            continue
        parameters = {name: f"$request.path.{name}" for name in _path_parameters(created)}
        parameters[rest[0][1:-1]] = "$response.body#/id"
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"} and "operationId" in operation:
                links[operation["operationId"]] = {"operationId": operation["operationId"], "parameters": parameters}
    return links


def _link_creates(document: dict[str, Any]) -> None:
    paths: dict[str, Any] = document.get("paths", {})
    schemas = document.get("components", {}).get("schemas", {})
    for path, item in paths.items():
        operation = item.get("post")
        if operation is not None and _creates_with_id(operation, schemas):
            links = _links(paths, path)
            if links:
                operation["responses"]["201"]["links"] = links


def complete(document: dict[str, Any]) -> dict[str, Any]:
    """The document with every operation's error answers, header and bounds (see the module's doc)."""
    document = copy.deepcopy(document)
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                _complete_operation(method, path, operation)
    _link_creates(document)
    schemas: dict[str, Any] = document.setdefault("components", {}).setdefault("schemas", {})
    for name in DROPPED_SCHEMAS:
        schemas.pop(name, None)
    error_schema = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(error_schema.pop("$defs", {}))
    schemas["ErrorBody"] = error_schema
    return document


def completed_json(generated: str) -> str:
    return json.dumps(complete(json.loads(generated)), separators=(",", ":"))
