"""schemathesis against the local API (R-API, issue 14): every operation of `/v1/openapi.json`, as the admin,
a reseller and a customer (both with credit), with positive and negative data, the coverage phase and stateful
links (the document links each create to the operations on what it made: functions.api.openapi); checks
that no answer is a 5xx and that every answer's status, content type and body conform to the document.

The seed is fixed, so a run repeats. The default profile sends at least 5,000 requests (counted by the server
itself); `FUZZ_PROFILE=nightly` sends many more. The figures of the last run are in bench/README.md:

    .venv/bin/pytest -q -s tests/integration/test_api_fuzz.py
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.api_server import CountingApp, local_platform

SEED = 14
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
PROFILES = {"default": 15, "nightly": 300}  # examples per operation and phase, for each of the three callers
MIN_REQUESTS = 5_000
# The coverage phase (boundary values of every parameter, ~2/3 of the run's time) runs as the admin, who may
# reach every operation; the reseller and the customer fuzz and follow links (their answers differ by tenant).
ALL_PHASES = "examples,coverage,fuzzing,stateful"
PHASES = {"admin": ALL_PHASES, "reseller": "examples,fuzzing,stateful", "customer": "examples,fuzzing,stateful"}
SCHEMATHESIS = str(Path(sys.executable).parent / "schemathesis")
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _post(base_url: str, token: str, path: str, body: dict[str, Any]) -> Any:
    request = urllib.request.Request(
        base_url + path,
        data=json.dumps(body).encode(),
        headers={"authorization": f"Bearer {token}", "content-type": "application/json"},
        method="POST",
    )
    with _OPENER.open(request, timeout=30) as answer:
        return json.loads(answer.read())


def _token_of_new(base_url: str, admin_token: str, account_type: str) -> str:
    """A token of a new account of `account_type`, with credit."""
    account = _post(base_url, admin_token, "/v1/accounts", {"name": f"Fuzz {account_type}", "type": account_type})
    _post(base_url, admin_token, f"/v1/accounts/{account['id']}/credit", {"amount": 10_000_000})
    token: str = _post(base_url, admin_token, f"/v1/accounts/{account['id']}/tokens", {"name": "fuzz"})["token"]
    return token


def _start(base_url: str, token: str, examples: int, report: Path, phases: str) -> subprocess.Popen[str]:
    command = [
        SCHEMATHESIS,
        "run",
        f"{base_url}/v1/openapi.json",
        "--phases",
        phases,
        "--header",
        f"Authorization: Bearer {token}",
        "--checks",
        CHECKS,
        "--seed",
        str(SEED),
        "--max-examples",
        str(examples),
        "--workers",
        "1",
        "--no-shrink",
        "--continue-on-failure",
        "--warnings",
        "off",
        "--report",
        "json",
        "--report-json-path",
        str(report),
    ]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _finish(run: subprocess.Popen[str], report: Path) -> dict[str, Any]:
    output, _ = run.communicate(timeout=1500)  # ~11 min for the three at once on a loaded 2-core machine
    assert run.returncode == 0, output[-6000:]
    result: dict[str, Any] = json.loads(report.read_text())
    links = re.search(r"API Links:\s+(\d+) covered / (\d+) selected / (\d+) total", output)
    scenarios = re.search(r"Scenarios:\s+(\d+)", output)
    result["stateful"] = {
        "links_covered": int(links.group(1)) if links else 0,
        "links_total": int(links.group(3)) if links else 0,
        "scenarios": int(scenarios.group(1)) if scenarios else 0,
    }
    return result


@pytest.mark.slow
def test_schemathesis_finds_no_server_error_and_no_violation(tmp_path: Path) -> None:
    examples = PROFILES[os.environ.get("FUZZ_PROFILE", "default")]
    counting = CountingApp()
    with local_platform(counting) as served:
        callers = {
            "admin": served.admin_token,
            "reseller": _token_of_new(served.base_url, served.admin_token, "reseller_1"),
            "customer": _token_of_new(served.base_url, served.admin_token, "customer"),
        }
        # all callers at once: the fuzzers generate while the server answers the others
        runs = {
            name: _start(served.base_url, token, examples, tmp_path / f"{name}.json", PHASES[name])
            for name, token in callers.items()
        }
        reports = {name: _finish(run, tmp_path / f"{name}.json") for name, run in runs.items()}
    cases = sum(report["test_cases"]["generated"] for report in reports.values())
    stateful = {name: report["stateful"] for name, report in reports.items()}
    print(
        f"\nschemathesis: {cases} test cases, {counting.total} requests, statuses {sorted(counting.statuses.items())}"
        f"; stateful {stateful}"
    )
    for name, report in reports.items():
        assert report["operations"]["tested"] == report["operations"]["total"] >= 30, (name, report["operations"])
        assert report["failures"] == [] and report["errors"] == [], (name, report["failures"], report["errors"])
        ran = {phase: result["status"] for phase, result in report["phases"].items() if phase in PHASES[name]}
        assert set(ran.values()) == {"success"}, report["phases"]
        assert report["stateful"]["links_total"] >= 30, (name, stateful)  # the document's links, and inferred ones
    # create → get/patch/delete: the stateful phases followed links with the ids the creates answered
    assert sum(report["stateful"]["links_covered"] for report in reports.values()) >= 1, stateful
    assert counting.server_errors == 0, counting.statuses
    assert counting.total >= MIN_REQUESTS, counting.statuses
