"""Webhook deliveries over HTTPS (the `WebhookSender` port), with the SSRF guard: in the cloud only `https://`
URLs whose host resolves to public addresses (no private, loopback, link-local, multicast, reserved or
unspecified address, IPv4 or IPv6) are called, checked at registration and again before every attempt (a name
may resolve elsewhere later). On the local platform `http://` and loopback/private addresses are allowed, so a
receiver on 127.0.0.1 can take them in tests. Redirects are never followed (a 3xx is a failed attempt), and an
attempt waits at most `TIMEOUT_SECONDS`."""

from __future__ import annotations

import ipaddress
import socket
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Final
from urllib.parse import urlsplit

from jarchi.reports.ports import WebhookRefused

TIMEOUT_SECONDS: Final = 1.5


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return not (
        ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved or ip.is_unspecified
    )


class HttpWebhookSender:
    def __init__(self, *, allow_private: bool) -> None:
        self.allow_private = allow_private

    def check(self, url: str) -> None:
        schemes = ("https", "http") if self.allow_private else ("https",)
        try:
            parts = urlsplit(url)
            host, port = parts.hostname, parts.port
        except ValueError as error:  # a bracket left open, a port out of range
            raise WebhookRefused(f"not a URL: {error}") from error
        if parts.scheme not in schemes or not host or any(ch.isspace() for ch in url):
            raise WebhookRefused(f"a webhook URL is {' or '.join(schemes)}://host/…")
        if parts.username or parts.password:
            raise WebhookRefused("a webhook URL carries no credentials")
        if self.allow_private:
            return
        try:
            infos = socket.getaddrinfo(host, port or 443, proto=socket.IPPROTO_TCP)
        except (socket.gaierror, UnicodeError) as error:
            raise WebhookRefused(f"{host} does not resolve") from error
        if not infos or not all(_public(str(info[4][0])) for info in infos):
            raise WebhookRefused(f"{host} resolves to a private, loopback or link-local address")

    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> int:
        self.check(url)
        request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")
        try:
            with _opener.open(request, timeout=TIMEOUT_SECONDS) as response:
                return int(response.status)
        except urllib.error.HTTPError as error:
            return int(error.code)
        except (urllib.error.URLError, OSError, ValueError) as error:
            raise WebhookRefused(f"no answer from the endpoint: {error}") from error
