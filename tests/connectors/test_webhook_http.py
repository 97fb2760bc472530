"""The webhook sender's SSRF guard against DNS rebinding (SPEC §14): a delivery resolves the name once, checks
every address, connects to the checked one, and speaks TLS to it under the URL's name (SNI, certificate
verified for that name, `Host` header), so a name that resolves elsewhere a moment later cannot redirect it."""

from __future__ import annotations

import datetime
import socket
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from jarchi.connectors import webhook_http
from jarchi.connectors.webhook_http import HttpWebhookSender
from jarchi.reports.ports import WebhookRefused

PUBLIC, LOOPBACK = "93.184.216.34", "127.0.0.1"
NAME = "hooks.example"


def _answers(*addresses: str, port: int = 443) -> list[tuple[Any, ...]]:
    return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (a, port)) for a in addresses]


def test_spec_14_a_delivery_connects_to_the_address_it_checked_not_a_rebound_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN a name that answers a public address first and loopback on every later lookup (DNS rebinding)
    lookups: list[str] = []
    connected: list[tuple[str, int]] = []

    def resolve(host: str, port: int, **_: Any) -> list[tuple[Any, ...]]:
        lookups.append(host)
        return _answers(PUBLIC if len(lookups) == 1 else LOOPBACK)

    def connect(address: tuple[str, int], *_: Any) -> socket.socket:
        connected.append(address)
        raise ConnectionRefusedError("test: no network")

    monkeypatch.setattr(webhook_http.socket, "getaddrinfo", resolve)
    monkeypatch.setattr(webhook_http.socket, "create_connection", connect)
    # WHEN a delivery is attempted THEN it looked the name up once and dialled the public address it checked
    with pytest.raises(WebhookRefused):
        HttpWebhookSender(allow_private=False).post(f"https://{NAME}/hook", b"{}", {})
    assert lookups == [NAME] and connected == [(PUBLIC, 443)]


def test_spec_14_a_name_with_any_private_address_is_never_dialled(monkeypatch: pytest.MonkeyPatch) -> None:
    connected: list[tuple[str, int]] = []
    monkeypatch.setattr(webhook_http.socket, "getaddrinfo", lambda *_, **__: _answers(PUBLIC, "10.0.0.7"))
    monkeypatch.setattr(webhook_http.socket, "create_connection", lambda address, *_: connected.append(address))
    with pytest.raises(WebhookRefused, match="private"):
        HttpWebhookSender(allow_private=False).post(f"https://{NAME}/hook", b"{}", {})
    assert connected == []


def _certificate(tmp_path: Path, name: str) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / f"{name}.pem", tmp_path / f"{name}.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_file, key_file


class _Seen:
    def __init__(self) -> None:
        self.server_names: list[str | None] = []
        self.hosts: list[str | None] = []


@pytest.fixture
def tls_receiver(tmp_path: Path) -> Iterator[tuple[int, Path, _Seen]]:
    """An HTTPS receiver on 127.0.0.1 whose certificate is for `NAME`; it records the SNI and Host it got."""
    cert_file, key_file = _certificate(tmp_path, NAME)
    seen = _Seen()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    context.sni_callback = lambda _sock, server_name, _ctx: seen.server_names.append(server_name)  # type: ignore[assignment,func-returns-value]

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            seen.hosts.append(self.headers.get("Host"))
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer((LOOPBACK, 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], cert_file, seen
    server.shutdown()
    server.server_close()


def test_spec_14_tls_to_the_pinned_address_names_the_host_and_checks_its_certificate(
    tls_receiver: tuple[int, Path, _Seen], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port, cert_file, seen = tls_receiver
    # (the module is `socket` itself: the connection's own lookup of the pinned address comes here too)
    monkeypatch.setattr(webhook_http.socket, "getaddrinfo", lambda _host, port, *_, **__: _answers(LOOPBACK, port=port))
    trusted = ssl.create_default_context(cafile=str(cert_file))
    # GIVEN the name resolves to the receiver (allowed on the local platform): SNI and Host carry the name
    sender = HttpWebhookSender(allow_private=True, tls=trusted)
    assert sender.post(f"https://{NAME}:{port}/hook?x=1", b"{}", {"Content-Type": "application/json"}) == 204
    assert seen.server_names == [NAME] and seen.hosts == [f"{NAME}:{port}"]
    # WHEN the certificate is for another name THEN the delivery is refused (the check is for the URL's name)
    other_cert, _ = _certificate(tmp_path, "other.example")
    wrong = HttpWebhookSender(allow_private=True, tls=ssl.create_default_context(cafile=str(other_cert)))
    with pytest.raises(WebhookRefused):
        wrong.post(f"https://{NAME}:{port}/hook", b"{}", {})
