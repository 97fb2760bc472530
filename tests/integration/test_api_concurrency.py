"""The local server serves each request in isolation (issue 14): Powertools keeps the current event on the
router class, so before functions.api.resolver two threads read each other's headers (a token included)."""

from __future__ import annotations

import http.client
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from aws_lambda_powertools.event_handler.api_gateway import Router

from functions.api.app import new_app
from functions.api.resolver import RequestScopedResolver
from jarchi.settings import Settings
from local.apigateway import HttpRequest, proxy_event
from tests.api_server import local_platform

TENANTS = 12
ROUNDS = 8


def test_two_requests_in_flight_at_once_each_read_their_own_event() -> None:
    app = RequestScopedResolver()
    router = Router()
    both_inside = threading.Barrier(2, timeout=10)

    @router.get("/whoami")
    def whoami() -> dict[str, Any]:
        both_inside.wait()  # both requests are now being resolved at the same time
        return {"me": router.current_event.headers.get("x-me"), "path": app.current_event.path}

    app.include_router(router)
    answers: dict[str, Any] = {}

    def call(me: str) -> None:
        event = proxy_event(HttpRequest("GET", "/whoami", headers={"x-me": me}))
        answers[me] = json.loads(app.resolve(event, None)["body"])

    threads = [threading.Thread(target=call, args=(me,)) for me in ("alice", "bob")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert answers == {"alice": {"me": "alice", "path": "/whoami"}, "bob": {"me": "bob", "path": "/whoami"}}


def test_the_first_asks_for_the_openapi_document_at_once_all_get_it(aws: Settings) -> None:
    app = new_app()  # a fresh app: its document is not generated yet
    event = proxy_event(HttpRequest("GET", "/v1/openapi.json"))
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(lambda _: app.resolve(event, None), range(6)))
    assert [a["statusCode"] for a in answers] == [200] * 6
    assert len({a["body"] for a in answers}) == 1


@dataclass
class Tenant:
    account_id: str
    token: str
    sender: str


class Client:
    """One keep-alive connection, as a benchmark or an SDK holds it."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        self.connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=60)

    def call(self, method: str, path: str, token: str | None, body: Any = None, **headers: str) -> tuple[int, Any]:
        all_headers = {"content-type": "application/json", **headers}
        if token is not None:
            all_headers["authorization"] = f"Bearer {token}"
        data = json.dumps(body).encode() if body is not None else None
        self.connection.request(method, path, body=data, headers=all_headers)
        response = self.connection.getresponse()
        raw = response.read()
        return response.status, json.loads(raw) if raw else None


def _setup(base_url: str, admin_token: str) -> list[Tenant]:
    admin = Client(base_url)
    tenants = []
    for i in range(TENANTS):
        _, account = admin.call("POST", "/v1/accounts", admin_token, {"name": f"Tenant {i}", "type": "customer"})
        _, issued = admin.call("POST", f"/v1/accounts/{account['id']}/tokens", admin_token, {"name": "t"})
        tenant = Tenant(account["id"], issued["token"], f"Tenant{i}")
        status, _ = Client(base_url).call("POST", "/v1/senders", tenant.token, {"name": tenant.sender})
        assert status == 201
        tenants.append(tenant)
    return tenants


def _mixed(base_url: str, tenant: Tenant, index: int) -> list[str]:
    """A round of mixed requests by one tenant; every answer checked against what this request asked."""
    client, wrong = Client(base_url), []

    def expect(label: str, ok: bool) -> None:
        if not ok:
            wrong.append(f"{tenant.sender} round {index}: {label}")

    for _ in range(ROUNDS):
        status, me = client.call("GET", "/v1/accounts/me", tenant.token)
        expect(f"me {status} {me}", status == 200 and me["id"] == tenant.account_id)
        status, page = client.call("GET", "/v1/senders", tenant.token)
        names = [s["name"] for s in page["items"]] if status == 200 else page
        expect(f"senders {status} {names}", names == [tenant.sender])
        status, refused = client.call(
            "POST", "/v1/senders", tenant.token, {"name": "X"}, **{"Idempotency-Key": "k" * 300}
        )
        expect(f"long key {status} {refused}", status == 400 and refused["error"]["code"] == "invalid_idempotency_key")
        status, _ = client.call("GET", "/v1/credit", None)
        expect(f"anonymous {status}", status == 401)
        status, credit = client.call("GET", "/v1/credit", tenant.token)
        expect(f"credit {status} {credit}", status == 200 and credit["balance"] == 0)
    return wrong


def test_many_tenants_in_parallel_each_get_their_own_answers() -> None:
    with local_platform() as served:
        tenants = _setup(served.base_url, served.admin_token)
        with ThreadPoolExecutor(max_workers=TENANTS) as pool:
            results = list(pool.map(lambda t: _mixed(served.base_url, t[1], t[0]), enumerate(tenants)))
        _assert_204_has_no_body_over_http(served.base_url, served.admin_token, tenants[0])
    wrong = [line for result in results for line in result]
    assert wrong == [], wrong[:10]


def _assert_204_has_no_body_over_http(base_url: str, admin_token: str, tenant: Tenant) -> None:
    """A 204 carries no body, no content type and no length on the wire (issue 14: it had JSON's, and 4)."""
    _, spare = Client(base_url).call("POST", f"/v1/accounts/{tenant.account_id}/tokens", admin_token, {"name": "s"})
    connection = Client(base_url).connection
    connection.request(
        "DELETE",
        f"/v1/accounts/{tenant.account_id}/tokens/{spare['id']}",
        headers={"authorization": f"Bearer {admin_token}"},
    )
    answer = connection.getresponse()
    assert (answer.status, answer.read()) == (204, b"")
    assert answer.getheader("content-type") is None and answer.getheader("content-length") is None
