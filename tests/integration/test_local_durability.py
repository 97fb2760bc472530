"""The local platform keeps its data across a crash and a clean stop (issue 15; R-RUN-1..3, R-RUN-5, R-DSP-1,
R-BIL-3).

`python -m local` runs as its own process on a free port and a temporary data folder, with the simulator at a
realistic SMS latency (1-10 s) and taking 0.3 s to answer each batch it placed. Accounts are created and
topped up, a 5,000-recipient advertising SMS campaign starts, and a writer keeps topping up an account and
issuing tokens. Once a seeded random share (10-40 %) of the recipients is placed, the process gets SIGKILL
right after a batch was placed, while the provider's answer is still coming: that batch is in doubt (its
restart must say it cleared an "in progress" record). It restarts on the same folder; later (50-80 %) it
gets a clean SIGINT (Ctrl-C) the same way and restarts again. Just before the SIGKILL, a second campaign
is scheduled to start 10 s later (local clock): its schedule falls due while the platform is down and must
fire once. Then both campaigns must finish and:

- each recipient has exactly one final status;
- every recipient was placed exactly once, none twice, across the SIGKILL as across the clean stop: the
  simulated provider's ledger in the data folder (`local.durability.PlacementLedger`) lists every attempt it
  placed; a dispatch batch whose placement the SIGKILL cut short comes back with the same idempotency keys,
  and only what was not placed yet is placed;
- the campaign's money holds: reserved = charged + released + refunded, nothing left reserved;
- every balance equals the sum of its ledger entries;
- every token issued still works; every 2xx answered before a stop is there afterwards (each acknowledged
  top-up is in the ledger, each issued token authenticates, each created account exists);
- a restart says that `JARCHI_NOW` (set on every start here) is ignored: the folder keeps its own clock.

One seed by default (CI); `DURABILITY_SEEDS=10` runs ten, nightly.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from jarchi.attempts import Outcome, is_final
from local.durability import PLACEMENTS_FILE, ledger_placements

REPO = Path(__file__).resolve().parents[2]
SEEDS = int(os.environ.get("DURABILITY_SEEDS", "1"))
RECIPIENTS = 5_000
LATER_RECIPIENTS = 20
START = "2026-03-02T10:00:00+03:30"  # a Monday, inside the advertising SMS window
# The provider takes 0.3 s to answer a batch it has taken: a kill then leaves that batch in doubt.
SIMULATOR = json.dumps({"sms_latency_seconds": [1, 10], "seed": 7, "answer_seconds": 0.3})
STARTUP_SECONDS = 120
FINISH_SECONDS = 240
STOP_SECONDS = 240  # a clean stop finishes the batches in hand first (slow on a loaded machine)
FINAL = frozenset(outcome.value for outcome in Outcome if is_final(outcome))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Down(Exception):
    """The platform did not answer (it was killed, or is not up yet)."""


@dataclass
class Platform:
    """`python -m local` on a data folder, started and stopped as a user would."""

    data_dir: Path
    port: int = field(default_factory=_free_port)
    process: subprocess.Popen[str] | None = None
    output: list[str] = field(default_factory=list)

    def start(self) -> str | None:
        """Start and wait until it listens; the admin token if it printed one (a fresh folder)."""
        env = {
            key: value for key, value in os.environ.items() if not key.startswith(("JARCHI_", "PYTEST", "DURABILITY_"))
        }
        env.update(
            {
                "PYTHONPATH": f"{REPO / 'layers/core/python'}{os.pathsep}{REPO}",
                "JARCHI_DATA_DIR": str(self.data_dir),
                "JARCHI_NOW": START,
                "JARCHI_SIMULATOR_CONFIG": SIMULATOR,
                "JARCHI_CAMPAIGN_MODERATION_DAYS": "0",
            }
        )
        self.process = subprocess.Popen(
            [sys.executable, "-m", "local", "--port", str(self.port)],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert self.process.stdout is not None
        token: str | None = None
        deadline = time.monotonic() + STARTUP_SECONDS
        for line in self.process.stdout:
            self.output.append(line)
            match = re.search(r"admin token:\s+(jk_\S+)?", line)
            if match:  # the banner's last line but one
                token = match.group(1)
                break
            if time.monotonic() > deadline:
                break
        else:
            raise AssertionError("the platform exited on start:\n" + "".join(self.output))
        threading.Thread(target=self._drain, daemon=True).start()
        while True:  # the banner comes just before uvicorn listens
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return token
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def _drain(self) -> None:
        process = self.process
        if process is not None and process.stdout is not None:
            for line in process.stdout:
                self.output.append(line)

    def stop(self, sig: signal.Signals) -> None:
        assert self.process is not None
        self.process.send_signal(sig)
        code = self.process.wait(STOP_SECONDS)
        if sig is signal.SIGINT:
            assert code == 0, "".join(self.output[-30:])

    def call(self, method: str, path: str, token: str, body: Any = None) -> tuple[int, Any]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
            payload = json.dumps(body).encode() if body is not None else None
            connection.request(method, path, body=payload, headers=headers)
            response = connection.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException) as error:
            raise Down(str(error)) from error
        finally:
            connection.close()
        try:
            return response.status, json.loads(raw) if raw else None
        except ValueError as error:  # not our error shape: what the platform said about it is in its output
            time.sleep(2)  # (its traceback may still be on its way through the pipe)
            tail = "".join(self.output[-60:])
            said = f"{method} {path} answered {response.status} {raw[:200]!r}; the platform:\n{tail}"
            raise AssertionError(said) from error

    def ok(self, method: str, path: str, token: str, body: Any = None) -> Any:
        status, answer = self.call(method, path, token, body)
        assert 200 <= status < 300, (method, path, status, answer)
        return answer


@dataclass
class Acknowledged:
    """Every 2xx the writer got: what must be there after any stop."""

    top_ups: list[int] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)
    accounts: list[str] = field(default_factory=list)


class Writer(threading.Thread):
    """Keeps changing things through the API until told to stop or the platform goes away."""

    def __init__(self, platform: Platform, admin: str, account_id: str, rng: random.Random, seen: Acknowledged):
        super().__init__(daemon=True)
        self.platform, self.admin, self.account_id, self.rng, self.seen = platform, admin, account_id, rng, seen
        self.halt = threading.Event()

    def run(self) -> None:
        index = 0
        while not self.halt.is_set():
            index += 1
            try:
                if index % 5 == 0:
                    status, answer = self.platform.call(
                        "POST", "/v1/accounts", self.admin, {"name": f"Writer {index}", "type": "customer"}
                    )
                    if status == 201:
                        self.seen.accounts.append(answer["id"])
                elif index % 3 == 0:
                    path = f"/v1/accounts/{self.account_id}/tokens"
                    status, answer = self.platform.call("POST", path, self.admin, {"name": f"w{index}"})
                    if status == 201:
                        self.seen.tokens.append(answer["token"])
                else:
                    amount = self.rng.randint(1, 1_000)
                    path = f"/v1/accounts/{self.account_id}/credit"
                    status, _ = self.platform.call("POST", path, self.admin, {"amount": amount})
                    if status == 201:
                        self.seen.top_ups.append(amount)
            except Down:
                return
            self.halt.wait(0.25)  # a steady trickle, not a load test (each token and account is checked at the end)


def _ledger_lines(platform: Platform) -> int:
    path = platform.data_dir / PLACEMENTS_FILE
    return path.read_bytes().count(b"\n") if path.exists() else 0


def _just_placed(platform: Platform, at_least: int) -> int:
    """Return as a batch's placement brings the ledger to `at_least` lines, while the provider is still
    answering it (`answer_seconds`): the moment a kill leaves the batch in doubt. Answer the line count."""
    deadline = time.monotonic() + FINISH_SECONDS
    while (placed := _ledger_lines(platform)) < at_least:
        assert time.monotonic() < deadline, f"{placed} placements, waiting for {at_least}"
        time.sleep(0.01)
    return placed


def _placed_numbers(platform: Platform, campaign_id: str) -> Counter[str]:
    """How many times the provider placed each number for the campaign (its attempt ids start with its id)."""
    placed = ledger_placements(platform.data_dir / PLACEMENTS_FILE)
    return Counter(number for key, number in placed if key.startswith(f"{campaign_id}."))


def _campaign(name: str, prefix: str, count: int) -> dict[str, Any]:
    return {
        "name": name,
        "channel": "sms",
        "category": "advertising",
        "sms_text": "Big sale today at the shop",
        "sender": "Shop",
        "recipients": [f"+98{prefix}{i:07d}" for i in range(count)],
        "speed_per_hour": 3_600_000,
    }


def _all_pages(platform: Platform, token: str, path: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        query = "limit=200" + (f"&cursor={cursor}" if cursor else "")
        page = platform.ok("GET", f"{path}{'&' if '?' in path else '?'}{query}", token)
        items.extend(page["items"])
        cursor = page.get("next_cursor")
        if not cursor:
            return items


def _check_balance_equals_ledger(platform: Platform, admin: str, account_id: str) -> dict[str, int]:
    credit = platform.ok("GET", f"/v1/credit?account_id={account_id}", admin)
    entries = _all_pages(platform, admin, f"/v1/credit/transactions?account_id={account_id}")
    assert credit["balance"] == sum(e["balance_delta"] for e in entries), account_id
    assert credit["reserved"] == sum(e["reserved_delta"] for e in entries), account_id
    return credit  # type: ignore[no-any-return]


T0 = time.monotonic()


def _mark(what: str) -> None:
    if os.environ.get("DURABILITY_TRACE"):
        sys.stderr.write(f"{time.monotonic() - T0:7.1f} s  {what}\n")


def _run(platform: Platform, seed: int) -> None:
    rng = random.Random(seed)
    _mark("start")
    admin = platform.start()
    _mark("started")
    assert admin is not None, "a fresh folder prints a new admin token"
    shop = platform.ok("POST", "/v1/accounts", admin, {"name": "Shop", "type": "customer"})
    platform.ok("POST", f"/v1/accounts/{shop['id']}/credit", admin, {"amount": 10**10})
    shop_token = platform.ok("POST", f"/v1/accounts/{shop['id']}/tokens", admin, {"name": "shop"})["token"]
    sender = platform.ok("POST", "/v1/senders", shop_token, {"name": "Shop"})
    platform.ok("POST", f"/v1/senders/{sender['id']}/moderation", admin, {"decision": "approve"})
    other = platform.ok("POST", "/v1/accounts", admin, {"name": "Other", "type": "customer"})
    seen = Acknowledged(tokens=[admin, shop_token], accounts=[shop["id"], other["id"]])
    campaign = platform.ok("POST", "/v1/campaigns", shop_token, _campaign("Durable", "912", RECIPIENTS))
    campaign_id = campaign["id"]
    later_id = ""
    _mark("campaign created")
    for sig in (signal.SIGKILL, signal.SIGINT):
        writer = Writer(platform, admin, other["id"], rng, seen)
        writer.start()
        # mid-campaign, as a batch was just placed: the SIGKILL between 10 % and 40 % of it, the SIGINT later
        share = rng.uniform(0.1, 0.4) if sig is signal.SIGKILL else rng.uniform(0.5, 0.8)
        placed = _just_placed(platform, int(share * RECIPIENTS))
        if sig is signal.SIGINT:
            writer.halt.set()  # a clean stop: the writer's last answer comes before it
            writer.join(60)
        else:  # a campaign scheduled to start while the platform is down: its schedule fires once
            now = datetime.fromisoformat(platform.ok("GET", "/v1/local/clock", admin)["now"])
            start_at = (now + timedelta(seconds=10)).isoformat()  # (a restart takes longer)
            later = _campaign("Later", "913", LATER_RECIPIENTS) | {"start_at": start_at}
            later_id = platform.ok("POST", "/v1/campaigns", shop_token, later)["id"]
        placed = _just_placed(platform, _ledger_lines(platform) + 1)  # the next batch: the kill comes at once
        _mark(f"stopping with {sig.name} after {placed} placements")
        platform.stop(sig)
        writer.join(60)
        _mark("stopped")
        shown = len(platform.output)
        assert platform.start() is None, "a resumed folder keeps its admin token"
        said = platform.output[shown:]
        assert any("JARCHI_NOW" in line and "ignored" in line for line in said)
        _mark("restarted: " + " / ".join(line.strip() for line in said if "resumed" in line))
        if sig is signal.SIGKILL:  # the batch in doubt: its idempotency record said "in progress"
            assert any("cleared_in_progress=0," not in line for line in said if "Recovered(" in line), said

    deadline = time.monotonic() + FINISH_SECONDS
    while True:
        done = platform.ok("GET", f"/v1/campaigns/{campaign_id}", shop_token)
        if (
            done["status"] == "finished"
            and platform.ok("GET", f"/v1/campaigns/{later_id}", shop_token)["status"] == "finished"
        ):
            break
        assert time.monotonic() < deadline, done
        platform.ok("POST", "/v1/local/clock", admin, {"advance_seconds": 10})  # latencies, the 10 s result waits
        time.sleep(0.5)

    _mark("finished")
    for one, count in ((campaign_id, RECIPIENTS), (later_id, LATER_RECIPIENTS)):
        recipients = _all_pages(platform, shop_token, f"/v1/campaigns/{one}/recipients")
        numbers = Counter(r["number"] for r in recipients)
        assert len(numbers) == count and max(numbers.values()) == 1
        assert all(r["status"] in FINAL for r in recipients), Counter(r["status"] for r in recipients)
    later = platform.ok("GET", f"/v1/campaigns/{later_id}", shop_token)
    assert [h["status"] for h in later["history"]].count("running") == 1, later["history"]

    for one, count in ((campaign_id, RECIPIENTS), (later_id, LATER_RECIPIENTS)):
        numbers_placed = _placed_numbers(platform, one)  # every recipient placed once: none lost, none twice
        assert len(numbers_placed) == count and numbers_placed.most_common(1)[0][1] == 1, numbers_placed.most_common(3)

    cost = done["cost"]
    assert cost["reserved"] == cost["charged"] + cost["released"] + cost["refunded"], cost
    for account_id in seen.accounts:
        platform.ok("GET", f"/v1/accounts/{account_id}", admin)
        _check_balance_equals_ledger(platform, admin, account_id)
    assert _check_balance_equals_ledger(platform, admin, shop["id"])["reserved"] == 0
    top_ups = [e["amount"] for e in _all_pages(platform, admin, f"/v1/credit/transactions?account_id={other['id']}")]
    assert not Counter(seen.top_ups) - Counter(top_ups), "an acknowledged top-up is missing"
    for token in seen.tokens:
        platform.ok("GET", "/v1/accounts/me", token)
    _mark("checked")  # (the test's cleanup kills it: a clean stop was shown mid-campaign)


@pytest.mark.parametrize("seed", range(SEEDS))
def test_R_RUN_5_a_crash_and_a_clean_stop_mid_campaign_lose_nothing(tmp_path: Path, seed: int) -> None:
    platform = Platform(tmp_path / "data")
    try:
        _run(platform, seed)
    finally:  # a failed check must not leave the platform running
        if platform.process is not None and platform.process.poll() is None:
            platform.process.kill()
            platform.process.wait(30)
