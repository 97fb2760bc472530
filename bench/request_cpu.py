"""Where a campaign's CPU goes, by AWS request (issue 17): `bench.campaign.run` with botocore's
`BaseClient._make_api_call` wrapped, adding up the calling thread's CPU time (`time.thread_time()`, client side
and the emulator both) per handler, operation and table. A request made inside a function's handler is
charged to that function; `-` is outside them (the pollers, moto's Step Functions engine, setup, the bare loop).
The figures include the campaign's 50-recipient warm-up and, under `-`, the bare loop's requests.

    .venv/bin/python -m bench.request_cpu service_sms --recipients 10000 [--top 40]
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections import defaultdict
from typing import Any

import bench.campaign as campaign_bench

_current = threading.local()
_spent: defaultdict[tuple[str, str, str], list[float]] = defaultdict(lambda: [0, 0.0])
_lock = threading.Lock()


def _install() -> None:
    import botocore.client

    original_call = botocore.client.BaseClient._make_api_call  # type: ignore[attr-defined]
    original_timed = campaign_bench.FunctionCpu._timed

    def make_api_call(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        started = time.thread_time()
        try:
            return original_call(self, operation_name, api_params)
        finally:
            spent = time.thread_time() - started
            target = (
                api_params.get("TableName")
                or ",".join(api_params.get("RequestItems") or {})
                or str(api_params.get("QueueUrl", "")).rsplit("/", 1)[-1]
            )
            key = (getattr(_current, "name", "-"), f"{self.meta.service_model.service_name}.{operation_name}", target)
            with _lock:
                entry = _spent[key]
                entry[0] += 1
                entry[1] += spent

    def timed(self: campaign_bench.FunctionCpu, name: str, handler: Any) -> Any:
        inner = original_timed(self, name, handler)

        def named(event: Any, context: Any) -> Any:
            before = getattr(_current, "name", "-")
            _current.name = name
            try:
                return inner(event, context)
            finally:
                _current.name = before

        return named

    botocore.client.BaseClient._make_api_call = make_api_call  # type: ignore[attr-defined]
    campaign_bench.FunctionCpu._timed = timed  # type: ignore[method-assign]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("scenario", choices=list(campaign_bench.SCENARIOS))
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args(argv)
    _install()
    (outcome,) = campaign_bench.run([args.scenario], args.recipients)
    attempts = outcome.campaign.attempts
    by_function = {name: round(seconds / attempts * 1e6) for name, seconds in outcome.campaign.by_function.items()}
    print(f"{args.scenario}: CPU µs per attempt inside each handler {by_function}")
    print(f"{'function':10} {'operation':34} {'table or queue':32} {'calls':>6} {'µs/call':>8} {'µs/attempt':>10}")
    for (function, operation, target), (calls, seconds) in sorted(_spent.items(), key=lambda kv: -kv[1][1])[: args.top]:
        name = target.removeprefix("jarchi-bench-")
        print(
            f"{function:10} {operation:34} {name[:32]:32} {int(calls):6} {seconds / calls * 1e6:8.0f}"
            f" {seconds / attempts * 1e6:10.1f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
