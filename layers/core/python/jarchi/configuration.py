"""Configuration checked at start (R-RUN-6): `make run` and every function's cold start call
`check_configuration()`, so a bad value stops them with a message naming its key and what is allowed,
instead of surfacing at the first call (a misspelt simulator key would otherwise mean no call is placed)."""

from __future__ import annotations

from pydantic import ValidationError

from jarchi.connectors.simulator import SimulatorConfig
from jarchi.settings import ConfigurationError, Settings, describe_problem, get_settings

SIMULATOR_KEY = "JARCHI_SIMULATOR_CONFIG"


def check_simulator_config(value: str | None) -> None:
    try:
        SimulatorConfig.load(value)
    except ValidationError as error:
        problems = "; ".join(describe_problem(e, SimulatorConfig.model_fields) for e in error.errors())
        raise ConfigurationError(f"bad configuration: {SIMULATOR_KEY}: {problems}") from None
    except OSError as error:
        message = f"not inline JSON (starting with '{{') and not a readable file: {error.strerror} ({value!r})"
        raise ConfigurationError(f"bad configuration: {SIMULATOR_KEY}: {message}") from None


def check_configuration() -> Settings:
    """Every setting, and the simulator's configuration whenever one is set; raises `ConfigurationError`."""
    settings = get_settings()
    check_simulator_config(settings.simulator_config)
    return settings
