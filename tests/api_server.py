"""The local API over real HTTP for hardening tests: `local.server.app` served by uvicorn on a free port in a
background thread, inside `emulated_aws` and `LocalRuntime` (what `python -m local` starts), with a seeded admin."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import uvicorn

from jarchi.clock import LocalClock, use_clock
from jarchi.settings import Settings, get_settings, reset_settings
from local.emulator import emulated_aws
from local.runtime import LocalRuntime
from local.seed import seed_admin
from local.server import app

START = datetime.fromisoformat("2026-03-02T10:00:00+03:30")
STARTUP_SECONDS = 10.0


@dataclass(frozen=True)
class Served:
    base_url: str
    admin_token: str
    settings: Settings
    clock: LocalClock
    runtime: LocalRuntime


def _listening_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@contextmanager
def serve_http(sock: socket.socket, asgi_app: Any = app) -> Iterator[str]:
    """`asgi_app` (the local server's) on `sock` until the block ends; yields its base URL."""
    config = uvicorn.Config(asgi_app, log_level="warning", lifespan="off", timeout_graceful_shutdown=5)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="api-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    host, port = sock.getsockname()[:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def local_platform(asgi_app: Any = app) -> Iterator[Served]:
    """A fresh local platform (moto, runtime, frozen clock, seeded admin) serving HTTP on a free port."""
    reset_settings()
    settings = get_settings()
    clock = LocalClock(START, ticking=False)
    use_clock(clock)
    sock = _listening_socket()
    try:
        with emulated_aws(settings), LocalRuntime(settings, failed_visibility_seconds=0) as runtime:
            token = seed_admin().secret
            with serve_http(sock, asgi_app) as base_url:
                yield Served(base_url, token, settings, clock, runtime)
    finally:
        sock.close()


class CountingApp:
    """The local server's ASGI app, counting the answers it gives by status."""

    def __init__(self, inner: Any = app) -> None:
        self.inner = inner
        self.statuses: dict[int, int] = {}
        self._lock = threading.Lock()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        async def counting_send(message: Any) -> None:
            if message.get("type") == "http.response.start":
                with self._lock:
                    self.statuses[message["status"]] = self.statuses.get(message["status"], 0) + 1
            await send(message)

        await self.inner(scope, receive, counting_send)

    @property
    def total(self) -> int:
        return sum(self.statuses.values())

    @property
    def server_errors(self) -> int:
        return sum(count for status, count in self.statuses.items() if status >= 500)
