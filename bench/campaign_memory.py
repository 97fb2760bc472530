"""What stays between campaigns (issue 17): `bench.campaign.run` of COUNT service SMS campaigns in a row.

Default (`--trace`): tracemalloc (25 frames) started after the first campaign; after each later one (its
per-attempt items dropped by the benchmark) a `gc.collect()`, a snapshot, the traced total and the RSS; then the
growth between consecutive snapshots by line and by traceback. Slow: every allocation is traced (a
2,000-recipient campaign takes minutes).

`--light` (fast enough for 60,000 recipients): after each campaign, the RSS, the blocks Python's allocator holds
(`sys.getallocatedblocks()`), the live threads, what the emulator stores for the campaigns (S3 bytes, Step
Functions executions and their history events), the object types that grew most, and the RSS again after
`malloc_trim(0)` (glibc gives back the free memory it kept): what the trim takes is memory freed but kept by the
C allocator, not live data.

    .venv/bin/python -m bench.campaign_memory --recipients 2000 [--campaigns 4] [--top 15]
    .venv/bin/python -m bench.campaign_memory --light --recipients 60000 --campaigns 3
"""

from __future__ import annotations

import argparse
import gc
import sys
import threading
import tracemalloc
from collections import Counter
from typing import Any

import bench.campaign as campaign_bench


def _emulator_stores() -> dict[str, float]:
    """What moto keeps for the campaigns: S3 bytes (lists, audiences, exports) and Step Functions history."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.s3.models import s3_backends
    from moto.stepfunctions.models import stepfunctions_backends
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    from jarchi.settings import get_settings

    region = get_settings().region
    s3_bytes = sum(
        key.size
        for bucket in s3_backends[DEFAULT_ACCOUNT_ID]["global"].buckets.values()
        for key in bucket.keys.values()
        if hasattr(key, "size")
    )
    executions = [
        execution
        for backends in (stepfunctions_backends, stepfunctions_parser_backends)
        for machine in backends[DEFAULT_ACCOUNT_ID][region].state_machines
        for execution in machine.executions
    ]
    events = sum(len(_history(execution)) for execution in executions)
    return {"s3 MB": s3_bytes / 1e6, "executions": len(executions), "history events": events}


def _history(execution: Any) -> list[Any]:
    worker = getattr(execution, "exec_worker", None)
    try:
        return list(worker.env.event_manager.get_event_history()) if worker is not None else []
    except Exception:  # moto's internals moved: the count is a hint, not a figure that gates
        return []


def _types() -> Counter[str]:
    return Counter(type(o).__name__ for o in gc.get_objects())


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--recipients", type=int, default=2000)
    parser.add_argument("--campaigns", type=int, default=4)
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--light", action="store_true", help="no tracemalloc: counts, stores and malloc_trim")
    args = parser.parse_args(argv)
    snapshots: list[tracemalloc.Snapshot] = []
    measure = campaign_bench._measure
    done = 0
    types_before: Counter[str] = Counter()

    def light_report() -> None:
        nonlocal types_before
        gc.collect()
        rss, blocks = campaign_bench.rss_mb(), sys.getallocatedblocks()
        stores = ", ".join(f"{name} {value:,.1f}" for name, value in _emulator_stores().items())
        types = _types()
        grown = (types - types_before).most_common(args.top // 2 or 1)
        types_before = types
        trimmed = campaign_bench.malloc_trim()
        print(
            f"[memory] after campaign {done}: RSS {rss:.0f} MB; Python blocks {blocks:,}; threads "
            f"{threading.active_count()}; emulator: {stores}; RSS after malloc_trim "
            f"{campaign_bench.rss_mb():.0f} MB{'' if trimmed else ' (nothing given back)'}; objects grown: {grown}",
            flush=True,
        )

    def measured(*positional: Any, **named: Any) -> Any:
        nonlocal done
        outcome = measure(*positional, **named)
        gc.collect()
        done += 1
        if args.light:
            light_report()
        elif done == 1:
            tracemalloc.start(25)
        else:
            snapshots.append(tracemalloc.take_snapshot())
            traced = tracemalloc.get_traced_memory()[0] / 1e6
            print(f"[memory] after campaign {done}: traced {traced:.1f} MB, RSS {campaign_bench.rss_mb():.0f} MB")
        return outcome

    campaign_bench._measure = measured
    campaign_bench.run(["service_sms"] * args.campaigns, args.recipients)
    own = [tracemalloc.Filter(False, tracemalloc.__file__)]
    for index in range(1, len(snapshots)):
        before, after = (snapshots[i].filter_traces(own) for i in (index - 1, index))
        print(f"===== campaign {index + 1} → {index + 2}, by line")
        for stat in after.compare_to(before, "lineno")[: args.top]:
            print(stat)
        print(f"===== campaign {index + 1} → {index + 2}, by traceback")
        for stat in after.compare_to(before, "traceback")[: max(args.top // 2, 1)]:
            print(stat)
            for line in stat.traceback.format()[-24:]:
                print("   ", line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
