"""Cold start per function against a bare Powertools handler, in one run (R-OPS, issue 10: goal ≤ 1.5×).

Each sample is a fresh interpreter (`python -X importtime` is not used: it slows what it measures) that imports
the function's handler module (the wiring, the configuration check, the adapters it imports eagerly) and reports
the seconds it took; the baseline is a module with a Powertools `Logger`, `Tracer` and a decorated handler,
imported and invoked once. The median of `RUNS` samples per function is reported, with its ratio to the
baseline's median. What it does not measure: a handler's first invocation against AWS (that needs the
emulated services, whose start would dwarf the import) and the Lambda runtime's own init.

`python -m bench cold_start` (or `python bench/cold_start.py`); exits 0 when every ratio is ≤ 1.5.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Final

ROOT: Final = Path(__file__).resolve().parents[1]
RUNS: Final = 5
GOAL: Final = 1.5

_BARE: Final = """
import time
start = time.perf_counter()
from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext
logger = Logger()
tracer = Tracer()

@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def handler(event, context):
    return {"ok": True}

class Context:
    function_name = "bare"; memory_limit_in_mb = 128; aws_request_id = "r-1"
    invoked_function_arn = "arn:aws:lambda:eu-central-1:123456789012:function:bare"
handler({}, Context())
print(time.perf_counter() - start)
"""

_FUNCTION: Final = """
import importlib, time
start = time.perf_counter()
importlib.import_module({module!r})
print(time.perf_counter() - start)
"""


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        PYTHONPATH=f"{ROOT / 'layers' / 'core' / 'python'}{os.pathsep}{ROOT}",
        POWERTOOLS_TRACE_DISABLED="1",
        POWERTOOLS_METRICS_DISABLED="1",
        AWS_DEFAULT_REGION=env.get("AWS_DEFAULT_REGION", "eu-central-1"),
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",  # moto's placeholder, never a real key
    )
    return env


def _sample(code: str) -> float:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=_environment(), check=True)
    return float(done.stdout.strip().splitlines()[-1])


def _median(code: str) -> float:
    return statistics.median(_sample(code) for _ in range(RUNS))


def main() -> int:
    from jarchi.resources import ALL_FUNCTIONS

    baseline = _median(_BARE)
    print(f"bare Powertools handler (import + first invocation): {baseline * 1000:.0f} ms (median of {RUNS})")
    worst = 0.0
    for function in ALL_FUNCTIONS:
        seconds = _median(_FUNCTION.format(module=function.module))
        ratio = seconds / baseline
        worst = max(worst, ratio)
        print(f"{function.name:>18}: {seconds * 1000:6.0f} ms  {ratio:4.2f}x")
    print(f"worst ratio {worst:.2f}x (goal ≤ {GOAL}x)")
    return 0 if worst <= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
