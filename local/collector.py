"""Full garbage collections off the API's path (`make run`; issue 14, the read latency).

CPython's full collection walks every container object the process holds, with the interpreter stopped. The
local platform holds about a million that never become garbage (imported modules, botocore's service models,
moto's backends, the functions' clients), so each one took 1.1–2.0 s on the shared machine and came every
30–45 s under a read load: every request in flight waited for it, and the reads' p99 clustered at 1.3 s.

- While the platform starts serving (in this thread: the start is no slower), it can make what it would make at
  each function's first request and keep for good (`warm_up`; `make run` does not, see docs/decisions.md,
  "make run's collector without its warm-up"), then freezes what exists (`gc.freeze`):
  collections no longer walk it. Frozen objects are still freed by reference counting when they go; only a
  reference cycle among them would no longer be found, and they live as long as the process.
- Automatic full collections are off (the young generations still collect automatically). This thread runs
  one when no API request has been in flight for `QUIET_SECONDS`, at most every `EVERY_SECONDS`, and at the
  latest `AT_MOST_SECONDS` after the last (a load that never pauses), and only once young collections have
  moved something to the old generation since the last.
"""

from __future__ import annotations

import gc
import importlib
import logging
import pkgutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

from botocore.session import get_session
from pynamodb.models import Model

import jarchi.store
from local.functions import HANDLER_PATHS, resolve_handler

LOG = logging.getLogger(__name__)

QUIET_SECONDS: Final = 0.2
EVERY_SECONDS: Final = 30.0
AT_MOST_SECONDS: Final = 120.0
_NEVER: Final = 1 << 30  # a full-collection threshold no young collection count reaches


def _models(base: type[Model]) -> Iterator[type[Model]]:
    for model in base.__subclasses__():
        yield model
        yield from _models(model)


class ApiActivity:
    """How many API requests are being served, and when the last one ended."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._in_flight = 0
        self._last_end = time.monotonic()

    @contextmanager
    def serving(self) -> Iterator[None]:
        with self._lock:
            self._in_flight += 1
        try:
            yield
        finally:
            with self._lock:
                self._in_flight -= 1
                self._last_end = time.monotonic()

    def quiet_for(self) -> float:
        """Seconds since the last request ended, 0 while one is being served."""
        with self._lock:
            return 0.0 if self._in_flight else time.monotonic() - self._last_end


api_activity = ApiActivity()


def warm_up() -> None:
    """Make now what the platform otherwise makes at each function's first request, and keeps for good: every
    function's modules, every store module, and each pynamodb model's client. The models share one botocore
    session: pynamodb gives each model a session of its own, and each loaded DynamoDB's service model again
    (~20,000 objects and ~6 MB a model; the platform started 150 MB smaller with one). pynamodb keeps a session
    per thread because making clients is not thread-safe: these are all made here, in one thread."""
    for name in HANDLER_PATHS:
        resolve_handler(name)
    for module in pkgutil.iter_modules(jarchi.store.__path__, "jarchi.store."):  # (each imported at first use)
        importlib.import_module(module.name)
    session = get_session()
    for model in _models(Model):
        if getattr(model.Meta, "table_name", None):
            connection = model._get_connection().connection
            if getattr(connection._local, "session", None) is None:
                connection._local.session = session
            connection.client  # noqa: B018 (the property makes it)


def due(*, since_last: float, quiet_for: float, promoted: bool, every: float, at_most: float, quiet: float) -> bool:
    """Whether to run a full collection now: something reached the old generation since the last one, and the
    API has been quiet long enough after `every` seconds, or `at_most` seconds have passed anyway."""
    return promoted and (since_last >= at_most or (since_last >= every and quiet_for >= quiet))


class QuietCollector:
    """Freezes the warmed-up platform and runs the full collections itself (see the module's docstring)."""

    def __init__(
        self,
        activity: ApiActivity = api_activity,
        *,
        quiet_seconds: float = QUIET_SECONDS,
        every_seconds: float = EVERY_SECONDS,
        at_most_seconds: float = AT_MOST_SECONDS,
    ) -> None:
        self.activity = activity
        self.quiet_seconds = quiet_seconds
        self.every_seconds = every_seconds
        self.at_most_seconds = at_most_seconds
        self.collections = 0
        self.longest_seconds = 0.0  # the longest full collection it ran
        self._thresholds = gc.get_threshold()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="quiet-collector", daemon=True)
        self._last = time.monotonic()
        self._warm = True
        self.frozen = threading.Event()  # set once the warmed-up platform is frozen

    def start(self, *, warm: bool = True) -> QuietCollector:
        """In its own thread, so the platform serves meanwhile: warm up, freeze, then collect when quiet."""
        self._warm = warm
        self._thread.start()
        return self

    def _freeze(self) -> None:
        if self._warm:
            warm_up()
        gc.collect()
        gc.freeze()
        young, middle, _ = self._thresholds
        gc.set_threshold(young, middle, _NEVER)
        self._last = time.monotonic()
        self.frozen.set()
        LOG.info("%d objects frozen; full collections when the API is quiet", gc.get_freeze_count())

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)
        gc.set_threshold(*self._thresholds)
        gc.unfreeze()

    def _run(self) -> None:
        try:
            self._freeze()
        except Exception:  # the platform runs on with CPython's own collections
            LOG.exception("could not warm up and freeze the platform")
            return
        while not self._stop.wait(self.quiet_seconds / 2):
            now = time.monotonic()
            if due(
                since_last=now - self._last,
                quiet_for=self.activity.quiet_for(),
                promoted=gc.get_count()[2] > 0,  # young collections since the last full one
                every=self.every_seconds,
                at_most=self.at_most_seconds,
                quiet=self.quiet_seconds,
            ):
                gc.collect()
                finished = time.monotonic()
                self.longest_seconds = max(self.longest_seconds, finished - now)
                self.collections += 1
                self._last = finished
