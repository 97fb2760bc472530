"""The cloud connectors' settings (`JARCHI_CONNECTOR_CONFIG`): one section per connector, defaults for all,
refused by name when wrong (R-RUN-6)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from jarchi.connectors.config import ConnectorConfig
from jarchi.connectors.registry import CONNECTORS, connector_from
from jarchi.settings import Settings


def test_unset_means_every_connector_at_its_defaults() -> None:
    config = ConnectorConfig.load(None)
    assert config.chime.vote_pause_milliseconds == 4500 and config.https.replay_window_seconds == 300
    assert config.end_user_messaging.configuration_set is None


def test_inline_json_or_a_file(tmp_path: Path) -> None:
    text = json.dumps({"chime": {"sip_media_application_id": "sma-1", "caller_ids": "+13125550100,+13125550101"}})
    assert ConnectorConfig.load(text).chime.caller_ids == ("+13125550100", "+13125550101")
    path = tmp_path / "connectors.json"
    path.write_text(text)
    assert ConnectorConfig.load(str(path)) == ConnectorConfig.load(text)


@pytest.mark.parametrize(
    "value",
    [
        {"eum": {}},  # no such connector
        {"chime": {"caller_ids": ["0912"]}},  # not E.164
        {"chime": {"vote_pause_milliseconds": 9000}},  # the pause is 4–5 s
        {"https": {"endpoint": "http://provider.example/x"}},  # plain HTTP only on the loopback
        {"end_user_messaging": {"configuration_set": "has spaces"}},
    ],
)
def test_a_bad_value_is_refused(value: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        ConnectorConfig.load(json.dumps(value))


@pytest.mark.parametrize("name", sorted(set(CONNECTORS) - {"simulator"}))
def test_each_cloud_connector_builds_from_its_section(name: str) -> None:
    text = json.dumps({"chime": {"sip_media_application_id": "sma-1", "caller_ids": ["+13125550100"]}})
    connector = connector_from(Settings(connector=name, connector_config=text))
    assert connector.name == name
