"""Diagnostic (issue 17): who writes the campaign item during `bench.campaign`, and how big the batches are that
the local SQS pollers hand over — what the hot-item figure ("most writes to one item") is made of.

    .venv/bin/python -m bench.campaign_writes service_sms --recipients 60000

Runs `bench.campaign` with the same arguments, with the campaign store's methods and the pollers' handler calls
counted, then prints the store's calls by method, the results and admission batch sizes, and the number of
handler calls per (queue, messages in the batch). The counting adds a little CPU to the platform's figures."""

from __future__ import annotations

import sys
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import bench.campaign as campaign_bench


def _counting(calls: Counter[str], sizes: Counter[tuple[str, int]], lock: threading.Lock) -> None:
    from jarchi.store.campaigns import DynamoCampaigns

    def wrap(name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
            with lock:
                calls[name] += 1
                if name == "record_results":
                    sizes[("results applied a write", int(kwargs.get("applied", 0)))] += 1
                if name == "record_admission":
                    sizes[("admitted a task", int(kwargs.get("admitted", 0)))] += 1
            return real(self, *args, **kwargs)

        return counted

    for name, member in list(vars(DynamoCampaigns).items()):
        if callable(member) and not name.startswith("_"):
            setattr(DynamoCampaigns, name, wrap(name, member))


def _counting_batches(batches: Counter[tuple[str, int]], lock: threading.Lock) -> None:
    from local.pollers import SqsPoller

    real = SqsPoller._invoke

    def invoke(self: SqsPoller, messages: Sequence[Any], outcome: Any) -> Any:
        with lock:
            batches[(self.queue.logical, len(messages))] += 1
        return real(self, messages, outcome)

    SqsPoller._invoke = invoke  # type: ignore[method-assign]


def _spread(sizes: Counter[tuple[str, int]], kind: str) -> str:
    values = sorted(size for (k, size), n in sizes.items() if k == kind for _ in range(n))
    if not values:
        return "none"
    return f"{len(values)}, median {values[len(values) // 2]}, min {values[0]}, max {values[-1]}"


def main(argv: list[str] | None = None) -> int:
    args = list(argv if argv is not None else [])
    calls: Counter[str] = Counter()
    sizes: Counter[tuple[str, int]] = Counter()
    batches: Counter[tuple[str, int]] = Counter()
    lock = threading.Lock()
    _counting(calls, sizes, lock)
    _counting_batches(batches, lock)
    code = campaign_bench.main(args)
    print("campaign store calls (every campaign of the run, warm-ups included):", dict(sorted(calls.items())))
    print("record_results:", _spread(sizes, "results applied a write"))
    print("record_admission:", _spread(sizes, "admitted a task"))
    print("handler calls by (queue, messages in the batch):", dict(sorted(batches.items())))
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
