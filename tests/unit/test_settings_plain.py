"""The settings are read without pydantic when every value is in its plain form (issue 10, cold start); what that
reader accepts must be exactly what the pydantic model gives, and everything else must go to the model (R-RUN-6)."""

from __future__ import annotations

import subprocess
import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from jarchi.settings import ConfigurationError, _fields, _read_plain, _read_with_pydantic

NAMES = [name for name, _, _ in _fields()]
TEXT = st.one_of(
    st.from_regex(r"-?[0-9]{1,8}(\.[0-9]{1,3})?", fullmatch=True),
    st.from_regex(r"[ +0-9=,._a-z-]{0,24}", fullmatch=True),
    st.sampled_from(["local", "cloud", "prod", "", " 7", "1e3", "007", "0", "+98=60", "+98935=5000", "٣", "x" * 16]),
)


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(st.sampled_from(NAMES), TEXT, max_size=3))
def test_the_plain_reader_accepts_only_what_pydantic_accepts_with_the_same_values(values: dict[str, str]) -> None:
    plain = _read_plain(values)
    try:
        validated = _read_with_pydantic(values)
    except ConfigurationError:
        assert plain is None
        return
    if plain is not None:
        for name, value in plain.items():
            assert validated[name] == value and type(validated[name]) is type(value), name


def test_an_unknown_key_goes_to_pydantic() -> None:
    assert _read_plain({"typo": "1"}) is None


def test_a_function_starting_with_good_settings_imports_no_pydantic() -> None:
    code = (
        "import sys\nfrom jarchi.configuration import check_configuration\ncheck_configuration()\n"
        "assert 'pydantic' not in sys.modules, 'pydantic was imported'"
    )
    env = {"JARCHI_STAGE": "cloud", "JARCHI_PUMPING_SHARE": "0.3", "JARCHI_IDEMPOTENCY_TTL_SECONDS": "600"}
    import os

    keep = {k: v for k, v in os.environ.items() if not k.startswith("JARCHI_")}
    run = subprocess.run([sys.executable, "-c", code], env={**keep, **env}, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
