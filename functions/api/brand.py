"""The reseller brand a request's `Host` belongs to (R-ACC-6): every answer on an active white-label domain
carries `Jarchi-Brand: <reseller id>`, and the request's log lines the `brand` key. Ownership still follows the
token (a host is not a credential); the brand is what the reseller's clients see and what logs attribute.

Hosts are looked up in the domains table at most once a minute per process (an unknown host too), so a request
adds no DynamoDB read in the steady state; a domain that turns active or is deleted shows within that minute."""

from __future__ import annotations

import threading
import time
from typing import Any, Final

from aws_lambda_powertools import Logger

from jarchi.domains.ports import DomainRepository
from jarchi.domains.service import brand_for_host
from jarchi.ports import resolve

BRAND_HEADER: Final = "Jarchi-Brand"
CACHE_SECONDS: Final = 60.0
_MAX_HOSTS: Final = 1_000

logger = Logger(child=True)
_lock = threading.Lock()
_cache: dict[str, tuple[float, str | None]] = {}
_source: list[object] = []  # the domain repository the cache was filled from (a new one, e.g. tests: cleared)


def _host(event: dict[str, Any]) -> str | None:
    headers = event.get("headers") or {}
    for name, value in headers.items():
        if name.lower() == "host" and isinstance(value, str):
            return value.split(":", 1)[0].strip().lower().rstrip(".")
    return None


def brand_of(host: str | None) -> str | None:
    """The reseller id of the active domain `host`, from the cache while fresh."""
    if not host:
        return None
    now = time.monotonic()
    source = resolve(DomainRepository)
    with _lock:
        if not _source or _source[0] is not source:
            _cache.clear()
            _source[:] = [source]
        cached = _cache.get(host)
    if cached is not None and now - cached[0] < CACHE_SECONDS:
        return cached[1]
    try:
        reseller = brand_for_host(host, domains=source)
    except Exception:  # the brand never fails a request: the answer goes out unbranded
        logger.exception("brand lookup failed", host=host)
        return None
    brand = reseller.id if reseller is not None else None
    with _lock:
        if len(_cache) >= _MAX_HOSTS:
            _cache.clear()
        _cache[host] = (now, brand)
    return brand


def forget_brands() -> None:
    """After this process registered or removed a domain: read hosts again."""
    with _lock:
        _cache.clear()


def with_brand(event: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
    """The answer with the brand header when the request arrived on a reseller's active domain."""
    brand = brand_of(_host(event))
    if brand is None:
        return answer
    logger.append_keys(brand=brand)
    answer.setdefault("headers", {})
    if answer["headers"] is None:
        answer["headers"] = {}
    answer["headers"][BRAND_HEADER] = brand
    multi = answer.get("multiValueHeaders")
    if isinstance(multi, dict):
        multi[BRAND_HEADER] = [brand]
    return answer
