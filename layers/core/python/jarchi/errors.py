"""Domain errors. Each carries a snake_case code and an HTTP status; the API maps them to
`{"error": {"code", "message", ...details}}`. Never match on message text."""

from __future__ import annotations

from typing import ClassVar


class JarchiError(Exception):
    status: ClassVar[int] = 400

    def __init__(self, code: str, message: str, **details: object) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details

    def body(self) -> dict[str, object]:
        return {"error": {"code": self.code, "message": self.message, **self.details}}


class BadRequest(JarchiError):
    status = 400


class Unauthorized(JarchiError):
    status = 401

    def __init__(self, message: str = "a valid bearer token is required") -> None:
        super().__init__("unauthorized", message)


class PaymentRequired(JarchiError):
    status = 402


class Forbidden(JarchiError):
    status = 403


class NotFound(JarchiError):
    status = 404

    @classmethod
    def of(cls, resource: str, resource_id: str) -> NotFound:
        return cls(f"{resource}_not_found", f"no {resource.replace('_', ' ')} {resource_id!r}")


class Conflict(JarchiError):
    status = 409


class PayloadTooLarge(JarchiError):
    status = 413


class Unprocessable(JarchiError):
    status = 422


class InsufficientCredit(PaymentRequired):
    def __init__(self, required: int, available: int) -> None:
        super().__init__(
            "insufficient_credit",
            f"this needs {required} but only {available} is available",
            required=required,
            available=available,
        )


class UnsupportedMediaType(JarchiError):
    status = 415


class TooManyRequests(JarchiError):
    status = 429


class InternalError(JarchiError):
    """A bug of ours, answered in the error shape (never raised by the domain on purpose)."""

    status = 500
