"""CPU a read costs the platform (issue 14), robust to the machine's load: one data folder filled once by
`bench.api_load`'s mix, then replayed by one or more trees in alternating turns. Each turn starts `python -m local`
from its tree on a copy of the folder, warms it, and runs the reads-only phase (the same clients, one tenant
each, as `bench.api_load`) once per kind of read; CPU per read = the platform's utime + stime over the phase /
the reads. The wall-clock percentiles are printed too, with the load average.

    .venv/bin/python -m bench.read_cpu fill /tmp/reads-data                       # the mix, 1,000 requests
    .venv/bin/python -m bench.read_cpu replay /tmp/reads-data --tree . --tree /work/wt/old --turns 2
    .venv/bin/python -m bench.read_cpu replay /tmp/reads-data --tree . --py-spy /tmp/reads   # where it went
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.api_load import (
    MIX,
    SEED,
    Results,
    Tenant,
    client,
    cpu_seconds,
    load_average,
    make_tenant,
    percentile,
    run_phase,
    start_platform,
    wait_for_port,
    wait_until_idle,
)

NOW = "2026-03-02T10:00:00+03:30"
KINDS = ("get_campaign", "list_campaigns")


def fill(folder: Path, clients: int, requests: int, port: int) -> None:
    process, admin = start_platform(port, {"JARCHI_DATA_DIR": str(folder)})
    try:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(clients) as pool:
            tenants = list(pool.map(lambda i: make_tenant(port, admin, i), range(clients)))
        run_phase(port, tenants, requests // clients, SEED, MIX, {"pid": process.pid})
        wait_until_idle(port, tenants, process.pid)
        (folder / "bench-tenants.json").write_text(json.dumps([t.__dict__ for t in tenants]))
    finally:
        process.terminate()
        process.wait(timeout=120)
    print(f"filled {folder} ({clients} tenants, {requests} requests of the mix)")


def _start(tree: Path, folder: Path, port: int) -> subprocess.Popen[str]:
    tree = tree.resolve()
    env = {
        **os.environ,
        "JARCHI_NOW": NOW,
        "JARCHI_DATA_DIR": str(folder),
        "PYTHONPATH": f"{tree}/layers/core/python:{tree}",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "local", "--port", str(port)],
        cwd=tree,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    threading.Thread(target=process.stdout.read, daemon=True).start()
    wait_for_port(port, time.monotonic() + 300)
    return process


def turn(tree: Path, data: Path, tenants: list[Tenant], reads: int, port: int, py_spy: str | None) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="jarchi-read-cpu-"))
    shutil.copytree(data, folder, dirs_exist_ok=True)
    process = _start(tree, folder, port)
    figures: dict[str, Any] = {}
    try:
        for i, tenant in enumerate(tenants):  # warm: every kind, untimed
            client(port, tenant, 10, SEED + 1000 + i, Results(), {"pid": process.pid}, [(k, 1) for k in KINDS])
        time.sleep(2.0)
        for kind in KINDS:
            spy = None
            if py_spy:
                spy = subprocess.Popen(
                    [
                        "py-spy",
                        "record",
                        "--gil",
                        "-r",
                        "200",
                        "-f",
                        "raw",
                        "-o",
                        f"{py_spy}-{kind}.txt",
                        "-p",
                        str(process.pid),
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                time.sleep(1.0)
            before = cpu_seconds(process.pid)
            started = time.perf_counter()
            results = run_phase(port, tenants, reads, SEED + 500, [(kind, 1)], {"pid": process.pid})
            seconds = time.perf_counter() - started
            spent = cpu_seconds(process.pid) - before
            if spy is not None:
                spy.send_signal(2)
                spy.wait(timeout=60)
            values = results.latencies[kind]
            figures[kind] = {
                "cpu_ms": spent / len(values) * 1000,
                "rate": len(values) / seconds,
                "p50": percentile(values, 0.5),
                "p99": percentile(values, 0.99),
                "errors": dict(results.errors),
            }
    finally:
        process.terminate()
        process.wait(timeout=120)
        shutil.rmtree(folder, ignore_errors=True)
    return figures


def replay(args: argparse.Namespace) -> None:
    data = Path(args.folder)
    tenants = [Tenant(**t) for t in json.loads((data / "bench-tenants.json").read_text())]
    print(f"{len(tenants)} clients × {args.reads} reads of each kind; {load_average()}")
    for number in range(args.turns):
        for tree in args.tree:
            figures = turn(Path(tree), data, tenants, args.reads, args.port, args.py_spy)
            cells = "; ".join(
                f"{kind} CPU {f['cpu_ms']:.1f} ms/read, {f['rate']:.1f}/s, p50/p99 {f['p50']:.1f}/{f['p99']:.1f} ms"
                + (f", errors {f['errors']}" if f["errors"] else "")
                for kind, f in figures.items()
            )
            print(f"turn {number + 1} {tree}: {cells}; {load_average()}", flush=True)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.read_cpu", description=__doc__)
    parser.add_argument("command", choices=("fill", "replay"))
    parser.add_argument("folder")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--requests", type=int, default=1000, help="fill: requests of the mix")
    parser.add_argument("--reads", type=int, default=100, help="replay: reads of each kind per client")
    parser.add_argument("--tree", action="append", default=[], help="replay: a checkout to run (repeatable)")
    parser.add_argument("--turns", type=int, default=1)
    parser.add_argument("--port", type=int, default=8871)
    parser.add_argument("--py-spy", help="replay: py-spy record --gil of each phase to <prefix>-<kind>.txt")
    args = parser.parse_args(argv)
    if args.command == "fill":
        Path(args.folder).mkdir(parents=True, exist_ok=True)
        fill(Path(args.folder), args.clients, args.requests, args.port)
    else:
        replay(args)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
