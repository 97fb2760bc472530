"""Request bodies are JSON: which requests declare their body as something else."""

from __future__ import annotations

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

JSON = "application/json"


def non_json_content_type(event: APIGatewayProxyEvent) -> str | None:
    """The declared content type of a body that is not JSON (None: JSON, no body, or no type declared)."""
    content_type = (event.headers.get("content-type") or "").split(";")[0].strip().lower()
    if not event.body or not content_type or content_type == JSON or content_type.endswith("+json"):
        return None
    return content_type
