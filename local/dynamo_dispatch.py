"""DynamoDB requests in the emulator, handed to moto's `DynamoHandler` without moto's routing.

moto answers every request it stubs the same way: the URL is matched against each service's patterns (51 of them
before DynamoDB's), the request is rebuilt as a werkzeug request (a WSGI environ, its headers and body read back),
and `BaseResponse.setup_class` reads it (the body parsed as a query string, the URL parsed, IAM told of the visit)
before `DynamoHandler.call_action` runs the operation. That was ~40 % of the emulator's CPU on a campaign GET's
two DynamoDB requests (cProfile), ~1 ms of the GET's ~5 ms (bench.dynamo_dispatch; issue 14's read latency). A
request that botocore sends to DynamoDB's regional endpoint is handed here to a `DynamoHandler` set up with what
its operations read (the parsed parameters, the headers, the region and account, the method) and moto's own
`call_action` (so its validation, its errors, its serialiser and the emulator's hooks on it all run as before).
Anything else (another host or path, a form or gzip body, moto's IAM checks or recorder switched on) answers None
and takes moto's own path.

`setup_class` reads a body as a query string too; the emulator keeps a JSON body whole there
(`local.emulator._json_body_not_a_query_string`), so a body holding `&` is answered alike on both paths, and
the journal's replay (`local.durability.apply_record`, moto's path) applies what the live request applied.
"""

from __future__ import annotations

import math
import re
from typing import Any

from moto import settings as moto_settings
from moto.core.common_types import TYPE_RESPONSE
from moto.core.config import passthrough_service, passthrough_url, service_whitelisted
from moto.core.utils import utcnow
from moto.dynamodb.responses import DynamoHandler
from moto.iam.models import mark_account_as_visited
from moto.moto_api import recorder
from moto.utilities.utils import get_partition
from werkzeug.datastructures import Headers, ImmutableMultiDict
from werkzeug.exceptions import HTTPException
from werkzeug.http import http_date

_URL = re.compile(r"https://dynamodb\.[a-z0-9-]+\.amazonaws\.com/")  # (botocore's regional endpoint, no query)
_CONTENT_TYPE = "application/x-amz-json-1.0"
_TARGET = "DynamoDB_20120810."
_SERVICE = "dynamodb"
_NO_VALUES: ImmutableMultiDict[str, str] = ImmutableMultiDict()


class _Request:
    """What moto's `parse_parameters` and `get_region_from_url` read of a request (a werkzeug request's names)."""

    __slots__ = ("data", "headers", "method")
    content_type = _CONTENT_TYPE
    values = _NO_VALUES
    path = "/"

    def __init__(self, method: str, headers: Headers, data: bytes) -> None:
        self.method, self.headers, self.data = method, headers, data


def _moto_routes_as_usual(url: str) -> bool:
    """moto's settings that change how a request is routed or checked are all at their defaults."""
    return (
        math.isinf(moto_settings.INITIAL_NO_AUTH_ACTION_COUNT)  # (else IAM reads the whole request)
        and not recorder._user_enabled
        and not passthrough_url(url)
        and not passthrough_service(_SERVICE)
        and service_whitelisted(_SERVICE)
    )


def answer(request: Any) -> TYPE_RESPONSE | None:
    """moto's answer (status, headers, body) to a request for DynamoDB, as its own path gives it (but for the
    request id and the date), or None when the request is not one this serves: moto's path then answers it.
    `request` is botocore's `AWSPreparedRequest` or anything with its url, method, headers and body."""
    url, method, body = request.url, request.method, request.body
    if type(url) is not str or _URL.fullmatch(url) is None or method != "POST":
        return None
    if type(body) is not bytes or not body.startswith(b"{"):
        return None
    headers = Headers(
        [
            (name, value.decode("utf-8") if isinstance(value, bytes) else value)
            for name, value in request.headers.items()
            if name.lower() != "transfer-encoding"  # (as moto's request drops it)
        ]
    )
    if (
        headers.get("Content-Type") != _CONTENT_TYPE
        or "Content-Encoding" in headers
        or not headers.get("X-Amz-Target", "").startswith(_TARGET)
        or not _moto_routes_as_usual(url)
    ):
        return None
    handler = DynamoHandler()
    try:
        _set_up(handler, url, _Request(method, headers, body))
        result: TYPE_RESPONSE = handler.call_action()
        return result
    except HTTPException as error:  # (as moto's `BotocoreStubber.process_request`)
        return error.code, error.get_headers(), error.get_body()  # type: ignore[return-value]


def _set_up(handler: DynamoHandler, url: str, request: _Request) -> None:
    """moto's `BaseResponse.setup_class` for a request `answer` serves: a JSON body, no form, no query string,
    path "/". Its query-string reading of the body is left out: the emulator keeps a JSON body whole there, one key
    starting with `{`, none of the names moto looks for (`Action`, `AWSAccessKeyId`, `ContentType`)."""
    handler.is_werkzeug_request = False
    handler.normalized_request = request  # type: ignore[assignment]
    handler.raw_body = request.data
    handler.body = request.data.decode("utf-8")
    handler.form_data = _NO_VALUES
    handler.querystring = handler.data = {}
    handler.uri = url
    handler.path = handler.raw_path = "/"
    handler.method = request.method
    handler.region = handler.get_region_from_url(request, url)
    handler.partition = get_partition(handler.region)
    handler.uri_match = {}
    handler.headers = request.headers
    handler.response_headers = {"server": "amazon.com", "date": http_date(utcnow())}
    if handler._get_action():
        handler.parse_parameters(request)  # type: ignore[arg-type]
    handler.access_key = handler.get_access_key()
    handler.current_account = handler.get_current_account()
    mark_account_as_visited(
        account_id=handler.current_account, access_key=handler.access_key, service=_SERVICE, region=handler.region
    )
