"""The X-Ray SDK's sampling client is made when the SDK first uses it, not when a function's init imports the SDK
(`jarchi.aws.xray`; issue 10, cold start)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from jarchi.resources import ALL_FUNCTIONS

_MADE = """
import botocore.session
made = []
create = botocore.session.Session.create_client
def recorded(self, service, *args, **kwargs):
    made.append(service)
    return create(self, service, *args, **kwargs)
botocore.session.Session.create_client = recorded
"""

_SDK = (
    _MADE
    + """
import json
from jarchi.aws.xray import defer_sampling_client
defer_sampling_client()
from aws_xray_sdk.core import xray_recorder
xray_recorder.configure(daemon_address="127.0.0.2:3000")
before = list(made)
meta = xray_recorder.sampler._connector._xray_client.meta
print(json.dumps([before, made, meta.endpoint_url, meta.region_name, meta.service_model.service_name]))
"""
)


def test_the_sampling_client_is_made_at_its_first_use_with_the_sdk_s_arguments() -> None:
    done = subprocess.run([sys.executable, "-c", _SDK], capture_output=True, text=True, check=True)
    before, after, endpoint, region, service = json.loads(done.stdout.strip().splitlines()[-1])
    assert before == []
    assert after == ["xray"]
    assert (endpoint, region, service) == ("http://127.0.0.2:3000", "us-west-2", "xray")


@pytest.mark.parametrize("module", sorted(f.module for f in ALL_FUNCTIONS if f.name != "authorizer"))
def test_a_function_s_init_makes_no_x_ray_client(module: str) -> None:
    probe = _MADE + f"import importlib, json\nimportlib.import_module({module!r})\nprint(json.dumps(made))\n"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert "xray" not in json.loads(done.stdout.strip().splitlines()[-1])
