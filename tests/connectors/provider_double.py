"""A small HTTPS-provider double on 127.0.0.1: it checks each attempt's signature, answers like a provider
(202 with a reference, or a scripted status), and calls back to Jarchi's callback URL, signed, with the result
the test scripted for that number."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from jarchi.signing import HEADER, SignatureRefused, signature, verify


@dataclass
class ProviderDouble:
    secret: str
    callback_url: str = ""
    statuses: list[int] = field(default_factory=list)  # answers to the next POSTs (then 202)
    outcomes: dict[str, dict[str, Any]] = field(default_factory=dict)  # number -> callback fields
    received: list[dict[str, Any]] = field(default_factory=list)  # attempts accepted
    refused_signatures: int = 0
    idempotency_keys: list[str] = field(default_factory=list)
    pending: list[dict[str, Any]] = field(default_factory=list)  # callbacks not sent yet
    url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, body: bytes, headers: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
        try:
            verify(self.secret, headers.get(HEADER), body, now=time.time(), window=300)
        except SignatureRefused:
            with self.lock:
                self.refused_signatures += 1
            return 401, {"error": "bad signature"}
        with self.lock:
            if self.statuses:
                return self.statuses.pop(0), {"error": "scripted"}
            attempt = json.loads(body)["attempt"]
            self.received.append(attempt)
            self.idempotency_keys.append(headers.get("Idempotency-Key", ""))
            self.pending.append(self.callback_for(attempt))
        return 202, {"reference": f"prov-{attempt['attempt_id']}"}

    def callback_for(self, attempt: Mapping[str, Any]) -> dict[str, Any]:
        scripted = self.outcomes.get(attempt["number"], {})
        default = "delivered" if attempt["channel"] == "sms" else "answered"
        event = {
            "event_id": f"evt-{attempt['attempt_id']}",
            "attempt_id": attempt["attempt_id"],
            "campaign_id": attempt["campaign_id"],
            "number": attempt["number"],
            "units": attempt["units"],
            "outcome": default,
            "completed_at": datetime.now(UTC).isoformat(),
            "listened_seconds": attempt.get("message_seconds", 0),
            "reference": f"prov-{attempt['attempt_id']}",
        }
        if attempt["channel"] == "sms":
            event["delivery_status"] = "DELIVRD"
        return {**event, **scripted}

    def deliver(self, *, signed_at: float | None = None, secret: str | None = None) -> list[int]:
        """Call back for every accepted attempt; the HTTP statuses Jarchi answered."""
        with self.lock:
            pending, self.pending = self.pending, []
        return [self.post_callback(event, signed_at=signed_at, secret=secret) for event in pending]

    def post_callback(
        self, event: Mapping[str, Any], *, signed_at: float | None = None, secret: str | None = None
    ) -> int:
        body = json.dumps(event).encode()
        stamp = int(time.time() if signed_at is None else signed_at)
        request = urllib.request.Request(
            self.callback_url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", HEADER: signature(secret or self.secret, body, stamp)},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return int(answer.status)
        except urllib.error.HTTPError as error:
            return int(error.code)


@contextmanager
def provider_double(secret: str, callback_url: str = "") -> Iterator[ProviderDouble]:
    double = ProviderDouble(secret=secret, callback_url=callback_url)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            status, payload = double.handle(self.rfile.read(length), dict(self.headers.items()))
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, name="provider-double", daemon=True)
    thread.start()
    double.url = f"http://127.0.0.1:{server.server_address[1]}/v1/attempts"
    try:
        yield double
    finally:
        server.shutdown()
        server.server_close()
