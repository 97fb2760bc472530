"""HMAC-SHA256 signatures (SPEC §14), the same for Jarchi's webhooks and both ways with the HTTPS provider (our
requests to it, its callbacks to us): `Jarchi-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret,
"<t>.<body>")>`. A signature is accepted within `window` seconds of its timestamp, either side (a replay of an
old request is refused; an event id seen before is dropped further on)."""

from __future__ import annotations

import hashlib
import hmac
from typing import Final

HEADER: Final = "Jarchi-Signature"


class SignatureRefused(Exception):
    """`reason`: missing, malformed, expired, mismatch."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def digest(secret: str, body: bytes, timestamp: int) -> str:
    return hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()


def signature(secret: str, body: bytes, timestamp: int) -> str:
    return f"t={timestamp},v1={digest(secret, body, timestamp)}"


def verify(secret: str, header: str | None, body: bytes, *, now: float, window: int) -> None:
    """Raise `SignatureRefused` unless `header` signs `body` with `secret` within `window` seconds of `now`."""
    if not secret:
        raise SignatureRefused("missing", "no secret is configured: callbacks are not accepted")
    if not header:
        raise SignatureRefused("missing", f"the {HEADER} header is missing")
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(fields["t"])
        given = fields["v1"]
    except (KeyError, ValueError):
        raise SignatureRefused("malformed", f"{HEADER} is t=<unix seconds>,v1=<hex digest>") from None
    if abs(now - timestamp) > window:
        raise SignatureRefused("expired", f"the signature's timestamp is more than {window} s away")
    if not hmac.compare_digest(given, digest(secret, body, timestamp)):
        raise SignatureRefused("mismatch", "the signature does not match the body")
