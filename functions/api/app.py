"""The API: one Powertools REST resolver, a router per resource, all under /v1."""

from __future__ import annotations

import threading

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer, Server

from functions.api.auth import authenticate_request
from functions.api.errors import install_error_handlers
from functions.api.idempotency import idempotent_request
from functions.api.routes import (
    accounts,
    audio,
    campaigns,
    connector_events,
    contact_lists,
    credit,
    estimates,
    local_clock,
    senders,
)
from jarchi.settings import get_settings

BASE_PATH = "/v1"
TITLE = "Jarchi API"
VERSION = "1.0.0"
DESCRIPTION = "Voice-message broadcasts and bulk SMS campaigns. Authenticate with `Authorization: Bearer <token>`."


_container = threading.local()


def build_app() -> APIGatewayRestResolver:
    """One resolver per Lambda container. A container serves one request at a time; the local server
    serves several at once from threads, so each thread gets its own resolver, as if its own container."""
    app: APIGatewayRestResolver | None = getattr(_container, "app", None)
    if app is None:
        app = _container.app = _new_app()
    return app


def _new_app() -> APIGatewayRestResolver:
    app = APIGatewayRestResolver(enable_validation=True)
    app.use([authenticate_request, idempotent_request])
    routers = [
        accounts.router,
        credit.router,
        audio.router,
        contact_lists.router,
        senders.router,
        estimates.router,
        campaigns.router,
        connector_events.router,
    ]
    if get_settings().stage == "local":
        routers.append(local_clock.router)
    for router in routers:
        app.include_router(router, prefix=BASE_PATH)
    install_error_handlers(app)
    openapi = {
        "title": TITLE,
        "version": VERSION,
        "description": DESCRIPTION,
        "servers": [Server(url="/")],
        "security_schemes": {"bearer": HTTPBearer()},
        "security": [{"bearer": []}],
    }
    app.enable_swagger(path=f"{BASE_PATH}/docs", **openapi)  # type: ignore[arg-type]

    @app.get(f"{BASE_PATH}/openapi.json", include_in_schema=False)
    def openapi_document() -> Response[str]:
        body = app.get_openapi_json_schema(**openapi)  # type: ignore[arg-type]
        return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=body)

    return app
