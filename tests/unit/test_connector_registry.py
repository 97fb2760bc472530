"""The connector registry (R-DSP-4): one list of connector names, read by settings validation and the wiring."""

from __future__ import annotations

import pytest

from jarchi.configuration import check_connector
from jarchi.connectors.registry import CONNECTORS, connector_from
from jarchi.ports import Connector
from jarchi.settings import ConfigurationError, Settings


@pytest.mark.parametrize("name", sorted(CONNECTORS))
def test_each_registered_connector_builds_from_the_settings_and_answers_to_its_name(name: str) -> None:
    connector = connector_from(Settings(connector=name))
    assert isinstance(connector, Connector)
    assert connector.name == name  # the name recorded on every result is the one it is chosen by


def test_the_simulator_is_the_default_connector() -> None:
    assert Settings().connector == "simulator" and "simulator" in CONNECTORS


def test_a_connector_the_registry_does_not_know_is_refused_when_the_configuration_is_checked() -> None:
    with pytest.raises(ConfigurationError, match="JARCHI_CONNECTOR: no connector named 'twilio'; known: simulator, "):
        check_connector("twilio")
    check_connector("simulator")
