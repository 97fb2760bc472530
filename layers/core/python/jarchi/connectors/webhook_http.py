"""Webhook deliveries over HTTPS (the `WebhookSender` port), with the SSRF guard: in the cloud only `https://`
URLs whose host resolves to public addresses (no private, loopback, link-local, multicast, reserved or
unspecified address, IPv4 or IPv6) are called, checked at registration and again before every attempt (a name
may resolve elsewhere later). An attempt resolves the name once and connects to that checked address (DNS
rebinding between the check and the connection cannot redirect it), with the URL's host in the `Host` header
and as the TLS server name, the certificate verified for that name. On the local platform `http://` and
loopback/private addresses are allowed, so a receiver on 127.0.0.1 can take them in tests. Redirects are never
followed (a 3xx is a failed attempt), and an attempt waits at most `TIMEOUT_SECONDS`."""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from collections.abc import Mapping
from typing import Final
from urllib.parse import SplitResult, urlsplit

from jarchi.reports.ports import WebhookRefused

TIMEOUT_SECONDS: Final = 1.5


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return not (
        ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved or ip.is_unspecified
    )


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to `address` whatever `host` resolves to now (`host` stays the Host header)."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """TLS to `address`, with `host` as the server name (SNI) and the name the certificate must carry."""

    def __init__(self, host: str, port: int, address: str, timeout: float, tls: ssl.SSLContext) -> None:
        super().__init__(host, port, timeout=timeout, context=tls)
        self.address = address
        self.tls = tls

    def connect(self) -> None:
        raw = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self.tls.wrap_socket(raw, server_hostname=self.host)


class HttpWebhookSender:
    def __init__(self, *, allow_private: bool, tls: ssl.SSLContext | None = None) -> None:
        self.allow_private = allow_private
        self.tls = tls or ssl.create_default_context()

    def _parse(self, url: str) -> SplitResult:
        schemes = ("https", "http") if self.allow_private else ("https",)
        try:
            parts = urlsplit(url)
            host, _ = parts.hostname, parts.port
        except ValueError as error:  # a bracket left open, a port out of range
            raise WebhookRefused(f"not a URL: {error}") from error
        if parts.scheme not in schemes or not host or any(ch.isspace() for ch in url):
            raise WebhookRefused(f"a webhook URL is {' or '.join(schemes)}://host/…")
        if parts.username or parts.password:
            raise WebhookRefused("a webhook URL carries no credentials")
        return parts

    def _address(self, parts: SplitResult) -> str:
        """The one address this attempt connects to: every address the name has must be public (in the cloud)."""
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
        except (socket.gaierror, UnicodeError) as error:
            raise WebhookRefused(f"{host} does not resolve") from error
        addresses = [str(info[4][0]) for info in infos]
        if not addresses or not (self.allow_private or all(_public(a) for a in addresses)):
            raise WebhookRefused(f"{host} resolves to a private, loopback or link-local address")
        return addresses[0]

    def check(self, url: str) -> None:
        parts = self._parse(url)
        if not self.allow_private:
            self._address(parts)

    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> int:
        parts = self._parse(url)
        address = self._address(parts)
        host = parts.hostname or ""
        connection: http.client.HTTPConnection
        if parts.scheme == "https":
            connection = _PinnedHTTPSConnection(host, parts.port or 443, address, TIMEOUT_SECONDS, self.tls)
        else:
            connection = _PinnedHTTPConnection(host, parts.port or 80, address, TIMEOUT_SECONDS)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        try:
            connection.request("POST", target, body=body, headers=dict(headers))
            with connection.getresponse() as response:
                return int(response.status)
        except (OSError, http.client.HTTPException, ValueError) as error:
            raise WebhookRefused(f"no answer from the endpoint: {error}") from error
        finally:
            connection.close()
