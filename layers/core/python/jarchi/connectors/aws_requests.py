"""What the connectors that place each attempt with one AWS request share (Chime's
`CreateSipMediaApplicationCall`, End User Messaging's `SendTextMessage` / `SendVoiceMessage`): their
construction (the configuration, its region or the deployment's, a client made on first use, a time budget per
batch), how an error code is judged, and the placing loop (`jarchi.connectors.placing.place_each`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cached_property
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from jarchi.attempts import Attempt, Placement
from jarchi.connectors.placing import place_each
from jarchi.connectors.retrying import Budget, Verdict


class RequestConfig(Protocol):
    @property
    def region(self) -> str | None: ...  # None: the deployment's

    @property
    def budget_seconds(self) -> float: ...

    @property
    def in_flight(self) -> int: ...


ConfigT = TypeVar("ConfigT", bound=RequestConfig)
ClientT = TypeVar("ClientT")


def error_code(error: Exception) -> str:
    """The AWS error code of a botocore `ClientError`; "" for anything else."""
    response: dict[str, Any] = getattr(error, "response", None) or {}
    code: str = response.get("Error", {}).get("Code", "")
    return code


def judge_by_code(error: Exception, *, retry: frozenset[str], refused: frozenset[str]) -> Verdict:
    """Retried (throttling, the service failing), refused for good (the attempt itself), or the connector's
    problem (anything else, and anything that is not an AWS error)."""
    from botocore.exceptions import ClientError

    if not isinstance(error, ClientError):
        return Verdict.BROKEN
    code = error_code(error)
    if code in retry:
        return Verdict.RETRY
    return Verdict.REFUSED if code in refused else Verdict.BROKEN


class PerAttemptConnector(Generic[ConfigT, ClientT]):
    """A `Connector` placing each attempt with one request of `SERVICE`. `client` and `budget` are for tests."""

    CONNECTOR_NAME: ClassVar[str]
    SERVICE: ClassVar[str]  # the boto3 service name

    def __init__(
        self,
        config: ConfigT,
        *,
        region: str,
        client: ClientT | None = None,
        budget: Callable[[], Budget] | None = None,
    ) -> None:
        self.config = config
        self._region = config.region or region
        self._client = client
        self._budget = budget or (lambda: Budget(config.budget_seconds))

    @property
    def name(self) -> str:
        return self.CONNECTOR_NAME

    @cached_property
    def client(self) -> ClientT:
        if self._client is not None:
            return self._client
        import boto3

        client: ClientT = boto3.client(self.SERVICE, region_name=self._region)  # type: ignore[call-overload]
        return client

    def place_each(
        self,
        attempts: Sequence[Attempt],
        *,
        send: Callable[[Attempt], str | None],
        judge: Callable[[Exception], Verdict],
        refusal: Callable[[Exception], str],
        unsupported: Callable[[Attempt], str | None],
    ) -> list[Placement]:
        return place_each(
            attempts,
            connector=self.CONNECTOR_NAME,
            send=send,
            judge=judge,
            refusal=refusal,
            budget=self._budget(),
            in_flight=self.config.in_flight,
            unsupported=unsupported,
        )
