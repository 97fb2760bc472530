"""Pagination cursors sealed by the API: a client gets back only cursors it was given, for the same query.

The store's cursors are its own (a DynamoDB start key, or an offset). On the way out the API seals each
`next_cursor` with an HMAC over the caller's account, the route and its query (all but `cursor` and `limit`);
on the way in a cursor that does not verify is 400 `invalid_cursor` before any store sees it. So an edited
cursor, or one from another query or tenant, never becomes a start key the store would reject."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any, Final

from jarchi.errors import BadRequest
from jarchi.settings import get_settings

MAC_BYTES: Final = 16
UNSCOPED: Final = frozenset({"cursor", "limit"})


def _key() -> bytes:
    settings = get_settings()
    # JARCHI_CURSOR_KEY in production; without it a key derived from the deployment (still refuses edits)
    secret = settings.cursor_key or f"jarchi-cursor:{settings.resource_prefix}:{settings.region}"
    return hashlib.sha256(secret.encode()).digest()


def scope(account_id: str, path: str, query: dict[str, list[str]] | None) -> str:
    kept = sorted((k, v) for k, values in (query or {}).items() if k not in UNSCOPED for v in values)
    return json.dumps([account_id, path, kept], separators=(",", ":"))


def _mac(inner: str, query_scope: str) -> str:
    digest = hmac.new(_key(), f"{query_scope}\n{inner}".encode(), hashlib.sha256).digest()[:MAC_BYTES]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def seal(inner: str, query_scope: str) -> str:
    return f"{_mac(inner, query_scope)}.{inner}"


def unseal(cursor: str, query_scope: str) -> str:
    mac, _, inner = cursor.partition(".")
    if not inner or not hmac.compare_digest(mac.encode(), _mac(inner, query_scope).encode()):
        raise BadRequest("invalid_cursor", "the cursor is not one this API returned for this query")
    return inner


def seal_page(body: Any, account_id: str, path: str, query: dict[str, list[str]] | None) -> Any:
    """Every `next_cursor` of a response body sealed. One in a nested object `key` pages the sub-collection
    `{path}/{key}` (a contact list's first page of `recipients` goes on at `.../recipients`)."""
    if not isinstance(body, dict):
        return body
    sealed = {
        key: seal_page(value, account_id, f"{path}/{key}", query) if isinstance(value, dict) else value
        for key, value in body.items()
    }
    if isinstance(sealed.get("next_cursor"), str):
        sealed["next_cursor"] = seal(sealed["next_cursor"], scope(account_id, path, query))
    return sealed
