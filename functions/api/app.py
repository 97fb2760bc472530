"""The API: one Powertools REST resolver, a router per resource, all under /v1."""

from __future__ import annotations

import threading
from functools import cache
from pathlib import Path
from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer, Server

from functions.api.brand import with_brand
from functions.api.edge import serve
from functions.api.errors import install_error_handlers
from functions.api.idempotency import idempotent_request
from functions.api.openapi import completed_json
from functions.api.resolver import RequestScopedResolver
from functions.api.routes import (
    accounts,
    audio,
    caller_ids,
    campaigns,
    connector_events,
    contact_lists,
    credit,
    domains,
    estimates,
    local_calls,
    local_clock,
    otp,
    reports,
    senders,
    suppression,
)
from jarchi.configuration import check_configuration
from jarchi.settings import get_settings

BASE_PATH = "/v1"
TITLE = "Jarchi API"
VERSION = "1.0.0"
DESCRIPTION = "Voice-message broadcasts and bulk SMS campaigns. Authenticate with `Authorization: Bearer <token>`."


check_configuration()  # a bad setting stops the cold start with a message naming its key (R-RUN-6)


class JarchiApi(RequestScopedResolver):
    """The resolver behind the front door: every event passes `functions.api.edge` first; every answer on a
    reseller's domain carries its brand (`functions.api.brand`)."""

    def resolve(self, event: Any, context: Any) -> dict[str, Any]:
        request = dict(event)
        return with_brand(request, serve(request, context, super().resolve))


_lock = threading.Lock()
_app: JarchiApi | None = None


def build_app() -> JarchiApi:
    """One resolver per process, shared by every thread: each request's state lives in its own context
    (see functions.api.resolver), so the local server's threads never read one another's request."""
    global _app
    with _lock:
        if _app is None:
            _app = new_app()
        return _app


@cache
def _swagger_assets() -> tuple[str, str]:
    # Imported here, as below: the swagger-ui package (and its OAuth2 models) serves only /v1/docs.
    from aws_lambda_powertools.event_handler.openapi import swagger_ui as swagger_ui_package

    folder = Path(swagger_ui_package.__file__).parent
    return (
        (folder / "swagger-ui-bundle.min.js").read_text(encoding="utf-8"),
        (folder / "swagger-ui.min.css").read_text(encoding="utf-8"),
    )


def swagger_page(document: str) -> str:
    from aws_lambda_powertools.event_handler.openapi.swagger_ui import generate_swagger_html

    script, style = _swagger_assets()
    return generate_swagger_html(document.replace("</", "<\\/"), script, style, "", None)


def new_app() -> JarchiApi:
    app = JarchiApi(enable_validation=True)
    app.use([idempotent_request])
    routers = [
        accounts.router,
        credit.router,
        audio.router,
        contact_lists.router,
        senders.router,
        estimates.router,
        campaigns.router,
        caller_ids.router,
        otp.router,
        suppression.router,
        domains.router,
        connector_events.router,
        reports.router,
    ]
    if get_settings().stage == "local":
        routers.extend([local_clock.router, local_calls.router])
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
    document: list[str] = []  # generated at the first ask, then kept: the routes do not change
    generating = threading.Lock()  # Powertools' generator is not safe for two threads at once

    def completed_document() -> str:
        with generating:
            if not document:
                document.append(completed_json(app.get_openapi_json_schema(**openapi)))  # type: ignore[arg-type]
            return document[0]

    @app.get(f"{BASE_PATH}/openapi.json", include_in_schema=False)
    def openapi_document() -> Response[str]:
        return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=completed_document())

    @app.get(f"{BASE_PATH}/docs", include_in_schema=False)
    def swagger_ui() -> Response[str]:
        """Swagger UI over the same completed document (Powertools' own page would generate another)."""
        return Response(status_code=200, content_type="text/html", body=swagger_page(completed_document()))

    return app
