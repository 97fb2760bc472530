"""Configuration checked at start (R-RUN-6): `make run` and every function's cold start call
`check_configuration()`, so a bad value stops them with a message naming its key and what is allowed,
instead of surfacing at the first call (a misspelt simulator key would otherwise mean no call is placed)."""

from __future__ import annotations

from jarchi.connectors.registry import CONNECTORS
from jarchi.settings import ConfigurationError, Settings, describe_problem, get_settings

SIMULATOR_KEY = "JARCHI_SIMULATOR_CONFIG"
CONNECTOR_CONFIG_KEY = "JARCHI_CONNECTOR_CONFIG"
CONNECTOR_KEY = "JARCHI_CONNECTOR"


def check_simulator_config(value: str | None) -> None:
    if not value or not value.strip():  # unset: the defaults, valid by construction (no pydantic at cold start)
        return
    from pydantic import ValidationError

    from jarchi.connectors.simulator_config import SimulatorConfig

    try:
        SimulatorConfig.load(value)
    except ValidationError as error:
        problems = "; ".join(describe_problem(e, SimulatorConfig.model_fields) for e in error.errors())
        raise ConfigurationError(f"bad configuration: {SIMULATOR_KEY}: {problems}") from None
    except OSError as error:
        message = f"not inline JSON (starting with '{{') and not a readable file: {error.strerror} ({value!r})"
        raise ConfigurationError(f"bad configuration: {SIMULATOR_KEY}: {message}") from None


def check_connector_config(value: str | None) -> None:
    """The cloud connectors' settings (`jarchi.connectors.config.ConnectorConfig`), whatever the connector."""
    if not value or not value.strip():  # unset: the defaults, valid by construction
        return
    from pydantic import ValidationError

    from jarchi.connectors.config import ConnectorConfig

    try:
        ConnectorConfig.load(value)
    except ValidationError as error:
        problems = "; ".join(describe_problem(e, ConnectorConfig.model_fields) for e in error.errors())
        raise ConfigurationError(f"bad configuration: {CONNECTOR_CONFIG_KEY}: {problems}") from None
    except OSError as error:
        message = f"not inline JSON (starting with '{{') and not a readable file: {error.strerror} ({value!r})"
        raise ConfigurationError(f"bad configuration: {CONNECTOR_CONFIG_KEY}: {message}") from None


def check_connector(name: str) -> None:
    """The connector is one the registry knows (the settings cannot tell: the registry is an adapter's list)."""
    if name not in CONNECTORS:
        known = ", ".join(CONNECTORS)
        raise ConfigurationError(f"bad configuration: {CONNECTOR_KEY}: no connector named {name!r}; known: {known}")


def check_configuration() -> Settings:
    """Every setting, the connector's name, and the simulator's configuration whenever one is set; raises
    `ConfigurationError`."""
    settings = get_settings()
    check_connector(settings.connector)
    check_simulator_config(settings.simulator_config)
    check_connector_config(settings.connector_config)
    return settings
