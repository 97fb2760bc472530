"""`make run`: the whole platform on one machine, offline.

AWS emulated in-process by moto; the same handlers, state machine, tables and queues as the cloud stack;
the simulator connector; the local clock; an `admin` account whose token is printed on the first start.
The platform's state lives in a data folder (`.jarchi/` in the checkout, `JARCHI_DATA_DIR` to move it) and
survives a restart or a crash (`local.durability`).

    python -m local                 # run (make run)
    python -m local admin-token     # a new admin token, while the platform is stopped (make admin-token)
    python -m local reset-data      # delete the data folder (make reset-data)"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import logging
import os
import sys
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import uvicorn

if TYPE_CHECKING:
    from jarchi.settings import Settings
    from local.durability import DataFolder, Resumed

LOCAL_ENVIRONMENT = {
    "JARCHI_STAGE": "local",
    "POWERTOOLS_SERVICE_NAME": "jarchi",
    "POWERTOOLS_METRICS_NAMESPACE": "Jarchi",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_DISABLED": "true",  # no CloudWatch here: EMF lines would only clutter the console
    "POWERTOOLS_LOG_LEVEL": "WARNING",
    "AWS_DEFAULT_REGION": "eu-central-1",
}


STOP_SECONDS = 120  # per poller: a batch being placed when Ctrl-C comes is finished first


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m local", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", nargs="?", default="run", choices=["run", "admin-token", "reset-data"])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    return parser.parse_args()


def _banner(url: str, token: str | None, now: datetime, data_dir: Path, resumed: Resumed) -> str:
    if token is None:
        replay = f"{resumed.replayed:,} journaled changes replayed in {resumed.replay_seconds:.1f} s"
        admin = [
            f"  data folder:  {data_dir}  (resumed: {replay})",
            "  admin token:  the one shown on the first start (`make admin-token` issues another)",
        ]
    else:
        admin = [
            f"  data folder:  {data_dir}  (new; `make reset-data` empties it)",
            f"  admin token:  {token}",
            "  (shown once: keep it; `make admin-token` issues another)",
        ]
    return "\n".join(
        [
            "",
            f"Jarchi is running on {url}  (Ctrl-C stops it)",
            f"  API docs:     {url}/v1/docs",
            f"  OpenAPI:      {url}/v1/openapi.json",
            f"  local clock:  {now.isoformat()}  (POST /v1/local/clock to move it)",
            *admin,
            "",
        ]
    )


def clock_warning(now_setting: datetime | None, resumed: Resumed, data_dir: Path) -> str | None:
    """A resumed folder keeps its own clock: `JARCHI_NOW`, when set, is ignored, and said so."""
    if resumed.fresh or now_setting is None:
        return None
    return (
        f"warning: JARCHI_NOW={now_setting.isoformat()} is ignored: the data folder {data_dir} keeps its own clock "
        f"(now {resumed.clock.now().isoformat()}). Move it with POST /v1/local/clock, or start over at JARCHI_NOW "
        "with `make reset-data` (which deletes the folder)."
    )


def _warn_of_ignored_clock(settings: Settings, resumed: Resumed, data_dir: Path) -> None:
    warning = clock_warning(settings.now, resumed, data_dir)
    if warning is not None:
        sys.stderr.write(warning + "\n")
        sys.stderr.flush()


def _reset_data() -> int:
    from local.durability import DataFolderError, data_dir_from_env, reset_data

    data_dir = data_dir_from_env()
    try:
        removed = reset_data(data_dir)
    except DataFolderError as error:
        sys.stderr.write(f"{error}\n")
        return 2
    sys.stdout.write(f"{'Deleted' if removed else 'There was no'} data folder {data_dir}\n")
    return 0


# glibc's mallopt parameter for the most arenas (malloc.h), and the count the platform runs with (issue 17).
M_ARENA_MAX = -8
MALLOC_ARENAS = 2


def limit_malloc_arenas(environ: dict[str, str] | os._Environ[str] = os.environ) -> bool:
    """At most two glibc malloc arenas, unless `MALLOC_ARENA_MAX` is set (glibc read it at start). glibc gives a
    thread that allocates an arena of its own, up to 8 per core, and keeps what is freed in each: moto's Step
    Functions engine runs every Task state in a new thread, so the RSS kept growing between campaigns (issue 17,
    fifth pass: 60,000-recipient campaigns, +19 MB the second with the default, +4 MB with two). Called before
    any thread starts. False where there is no glibc (macOS, musl) or it refused."""
    if "MALLOC_ARENA_MAX" in environ:
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    return bool(libc.mallopt(M_ARENA_MAX, MALLOC_ARENAS))


def main() -> int:
    args = _arguments()
    limit_malloc_arenas()
    for key, value in LOCAL_ENVIRONMENT.items():
        os.environ.setdefault(key, value)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    if args.command == "reset-data":
        return _reset_data()

    from jarchi.configuration import check_configuration
    from jarchi.settings import ConfigurationError, reset_settings

    reset_settings()
    try:
        settings = check_configuration()  # every setting, the simulator's configuration included (R-RUN-6)
    except ConfigurationError as error:
        sys.stderr.write(f"Jarchi did not start: {error}\n")
        return 2
    # imported once the settings are known good: the store's models read them as they are imported
    from local.durability import DataFolder, DataFolderError, data_dir_from_env

    folder = DataFolder(data_dir_from_env())
    try:
        folder.open()  # refuses a folder another version wrote, or one a running platform holds
    except DataFolderError as error:
        sys.stderr.write(f"Jarchi did not start: {error}\n")
        return 2
    try:
        return _serve(args, settings, folder) if args.command == "run" else _admin_token(settings, folder)
    finally:
        folder.close()


def _serve(args: argparse.Namespace, settings: Settings, folder: DataFolder) -> int:
    from jarchi import wiring
    from jarchi.clock import use_clock
    from jarchi.ports import Connector, override, resolve
    from local.collector import QuietCollector
    from local.durability import durable_connector, durable_state
    from local.emulator import emulated_aws
    from local.runtime import LocalRuntime
    from local.seed import find_admin, seed_admin
    from local.server import app

    wiring.install()  # the adapters behind the ports, as each Lambda's cold start installs them
    with (
        emulated_aws(settings),
        durable_state(folder, settings.region, settings.now or datetime.now(UTC)) as resumed,
        durable_connector(resolve(Connector), resumed.journal) as connector,
        override(Connector, connector),
    ):
        use_clock(resumed.clock)
        _warn_of_ignored_clock(settings, resumed, folder.path)
        runtime = LocalRuntime(settings, resuming=not resumed.fresh).start()
        try:
            token = seed_admin().secret if find_admin() is None else None
            # full collections off the API's path (local.collector); no warm-up: it imported every handler in
            # parallel with the first requests, and a restarted platform answered one of them 500 (decisions.md)
            collector = QuietCollector().start(warm=False)
            server = uvicorn.Server(uvicorn.Config(app, host=args.host, port=args.port, log_level="warning"))
            url = f"http://{args.host}:{args.port}"
            banner = _banner(url, token, resumed.clock.now(), folder.path, resumed)
            sys.stdout.write(banner + "\n")
            sys.stdout.flush()
            with contextlib.suppress(KeyboardInterrupt):  # uvicorn re-raises Ctrl-C once it has shut down
                server.run()
            collector.stop()
        finally:
            # a clean stop lets each poller finish the batch it holds, so nothing is placed twice after it
            runtime.stop(timeout_seconds=STOP_SECONDS)
    sys.stdout.write("Jarchi stopped.\n")
    return 0


def _admin_token(settings: Settings, folder: DataFolder) -> int:
    """A new token for the admin account, written to the data folder (the platform must be stopped)."""
    from jarchi import wiring
    from jarchi.clock import use_clock
    from local.durability import durable_state
    from local.emulator import emulated_aws
    from local.seed import new_admin_token

    wiring.install()
    with emulated_aws(settings), durable_state(folder, settings.region, settings.now or datetime.now(UTC)) as resumed:
        use_clock(resumed.clock)
        _warn_of_ignored_clock(settings, resumed, folder.path)
        issued = new_admin_token()
    sys.stdout.write(f"admin token: {issued.secret}\n")
    sys.stdout.write(f"  (for the platform in {folder.path}; earlier tokens still work)\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
