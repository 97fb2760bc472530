"""`python -m local`, instrumented for `bench.api_load` (bench only):

- `BENCH_API_LOCK=1`: one lock around each request's whole handling, the alternative to request-scoped
  resolver state that issue 14 asked to measure (`--isolation both`);
- `BENCH_API_TRACEMALLOC=<path prefix>`: tracemalloc from the start, and on each SIGUSR1 a snapshot
  written to `<prefix><n>.snap` (`--tracemalloc`), so growth can be told apart by where it was allocated.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import tracemalloc
from typing import Any

import local.server as server
from local.__main__ import main

_lock = threading.Lock()
_unlocked = server.invoke_api
_snapshots = 0


def _invoke_locked(request: Any) -> Any:
    with _lock:
        return _unlocked(request)


def _dump_snapshot(*_: Any) -> None:
    global _snapshots
    _snapshots += 1
    tracemalloc.take_snapshot().dump(f"{os.environ['BENCH_API_TRACEMALLOC']}{_snapshots}.snap")


if __name__ == "__main__":
    if os.environ.get("BENCH_API_LOCK") == "1":
        server.invoke_api = _invoke_locked  # app() looks the name up at each request
    if os.environ.get("BENCH_API_TRACEMALLOC"):
        tracemalloc.start(1)
        signal.signal(signal.SIGUSR1, _dump_snapshot)
    sys.exit(main())
