"""What stays in Python between campaigns (issue 17): `bench.campaign.run` of COUNT service SMS campaigns in a row,
tracemalloc (25 frames) started after the first; after each later campaign (its per-attempt items dropped by the
benchmark) a `gc.collect()`, a snapshot, the traced total and the RSS; then the growth between consecutive
snapshots by line and by traceback. Slow: every allocation is traced (a 2,000-recipient campaign takes minutes).

    .venv/bin/python -m bench.campaign_memory --recipients 2000 [--campaigns 4] [--top 15]
"""

from __future__ import annotations

import argparse
import gc
import sys
import tracemalloc
from typing import Any

import bench.campaign as campaign_bench


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--recipients", type=int, default=2000)
    parser.add_argument("--campaigns", type=int, default=4)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args(argv)
    snapshots: list[tracemalloc.Snapshot] = []
    measure = campaign_bench._measure
    done = 0

    def measured(*positional: Any, **named: Any) -> Any:
        nonlocal done
        outcome = measure(*positional, **named)
        gc.collect()
        done += 1
        if done == 1:
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
