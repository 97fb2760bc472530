"""One connector per channel behind the one port: the `aws` deployment calls through Chime PSTN audio and
texts through End User Messaging (R-DSP-4). Placements come back in the attempts' order."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from jarchi.attempts import Attempt, Placement
from jarchi.channels import Channel
from jarchi.ports import Connector


class ByChannel:
    def __init__(self, name: str, connectors: Mapping[Channel, Connector]) -> None:
        self._name = name
        self.connectors = dict(connectors)

    @property
    def name(self) -> str:
        return self._name

    def place(self, attempts: Sequence[Attempt]) -> list[Placement]:
        placed: dict[str, Placement] = {}
        for channel, connector in self.connectors.items():
            mine = [a for a in attempts if Channel(a.channel) is channel]
            if mine:
                placed.update((p.attempt_id, p) for p in connector.place(mine))
        missing = [a.attempt_id for a in attempts if a.attempt_id not in placed]
        if missing:
            raise ValueError(f"{self._name}: no connector for the channel of {', '.join(missing)}")
        return [placed[a.attempt_id] for a in attempts]
