"""Every error leaves the API as `{"error": {"code", "message", ...}}` (R-API)."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError, ServiceError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

from jarchi.errors import JarchiError

logger = Logger(child=True)
JSON = content_types.APPLICATION_JSON


def error_response(status: int, code: str, message: str, /, **details: Any) -> Response[Any]:
    retry_after = details.get("retry_after_seconds")
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body={"error": {"code": code, "message": message, **details}},
        headers={"Retry-After": str(retry_after)} if retry_after is not None else None,
    )


def _non_json_content_type(event: APIGatewayProxyEvent) -> str | None:
    """The declared content type of a body that is not JSON (None: JSON, no body, or no type declared)."""
    content_type = (event.headers.get("content-type") or "").split(";")[0].strip().lower()
    if not event.body or not content_type or content_type == JSON or content_type.endswith("+json"):
        return None
    return content_type


def _field(error: dict[str, Any]) -> dict[str, Any]:
    # "body" / "query" first, then the field path; no Python internals leak out.
    return {
        "location": ".".join(str(part) for part in error.get("loc", ())),
        "type": error.get("type", ""),
        "message": error.get("msg", ""),
    }


def install_error_handlers(app: APIGatewayRestResolver) -> None:
    @app.exception_handler(JarchiError)
    def domain_error(error: JarchiError) -> Response[Any]:
        logger.info("request refused", extra={"code": error.code, "status": error.status})
        return error_response(error.status, error.code, error.message, **error.details)

    @app.exception_handler(RequestValidationError)
    def invalid_request(error: RequestValidationError) -> Response[Any]:
        # curl's default is a form: say so, rather than list the JSON text as an unknown form field
        content_type = _non_json_content_type(app.current_event)
        if content_type is not None:
            message = f"request bodies are JSON: send them with 'Content-Type: {JSON}' (got {content_type!r})"
            return error_response(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", message)
        fields = [_field(dict(e)) for e in error.errors()]
        if any(f["type"] == "json_invalid" for f in fields):
            return error_response(HTTPStatus.BAD_REQUEST, "invalid_json", "the request body is not valid JSON")
        summary = "; ".join(f"{f['location']}: {f['message']}" for f in fields[:5])
        return error_response(HTTPStatus.UNPROCESSABLE_ENTITY, "validation_error", summary, fields=fields)

    @app.exception_handler(RequestUnsupportedContentType)
    def unsupported_content_type(error: RequestUnsupportedContentType) -> Response[Any]:
        message = f"request bodies are JSON: send them with 'Content-Type: {JSON}'"
        return error_response(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", message)

    @app.exception_handler(ServiceError)
    def service_error(error: ServiceError) -> Response[Any]:
        code = HTTPStatus(error.status_code).phrase.lower().replace(" ", "_")
        return error_response(error.status_code, code, str(error.msg))

    @app.exception_handler(Exception)
    def unexpected_error(error: Exception) -> Response[Any]:
        # a bug of ours: logged with its trace, answered in the error shape without internals
        logger.exception("unexpected error")
        return error_response(HTTPStatus.INTERNAL_SERVER_ERROR, "internal_error", "something went wrong on our side")

    @app.not_found
    def route_not_found(error: NotFoundError) -> Response[Any]:
        event = app.current_event
        return error_response(HTTPStatus.NOT_FOUND, "route_not_found", f"no route {event.http_method} {event.path}")
