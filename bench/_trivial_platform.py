"""The floor for `bench.api_load`'s reads: a trivial Powertools REST resolver behind the same local HTTP
server (uvicorn, `local.server`'s ASGI adapter and its thread pool), answering the two read routes with a
constant body as large as the platform's. The same clients against it tell what the machine gives any
Powertools API at that moment, so the platform's figure can be read as a ratio on a shared machine."""

from __future__ import annotations

import argparse
import sys
from typing import Any

import uvicorn
from aws_lambda_powertools.event_handler import APIGatewayRestResolver

import local.server as server
from local.apigateway import HttpRequest, HttpResponse, http_response, proxy_event

resolver = APIGatewayRestResolver()
# About the size of a real campaign's answer (1.7 KB), so the floor serialises as much JSON.
CAMPAIGN: dict[str, Any] = {
    "id": "cmp_trivial",
    "name": "load",
    "status": "draft",
    "channel": "sms",
    "category": "service",
    "history": [{"status": "draft", "at": "2026-03-02T06:30:00+00:00", "by": "acc_trivial", "reason": None}] * 3,
    "stats": {name: 0 for name in ("total", "pending", "sent", "delivered", "answered", "failed", "refunded")},
    "content": {"sms_text": "Load1: hello", "sender": "Load1", "segments": 1, "encoding": "gsm"},
    "windows": [{"from": "08:00", "to": "21:00"}] * 2,
    "days_of_week": list(range(7)),
    "notes": "x" * 900,
}


@resolver.get("/v1/campaigns/<campaign_id>")
def get_campaign(campaign_id: str) -> dict[str, Any]:
    return {**CAMPAIGN, "id": campaign_id}


@resolver.get("/v1/campaigns")
def list_campaigns() -> dict[str, Any]:
    return {"items": [CAMPAIGN], "next_cursor": None}


def invoke(request: HttpRequest) -> HttpResponse:
    return http_response(resolver.resolve(proxy_event(request), None))  # type: ignore[arg-type]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench._trivial_platform")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    server.invoke_api = invoke  # server.app looks the name up at each request
    sys.stdout.write("admin token: trivial\n")  # the banner bench.api_load waits for
    sys.stdout.flush()
    uvicorn.Server(uvicorn.Config(server.app, host="127.0.0.1", port=args.port, log_level="warning")).run()
