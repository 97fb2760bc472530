"""The API's front door: what every request passes before Powertools parses or validates anything.

In order: the body's size (413), the bearer token (401), the token's rate (429), the path and query shape
(404/400), the body's media type (415), its encoding and its JSON (400). Each refusal is a domain error in the
`{"error": {...}}` shape; nothing a client sends can reach a parser that raises or a store that rejects it."""

from __future__ import annotations

import base64
import binascii
import json
import re
import threading
import time
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

from functions.api import cursors
from functions.api.auth import PUBLIC_PATHS, caller_scope
from jarchi import limits
from jarchi.accounts.models import Caller
from jarchi.accounts.service import authenticate
from jarchi.errors import (
    BadRequest,
    InternalError,
    JarchiError,
    NotFound,
    PayloadTooLarge,
    TooManyRequests,
    UnsupportedMediaType,
)
from jarchi.settings import get_settings

JSON = "application/json"
logger = Logger(child=True)
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})  # DELETE /v1/stop-list takes a body


class RateLimiter:
    """A token bucket per API token: `rate` requests a second on average, `burst` at once."""

    def __init__(self, rate: float, burst: int, *, clock: Any = time.monotonic) -> None:
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key → (tokens, at)
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """0 when the request may go ahead, else the seconds until it could."""
        with self._lock:
            now = float(self._clock())
            tokens, at = self._buckets.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - at) * self.rate)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            if len(self._buckets) > 10_000:  # forget full buckets: the map stays bounded
                full = [k for k, (t, a) in self._buckets.items() if t + (now - a) * self.rate >= self.burst]
                for k in full:
                    del self._buckets[k]
            return (1 - tokens) / self.rate


_limiter: RateLimiter | None = None
_limiter_lock = threading.Lock()


def rate_limiter() -> RateLimiter:
    global _limiter
    with _limiter_lock:
        if _limiter is None:
            settings = get_settings()
            _limiter = RateLimiter(
                settings.api_rate_limit_per_second or limits.RATE_LIMIT_PER_SECOND,
                settings.api_rate_limit_burst or limits.RATE_LIMIT_BURST,
            )
        return _limiter


def reset_rate_limiter() -> None:
    global _limiter
    with _limiter_lock:
        _limiter = None


def _body_size(event: dict[str, Any]) -> int:
    body = event.get("body") or ""
    return len(body) * 3 // 4 if event.get("isBase64Encoded") else len(body.encode())


def _check_size(event: dict[str, Any]) -> None:
    size = _body_size(event)
    if size > limits.MAX_REQUEST_BYTES:
        raise PayloadTooLarge(
            "payload_too_large",
            f"request bodies are limited to {limits.MAX_REQUEST_BYTES} bytes (got {size}); "
            "upload big contact files with POST /v1/contact-lists/uploads",
            max_bytes=limits.MAX_REQUEST_BYTES,
        )


def _authenticate(request: APIGatewayProxyEvent) -> Caller | None:
    if request.path in PUBLIC_PATHS:
        return None
    caller = authenticate(request.headers.get("Authorization"))
    wait = rate_limiter().take(caller.token_id)
    if wait > 0:
        retry_after = max(1, int(wait + 0.999))
        raise TooManyRequests(
            "rate_limited",
            f"more than {rate_limiter().rate:g} requests a second with this token; retry in {retry_after} s",
            retry_after_seconds=retry_after,
        )
    return caller


def _check_path_and_query(request: APIGatewayProxyEvent) -> None:
    path = request.path or ""
    if len(path) > limits.MAX_PATH_CHARS or any(len(part) > limits.MAX_ID_CHARS for part in path.split("/")):
        raise NotFound("not_found", f"no resource at a path this long (ids are at most {limits.MAX_ID_CHARS} chars)")
    query = request.multi_value_query_string_parameters or {}
    if sum(len(values) for values in query.values()) > limits.MAX_QUERY_PARAMETERS:
        raise BadRequest("invalid_query", f"at most {limits.MAX_QUERY_PARAMETERS} query parameters are allowed")
    for name, values in query.items():
        for value in values:
            if not value:
                raise BadRequest("invalid_query_parameter", f"query parameter {name!r} is empty: leave it out")
            if len(value) > limits.MAX_QUERY_VALUE_CHARS:
                raise BadRequest(
                    "invalid_query_parameter",
                    f"query parameter {name!r} is longer than {limits.MAX_QUERY_VALUE_CHARS} characters",
                )


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _depth(value: Any) -> int:
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            if depth <= limits.MAX_JSON_DEPTH:
                stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def _check_body(request: APIGatewayProxyEvent, event: dict[str, Any]) -> None:
    raw_body = event.get("body")
    if request.http_method.upper() not in BODY_METHODS or not raw_body:
        return
    content_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if content_type and content_type != JSON:
        raise UnsupportedMediaType(
            "unsupported_media_type",
            f"request bodies are JSON: send them with 'Content-Type: {JSON}' (got {content_type!r})",
        )
    try:
        data = base64.b64decode(raw_body, validate=True) if event.get("isBase64Encoded") else raw_body.encode()
        text = data.decode("utf-8")
    except (binascii.Error, UnicodeError) as error:
        raise BadRequest("invalid_encoding", "request bodies are JSON text in UTF-8") from error
    if not text.strip():
        return
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as error:
        raise BadRequest("invalid_json", "the request body is not valid JSON") from error
    if _depth(value) > limits.MAX_JSON_DEPTH:
        raise BadRequest("invalid_json", f"the request body is nested deeper than {limits.MAX_JSON_DEPTH} levels")


