"""The local platform over real HTTP: uvicorn on 127.0.0.1 (an ephemeral port) in a background thread,
inside `emulated_aws(settings)` and `LocalRuntime`, with a frozen `LocalClock` — what `python -m local`
starts (local/__main__.py), with the clock moved only through `POST /v1/local/clock`.

Each test gets its own platform (fresh moto, fresh clock at `START`): campaigns, the 24 h ad cap and the
clock never leak from one test into the next.

The simulator connector is configured (`JARCHI_SIMULATOR_CONFIG`, a documented setting) with forced
results for the numbers in `SIMULATOR_OVERRIDES`, no ad opt-outs and full listens, so outcomes — and so
every amount of money — are exact.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import pytest
import uvicorn

from jarchi import wiring
from jarchi.clock import LocalClock, use_clock
from jarchi.ids import restart_sequence
from jarchi.settings import Settings, get_settings, reset_settings
from local.emulator import emulated_aws
from local.runtime import LocalRuntime
from local.seed import seed_admin
from local.server import app

# 2026-03-02 is a Monday; 10:00 in Tehran (+03:30, no DST since 2022).
START = datetime.fromisoformat("2026-03-02T10:00:00+03:30")
STARTUP_SECONDS = 10.0
REQUEST_TIMEOUT_SECONDS = 30.0

# Forced simulator results, per E.164 number (see jarchi.connectors.simulator.SimulatorConfig).
SIMULATOR_OVERRIDES: dict[str, Any] = {
    # voice advertising campaign
    "+989120000001": {"outcome": "answered", "listened_seconds": 600},
    "+989120000002": {"outcome": "answered", "listened_seconds": 600},
    "+989120000003": "busy",
    "+989120000004": "no_answer",
    # SMS personalisation campaign
    "+989120000011": "DELIVRD",
    "+989120000012": "DELIVRD",
    "+989120000013": "REJECTD",  # refused by the operator: not charged
    "+989120000014": "DELIVRD",
    # quick send and its one-recipient twin
    "+989120000021": "DELIVRD",
    "+989120000022": "DELIVRD",
    # operating a campaign: one delivered, one never (retry-failed sends to it again)
    "+989120000031": "DELIVRD",
    "+989120000032": "UNDELIV",
}
SIMULATOR_CONFIG: dict[str, Any] = {
    "seed": "e2e",
    "opt_out_probability": 0.0,
    "full_listen_probability": 1.0,
    "overrides": SIMULATOR_OVERRIDES,
}


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never through a proxy


@dataclass(frozen=True)
class HttpApi:
    """A minimal JSON client over real HTTP (stdlib only)."""

    base_url: str
    token: str | None = None

    def as_(self, token: str | None) -> HttpApi:
        return HttpApi(self.base_url, token)

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        query: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        url = self.base_url + path
        if query:
            url += "?" + urlencode({k: v for k, v in query.items() if v is not None})
        all_headers = {"accept": "application/json", **(headers or {})}
        data: bytes | None = None
        if body is not None:
            data = json.dumps(body).encode()
            all_headers["content-type"] = "application/json"
        if self.token is not None:
            all_headers["authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(url, data=data, headers=all_headers, method=method)
        try:
            with _OPENER.open(request, timeout=REQUEST_TIMEOUT_SECONDS) as answer:
                return Response(answer.status, {k.lower(): v for k, v in answer.headers.items()}, answer.read())
        except urllib.error.HTTPError as error:
            return Response(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read())

    def get(self, path: str, **query: Any) -> Response:
        return self.call("GET", path, query=query)

    def post(self, path: str, body: Any = None, *, headers: dict[str, str] | None = None) -> Response:
        return self.call("POST", path, body if body is not None else {}, headers=headers)

    def ok(self, method: str, path: str, body: Any = None, *, status: int = 200, **query: Any) -> Any:
        """Call and insist on `status`; answer the JSON body."""
        response = self.call(method, path, body, query=query or None)
        assert response.status == status, (method, path, response.status, response.body[:2000])
        return response.json()


@dataclass
class Platform:
    base_url: str
    admin: HttpApi
    clock: LocalClock
    settings: Settings
    runtime: LocalRuntime
    server: uvicorn.Server
    thread: threading.Thread = field(repr=False)


def _listening_socket() -> socket.socket:
    """Bound to a free ephemeral port before uvicorn starts: no race for the port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def _start_server(sock: socket.socket) -> tuple[uvicorn.Server, threading.Thread]:
    config = uvicorn.Config(app, log_level="warning", lifespan="off", timeout_graceful_shutdown=5)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="e2e-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    return server, thread


@pytest.fixture
def simulator_config() -> dict[str, Any]:
    """The simulator the platform runs with; a test module may override this fixture."""
    return SIMULATOR_CONFIG


@pytest.fixture
def platform(monkeypatch: pytest.MonkeyPatch, simulator_config: dict[str, Any]) -> Iterator[Platform]:
    monkeypatch.setenv("JARCHI_SIMULATOR_CONFIG", json.dumps(simulator_config))
    reset_settings()
    wiring.reset()  # the dispatch function caches its connector per process
    settings = get_settings()
    clock = LocalClock(START, ticking=False)
    use_clock(clock)
    restart_sequence()  # ids sort by this clock (ledger periods are id ranges)
    sock = _listening_socket()
    try:
        with emulated_aws(settings):
            runtime = LocalRuntime(settings, failed_visibility_seconds=0).start()
            try:
                admin_token = seed_admin().secret
                server, thread = _start_server(sock)
                host, port = sock.getsockname()[:2]
                base_url = f"http://{host}:{port}"
                try:
                    yield Platform(base_url, HttpApi(base_url, admin_token), clock, settings, runtime, server, thread)
                finally:
                    server.should_exit = True
                    thread.join(timeout=10)
                    assert not thread.is_alive(), "uvicorn did not stop"
            finally:
                runtime.stop()
    finally:
        sock.close()
        monkeypatch.undo()
        reset_settings()
        wiring.reset()


def customer_with_sender(admin: HttpApi, name: str, credit: int = 1_000_000) -> HttpApi:
    """A new customer account with credit and an approved sender called `name`; the API as that customer."""
    account = admin.ok("POST", "/v1/accounts", {"name": name, "type": "customer"}, status=201)
    token = admin.ok("POST", f"/v1/accounts/{account['id']}/tokens", {"name": "e2e"}, status=201)["token"]
    admin.ok("POST", f"/v1/accounts/{account['id']}/credit", {"amount": credit}, status=201)
    customer = admin.as_(token)
    sender = customer.ok("POST", "/v1/senders", {"name": name}, status=201)
    admin.ok("POST", f"/v1/senders/{sender['id']}/moderation", {"decision": "approve"})
    return customer


@pytest.fixture
def admin(platform: Platform) -> HttpApi:
    return platform.admin
