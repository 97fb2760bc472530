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


def _aws(connector_config: str) -> dict[str, str]:
    from jarchi.connectors.by_channel import ByChannel

    connector = connector_from(Settings(connector="aws", connector_config=connector_config))
    assert isinstance(connector, ByChannel)
    return {str(channel): c.name for channel, c in connector.connectors.items()}


def test_r_dsp_4_the_aws_connector_calls_through_chime_when_it_has_a_sip_media_application_and_numbers() -> None:
    chime = '{"chime": {"sip_media_application_id": "sma-1", "caller_ids": "+12065550100"}}'
    assert _aws(chime) == {"voice": "chime", "sms": "end_user_messaging"}


@pytest.mark.parametrize(
    "config", ["", '{"chime": {"sip_media_application_id": "sma-1", "caller_ids": ""}}']
)  # the stack always has the SMA; numbers are bought per deployment
def test_r_tts_1_without_chime_numbers_the_aws_connector_calls_through_end_user_messaging(config: str) -> None:
    assert _aws(config) == {"voice": "end_user_messaging", "sms": "end_user_messaging"}
