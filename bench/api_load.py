"""Bounded load on the local API (issue 14): `python -m local` started as its own process, driven by
concurrent keep-alive clients for a fixed count of requests, each client a tenant with its own token.

Three phases, reported separately:
1. the mix: GET a campaign, list campaigns, POST quick-send, POST a contact list of 1,000 numbers. Every
   quick-send starts a campaign that runs in the same process (state machine, pollers, dispatch, results)
   behind the emulator's one lock, so these reads compete with campaign work: reported, not gated;
2. reads only (GET a campaign, list campaigns), once the platform is idle (no campaign in flight): the read
   latency target, p99 ≤ 50 ms, applies here;
3. as many reads again: the platform's VmRSS may not grow across it (reads store nothing, so growth would be
   per-request state kept); the mix's growth is reported, and is the emulated AWS's stored data.
0 errors in every phase. `--isolation both` runs the whole thing twice in one run, the server as shipped
(request state in a ContextVar) and with one lock around each request (`bench._locked_platform`), and prints
their ratio. Then (unless `--no-floor`) the same reads-only phase against a trivial Powertools app on the
same local server (`bench._trivial_platform`): on a shared machine the ratio platform / floor says more than
the milliseconds. The machine's load average is printed with every phase.

    .venv/bin/python -m bench.api_load                      # 8 clients, 4,000 requests a phase
    .venv/bin/python -m bench.api_load --clients 4 --requests 1200 --isolation both
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
READ_P99_TARGET_MS = 50.0
MEMORY_GROWTH_TARGET = 0.05
MIX = (("get_campaign", 40), ("list_campaigns", 30), ("quick_send", 20), ("contact_list", 10))
READS = (("get_campaign", 50), ("list_campaigns", 50))
SEED = 14


@dataclass
class Tenant:
    token: str
    campaign_id: str
    sender: str


@dataclass
class Results:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    done: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


class Connection:
    def __init__(self, port: int) -> None:
        self.http = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def call(self, method: str, path: str, token: str, body: Any = None) -> tuple[int, Any]:
        headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
        self.http.request(method, path, body=json.dumps(body).encode() if body is not None else None, headers=headers)
        response = self.http.getresponse()
        raw = response.read()
        return response.status, json.loads(raw) if raw else None


def rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"VmRSS:\s+(\d+) kB", status)
    return int(match.group(1)) / 1024 if match else float("nan")


def wait_for_port(port: int, deadline: float) -> None:
    """The banner is printed just before uvicorn listens: wait until it does."""
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def start_platform(
    port: int, extra_env: dict[str, str] | None = None, module: str | None = None
) -> tuple[subprocess.Popen[str], str]:
    data_dir = tempfile.mkdtemp(prefix="jarchi-api-load-")  # a fresh platform (and admin token) each run
    env = {**os.environ, "JARCHI_NOW": "2026-03-02T10:00:00+03:30", "JARCHI_DATA_DIR": data_dir, **(extra_env or {})}
    module = module or ("bench._platform" if extra_env else "local")  # the instrumented one only when asked
    process = subprocess.Popen(
        [sys.executable, "-m", module, "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    deadline = time.monotonic() + (600 if extra_env else 120)  # tracemalloc slows the start several times
    for line in process.stdout:
        match = re.search(r"admin token:\s+(\S+)", line)
        if match:
            threading.Thread(target=process.stdout.read, daemon=True).start()  # keep draining its output
            wait_for_port(port, deadline)
            return process, match.group(1)
        if time.monotonic() > deadline:
            break
    process.kill()
    raise RuntimeError("the platform did not start")


def ok(status: int, answer: Any, expected: int = 201) -> Any:
    if status != expected:
        raise RuntimeError(f"setup: {status} {answer}")
    return answer


def make_tenant(port: int, admin: str, index: int) -> Tenant:
    api = Connection(port)
    account = ok(*api.call("POST", "/v1/accounts", admin, {"name": f"Load {index}", "type": "customer"}))
    ok(*api.call("POST", f"/v1/accounts/{account['id']}/credit", admin, {"amount": 10_000_000_000}))
    token = ok(*api.call("POST", f"/v1/accounts/{account['id']}/tokens", admin, {"name": "load"}))["token"]
    sender_name = f"Load{index}"
    sender = ok(*api.call("POST", "/v1/senders", token, {"name": sender_name}))
    ok(*api.call("POST", f"/v1/senders/{sender['id']}/moderation", admin, {"decision": "approve"}), 200)
    campaign = {
        "name": "load",
        "channel": "sms",
        "category": "service",
        "sms_text": f"{sender_name}: hello",
        "sender": sender_name,
        "recipients": ["09120000001"],
        "auto_start": False,
    }
    created = ok(*api.call("POST", "/v1/campaigns", token, campaign))
    return Tenant(token, created["id"], sender_name)


def numbers(rng: random.Random) -> list[str]:
    return [f"0912{rng.randrange(10**7):07d}" for _ in range(1000)]


def request(api: Connection, kind: str, tenant: Tenant, rng: random.Random) -> tuple[int, int]:
    """(status, the expected status) of one request of `kind`."""
    if kind == "get_campaign":
        return api.call("GET", f"/v1/campaigns/{tenant.campaign_id}", tenant.token)[0], 200
    if kind == "list_campaigns":
        return api.call("GET", "/v1/campaigns?limit=20", tenant.token)[0], 200
    if kind == "quick_send":
        body: dict[str, Any] = {
            "channel": "sms",
            "category": "service",
            "number": f"0912{rng.randrange(10**7):07d}",
            "sms_text": f"{tenant.sender}: code 1234",
            "sender": tenant.sender,
        }
        return api.call("POST", "/v1/quick-send", tenant.token, body)[0], 201
    body = {"name": "list", "numbers": numbers(rng)}
    return api.call("POST", "/v1/contact-lists", tenant.token, body)[0], 201


def client(
    port: int, tenant: Tenant, count: int, seed: int, results: Results, marks: dict[str, Any], mix: Any = MIX
) -> None:
    rng = random.Random(seed)
    api = Connection(port)
    kinds = [kind for kind, weight in mix for _ in range(weight)]
    for _ in range(count):
        kind = rng.choice(kinds)
        started = time.perf_counter()
        try:
            status, expected = request(api, kind, tenant, rng)
        except (OSError, http.client.HTTPException):
            status, expected, api = 0, 1, Connection(port)
        elapsed_ms = (time.perf_counter() - started) * 1000
        with results.lock:
            results.latencies[kind].append(elapsed_ms)
            if status != expected:
                results.errors[f"{kind} {status}"] += 1
            results.done += 1
            if results.done == marks.get("first"):
                marks["rss_after_first"] = rss_mb(marks["pid"])


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def load_average() -> str:
    return "load average " + " ".join(f"{value:.1f}" for value in os.getloadavg())


def report(results: Results, seconds: float) -> None:
    total = sum(len(v) for v in results.latencies.values())
    print(
        f"{total} requests in {seconds:.1f} s: {total / seconds:.1f} requests/s, errors {dict(results.errors) or 0}; "
        f"{load_average()} at its end"
    )
    print(f"{'kind':<16}{'count':>7}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    for kind, _ in MIX:
        values = results.latencies[kind]
        if values:
            p50, p95, p99 = (percentile(values, q) for q in (0.5, 0.95, 0.99))
            print(f"{kind:<16}{len(values):>7}{p50:>9.1f}{p95:>9.1f}{p99:>9.1f}{max(values):>9.1f}")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def campaigns_in_flight(port: int, tenants: list[Tenant]) -> int:
    api = Connection(port)
    count = 0
    for tenant in tenants:
        for status in ("accepted", "running"):
            answer = api.call("GET", f"/v1/campaigns?status={status}&limit=100", tenant.token)[1]
            count += len(answer["items"])
    return count


def wait_until_idle(port: int, tenants: list[Tenant], pid: int, timeout_seconds: float = 900.0) -> float:
    """Wait until no quick-send campaign is accepted or running any more, then until the platform process uses
    under 10 % of a core over a second; answer how long that took."""
    started = time.monotonic()
    while time.monotonic() - started < timeout_seconds and campaigns_in_flight(port, tenants):
        time.sleep(2.0)
    while time.monotonic() - started < timeout_seconds:
        before = cpu_seconds(pid)
        time.sleep(1.0)
        if cpu_seconds(pid) - before < 0.1:
            break
    return time.monotonic() - started


def run_phase(port: int, tenants: list[Tenant], share: int, seed: int, mix: Any, marks: dict[str, Any]) -> Results:
    results = Results()
    with ThreadPoolExecutor(len(tenants)) as pool:
        for i, tenant in enumerate(tenants):
            pool.submit(client, port, tenant, share, seed + i, results, marks, mix)
    return results


def read_figures(results: Results) -> tuple[float, float, float]:
    reads = results.latencies["get_campaign"] + results.latencies["list_campaigns"]
    return statistics.median(reads), percentile(reads, 0.95), percentile(reads, 0.99)


@dataclass
class Figures:
    isolation: str
    mixed_rate: float
    mixed_reads: tuple[float, float, float]
    reads_rate: float
    reads: tuple[float, float, float]
    errors: dict[str, int]
    rss: dict[str, float]
    idle_wait: float


class Snapshots:
    """tracemalloc snapshots the platform writes on SIGUSR1 (`bench._platform`), compared by line."""

    def __init__(self, pid: int, prefix: str | None) -> None:
        self.pid, self.prefix, self.taken = pid, prefix, 0

    def take(self) -> None:
        if self.prefix is None:
            return
        self.taken += 1
        path = Path(f"{self.prefix}{self.taken}.snap")
        os.kill(self.pid, signal.SIGUSR1)
        deadline = time.monotonic() + 120
        size = -1
        while time.monotonic() < deadline:  # written once its size stops changing
            time.sleep(1.0)
            if path.exists() and path.stat().st_size == size:
                return
            size = path.stat().st_size if path.exists() else -1
        raise RuntimeError(f"no snapshot at {path}")

    def compare(self, first: int, second: int, what: str, top: int = 8) -> None:
        if self.prefix is None:
            return
        old = tracemalloc.Snapshot.load(f"{self.prefix}{first}.snap")
        new = tracemalloc.Snapshot.load(f"{self.prefix}{second}.snap")
        stats = new.compare_to(old, "lineno")
        total = sum(stat.size_diff for stat in stats)
        print(f"tracemalloc, {what}: {total / 2**20:+.1f} MB traced; the largest changes by line:")
        for stat in stats[:top]:
            frame = stat.traceback[0]
            print(f"  {stat.size_diff / 2**20:+8.2f} MB {stat.count_diff:+9,} blocks  {frame.filename}:{frame.lineno}")


def run_platform(args: argparse.Namespace, isolation: str, port: int) -> Figures:
    env: dict[str, str] = {"BENCH_API_LOCK": "1"} if isolation == "lock" else {}
    prefix = f"/tmp/jarchi-api-load-{os.getpid()}-{isolation}-" if args.tracemalloc else None
    if prefix is not None:
        env["BENCH_API_TRACEMALLOC"] = prefix
    process, admin = start_platform(port, env)
    snapshots = Snapshots(process.pid, prefix)
    try:
        with ThreadPoolExecutor(args.clients) as pool:
            tenants = list(pool.map(lambda i: make_tenant(port, admin, i), range(args.clients)))
        warm = Results()
        for i, tenant in enumerate(tenants):  # one of each kind per tenant, untimed
            client(port, tenant, 4, SEED + 1000 + i, warm, {"pid": process.pid})
        share = args.requests // args.clients
        first = min(1000, args.requests // 2)
        rss: dict[str, float] = {"start": rss_mb(process.pid)}
        # 1. the mix: reads compete with the quick-sends' campaigns running in the same process
        snapshots.take()
        marks: dict[str, Any] = {"pid": process.pid, "first": first}
        started = time.perf_counter()
        mixed = run_phase(port, tenants, share, SEED, MIX, marks)
        mixed_seconds = time.perf_counter() - started
        rss["mixed_first"] = marks.get("rss_after_first", float("nan"))
        rss["mixed_end"] = rss_mb(process.pid)
        print(f"--- {isolation}: {args.clients} clients, {share} requests each, mix {dict(MIX)}")
        report(mixed, mixed_seconds)
        # 2. reads with no campaign in flight: what a reader waits for the API itself
        idle_wait = wait_until_idle(port, tenants, process.pid)
        rss["idle"] = rss_mb(process.pid)
        snapshots.take()
        started = time.perf_counter()
        reads = run_phase(port, tenants, share, SEED + 500, READS, {"pid": process.pid})
        reads_seconds = time.perf_counter() - started
        rss["reads_1"] = rss_mb(process.pid)
        snapshots.take()
        print(f"--- {isolation}: reads only, no campaign in flight (after {idle_wait:.0f} s for the platform to idle)")
        report(reads, reads_seconds)
        # 3. as many reads again: what the request path keeps per request (nothing stored by reads)
        again = run_phase(port, tenants, share, SEED + 700, READS, {"pid": process.pid})
        rss["reads_2"] = rss_mb(process.pid)
        snapshots.take()
        snapshots.compare(1, 2, "across the mix (its quick-sends and lists stored in moto)")
        snapshots.compare(3, 4, "across the second reads-only run (per-request state kept)")
        errors = {**mixed.errors, **{f"reads {k}": v for k, v in reads.errors.items()}}
        errors |= {f"reads again {k}": v for k, v in again.errors.items()}
        return Figures(
            isolation=isolation,
            mixed_rate=sum(len(v) for v in mixed.latencies.values()) / mixed_seconds,
            mixed_reads=read_figures(mixed),
            reads_rate=sum(len(v) for v in reads.latencies.values()) / reads_seconds,
            reads=read_figures(reads),
            errors=errors,
            rss=rss,
            idle_wait=idle_wait,
        )
    finally:
        process.terminate()
        process.wait(timeout=30)


def run_floor(args: argparse.Namespace, port: int) -> tuple[float, tuple[float, float, float]]:
    """The reads-only phase, same clients and counts, against `bench._trivial_platform`."""
    process, _ = start_platform(port, module="bench._trivial_platform")
    try:
        tenants = [Tenant("trivial", f"cmp_trivial{i}", "") for i in range(args.clients)]
        for i, tenant in enumerate(tenants):  # warm, untimed
            client(port, tenant, 4, SEED + 1000 + i, Results(), {"pid": process.pid}, READS)
        share = args.requests // args.clients
        started = time.perf_counter()
        reads = run_phase(port, tenants, share, SEED + 500, READS, {"pid": process.pid})
        seconds = time.perf_counter() - started
        print("--- the floor: a trivial Powertools app on the same local server, reads only")
        report(reads, seconds)
        if reads.errors:
            raise RuntimeError(f"the trivial app answered errors: {dict(reads.errors)}")
        figures = read_figures(reads)
        rate = sum(len(v) for v in reads.latencies.values()) / seconds
        print(f"=== floor: {rate:.1f} requests/s, p50/p95/p99 " + "/".join(f"{v:.1f}" for v in figures) + " ms")
        return rate, figures
    finally:
        process.terminate()
        process.wait(timeout=30)


def verdict(figures: Figures) -> bool:
    rss = figures.rss
    growth = rss["reads_2"] / rss["reads_1"] - 1
    print(
        f"=== {figures.isolation}: mixed {figures.mixed_rate:.1f} requests/s, reads p50/p95/p99 "
        + "/".join(f"{v:.0f}" for v in figures.mixed_reads)
        + f" ms; reads only {figures.reads_rate:.1f} requests/s, p50/p95/p99 "
        + "/".join(f"{v:.1f}" for v in figures.reads)
        + f" ms (target p99 ≤ {READ_P99_TARGET_MS:.0f}); errors {figures.errors or 0}"
    )
    print(
        "platform VmRSS (MB): "
        + ", ".join(f"{name} {value:.0f}" for name, value in rss.items())
        + f"; across the second reads-only run {growth * 100:+.1f} % (target ≤ {MEMORY_GROWTH_TARGET * 100:.0f} %); "
        f"the mix grew it {rss['mixed_end'] - rss['mixed_first']:+.0f} MB after its first requests (stored data)"
    )
    return not figures.errors and figures.reads[2] <= READ_P99_TARGET_MS and growth <= MEMORY_GROWTH_TARGET


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.api_load", description=__doc__)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument(
        "--isolation",
        choices=("context", "lock", "both"),
        default="context",
        help="context: the server as shipped (request state in a ContextVar); lock: one lock around each "
        "request; both: one after the other in this run, and their ratio",
    )
    parser.add_argument(
        "--no-floor", action="store_true", help="skip the reads against a trivial Powertools app on the same server"
    )
    parser.add_argument(
        "--tracemalloc",
        action="store_true",
        help="trace the platform's allocations and print where they grew in each phase (slower: not for timing)",
    )
    args = parser.parse_args(argv if argv is not None else [])  # `python -m bench api_load` passes none
    kinds = ("context", "lock") if args.isolation == "both" else (args.isolation,)
    print(f"started with the machine at {load_average()} ({os.cpu_count()} cores)")
    runs = [run_platform(args, kind, args.port + i) for i, kind in enumerate(kinds)]
    met = all([verdict(figures) for figures in runs])
    if not args.no_floor:
        floor_rate, floor = run_floor(args, args.port + len(kinds))
        for figures in runs:
            print(
                f"{figures.isolation} / trivial Powertools app, reads only: p50 {figures.reads[0] / floor[0]:.2f}×, "
                f"p95 {figures.reads[1] / floor[1]:.2f}×, p99 {figures.reads[2] / floor[2]:.2f}×, "
                f"rate {figures.reads_rate / floor_rate:.2f}×"
            )
    if len(runs) == 2:
        context, lock = runs
        print(
            f"lock / context: mixed rate {lock.mixed_rate / context.mixed_rate:.2f}×, reads-only rate "
            f"{lock.reads_rate / context.reads_rate:.2f}×, reads p99 {lock.reads[2] / context.reads[2]:.2f}×"
        )
    print("target met" if met else "target MISSED")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