def admit(event: dict[str, Any]) -> Caller | None:
    """The caller of a request that may go on to the routes (None on a public path); raises why not."""
    _check_size(event)
    request = APIGatewayProxyEvent(event)
    caller = _authenticate(request)
    _check_path_and_query(request)
    _check_body(request, event)
    return caller


def error_result(error: JarchiError) -> dict[str, Any]:
    """A refusal as an API Gateway proxy result (the shape Powertools answers in)."""
    headers: dict[str, list[str]] = {"Content-Type": [JSON]}
    retry_after = error.details.get("retry_after_seconds")
    if retry_after is not None:
        headers["Retry-After"] = [str(retry_after)]
    return {
        "statusCode": error.status,
        "multiValueHeaders": headers,
        "body": json.dumps(error.body(), separators=(",", ":")),
        "isBase64Encoded": False,
    }


def without_content(result: dict[str, Any]) -> dict[str, Any]:
    """A 204 carries no body and so no content type."""
    if result.get("statusCode") != HTTPStatus.NO_CONTENT:
        return result
    drop = {"content-type", "content-length"}
    headers = {k: v for k, v in (result.get("headers") or {}).items() if k.lower() not in drop}
    multi = {k: v for k, v in (result.get("multiValueHeaders") or {}).items() if k.lower() not in drop}
    return {**result, "headers": headers, "multiValueHeaders": multi, "body": "", "isBase64Encoded": False}


def _unsealed(event: dict[str, Any], caller: Caller) -> dict[str, Any]:
    multi = dict(event.get("multiValueQueryStringParameters") or {})
    if "cursor" not in multi:
        return event
    inner = cursors.unseal(multi["cursor"][-1], cursors.scope(caller.account_id, event.get("path") or "", multi))
    single = {**(event.get("queryStringParameters") or {}), "cursor": inner}
    return {**event, "queryStringParameters": single, "multiValueQueryStringParameters": {**multi, "cursor": [inner]}}


# A page's own cursor, its top-level object's last member: the body's one `"next_cursor"` (a JSON string's quotes
# are escaped, so the key's text appears nowhere else) just before the brace that closes the body.
_LAST_CURSOR = re.compile(r',"next_cursor":(null|"([^"\\]*)")\}\Z')


def _sealed(result: dict[str, Any], event: dict[str, Any], caller: Caller) -> dict[str, Any]:
    body = result.get("body")
    if result.get("statusCode") != HTTPStatus.OK or not isinstance(body, str) or '"next_cursor"' not in body:
        return result
    last = _LAST_CURSOR.search(body) if body.count('"next_cursor"') == 1 else None
    if last is not None:  # sealed in the text, without reading the page and writing it again: the same text
        if last.group(2) is None:
            return result
        query_scope = cursors.scope(
            caller.account_id, event.get("path") or "", event.get("multiValueQueryStringParameters")
        )
        sealed = json.dumps(cursors.seal(last.group(2), query_scope))
        return {**result, "body": f'{body[: last.start()]},"next_cursor":{sealed}}}'}
    page = cursors.seal_page(
        json.loads(body), caller.account_id, event.get("path") or "", event.get("multiValueQueryStringParameters")
    )
    return {**result, "body": json.dumps(page, separators=(",", ":"))}


def serve(
    event: dict[str, Any], context: Any, route: Callable[[dict[str, Any], Any], dict[str, Any]]
) -> dict[str, Any]:
    """One request: admitted at the door, then routed with its caller set; a GET's cursors are sealed on the
    way out and checked on the way in (functions.api.cursors)."""
    try:
        caller = admit(event)
        paged = caller is not None and str(event.get("httpMethod", "")).upper() == "GET"
        routed = _unsealed(event, caller) if caller is not None and paged else event
    except JarchiError as refused:
        return error_result(refused)
    except Exception:  # a bug of the door itself: answered in the error shape, like the routes' (errors.py)
        logger.exception("unexpected error at the door")
        return error_result(InternalError("internal_error", "something went wrong on our side"))
    with caller_scope(caller):
        result = without_content(route(routed, context))
    return _sealed(result, event, caller) if caller is not None and paged else result
