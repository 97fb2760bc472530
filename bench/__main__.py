"""Run every benchmark in `bench/`: `make bench` (= `.venv/bin/python -m bench`).

A benchmark is a module `bench/<name>.py` with a `main() -> int` (0 when it meets its target), run with its
defaults. Modules whose name starts with `_` are skipped, and so are the diagnostic tools in `TOOLS` (they take
arguments and gate nothing: run them as `python -m bench.<name> ...`). Pass names to run only those:
`python -m bench import_contacts`. Exits 1 when any benchmark misses its target or fails.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import cast

PACKAGE = "bench"
BENCH_DIR = Path(__file__).resolve().parent
# Diagnostics, not benchmarks: what stays between campaigns, CPU by AWS request, a py-spy profile by layer, CPU per
# API read replayed from a data folder, and in-process with the emulator's DynamoDB dispatch on and off.
TOOLS = frozenset(
    {"campaign_memory", "campaign_writes", "request_cpu", "profile_layers", "read_cpu", "dynamo_dispatch"}
)


def discover() -> list[str]:
    """Names of the benchmark modules in `bench/`, sorted."""
    return sorted(
        info.name
        for info in pkgutil.iter_modules([str(BENCH_DIR)])
        if not info.ispkg and not info.name.startswith("_") and info.name not in TOOLS
    )


def run_one(name: str) -> int:
    module = importlib.import_module(f"{PACKAGE}.{name}")
    main = getattr(module, "main", None)
    if not callable(main):
        print(f"{name}: no main(), skipped")
        return 0
    argv, sys.argv = sys.argv, [f"{PACKAGE}.{name}"]  # a main() that parses sys.argv sees its defaults
    try:
        return int(cast(Callable[[], int | None], main)() or 0)
    finally:
        sys.argv = argv


def run(names: Sequence[str]) -> int:
    results: dict[str, str] = {}
    for name in names:
        print(f"=== {name} ===", flush=True)
        started = time.perf_counter()
        try:
            code = run_one(name)
        except Exception:
            traceback.print_exc()
            code = 2
        except SystemExit as exit_:  # argparse refusing: this benchmark fails, the others still run
            code = exit_.code if isinstance(exit_.code, int) else 2
        elapsed = time.perf_counter() - started
        results[name] = f"{'ok' if code == 0 else f'FAILED (exit {code})'} in {elapsed:.1f} s"
        print(flush=True)
    print("=== summary ===")
    for name, verdict in results.items():
        print(f"{name}: {verdict}")
    return 0 if all(v.startswith("ok") for v in results.values()) else 1


def main(argv: Sequence[str]) -> int:
    available = discover()
    unknown = [n for n in argv if n not in available]
    if unknown:
        tools = [n for n in unknown if n in TOOLS]
        if tools:
            print(f"{', '.join(tools)}: diagnostic tool(s), run as python -m bench.<name> --help", file=sys.stderr)
        print(f"unknown benchmark(s): {', '.join(unknown)}; available: {', '.join(available)}", file=sys.stderr)
        return 2
    names = list(argv) or available
    if not names:
        print("no benchmarks found in bench/")
        return 0
    return run(names)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
