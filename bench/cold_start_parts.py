"""Where a function's import time goes, in steps (issue 10, cold start): in one clean interpreter per turn, the
CPU time after each step of a chain of imports, each step paying only what the steps before it did not load.
`python -m bench.cold_start_parts` (`COLD_START_RUNS=5` turns, medians; bytecode as in `bench.cold_start`).

The steps: Powertools' Logger and Tracer (what the bare handler imports), pydantic, the settings model read from
the environment, the configuration check of R-RUN-6 (connector and simulator models), the composition root, the
domain module of the function, and finally the handler module itself."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from typing import Final

from bench.cold_start import _environment

RUNS: Final = int(os.environ.get("COLD_START_RUNS", "5"))

STEPS: Final = (
    ("Powertools Logger + Tracer", "from aws_lambda_powertools import Logger, Tracer; Logger(); Tracer()"),
    ("pydantic", "import pydantic; from pydantic import BaseModel"),
    ("settings (pydantic model, env)", "from jarchi.settings import get_settings; get_settings()"),
    ("configuration check", "from jarchi.configuration import check_configuration; check_configuration()"),
    ("composition root", "from jarchi import wiring; wiring.install()"),
)
DOMAIN: Final = {
    "workflow": "jarchi.campaigns.workflow",
    "dispatch": "jarchi.dispatch.placing",
    "results": "jarchi.results.receiving",
    "api": "functions.api.app",
}


def _chain(function: str, module: str) -> list[tuple[str, str]]:
    steps = list(STEPS)
    if function in DOMAIN:
        steps.append((f"domain ({DOMAIN[function]})", f"import {DOMAIN[function]}"))
    steps.append(("handler module", f"import {module}"))
    return steps


def _turn(steps: list[tuple[str, str]]) -> list[float]:
    code = "import time\nt = [time.process_time()]\n" + "".join(
        f"{c}\nt.append(time.process_time())\n" for _, c in steps
    )
    code += "print(' '.join(str(b - a) for a, b in zip(t, t[1:])))\n"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=_environment(), check=True)
    return [float(x) for x in done.stdout.split()]


def main() -> int:
    from jarchi.resources import ALL_FUNCTIONS

    wanted = set(os.environ.get("COLD_START_FUNCTIONS", "workflow,dispatch,results,api").split(",")) - {""}
    for function in ALL_FUNCTIONS:
        if function.name not in wanted:
            continue
        steps = _chain(function.name, function.module)
        _turn(steps)  # writes the bytecode
        turns = [_turn(steps) for _ in range(RUNS)]
        print(f"{function.name} (CPU ms, medians of {RUNS})")
        for (label, _), column in zip(steps, zip(*turns, strict=True), strict=True):
            print(f"    {statistics.median(column) * 1000:5.0f}  {label}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
