"""API tokens: shown once, stored only as a SHA-256 hash (R-ACC-1)."""

from __future__ import annotations

import hashlib
import secrets

TOKEN_MARK = "jk_"
PREFIX_LENGTH = 11  # "jk_" + 8 characters: enough to tell tokens apart in a list, useless to guess with


def new_secret() -> str:
    return TOKEN_MARK + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_prefix(token: str) -> str:
    return token[:PREFIX_LENGTH]


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, value = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not value.strip().startswith(TOKEN_MARK):
        return None
    return value.strip()
