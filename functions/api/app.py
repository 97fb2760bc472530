"""The API: one Powertools REST resolver, a router per resource, all under /v1.

Routers are registered when a request first needs them (issue 10, cold start): a path's first segment under /v1
names the route modules serving it (`ROUTE_MODULES_BY_SEGMENT`), and those are imported and included before the
resolver matches the path. The resolver's route lists are kept in the order a full registration gives
(`ROUTE_MODULES`, then the document's own routes), so a path matches the route it always matched, and the OpenAPI
document, which registers every router first, is the same document. A request the front door refuses (a bad or
missing token, a body too large) builds no resolver at all."""

from __future__ import annotations

import importlib
import threading
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from aws_lambda_powertools.event_handler import Response, content_types

from functions.api.brand import with_brand
from functions.api.edge import serve
from functions.api.errors import install_error_handlers
from functions.api.idempotency import idempotent_request
from functions.api.resolver import RequestScopedResolver
from jarchi.configuration import check_configuration
from jarchi.settings import get_settings

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.api_gateway import Route, Router

BASE_PATH = "/v1"
TITLE = "Jarchi API"
VERSION = "1.0.0"
DESCRIPTION = "Voice-message broadcasts and bulk SMS campaigns. Authenticate with `Authorization: Bearer <token>`."

# The route modules (functions/api/routes), in the order their routers are registered.
ROUTE_MODULES: Final = (
    "accounts",
    "credit",
    "audio",
    "contact_lists",
    "senders",
    "estimates",
    "campaigns",
    "caller_ids",
    "otp",
    "suppression",
    "domains",
    "connector_events",
    "reports",
)
LOCAL_ROUTE_MODULES: Final = ("local_clock", "local_calls")  # served by `make run` only (R-RUN-3)
# The first segment of a path under /v1 → every route module with a route under it (tests/infra/test_api_routes.py
# checks this against the routers themselves: a route under a segment not listed here would never be served).
ROUTE_MODULES_BY_SEGMENT: Final[Mapping[str, tuple[str, ...]]] = {
    "accounts": ("accounts", "credit"),
    "credit": ("credit",),
    "audio": ("audio",),
    "contact-lists": ("contact_lists",),
    "senders": ("senders",),
    "estimates": ("estimates",),
    "campaigns": ("campaigns", "reports"),
    "moderation": ("campaigns",),
    "restricted-periods": ("campaigns",),
    "quick-send": ("campaigns",),
    "caller-ids": ("caller_ids",),
    "otp": ("otp",),
    "stop-list": ("suppression",),
    "blacklist": ("suppression",),
    "opt-outs": ("suppression",),
    "domains": ("domains",),
    "brand": ("domains",),
    "connectors": ("connector_events",),
    "exports": ("reports",),
    "webhooks": ("reports",),
    "local": ("local_clock", "local_calls"),
}
_LAST: Final = 1_000  # the rank of the routes `new_app` registers itself, after every router's


check_configuration()  # a bad setting stops the cold start with a message naming its key (R-RUN-6)


def route_modules() -> tuple[str, ...]:
    """The route modules this deployment serves, in registration order."""
    local = get_settings().stage == "local"
    return ROUTE_MODULES + (LOCAL_ROUTE_MODULES if local else ())


def first_segment(path: str | None) -> str | None:
    """`campaigns` for `/v1/campaigns/c-1/recipients`; None outside /v1."""
    if not path or not path.startswith(f"{BASE_PATH}/"):
        return None
    return path[len(BASE_PATH) + 1 :].split("/", 1)[0]


class JarchiApi(RequestScopedResolver):
    """The resolver behind the front door: every event passes `functions.api.edge` first; every answer on a
    reseller's domain carries its brand (`functions.api.brand`). Routers are included as paths need them."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._served = route_modules()
        self._included: set[str] = set()
        self._ready_segments: set[str] = set()
        self._rank: dict[int, int] = {}  # id(route) → its router's place in `_served` (none: the app's own)
        self._including = threading.Lock()

    def resolve(self, event: Any, context: Any) -> dict[str, Any]:
        request = dict(event)
        return with_brand(request, serve(request, context, self.routed))

    def routed(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        """An admitted request: its routers included, then matched and answered by Powertools."""
        self.include_routers_for(event.get("path"))
        return super().resolve(event, context)

    def include_routers_for(self, path: str | None) -> None:
        segment = first_segment(path)
        if segment is None or segment in self._ready_segments:
            return
        modules = [m for m in ROUTE_MODULES_BY_SEGMENT.get(segment, ()) if m in self._served]
        with self._including:
            self._include(modules)
            self._ready_segments.add(segment)

    def include_every_router(self) -> None:
        """Every router this deployment serves (the OpenAPI document, the route tests)."""
        with self._including:
            self._include(list(self._served))
            self._ready_segments.update(ROUTE_MODULES_BY_SEGMENT)

    def _include(self, modules: list[str]) -> None:
        for module in modules:
            if module in self._included:
                continue
            router: Router = importlib.import_module(f"functions.api.routes.{module}").router
            before = {id(route) for route in self._static_routes + self._dynamic_routes}
            self.include_router(router, prefix=BASE_PATH)
            self._included.add(module)
            rank = self._served.index(module)
            self._rank.update(
                (id(route), rank) for route in self._static_routes + self._dynamic_routes if id(route) not in before
            )
        # A stable sort: each router's routes stay in their order, routers in `ROUTE_MODULES`' order and the app's own
        # routes last (new lists: a thread matching another path meanwhile iterates the lists it already took).
        self._static_routes = self._in_order(self._static_routes)
        self._dynamic_routes = self._in_order(self._dynamic_routes)

    def _in_order(self, routes: list[Route]) -> list[Route]:
        return sorted(routes, key=lambda route: self._rank.get(id(route), _LAST))


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


def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The Lambda's request: the front door first, the resolver (built at the first admitted request) after."""
    request = dict(event)
    return with_brand(request, serve(request, context, lambda routed, ctx: build_app().routed(routed, ctx)))


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


def _openapi_arguments() -> dict[str, Any]:
    # Powertools' OpenAPI models (pydantic, ~150 ms to import) are needed by the document only.
    from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer, Server

    return {
        "title": TITLE,
        "version": VERSION,
        "description": DESCRIPTION,
        "servers": [Server(url="/")],
        "security_schemes": {"bearer": HTTPBearer()},
        "security": [{"bearer": []}],
    }


def new_app() -> JarchiApi:
    app = JarchiApi(enable_validation=True)
    app.use([idempotent_request])
    install_error_handlers(app)
    document: list[str] = []  # generated at the first ask, then kept: the routes do not change
    generating = threading.Lock()  # Powertools' generator is not safe for two threads at once

    def completed_document() -> str:
        from functions.api.openapi import completed_json

        with generating:
            if not document:
                app.include_every_router()
                document.append(completed_json(app.get_openapi_json_schema(**_openapi_arguments())))
            return document[0]

    @app.get(f"{BASE_PATH}/openapi.json", include_in_schema=False)
    def openapi_document() -> Response[str]:
        return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=completed_document())

    @app.get(f"{BASE_PATH}/docs", include_in_schema=False)
    def swagger_ui() -> Response[str]:
        """Swagger UI over the same completed document (Powertools' own page would generate another)."""
        return Response(status_code=200, content_type="text/html", body=swagger_page(completed_document()))

    return app
