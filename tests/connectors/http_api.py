"""The local API (`local.server.app`) over real HTTP on 127.0.0.1, for the provider double to call back."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager

from tests.api_server import serve_http


@contextmanager
def served_api() -> Iterator[str]:
    """Serve the API on a free port until the block ends; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    try:
        with serve_http(sock) as base_url:
            yield base_url
    finally:
        sock.close()
