"""Calling the API the way API Gateway does (a proxy event into functions/api), for tests."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from local.apigateway import HttpRequest, HttpResponse
from local.server import invoke_api


@dataclass
class Api:
    token: str | None = None

    def as_(self, token: str | None) -> Api:
        return Api(token)

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        query: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
    ) -> HttpResponse:
        all_headers = {"content-type": "application/json", **(headers or {})}
        if self.token is not None:
            all_headers["authorization"] = f"Bearer {self.token}"
        payload = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
        query_string = urlencode({k: v for k, v in (query or {}).items() if v is not None})
        return invoke_api(HttpRequest(method, path, query_string, all_headers, payload))

    def get(self, path: str, **query: Any) -> HttpResponse:
        return self.call("GET", path, query=query)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> HttpResponse:
        return self.call("POST", path, body, **kwargs)

    def delete(self, path: str) -> HttpResponse:
        return self.call("DELETE", path)

    # Shortcuts for setting up a scenario.
    def new_account(self, name: str, type_: str = "customer", **extra: Any) -> dict[str, Any]:
        response = self.post("/v1/accounts", {"name": name, "type": type_, **extra})
        assert response.status == 201, response.body
        account: dict[str, Any] = response.json()
        return account

    def new_token(self, account_id: str) -> str:
        response = self.post(f"/v1/accounts/{account_id}/tokens", {"name": "test"})
        assert response.status == 201, response.body
        token: str = response.json()["token"]
        return token

    def top_up(self, account_id: str, amount: int) -> dict[str, Any]:
        response = self.post(f"/v1/accounts/{account_id}/credit", {"amount": amount})
        assert response.status == 201, response.body
        result: dict[str, Any] = response.json()
        return result


def assert_error(response: HttpResponse, status: int, code: str) -> dict[str, Any]:
    assert response.status == status, (response.status, response.body)
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code, error
    assert error["message"]
    return error
