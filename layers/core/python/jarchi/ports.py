"""What the domain needs from the outside world, as small Protocols, and where a service finds the adapter
it was not handed.

The ports every concern shares live here (a queue, a blob store, a telephony connector); each concern keeps
its own repositories next to its models (`jarchi.campaigns.ports`, `jarchi.compliance.ports`,
`jarchi.billing.ports`, …). Adapters implement them: DynamoDB in `jarchi.store`, the other AWS services in
`jarchi.aws`, telephone networks in `jarchi.connectors`; in-memory fakes live in `tests/fakes`.

Services take their ports as arguments; when a caller passes none, `resolve(kind)` answers the one
`jarchi.wiring` provided (or a test's `override`). This module imports no concern and no adapter, so the
dependencies still point inward: entry points → wiring → adapters → services → ports and models.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast, runtime_checkable

if TYPE_CHECKING:  # named in the protocols only: the registry below is on every function's import path
    from jarchi.attempts import Attempt, Placement
    from jarchi.resources import QueueSpec

T = TypeVar("T")


class MessageQueue(Protocol):
    """SQS: the dispatch and results queues."""

    def send(
        self, queue: QueueSpec, bodies: Sequence[Mapping[str, Any]], *, delay_seconds: int | Sequence[int] = 0
    ) -> None:
        """Send every body (JSON objects), held back `delay_seconds` (one for all, or one per body,
        0..900); raise if any is refused."""
        ...


class ConnectorError(Exception):
    """The whole batch could not be placed (provider down, credentials, throttled as a whole).

    `retryable` errors let SQS redeliver the batch; others send it towards the DLQ."""

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


@runtime_checkable
class Connector(Protocol):
    """A telephony or SMS connector (R-DSP-4). `name` is recorded on every result (`simulator`, …)."""

    @property
    def name(self) -> str: ...

    def place(self, attempts: Sequence[Attempt]) -> list[Placement]:
        """Place each attempt once; one `Placement` per attempt, in the same order (see `jarchi.attempts`)."""
        ...


class RecordingStore(Protocol):
    """Call recordings (R-OUT-5) on the recordings bucket: the simulator puts its stand-in recordings there
    (Chime's SIP media application writes its own), the API hands out short-lived links to them."""

    def put(self, key: str, data: bytes) -> None: ...

    def url(self, key: str, seconds: int) -> str:
        """A presigned GET of the recording, valid `seconds`."""
        ...


class OncePerBatch(Protocol):
    """Runs a step at most once per message's `batch_id`, its answer stored: a redelivered message (SQS is at
    least once) gets the first run's answer, and the step does not run again."""

    def run(
        self, step: Callable[[dict[str, Any]], dict[str, Any] | None], message: dict[str, Any]
    ) -> dict[str, Any] | None: ...

    def expire_with(self, context: Any) -> None:
        """A run still in progress counts as abandoned when this Lambda invocation's time is up."""
        ...


class PortNotProvided(LookupError):
    """No adapter was provided for a port: an entry point forgot `jarchi.wiring.install()`."""


# Keyed by the port's dotted name (`jarchi.campaigns.ports.CampaignRepository`): the composition root names the
# ports without importing them, so a function's cold start loads only the domain modules it uses.
_providers: dict[str, Callable[[], Any]] = {}
_overrides: dict[type[Any], Any] = {}


def port_name(kind: type[Any]) -> str:
    return f"{kind.__module__}.{kind.__qualname__}"


def provide(kind: str, factory: Callable[[], Any]) -> None:
    """Register how to get the adapter for the port named `kind` (called by `jarchi.wiring`; the factory
    caches)."""
    _providers[kind] = factory


def provided() -> tuple[str, ...]:
    """The dotted names of the provided ports."""
    return tuple(_providers)


def resolve(kind: type[T]) -> T:
    """The adapter for `kind`: a test's override, else the provided one."""
    if kind in _overrides:
        return cast(T, _overrides[kind])
    try:
        factory = _providers[port_name(kind)]
    except KeyError:
        raise PortNotProvided(f"no adapter for {kind.__name__}: call jarchi.wiring.install() first") from None
    return cast(T, factory())


@contextmanager
def override(kind: type[T], adapter: T) -> Iterator[T]:
    """Use `adapter` for `kind` inside the block (fakes and fault-injecting wrappers in tests and the local
    runtime); the previous choice comes back afterwards."""
    previous = _overrides.get(kind, _MISSING)
    _overrides[kind] = adapter
    try:
        yield adapter
    finally:
        if previous is _MISSING:
            _overrides.pop(kind, None)
        else:
            _overrides[kind] = previous


_MISSING = object()


@dataclass(frozen=True, slots=True)
class PlatformEvent:
    """Something an account's systems may want to hear about (webhooks, SPEC §14): `id` is stable for the
    same fact, so a receiver can drop a repeated delivery."""

    id: str
    type: str  # campaign.status | recipient.result | sms.delivery
    account_id: str
    at: str  # ISO 8601
    data: Mapping[str, Any]


class EventPublisher(Protocol):
    def publish(self, events: Sequence[PlatformEvent]) -> None:
        """Hand the events to whoever subscribed (nothing at all for an account without subscriptions)."""
        ...

    def listens(self, account_id: str) -> bool:
        """Whether anyone subscribed to this account's events: when not, callers need not build them (the
        results path would build two per attempt for nobody)."""
        ...
