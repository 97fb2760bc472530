"""Dispatch: hand a batch of admitted attempts to the connector, send what it reports to the results queue."""

from __future__ import annotations

from functools import cache
from typing import Any

from jarchi.connectors.base import Attempt, Connector, PlacementStatus
from jarchi.connectors.simulator import SimulatorConfig, SimulatorConnector
from jarchi.resources import RESULTS_QUEUE
from jarchi.settings import get_settings
from jarchi.store.queues import send_messages


@cache
def get_connector() -> Connector:
    settings = get_settings()
    if settings.connector != "simulator":
        raise NotImplementedError(f"the {settings.connector} connector is not built yet")
    return SimulatorConnector(SimulatorConfig.load(settings.simulator_config))


class PlacementRetry(Exception):
    """Some attempts must be tried again: the message goes back to the queue."""


def place_batch(message: dict[str, Any], connector: Connector | None = None) -> int:
    """Place every attempt of one dispatch message once; returns how many results were sent on."""
    attempts = [Attempt.from_message(a) for a in message["attempts"]]
    placements = (connector or get_connector()).place(attempts)
    if any(p.status is PlacementStatus.RETRY for p in placements):
        raise PlacementRetry(f"{message['batch_id']}: the connector asked to retry")
    results = [p.result.to_message() for p in placements if p.result is not None]
    if results:
        body = {"batch_id": message["batch_id"], "campaign_id": message["campaign_id"], "results": results}
        send_messages(RESULTS_QUEUE, [body])
    return len(results)
