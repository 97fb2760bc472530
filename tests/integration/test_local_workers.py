"""The local server's API worker processes (issue 14; R-RUN-1, R-API): `python -m local --api-workers 2`.

One platform for the module: tenants' mixed requests in parallel, each answer its own; a write seen at once by
the next read whichever worker serves it; the local clock moved by the main process and read by the workers; a
token's rate limit counted across workers; workers killed between requests replaced with nothing lost; and no
worker left behind when the platform is killed. In-process, with the emulator behind a fake: a worker that dies
while it holds a request is answered 503 in the error shape and replaced.
"""

from __future__ import annotations

import os
import random
import signal
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from local.apigateway import HttpRequest, HttpResponse
from local.workers import ApiWorkers, AwsAnswer
from tests.integration.local_process import Platform

START = "2026-03-02T10:00:00+03:30"
TENANTS = 6
RATE = {"JARCHI_API_RATE_LIMIT_PER_SECOND": "1", "JARCHI_API_RATE_LIMIT_BURST": "30"}  # a tenant here: < 30 a run


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Platform, str]]:
    running = Platform(
        tmp_path_factory.mktemp("workers") / "data",
        {"JARCHI_NOW": START, "JARCHI_CAMPAIGN_MODERATION_DAYS": "0", **RATE},
        ("--api-workers", "2"),
    )
    admin = running.start()
    assert admin is not None and any("API workers:  2 processes" in line for line in running.output)
    try:
        yield running, admin
    finally:
        running.stop(signal.SIGINT)


def _workers(platform: Platform) -> list[int]:
    assert platform.process is not None
    children = Path(f"/proc/{platform.process.pid}/task")
    return sorted(int(pid) for task in children.iterdir() for pid in (task / "children").read_text().split())


def _tenant(platform: Platform, admin: str, name: str) -> tuple[str, str]:
    account = platform.ok("POST", "/v1/accounts", admin, {"name": name, "type": "customer"})
    platform.ok("POST", f"/v1/accounts/{account['id']}/credit", admin, {"amount": 1_000_000})
    token = platform.ok("POST", f"/v1/accounts/{account['id']}/tokens", admin, {"name": "t"})["token"]
    return account["id"], token


def _draft(platform: Platform, token: str, name: str) -> dict[str, Any]:
    body = {
        "name": name,
        "channel": "voice",
        "category": "service",
        "tts_text": f"hello from {name}",
        "recipients": ["09120000001"],
        "auto_start": False,
    }
    created: dict[str, Any] = platform.ok("POST", "/v1/campaigns", token, body)
    return created


def test_R_API_parallel_tenants_each_get_their_own_answers_and_read_their_writes(
    platform: tuple[Platform, str],
) -> None:
    running, admin = platform
    tenants = [_tenant(running, admin, f"Tenant {i}") for i in range(TENANTS)]

    def work(index: int) -> list[str]:
        account_id, token = tenants[index]
        rng = random.Random(index)
        made: list[str] = []
        for turn in range(5):
            name = f"t{index}-{turn}"
            created = _draft(running, token, name)
            made.append(created["id"])
            seen = running.ok("GET", f"/v1/campaigns/{created['id']}", token)  # at once, on either worker
            assert (seen["id"], seen["name"]) == (created["id"], name)
            if rng.random() < 0.5:
                page = running.ok("GET", "/v1/campaigns?limit=50", token)
                assert {c["id"] for c in page["items"]} == set(made)  # its own, every one of them
            me = running.ok("GET", "/v1/accounts/me", token)
            assert me["id"] == account_id
        return made

    with ThreadPoolExecutor(TENANTS) as pool:
        made = list(pool.map(work, range(TENANTS)))
    for (_, token), ids in zip(tenants, made, strict=True):
        listed = {c["id"] for c in running.ok("GET", "/v1/campaigns?limit=50", token)["items"]}
        assert listed == set(ids)


