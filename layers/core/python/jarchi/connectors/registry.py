"""Connectors by name: the one list that settings validation (`JARCHI_CONNECTOR`), the wiring and the cloud
stack's choice (`infra.constants.CLOUD_CONNECTOR`) read. A connector (Chime PSTN, End User Messaging, a
generic HTTPS provider) becomes selectable by adding its factory here: a function of the settings.

`jarchi.settings` validates against `CONNECTORS`, so this module imports nothing heavy at import time: each
factory imports its adapter when it is called."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from jarchi.ports import Connector
    from jarchi.settings import Settings

ConnectorFactory = Callable[["Settings"], "Connector"]


def _simulator(settings: Settings) -> Connector:
    from jarchi.connectors.simulator import SimulatorConfig, SimulatorConnector

    return SimulatorConnector(SimulatorConfig.load(settings.simulator_config))


def _end_user_messaging(settings: Settings) -> Connector:
    from jarchi.connectors.config import ConnectorConfig
    from jarchi.connectors.end_user_messaging.connector import EndUserMessagingConnector

    config = ConnectorConfig.load(settings.connector_config).end_user_messaging
    return EndUserMessagingConnector(config, region=settings.region)


def _chime(settings: Settings) -> Connector:
    from jarchi.connectors.chime.connector import ChimeConnector
    from jarchi.connectors.config import ConnectorConfig

    return ChimeConnector(ConnectorConfig.load(settings.connector_config).chime, region=settings.region)


def _aws(settings: Settings) -> Connector:
    """SMS through End User Messaging; voice through Chime PSTN audio when the deployment has a SIP media
    application and numbers to call from, else End User Messaging's text-to-speech calls (which cannot play
    recorded audio: such calls end `failed`, free, `audio_not_supported`)."""
    from jarchi.channels import Channel
    from jarchi.connectors.by_channel import ByChannel
    from jarchi.connectors.config import ConnectorConfig

    texts = _end_user_messaging(settings)
    calls = _chime(settings) if ConnectorConfig.load(settings.connector_config).chime.configured else texts
    return ByChannel("aws", {Channel.VOICE: calls, Channel.SMS: texts})


def _https(settings: Settings) -> Connector:
    from jarchi.connectors.config import ConnectorConfig
    from jarchi.connectors.https.connector import HttpsConnector

    return HttpsConnector(ConnectorConfig.load(settings.connector_config).https)


# name -> factory; the name is also what the connector records on every result (`Connector.name`).
CONNECTORS: Final[Mapping[str, ConnectorFactory]] = MappingProxyType(
    {"simulator": _simulator, "end_user_messaging": _end_user_messaging, "chime": _chime, "aws": _aws, "https": _https}
)


def connector_from(settings: Settings) -> Connector:
    """The connector `settings.connector` names (settings validation refuses any name not in `CONNECTORS`)."""
    return CONNECTORS[settings.connector](settings)
