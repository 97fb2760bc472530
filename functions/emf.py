"""What a Lambda invocation did, counted as CloudWatch metrics in the embedded metric format (EMF).

`@counted` goes on a handler, inside the Powertools decorators; during the invocation `count(metric, n,
{dimension: value})` adds to a tally, and when the handler returns (or raises) the tally is written: one EMF record
per set of dimensions (`service` always), each metric summed. Metric and dimension names are
`jarchi.metrics`, which the dashboard charts too.

Why not one module-level `Metrics()` per handler: Powertools' `Metrics` share their state across instances
and threads, and the local runtime runs every handler in one process (pollers, workflow tasks and API
requests on their own threads); one invocation's metrics carry one value per dimension, and placements of
several channels meet in one dispatch invocation. Each record here is a fresh `EphemeralMetrics`, written at
once, so nothing is shared and `POWERTOOLS_METRICS_DISABLED` (set by `make run` and the benchmark) holds.
"""

from __future__ import annotations

import functools
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import ParamSpec, TypeVar

from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

from jarchi.metrics import NAMESPACE, SERVICE, Count, Dimension, Metric

P = ParamSpec("P")
R = TypeVar("R")
Dimensions = tuple[tuple[str, str], ...]
Tally = defaultdict[Dimensions, Counter[Metric]]

_invocation = threading.local()


def count(metric: Metric, value: int = 1, dimensions: Mapping[Dimension, str] | None = None) -> None:
    """Add `value` to `metric` (with these dimensions besides `service`) for this invocation."""
    tally: Tally | None = getattr(_invocation, "tally", None)
    key = tuple(sorted((dimension.value, v) for dimension, v in (dimensions or {}).items()))
    if tally is None:  # outside a @counted handler: written at once
        _write({key: Counter({metric: value})})
        return
    tally[key][metric] += value


def count_all(counts: Iterable[Count]) -> None:
    """`count` each of what the domain reported."""
    for counted_ in counts:
        count(counted_.metric, counted_.value, counted_.dimensions)


def counted(handler: Callable[P, R]) -> Callable[P, R]:
    """Write what the invocation counted when it ends."""

    @functools.wraps(handler)
    def invocation(*args: P.args, **kwargs: P.kwargs) -> R:
        _invocation.tally = defaultdict(Counter)
        try:
            return handler(*args, **kwargs)
        finally:
            tally, _invocation.tally = _invocation.tally, None
            _write(tally)

    return invocation


def _write(tally: dict[Dimensions, Counter[Metric]]) -> None:
    for dimensions, counts in tally.items():
        record = EphemeralMetrics(namespace=NAMESPACE, service=SERVICE)
        for name, value in dimensions:
            record.add_dimension(name=name, value=value)
        for metric, total in counts.items():
            record.add_metric(name=metric.value, unit=MetricUnit.Count, value=total)
        record.flush_metrics()
