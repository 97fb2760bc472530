"""A REST resolver whose per-request state belongs to the request, not to the class.

Powertools keeps the current event and Lambda context on `BaseRouter` (a class attribute shared by every
resolver and router) and the routing context on the resolver instance. A Lambda container serves one request
at a time, so that is harmless there; the local server serves several at once from threads, and a request
would read another's headers (its token included). Here each `resolve()` runs with its own state in a
ContextVar: the event, the Lambda context, the routing context and the middleware frames."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, cast

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent
from aws_lambda_powertools.utilities.typing import LambdaContext


@dataclass
class _RequestState:
    event: APIGatewayProxyEvent | None = None
    lambda_context: LambdaContext | None = None
    context: dict[str, Any] = field(default_factory=dict)
    processed_stack_frames: list[str] = field(default_factory=list)


_REQUEST_STATE: ContextVar[_RequestState | None] = ContextVar("api_request_state", default=None)


class RequestScopedResolver(APIGatewayRestResolver):
    """`APIGatewayRestResolver` with request state in a ContextVar (one per thread, one per request)."""

    def __init__(self, **kwargs: Any) -> None:
        self._startup_state = _RequestState()
        # One variable for every instance: a shared router reads `api_resolver`, which is the last app that
        # included it (tests build several), so the state must not depend on which instance resolves.
        self._request_state = _REQUEST_STATE
        super().__init__(**kwargs)

    @property
    def _state(self) -> _RequestState:
        return self._request_state.get() or self._startup_state

    def resolve(self, event: Any, context: Any) -> dict[str, Any]:
        state = _RequestState(
            event=cast(APIGatewayProxyEvent, self._to_proxy_event(dict(event))),
            lambda_context=context,
            context=dict(self._startup_state.context),
        )
        token = self._request_state.set(state)
        try:
            return super().resolve(event, context)
        finally:
            self._request_state.reset(token)

    # Powertools declares these as plain attributes; the properties keep that interface per request.
    @property  # type: ignore[override]
    def current_event(self) -> APIGatewayProxyEvent:
        event = self._state.event
        if event is None:
            raise RuntimeError("no request is being resolved")
        return event

    @current_event.setter
    def current_event(self, value: APIGatewayProxyEvent) -> None:
        self._state.event = value

    @property
    def lambda_context(self) -> LambdaContext:
        value = self._state.lambda_context
        if value is None:
            raise RuntimeError("no request is being resolved")
        return value

    @lambda_context.setter
    def lambda_context(self, value: LambdaContext) -> None:
        self._state.lambda_context = value

    @property
    def context(self) -> dict[str, Any]:
        return self._state.context

    @context.setter
    def context(self, value: dict[str, Any]) -> None:
        self._state.context = value

    @property
    def processed_stack_frames(self) -> list[str]:
        return self._state.processed_stack_frames

    @processed_stack_frames.setter
    def processed_stack_frames(self, value: list[str]) -> None:
        self._state.processed_stack_frames = value
