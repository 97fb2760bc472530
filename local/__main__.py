"""`make run`: the whole platform on one machine, offline.

AWS emulated in-process by moto; the same handlers, state machine, tables and queues as the cloud stack;
the simulator connector; the local clock; an `admin` account whose token is printed once."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import warnings
from datetime import UTC, datetime

import uvicorn

LOCAL_ENVIRONMENT = {
    "JARCHI_STAGE": "local",
    "POWERTOOLS_SERVICE_NAME": "jarchi",
    "POWERTOOLS_METRICS_NAMESPACE": "Jarchi",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_DISABLED": "true",  # no CloudWatch here: EMF lines would only clutter the console
    "POWERTOOLS_LOG_LEVEL": "WARNING",
    "AWS_DEFAULT_REGION": "eu-central-1",
}


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m local", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    return parser.parse_args()


def _banner(url: str, token: str, now: datetime) -> str:
    return "\n".join(
        [
            "",
            f"Jarchi is running on {url}  (Ctrl-C stops it)",
            f"  API docs:     {url}/v1/docs",
            f"  OpenAPI:      {url}/v1/openapi.json",
            f"  local clock:  {now.isoformat()}  (POST /v1/local/clock to move it)",
            f"  admin token:  {token}",
            "  (shown once: keep it; nothing is stored beyond this process)",
            "",
        ]
    )


def main() -> int:
    args = _arguments()
    for key, value in LOCAL_ENVIRONMENT.items():
        os.environ.setdefault(key, value)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    warnings.filterwarnings("ignore", message="No application metrics to publish")

    from jarchi.configuration import check_configuration
    from jarchi.settings import ConfigurationError, reset_settings

    reset_settings()
    try:
        settings = check_configuration()  # every setting, the simulator's configuration included (R-RUN-6)
    except ConfigurationError as error:
        sys.stderr.write(f"Jarchi did not start: {error}\n")
        return 2
    # imported once the settings are known good: the store's models read them as they are imported
    from jarchi import wiring
    from jarchi.clock import LocalClock, use_clock
    from local.emulator import emulated_aws
    from local.runtime import LocalRuntime
    from local.seed import seed_admin
    from local.server import app

    wiring.install()  # the adapters behind the ports, as each Lambda's cold start installs them
    clock = LocalClock(settings.now or datetime.now(UTC))
    use_clock(clock)
    with emulated_aws(settings):
        runtime = LocalRuntime(settings).start()
        try:
            issued = seed_admin()
            server = uvicorn.Server(uvicorn.Config(app, host=args.host, port=args.port, log_level="warning"))
            sys.stdout.write(_banner(f"http://{args.host}:{args.port}", issued.secret, clock.now()) + "\n")
            sys.stdout.flush()
            with contextlib.suppress(KeyboardInterrupt):  # uvicorn re-raises Ctrl-C once it has shut down
                server.run()
        finally:
            runtime.stop()
    sys.stdout.write("Jarchi stopped.\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
