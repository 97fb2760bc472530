"""API Gateway's Lambda authorizer (cloud only): see `jarchi.gateway`. Kept small for its cold start: no
Powertools resolver, no wiring of the platform's ports."""

from __future__ import annotations

from typing import Any

from jarchi.gateway import SWEEP_EVENT, authorize, sweep


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if event == SWEEP_EVENT:
        return sweep()
    return authorize(event)
