"""CPU an API read costs in-process with the emulator's DynamoDB requests handed to moto's handler directly
(`local.dynamo_dispatch`) and through moto's own routing, in alternating blocks in one process (issue 14): the
API handler (`local.server.invoke_api`) serves GET campaign and list campaigns (20) for each tenant of a data
folder filled by `python -m bench.read_cpu fill`; CPU per read = the thread's CPU time over a block / its reads.
One process and alternating blocks: the machine's drift falls on both modes alike, and both answer the same bytes
(checked on every tenant's answers before timing).

    .venv/bin/python -m bench.dynamo_dispatch /tmp/reads-data [--reads 400] [--block 50]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.api_load import load_average

NOW = "2026-03-02T10:00:00+03:30"


def _reads(tenants: list[dict[str, Any]]) -> dict[str, list[Any]]:
    from local.apigateway import HttpRequest

    def request(path: str, query: str, token: str) -> HttpRequest:
        headers = {"authorization": f"Bearer {token}", "host": "localhost"}
        return HttpRequest(method="GET", path=path, query=query, headers=headers, body=b"", source_ip="127.0.0.1")

    return {
        "get": [request(f"/v1/campaigns/{t['campaign_id']}", "", t["token"]) for t in tenants],
        "list": [request("/v1/campaigns", "limit=20", t["token"]) for t in tenants],
    }


def measure(data: Path, reads: int, block: int) -> dict[str, dict[bool, float]]:
    folder = Path(tempfile.mkdtemp(prefix="jarchi-dispatch-"))
    shutil.copytree(data, folder, dirs_exist_ok=True)
    os.environ.update({"JARCHI_DATA_DIR": str(folder), "JARCHI_NOW": NOW})
    from local.__main__ import LOCAL_ENVIRONMENT

    for key, value in LOCAL_ENVIRONMENT.items():
        os.environ.setdefault(key, value)
    from jarchi import wiring
    from jarchi.clock import use_clock
    from jarchi.configuration import check_configuration
    from local import emulator
    from local.durability import DataFolder, durable_state
    from local.server import invoke_api

    settings = check_configuration()
    tenants = json.loads((data / "bench-tenants.json").read_text())
    store = DataFolder(folder)
    store.open()
    wiring.install()
    spent: dict[str, dict[bool, float]] = {}
    try:
        started = settings.now or datetime.now(UTC)
        with emulator.emulated_aws(settings), durable_state(store, settings.region, started) as resumed:
            use_clock(resumed.clock)

            def answers(requests: list[Any]) -> list[str]:
                return [hashlib.sha256(invoke_api(request).body).hexdigest() for request in requests]

            for kind, requests in _reads(tenants).items():
                for request in requests * 3:  # warm
                    response = invoke_api(request)
                    assert response.status == 200, (response.status, response.body[:300])
                by_mode = {}
                for direct in (True, False):
                    emulator.dispatch_dynamodb_directly = direct
                    by_mode[direct] = answers(requests)
                assert by_mode[True] == by_mode[False], kind
                spent[kind] = _alternate(lambda i: invoke_api(requests[i % len(requests)]), reads, block)  # noqa: B023
    finally:
        emulator.dispatch_dynamodb_directly = True
        store.close()
        shutil.rmtree(folder, ignore_errors=True)
    return spent


def _alternate(read: Callable[[int], Any], reads: int, block: int) -> dict[bool, float]:
    """CPU ms per read in each mode, `reads` reads each, in alternating blocks of `block`."""
    from local import emulator

    total = {True: 0.0, False: 0.0}
    done = 0
    while done < reads:
        for direct in (True, False):
            emulator.dispatch_dynamodb_directly = direct
            started = time.thread_time()
            for i in range(done, done + block):
                read(i)
            total[direct] += time.thread_time() - started
        done += block
    return {direct: seconds / done * 1000 for direct, seconds in total.items()}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.dynamo_dispatch", description=__doc__)
    parser.add_argument("folder", help="a data folder filled by `python -m bench.read_cpu fill`")
    parser.add_argument("--reads", type=int, default=400, help="reads of each kind in each mode")
    parser.add_argument("--block", type=int, default=50, help="reads per block before the mode alternates")
    args = parser.parse_args(argv)
    print(f"in-process, {args.reads} reads of each kind in each mode, blocks of {args.block}; {load_average()}")
    for kind, by_mode in measure(Path(args.folder), args.reads, args.block).items():
        direct, routed = by_mode[True], by_mode[False]
        print(
            f"{kind}: {routed:.2f} ms CPU per read through moto's routing, {direct:.2f} ms directly "
            f"({(direct / routed - 1) * 100:+.0f} %); {load_average()}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