def test_R_RUN_1_the_workers_read_the_clock_the_main_process_moves(platform: tuple[Platform, str]) -> None:
    running, admin = platform
    _, token = _tenant(running, admin, "Clock")
    before = datetime.fromisoformat(_draft(running, token, "before")["created_at"])
    running.ok("POST", "/v1/local/clock", admin, {"advance_seconds": 3 * 3600})
    after = datetime.fromisoformat(_draft(running, token, "after")["created_at"])
    assert 3 * 3600 <= (after - before).total_seconds() < 3 * 3600 + 60


def test_R_API_a_tokens_rate_limit_counts_its_requests_on_every_worker(platform: tuple[Platform, str]) -> None:
    running, admin = platform
    _, token = _tenant(running, admin, "Busy")
    started = time.monotonic()
    statuses = [running.call("GET", "/v1/campaigns", token)[0] for _ in range(60)]
    seconds = time.monotonic() - started
    # burst 30, then 1 a second: with a bucket per worker, about twice as many would pass
    assert statuses.count(200) <= 30 + seconds + 1, (statuses.count(200), seconds)
    assert set(statuses) == {200, 429}


def test_R_RUN_1_workers_killed_between_requests_are_started_again_and_nothing_is_lost(
    platform: tuple[Platform, str],
) -> None:
    running, admin = platform
    _, token = _tenant(running, admin, "Survivor")
    campaign = _draft(running, token, "kept")
    killed = _workers(running)
    assert len(killed) == 2
    for pid in killed:
        os.kill(pid, signal.SIGKILL)
    _wait_until_ended(killed)
    assert running.ok("GET", f"/v1/campaigns/{campaign['id']}", token)["id"] == campaign["id"]
    again = _draft(running, token, "after")
    listed = {c["id"] for c in running.ok("GET", "/v1/campaigns", token)["items"]}
    assert listed == {campaign["id"], again["id"]}
    assert set(_workers(running)) - set(killed)  # a successor serves


def test_R_RUN_1_no_worker_outlives_a_killed_platform(tmp_path: Path) -> None:
    running = Platform(tmp_path / "data", {"JARCHI_NOW": START}, ("--api-workers", "2"))
    running.start()
    workers = _workers(running)
    assert len(workers) == 2
    running.stop(signal.SIGKILL)
    _wait_until_ended(workers)


def _wait_until_ended(pids: list[int]) -> None:
    deadline = time.monotonic() + 30
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [pid for pid in pids if _alive(pid)]


def _alive(pid: int) -> bool:
    """Running (a zombie, ended but not yet reaped by init, counts as ended)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status


def test_R_API_a_worker_that_dies_holding_a_request_is_answered_503_and_replaced(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("JARCHI_NOW", START)
    calls: list[str] = []

    def emulator_that_outlives_its_caller(event: str, *_: Any) -> AwsAnswer:
        calls.append(event)
        if len(calls) == 1:  # the first AWS call of the first request: its worker dies meanwhile
            os.kill(workers.pids[0], signal.SIGKILL)
            workers._workers[0].process.wait()
        return 400, [("Content-Type", "application/x-amz-json-1.0")], b'{"__type": "ResourceNotFoundException"}'

    def served_here(_: HttpRequest) -> HttpResponse:
        raise AssertionError("only /v1/local/ is served in the main process")

    workers = ApiWorkers(1, emulator_that_outlives_its_caller, served_here).start()
    try:
        first = workers.pids[0]
        request = HttpRequest("GET", "/v1/campaigns", headers={"authorization": "Bearer jk_" + "a" * 43})
        answer = workers.serve(request)
        assert (answer.status, answer.json()["error"]["code"]) == (503, "worker_restarted")
        assert answer.headers["retry-after"] == "1"
        assert workers.pids[0] != first
        after = workers.serve(request)  # the successor asks the emulator, which says the table is not there
        assert len(calls) >= 2 and after.status >= 400 and after.status != 503
    finally:
        workers.stop()
