"""The API registers a router when a request first needs it (functions.api.app, issue 10 cold start): a path's
first segment names its route modules. What must not change: the route a path matches, whatever the order the
requests came in, and the routes served once every router is in (the OpenAPI document and the route/stack test
read those). A request the front door refuses builds no resolver and imports no router."""

from __future__ import annotations

import importlib
import json
import re
import subprocess
import sys
from collections.abc import Iterator

import pytest
from aws_lambda_powertools.event_handler.api_gateway import Route

from functions.api.app import (
    LOCAL_ROUTE_MODULES,
    ROUTE_MODULES,
    ROUTE_MODULES_BY_SEGMENT,
    JarchiApi,
    first_segment,
    new_app,
)
from jarchi.settings import reset_settings


@pytest.fixture(params=["cloud", "local"])
def stage(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("JARCHI_STAGE", request.param)
    reset_settings()
    yield str(request.param)
    monkeypatch.undo()
    reset_settings()


def _routes(app: JarchiApi) -> list[Route]:
    return app._static_routes + app._dynamic_routes  # the order Powertools matches in


def _concrete(rule: str) -> str:
    return re.sub(r"<(\w+)>", lambda m: f"{m.group(1).replace('_', '-')}-1", rule)


def _name(route: Route) -> str:
    return f"{route.func.__module__}.{route.func.__qualname__}"


def _match(app: JarchiApi, method: str, path: str) -> str | None:
    """The function of the route Powertools would call, as its `_resolve` finds it."""
    for route in _routes(app):
        if route.method == method and route.rule.match(path):
            return _name(route)
    return None


def test_each_first_segment_names_exactly_the_route_modules_serving_it() -> None:
    derived: dict[str, list[str]] = {}
    for module in ROUTE_MODULES + LOCAL_ROUTE_MODULES:
        router = importlib.import_module(f"functions.api.routes.{module}").router
        for rule, *_ in router._routes:
            segment = rule.split("/")[1]
            assert re.fullmatch(r"[a-z][a-z0-9.-]*", segment), f"{module}: {rule} starts with a parameter"
            assert rule == f"/{segment}" or rule.startswith(f"/{segment}/"), rule
            if module not in derived.setdefault(segment, []):
                derived[segment].append(module)
    assert {segment: tuple(modules) for segment, modules in derived.items()} == dict(ROUTE_MODULES_BY_SEGMENT)


def test_every_route_matches_what_it_matches_when_all_routers_are_in(stage: str) -> None:
    full = new_app()
    full.include_every_router()
    for route in _routes(full):
        path = _concrete(route.path)
        lazy = new_app()
        lazy.include_routers_for(path)
        assert _match(lazy, route.method, path) == _match(full, route.method, path), (route.method, path)


def test_the_routes_are_in_the_full_order_whatever_order_the_segments_came_in(stage: str) -> None:
    full = new_app()
    full.include_every_router()
    lazy = new_app()
    for segment in reversed(list(ROUTE_MODULES_BY_SEGMENT)):
        lazy.include_routers_for(f"/v1/{segment}/x")
        included = [(r.method, r.path) for r in _routes(lazy)]
        assert included == [(r.method, r.path) for r in _routes(full) if (r.method, r.path) in set(included)]
    lazy.include_every_router()
    assert [(r.method, r.path, _name(r)) for r in _routes(lazy)] == [
        (r.method, r.path, _name(r)) for r in _routes(full)
    ]
    assert len(_routes(full)) == len({(r.method, r.path) for r in _routes(full)})


@pytest.mark.parametrize(
    ("path", "segment"),
    [("/v1/campaigns", "campaigns"), ("/v1/campaigns/c-1/recipients", "campaigns"), ("/v1", None), ("/x/y", None)],
)
def test_first_segment(path: str, segment: str | None) -> None:
    assert first_segment(path) == segment


def test_a_refused_request_imports_no_router() -> None:
    """A request without a token is answered 401 by the front door: no resolver, no route module, no pydantic."""
    probe = (
        "import sys, json, functions.api.handler as h\n"
        "from local.apigateway import HttpRequest, proxy_event\n"
        "from local.functions import make_context\n"
        "event = proxy_event(HttpRequest('GET', '/v1/campaigns'), stage='api')\n"
        "answer = h.handler(event, make_context('api', region='eu-central-1'))\n"
        "print(json.dumps([answer['statusCode'], sorted(m for m in sys.modules if m.startswith("
        "('functions.api.routes.', 'pydantic')))]))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    status, loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert (status, loaded) == (401, [])
