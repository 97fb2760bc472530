"""Bounded load on the local API (issue 14): `python -m local` started as its own process, driven by
concurrent keep-alive clients for a fixed count of requests, each client a tenant with its own token.

The mix: GET a campaign, list campaigns, POST quick-send, POST a contact list of 1,000 numbers. Reported:
p50/p95/p99 per kind, errors (any answer that is not the expected 2xx), the rate, and the resident memory of
the platform process (VmRSS) after the warm-up, after the first 1,000 requests, at the end and after an idle
pause, then before and after as many requests again that only read. Targets: reads p99 ≤ 50 ms, 0 errors, no
memory growth (≤ 5 %) after the first 1,000 requests and across the reads-only run. (The mix stores every list
and quick-send in moto, in the same process: that memory is the emulated AWS's data, not a leak.)

    .venv/bin/python -m bench.api_load                      # 8 clients, 4,000 requests
    .venv/bin/python -m bench.api_load --clients 4 --requests 2000
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
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


def start_platform(port: int) -> tuple[subprocess.Popen[str], str]:
    env = {**os.environ, "JARCHI_NOW": "2026-03-02T10:00:00+03:30"}
    process = subprocess.Popen(
        [sys.executable, "-m", "local", "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    deadline = time.monotonic() + 120
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


def report(results: Results, seconds: float, marks: dict[str, Any]) -> bool:
    total = sum(len(v) for v in results.latencies.values())
    print(f"{total} requests in {seconds:.1f} s: {total / seconds:.1f} requests/s, errors {dict(results.errors) or 0}")
    print(f"{'kind':<16}{'count':>7}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    for kind, _ in MIX:
        values = results.latencies[kind]
        if values:
            p50, p95, p99 = (percentile(values, q) for q in (0.5, 0.95, 0.99))
            print(f"{kind:<16}{len(values):>7}{p50:>9.1f}{p95:>9.1f}{p99:>9.1f}{max(values):>9.1f}")
    reads = results.latencies["get_campaign"] + results.latencies["list_campaigns"]
    read_p99 = percentile(reads, 0.99)
    print(f"reads: p50 {statistics.median(reads):.1f} ms, p99 {read_p99:.1f} ms (target ≤ {READ_P99_TARGET_MS:.0f})")
    names = ("rss_start", "rss_after_first", "rss_end", "rss_idle")
    print("platform memory (VmRSS, MB): " + ", ".join(f"{n[4:]} {marks.get(n, float('nan')):.0f}" for n in names))
    growth = (marks["rss_idle"] - marks["rss_after_first"]) / marks["rss_after_first"]
    first = marks["first"]
    print(
        f"growth after the first {first} requests: {growth * 100:+.1f} % (target ≤ {MEMORY_GROWTH_TARGET * 100:.0f} %)"
    )
    return not results.errors and read_p99 <= READ_P99_TARGET_MS and growth <= MEMORY_GROWTH_TARGET


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.api_load", description=__doc__)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--port", type=int, default=8766)
    args = parser.parse_args(argv)
    process, admin = start_platform(args.port)
    try:
        with ThreadPoolExecutor(args.clients) as pool:
            tenants = list(pool.map(lambda i: make_tenant(args.port, admin, i), range(args.clients)))
        warm = Results()
        for i, tenant in enumerate(tenants):  # one of each kind per tenant, untimed
            client(args.port, tenant, 4, SEED + 1000 + i, warm, {"pid": process.pid})
        first = min(1000, args.requests // 2)  # memory is compared from here to the end
        marks: dict[str, Any] = {"pid": process.pid, "rss_start": rss_mb(process.pid), "first": first}
        results = Results()
        share = args.requests // args.clients
        started = time.perf_counter()
        with ThreadPoolExecutor(args.clients) as pool:
            for i, tenant in enumerate(tenants):
                pool.submit(client, args.port, tenant, share, SEED + i, results, marks)
        seconds = time.perf_counter() - started
        marks["rss_end"] = rss_mb(process.pid)
        time.sleep(5)
        marks["rss_idle"] = rss_mb(process.pid)
        print(f"{args.clients} clients (one tenant each, keep-alive), {share} requests each, mix {dict(MIX)}")
        met = report(results, seconds, marks)
        # reads only: what the request path itself keeps (the mix above stores lists and campaigns in moto)
        reads, before = Results(), rss_mb(process.pid)
        with ThreadPoolExecutor(args.clients) as pool:
            for i, tenant in enumerate(tenants):
                pool.submit(client, args.port, tenant, share, SEED + 500 + i, reads, {"pid": process.pid}, READS)
        after = rss_mb(process.pid)
        read_errors = dict(reads.errors)
        print(f"then {share * args.clients} reads only: VmRSS {before:.0f} → {after:.0f} MB, errors {read_errors or 0}")
        met = met and not read_errors and after <= before * (1 + MEMORY_GROWTH_TARGET)
    finally:
        process.terminate()
        process.wait(timeout=30)
    print("target met" if met else "target MISSED")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
