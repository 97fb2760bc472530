"""Shapes shared by every resource: timestamps with offset, pagination, the error body."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from jarchi.clock import iso

Timestamp = Annotated[datetime, PlainSerializer(iso, return_type=str)]


class Shape(BaseModel):
    """Every API model. Its validator and serializer are built when it is first used, not when the API function
    starts: a cold start then builds only the models of the request it serves (issue 10, cold start)."""

    model_config = ConfigDict(defer_build=True)


class Request(Shape):
    """Request bodies refuse unknown fields, so a misspelt option is an error, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


class ErrorDetail(Shape):
    """`code` is stable and snake_case; `message` is for people; some errors add details (e.g. `fields`)."""

    model_config = ConfigDict(extra="allow")

    code: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    message: str


class ErrorBody(Shape):
    """Every error answer (R-API)."""

    error: ErrorDetail
