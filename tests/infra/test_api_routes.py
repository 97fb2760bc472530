"""R-RUN-3 / R-API: the routes the cloud stack declares are exactly the routes the API resolver serves.

A route in `infra.constants.API_ROUTES` that the app does not serve would answer API Gateway's 404 in the
cloud but a different error locally; a route the app serves but the stack does not declare would work
locally and be missing in the cloud. Either fails here. The resolver is built as the cloud builds it
(`JARCHI_STAGE=cloud`), so the local-only clock route is not part of what it serves."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from aws_lambda_powertools.event_handler import APIGatewayRestResolver

from jarchi.settings import reset_settings
from tests.infra.conftest import Synth
from tests.infra.test_stack import declared_routes


def _new_app(stage: str, monkeypatch: pytest.MonkeyPatch) -> APIGatewayRestResolver:
    from functions.api.app import new_app  # a fresh resolver: build_app() caches one

    monkeypatch.setenv("JARCHI_STAGE", stage)
    reset_settings()
    app = new_app()
    app.include_every_router()  # what the deployment serves, not what its requests so far needed
    return app


def served_routes(app: APIGatewayRestResolver) -> set[tuple[str, str]]:
    """(method, path) of every route the resolver serves, path parameters in OpenAPI/API Gateway form."""
    routes = app._static_routes + app._dynamic_routes  # Powertools keeps no public list of them
    assert routes, "Powertools' resolver no longer keeps its routes in _static_routes/_dynamic_routes"
    return {(route.method, route.openapi_path) for route in routes}


@pytest.fixture
def cloud_app(monkeypatch: pytest.MonkeyPatch) -> Iterator[APIGatewayRestResolver]:
    yield _new_app("cloud", monkeypatch)
    monkeypatch.undo()
    reset_settings()


def test_r_run_3_the_stack_declares_exactly_the_routes_the_app_serves(
    synth: Synth, cloud_app: APIGatewayRestResolver
) -> None:
    declared, served = declared_routes(synth), served_routes(cloud_app)
    assert sorted(declared - served) == [], "declared by the stack, not served by functions/api"
    assert sorted(served - declared) == [], "served by functions/api, not declared by the stack (API_ROUTES)"


def test_r_run_3_the_openapi_document_describes_only_served_routes(cloud_app: APIGatewayRestResolver) -> None:
    # The cross-check on the private route lists above: the public OpenAPI view of the same app.
    schema = cloud_app.get_openapi_schema()
    documented = {
        (method.upper(), path)
        for path, item in (schema.paths or {}).items()
        for method in ("get", "put", "post", "delete", "patch")
        if getattr(item, method) is not None
    }
    assert documented and documented <= served_routes(cloud_app)


def test_r_run_3_the_local_clock_and_inbound_calls_are_served_only_locally(monkeypatch: pytest.MonkeyPatch) -> None:
    try:
        local = served_routes(_new_app("local", monkeypatch))
        cloud = served_routes(_new_app("cloud", monkeypatch))
    finally:
        monkeypatch.undo()
        reset_settings()
    assert local - cloud == {
        ("GET", "/v1/local/clock"),
        ("POST", "/v1/local/clock"),
        ("POST", "/v1/local/inbound-calls"),  # the simulator's subscriber calls back (R-OUT-4)
    }
