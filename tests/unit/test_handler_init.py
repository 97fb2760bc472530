"""A function's init (its handler module's import) runs without CPython's cyclic collector and ends with it on
again, what the init made frozen (`jarchi.wiring.init_done()`; issue 10, cold start)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from jarchi.resources import ALL_FUNCTIONS

_PROBE = """
import gc, importlib, json, sys
collections = []  # those from the moment the handler module runs (it is in sys.modules as it does)
gc.callbacks.append(lambda phase, info: phase == "start" and {module!r} in sys.modules and collections.append(1))
importlib.import_module({module!r})
during = len(collections)
gc.collect(0)
print(json.dumps([during, gc.isenabled(), gc.get_freeze_count() > 0, len(collections) > during]))
"""


@pytest.mark.parametrize("module", sorted(f.module for f in ALL_FUNCTIONS if f.name != "authorizer"))
def test_the_init_runs_without_the_collector_and_ends_with_it_on(module: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE.format(module=module)], capture_output=True, text=True, check=True
    )
    during, enabled, frozen, collects_after = json.loads(done.stdout.strip().splitlines()[-1])
    assert (during, enabled, frozen, collects_after) == (0, True, True, True)


_FIRST_REQUEST = """
import gc, json
import functions.api.handler as api
from local.apigateway import HttpRequest, proxy_event
from local.functions import make_context
collections = []
gc.callbacks.append(lambda phase, info: phase == "start" and collections.append(1))
frozen = gc.get_freeze_count()
event = proxy_event(HttpRequest("GET", "/v1/openapi.json"), stage="api")  # every router, no store
answer = api.handler(event, make_context("api", region="eu-central-1"))
print(json.dumps([answer["statusCode"], len(collections), gc.isenabled(), gc.get_freeze_count() > frozen]))
"""


def test_the_api_s_first_request_runs_without_the_collector_and_freezes_what_it_made() -> None:
    done = subprocess.run([sys.executable, "-c", _FIRST_REQUEST], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [200, 0, True, True]
