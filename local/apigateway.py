"""API Gateway REST proxy events, built from plain HTTP requests, and their responses read back.

The local server and the tests both call `functions/api` through this, exactly as API Gateway would."""

from __future__ import annotations

import base64
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl


@dataclass(frozen=True)
class HttpRequest:
    method: str
    path: str
    query: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    source_ip: str = "127.0.0.1"


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def proxy_event(request: HttpRequest, stage: str = "local") -> dict[str, Any]:
    pairs = parse_qsl(request.query, keep_blank_values=True)
    multi_query: dict[str, list[str]] = {}
    for key, value in pairs:
        multi_query.setdefault(key, []).append(value)
    try:
        body: str | None = request.body.decode() if request.body else None
        is_base64 = False
    except UnicodeDecodeError:
        body, is_base64 = base64.b64encode(request.body).decode(), True
    request_id = str(uuid.uuid4())
    return {
        "resource": "/{proxy+}",
        "path": request.path,
        "httpMethod": request.method.upper(),
        "headers": dict(request.headers),
        "multiValueHeaders": {k: [v] for k, v in request.headers.items()},
        "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": {"proxy": request.path.lstrip("/")},
        "stageVariables": None,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "resourcePath": "/{proxy+}",
            "httpMethod": request.method.upper(),
            "path": f"/{stage}{request.path}",
            "stage": stage,
            "requestId": request_id,
            "requestTimeEpoch": int(time.time() * 1000),
            "identity": {"sourceIp": request.source_ip, "userAgent": request.headers.get("user-agent", "")},
        },
        "body": body,
        "isBase64Encoded": is_base64,
    }


def http_response(result: dict[str, Any]) -> HttpResponse:
    headers = {k.lower(): str(v) for k, v in (result.get("headers") or {}).items()}
    for key, values in (result.get("multiValueHeaders") or {}).items():
        headers[key.lower()] = ", ".join(str(v) for v in values)
    raw = result.get("body") or ""
    body = base64.b64decode(raw) if result.get("isBase64Encoded") else str(raw).encode()
    return HttpResponse(status=int(result["statusCode"]), headers=headers, body=body)
