"""A thin ASGI adapter: each HTTP request becomes an API Gateway proxy event for `functions/api`."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from jarchi.settings import get_settings
from local.apigateway import HttpRequest, http_response, proxy_event
from local.collector import api_activity
from local.durability import wait_durable
from local.functions import function_name, make_context

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
MAX_BODY = 10 * 1024 * 1024  # API Gateway's payload limit
NO_CONTENT = frozenset({204, 304})
TOO_LARGE = b'{"error": {"code": "payload_too_large", "message": "request bodies are limited to 10 MB"}}'


def invoke_api(request: HttpRequest) -> Any:
    from functions.api.handler import handler

    settings = get_settings()
    context = make_context(function_name(settings.resource_prefix, "api"), region=settings.region)
    response = http_response(handler(proxy_event(request), context))
    wait_durable()  # answered once what it changed is on disk (at once when the platform keeps no data)
    return response


async def _read_body(receive: Receive) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


async def _send(send: Send, status: int, headers: dict[str, str], body: bytes) -> None:
    raw_headers = [(k.encode(), v.encode()) for k, v in headers.items() if k != "content-length"]
    if status in NO_CONTENT:  # no body, so no length either (RFC 9110 §8.6)
        body = b""
    else:
        raw_headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body})


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        return
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
    declared = headers.get("content-length", "")
    body = None if declared.isdigit() and int(declared) > MAX_BODY else await _read_body(receive)
    if body is None:  # refused before it is read (or as soon as it is more than the limit)
        await _send(send, 413, {"content-type": "application/json"}, TOO_LARGE)
        return
    request = HttpRequest(
        method=scope["method"],
        path=scope["path"],
        query=scope.get("query_string", b"").decode("latin-1"),
        headers=headers,
        body=body,
        source_ip=(scope.get("client") or ("127.0.0.1", 0))[0],
    )
    with api_activity.serving():
        response = await asyncio.get_running_loop().run_in_executor(None, invoke_api, request)
    await _send(send, response.status, response.headers, response.body)
