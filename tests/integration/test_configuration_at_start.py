"""Bad configuration fails at start with a message naming the key (R-RUN-6, issue 14): `make run`
(`python -m local`) and the API function's cold start (importing its app)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from jarchi.configuration import check_simulator_config
from jarchi.settings import ConfigurationError, Settings

BAD = [
    ({"JARCHI_SIMULATOR_CONFIG": '{"overides": {}}'}, "JARCHI_SIMULATOR_CONFIG: overides: unknown key; allowed: seed"),
    ({"JARCHI_SIMULATOR_CONFIG": "/no/such/file.json"}, "JARCHI_SIMULATOR_CONFIG: not inline JSON"),
    ({"JARCHI_SIMULATOR_CONFIG": '{"voice": {"answered": -1}}'}, "JARCHI_SIMULATOR_CONFIG: voice.answered"),
    ({"JARCHI_STAGE": "prod"}, "JARCHI_STAGE: Input should be 'local' or 'cloud'"),
    ({"JARCHI_SIMULATOR_CONFG": "{}"}, "JARCHI_SIMULATOR_CONFG: unknown setting; allowed: JARCHI_STAGE"),
    ({"JARCHI_API_RATE_LIMIT_BURST": "0"}, "JARCHI_API_RATE_LIMIT_BURST: Input should be greater than or equal to 1"),
]


def _environment(extra: dict[str, str]) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith("JARCHI_")}
    return {**keep, "JARCHI_STAGE": "local", "POWERTOOLS_TRACE_DISABLED": "true", **extra}


@pytest.mark.parametrize(("env", "message"), BAD)
def test_make_run_stops_naming_the_key(env: dict[str, str], message: str) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "local", "--port", "1"],
        env=_environment(env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 2, run.stdout + run.stderr
    assert "Jarchi did not start: bad configuration: " + message in run.stderr, run.stderr


@pytest.mark.parametrize(("env", "message"), BAD[:2])
def test_the_api_function_stops_at_its_cold_start(env: dict[str, str], message: str) -> None:
    run = subprocess.run(
        [sys.executable, "-c", "import functions.api.handler"],
        env=_environment(env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode != 0 and "ConfigurationError" in run.stderr and message in run.stderr, run.stderr


def test_settings_refuse_unknown_keys_but_not_the_fault_test_knobs() -> None:
    with pytest.raises(ConfigurationError, match="JARCHI_TYPO: unknown setting"):
        Settings.from_env({"JARCHI_TYPO": "1"})
    assert Settings.from_env({"JARCHI_FAULT_SCENARIOS": "2000"}).stage == "cloud"
    check_simulator_config('{"seed": 1}')
    check_simulator_config(None)
