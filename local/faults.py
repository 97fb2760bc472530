"""Fault injection on the ports (issue 9, item 8): a wrapper around any port's adapter that fails some of its
calls the way AWS and telephone networks fail, so tests and the local platform see what the product does then.

Faults are not a product feature, so they live beside the local runtime, not in `jarchi`. A `FaultPlan`
names port methods (`"CampaignRepository.record_admission"`; a queue send may name its queue,
`"MessageQueue.send@results"`) and, per fault kind, which of that method's calls (1-based, counted per key)
fail:

- `crash_before`: raise `InjectedCrash` instead of calling the adapter (nothing happened);
- `crash_after`: call the adapter, then raise `InjectedCrash` (it happened; the caller does not know);
- `throttle`: raise what the service raises when throttling: botocore `ClientError`
  `ProvisionedThroughputExceededException` on the DynamoDB ports, `ThrottlingException` on SQS and Step
  Functions, a retryable `ConnectorError` on a connector;
- `timeout`: the request is lost (nothing happened): botocore `ReadTimeoutError`, or a retryable
  `ConnectorError` on a connector; `timeout_after`: the answer is lost (it happened);
- `duplicate` (`MessageQueue.send` only): every message of the call is sent twice, as SQS's at-least-once
  delivery may hand it over;
- `hold` (`MessageQueue.send` and `CampaignRepository.clear_dispatching`, which answer nothing): the call
  answers at once and takes effect only after the next completed call of `until` on the same port (any
  method when not given), or at `flush()`: a message overtaken by a later one, or the record that a batch
  is on the dispatch queue landing after that batch's results were applied (`"until": "record_results"`).

Select faults in a test with `injected(plan)` (it wraps, through `jarchi.ports.override`, the adapter each
named port resolves to now: the wired one, a fake, or a test's own wrapper), and in the local runtime with
the environment variable `JARCHI_FAULTS` holding the plan as JSON, validated when the runtime starts:

    JARCHI_FAULTS='{"CampaignRepository.record_admission": {"crash_before": 1},
                    "MessageQueue.send@results": {"duplicate": [1, 2, 3]},
                    "Connector.place": {"timeout": 2}}'

`FaultLog` records every fault injected (`"CampaignRepository.record_admission#1 crash_before"`).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final

from botocore.exceptions import ClientError, ReadTimeoutError

from jarchi import wiring
from jarchi.campaigns.ports import CampaignRepository, RecipientRepository, WorkflowRuns
from jarchi.compliance.ports import AdCap, SuppressionLists
from jarchi.ports import Connector, ConnectorError, MessageQueue, override, resolve
from jarchi.resources import ALL_QUEUES

FAULTS_ENV: Final = "JARCHI_FAULTS"


class FaultKind(StrEnum):
    CRASH_BEFORE = "crash_before"
    CRASH_AFTER = "crash_after"
    THROTTLE = "throttle"
    TIMEOUT = "timeout"
    TIMEOUT_AFTER = "timeout_after"
    DUPLICATE = "duplicate"
    HOLD = "hold"


AFTER_THE_CALL: Final = frozenset({FaultKind.CRASH_AFTER, FaultKind.TIMEOUT_AFTER})


@dataclass(frozen=True, slots=True)
class PortSpec:
    """A port faults may be injected on: its Protocol and how its service says "slow down"."""

    kind: type[Any]
    throttle_code: str
    throttle_operation: str


PORTS: dict[str, PortSpec] = {
    "CampaignRepository": PortSpec(CampaignRepository, "ProvisionedThroughputExceededException", "UpdateItem"),
    "RecipientRepository": PortSpec(RecipientRepository, "ProvisionedThroughputExceededException", "BatchWriteItem"),
    "AdCap": PortSpec(AdCap, "ProvisionedThroughputExceededException", "UpdateItem"),
    "SuppressionLists": PortSpec(SuppressionLists, "ProvisionedThroughputExceededException", "BatchGetItem"),
    "MessageQueue": PortSpec(MessageQueue, "ThrottlingException", "SendMessageBatch"),
    "WorkflowRuns": PortSpec(WorkflowRuns, "ThrottlingException", "StartExecution"),
    "Connector": PortSpec(Connector, "ThrottlingException", "Place"),
}
"""Ports by name. Another port joins with `PORTS[name] = PortSpec(...)`."""

# Only these may be duplicated or held: a message sent twice or late is what SQS does; a write that answers
# nothing may land late. A method that answers something cannot answer before it has run.
DUPLICABLE: Final = frozenset({"MessageQueue.send"})
HOLDABLE: Final = frozenset({"MessageQueue.send", "CampaignRepository.clear_dispatching"})


class FaultPlanError(ValueError):
    """A fault plan that cannot be followed; the message names the offending key."""


class InjectedCrash(RuntimeError):
    """The process died here (a fault the plan asked for)."""


@dataclass(frozen=True, slots=True)
class MethodFaults:
    """The faults of one key: a port method, and for `MessageQueue.send` optionally one queue."""

    key: str
    port: str
    method: str
    queue: str | None
    calls: Mapping[FaultKind, frozenset[int]]
    until: str | None = None

    def kind_of(self, call: int) -> FaultKind | None:
        for kind, numbers in self.calls.items():
            if call in numbers:
                return kind
        return None

    def matches(self, args: Sequence[Any], kwargs: Mapping[str, Any]) -> bool:
        if self.queue is None:
            return True
        queue = args[0] if args else kwargs.get("queue")
        return getattr(queue, "logical", None) == self.queue


@dataclass(frozen=True, slots=True)
class FaultPlan:
    methods: tuple[MethodFaults, ...] = ()

    @property
    def ports(self) -> list[str]:
        return sorted({m.port for m in self.methods})

    def for_port(self, port: str) -> tuple[MethodFaults, ...]:
        return tuple(m for m in self.methods if m.port == port)

    def __bool__(self) -> bool:
        return bool(self.methods)

    @classmethod
    def parse(cls, plan: str | Mapping[str, Any]) -> FaultPlan:
        """A plan from JSON text or a mapping; `FaultPlanError` naming the first key it cannot follow."""
        if isinstance(plan, str):
            try:
                plan = json.loads(plan)
            except json.JSONDecodeError as error:
                raise FaultPlanError(f"a fault plan is a JSON object: {error}") from None
        if not isinstance(plan, Mapping):
            raise FaultPlanError("a fault plan is a JSON object of 'Port.method': {kind: call numbers}")
        return cls(tuple(_method_faults(str(key), value) for key, value in plan.items()))

    def as_json(self) -> str:
        plan: dict[str, Any] = {}
        for m in self.methods:
            entry: dict[str, Any] = {kind.value: sorted(calls) for kind, calls in m.calls.items()}
            if m.until:
                entry["until"] = m.until
            plan[m.key] = entry
        return json.dumps(plan)


def _method_faults(key: str, value: Any) -> MethodFaults:
    name, _, queue = key.partition("@")
    port, _, method = name.partition(".")
    _check_target(key, name, port, method, queue)
    if not isinstance(value, Mapping) or not value:
        raise FaultPlanError(f'{key}: expected an object of fault kinds, e.g. {{"crash_before": 1}}')
    calls = {
        _kind(key, name, raw): _call_numbers(key, raw, numbers) for raw, numbers in value.items() if raw != "until"
    }
    seen: set[int] = set()
    for numbers in calls.values():
        if seen & numbers:
            raise FaultPlanError(f"{key}: call {min(seen & numbers)} has two faults")
        seen |= numbers
    until = value.get("until")
    if until is not None:
        if FaultKind.HOLD not in calls:
            raise FaultPlanError(f"{key}: 'until' goes with 'hold'")
        if not isinstance(until, str) or not callable(getattr(PORTS[port].kind, until, None)):
            raise FaultPlanError(f"{key}: 'until' names a method of {port}, not {until!r}")
    return MethodFaults(key, port, method, queue or None, calls, until)


def _check_target(key: str, name: str, port: str, method: str, queue: str) -> None:
    if port not in PORTS:
        raise FaultPlanError(f"{key}: no port {port!r} (one of {', '.join(sorted(PORTS))})")
    if not method or method.startswith("_") or not callable(getattr(PORTS[port].kind, method, None)):
        raise FaultPlanError(f"{key}: {port} has no method {method!r}")
    if queue and name != "MessageQueue.send":
        raise FaultPlanError(f"{key}: only MessageQueue.send names a queue (MessageQueue.send@<queue>)")
    if queue and queue not in {q.logical for q in ALL_QUEUES}:
        raise FaultPlanError(f"{key}: no queue {queue!r}")


def _kind(key: str, name: str, raw: str) -> FaultKind:
    try:
        kind = FaultKind(raw)
    except ValueError:
        kinds = ", ".join(k.value for k in FaultKind)
        raise FaultPlanError(f"{key}: no fault kind {raw!r} (one of {kinds})") from None
    if kind is FaultKind.DUPLICATE and name not in DUPLICABLE:
        raise FaultPlanError(f"{key}: only {', '.join(sorted(DUPLICABLE))} can be duplicated")
    if kind is FaultKind.HOLD and name not in HOLDABLE:
        raise FaultPlanError(f"{key}: only {', '.join(sorted(HOLDABLE))} can be held")
    return kind


def _call_numbers(key: str, kind: str, numbers: Any) -> frozenset[int]:
    listed = [numbers] if isinstance(numbers, int) else numbers
    if (
        not isinstance(listed, list)
        or not listed
        or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in listed)
    ):
        raise FaultPlanError(f"{key}: {kind} takes a call number (1 = the first call) or a list of them")
    return frozenset(listed)


def plan_from_env(environ: Mapping[str, str] | None = None) -> FaultPlan:
    """The plan in `JARCHI_FAULTS` (empty when unset); `FaultPlanError` naming the variable and the key."""
    text = (os.environ if environ is None else environ).get(FAULTS_ENV, "").strip()
    if not text:
        return FaultPlan()
    try:
        return FaultPlan.parse(text)
    except FaultPlanError as error:
        raise FaultPlanError(f"{FAULTS_ENV}: {error}") from None


# --- the wrapper ---------------------------------------------------------------------------------------


@dataclass
class FaultLog:
    """Every fault injected, in order (thread-safe): `"<key>#<call> <kind>"`."""

    entries: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, key: str, call: int, kind: FaultKind) -> None:
        with self._lock:
            self.entries.append(f"{key}#{call} {kind.value}")

    def kinds(self) -> list[str]:
        with self._lock:
            return [entry.rsplit(" ", 1)[1] for entry in self.entries]

    def __len__(self) -> int:
        with self._lock:
            return len(self.entries)


def _fault_error(port: str, method: str, kind: FaultKind) -> Exception:
    spec = PORTS[port]
    where = f"{port}.{method}"
    if kind is FaultKind.THROTTLE:
        if port == "Connector":
            return ConnectorError(f"injected: {where} throttled", retryable=True)
        error = {"Error": {"Code": spec.throttle_code, "Message": f"injected: {where} throttled"}}
        return ClientError(error, spec.throttle_operation)  # type: ignore[arg-type]
    if kind in (FaultKind.TIMEOUT, FaultKind.TIMEOUT_AFTER):
        if port == "Connector":
            return ConnectorError(f"injected: {where} timed out", retryable=True)
        return ReadTimeoutError(endpoint_url=f"injected://{where}")
    return InjectedCrash(f"injected: {where} crashed ({kind.value})")


@dataclass(frozen=True, slots=True)
class _Held:
    until: str | None  # released after the next call of this method (None: of any method)
    effect: Callable[[], Any]


class FaultyAdapter:
    """Wraps one port's adapter: attributes pass through; the planned methods' calls are counted per key
    and fail as planned (see the module docstring). Safe to call from several threads."""

    def __init__(self, port: str, inner: Any, plan: FaultPlan, log: FaultLog | None = None) -> None:
        if port not in PORTS:
            raise FaultPlanError(f"no port {port!r}")
        self._port = port
        self._inner = inner
        self._faults = plan.for_port(port)
        self._log = log if log is not None else FaultLog()
        self._calls: dict[str, int] = {}
        self._held: list[_Held] = []
        self._lock = threading.Lock()

    @property
    def inner(self) -> Any:
        return self._inner

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._inner, name)
        if not callable(attribute) or name.startswith("_"):
            return attribute
        planned = [m for m in self._faults if m.method == name]

        def call(*args: Any, **kwargs: Any) -> Any:
            fault = self._next_fault(planned, args, kwargs)
            if fault is None:
                answer = attribute(*args, **kwargs)
            elif fault[2] is FaultKind.HOLD:
                return self._hold(fault, lambda: attribute(*args, **kwargs))
            else:
                answer = self._faulty_call(name, fault, attribute, args, kwargs)
            self._release_after(name)
            return answer

        return call

    def _next_fault(
        self, planned: list[MethodFaults], args: Sequence[Any], kwargs: Mapping[str, Any]
    ) -> tuple[MethodFaults, int, FaultKind] | None:
        with self._lock:
            chosen: tuple[MethodFaults, int, FaultKind] | None = None
            for faults in planned:
                if not faults.matches(args, kwargs):
                    continue
                number = self._calls.get(faults.key, 0) + 1
                self._calls[faults.key] = number
                kind = faults.kind_of(number)
                if kind is not None and chosen is None:
                    chosen = (faults, number, kind)
            return chosen

    def _faulty_call(
        self,
        name: str,
        fault: tuple[MethodFaults, int, FaultKind],
        method: Callable[..., Any],
        args: Sequence[Any],
        kwargs: Mapping[str, Any],
    ) -> Any:
        faults, number, kind = fault
        self._log.add(faults.key, number, kind)
        if kind is FaultKind.DUPLICATE:
            queue = args[0] if args else kwargs["queue"]
            bodies = list(args[1] if len(args) > 1 else kwargs["bodies"])
            delay = kwargs.get("delay_seconds", 0)
            delays = [delay] * len(bodies) if isinstance(delay, int) else list(delay)
            return method(queue, [*bodies, *bodies], delay_seconds=[*delays, *delays])
        if kind in AFTER_THE_CALL:
            method(*args, **kwargs)
        raise _fault_error(self._port, name, kind)

    def _hold(self, fault: tuple[MethodFaults, int, FaultKind], effect: Callable[[], Any]) -> None:
        """Answer now; the call takes effect after a later call (see the module docstring)."""
        faults, number, kind = fault
        self._log.add(faults.key, number, kind)
        with self._lock:
            self._held.append(_Held(faults.until, effect))

    def _release_after(self, name: str) -> None:
        with self._lock:
            due = [held for held in self._held if held.until in (None, name)]
            self._held = [held for held in self._held if held.until not in (None, name)]
        for held in due:
            held.effect()

    def flush(self) -> int:
        """Let every held call take effect now; how many there were."""
        with self._lock:
            held, self._held = self._held, []
        for call in held:
            call.effect()
        return len(held)


@dataclass
class InjectedFaults:
    """What `injected` installed: the wrappers by port name, and the log."""

    log: FaultLog
    adapters: dict[str, FaultyAdapter] = field(default_factory=dict)

    def flush(self) -> int:
        return sum(adapter.flush() for adapter in self.adapters.values())


@contextmanager
def injected(plan: FaultPlan | str | Mapping[str, Any], log: FaultLog | None = None) -> Iterator[InjectedFaults]:
    """Inside the block, each port the plan names resolves to a `FaultyAdapter` around the adapter it
    resolved to before (`jarchi.ports.override`)."""
    plan = plan if isinstance(plan, FaultPlan) else FaultPlan.parse(plan)
    wiring.install()
    faults = InjectedFaults(log if log is not None else FaultLog())
    with ExitStack() as stack:
        for port in plan.ports:
            spec = PORTS[port]
            adapter = FaultyAdapter(port, resolve(spec.kind), plan, faults.log)
            faults.adapters[port] = adapter
            stack.enter_context(override(spec.kind, adapter))
        yield faults


def one_fault(key: str, kind: FaultKind | str, call: int = 1, **extra: Any) -> FaultPlan:
    """A plan with one fault: `one_fault("CampaignRepository.record_admission", "crash_before")`."""
    return FaultPlan.parse({key: {FaultKind(kind).value: call, **extra}})
