"""A service SMS campaign against the Jasmin SMS gateway, in one sitting (issue 17): `make bench-peers`.

First the platform: a service SMS campaign (no cap claim) to N recipients, end to end on the local platform
(`bench.campaign`'s `service_sms`, simulator at zero latency), timed from `POST /v1/campaigns` to reconciled.
Then the peer, set up and run per `../shared/peers/jasmin/README.md`: `setup.sh` (idempotent: apt
RabbitMQ and Redis, a venv with jasmin 0.11.1), `start.sh`, its `bench.py` with N messages from 32 keep-alive
clients (HTTP `/send` → SMPP to a fake SMSC; the figure is submit_sm per second at the SMSC), `stop.sh`.
Prints both rates and their ratio; the target is jarchi ≥ Jasmin. The machine's other load reaches both, so
only figures from one sitting compare.

    .venv/bin/python -m bench.jasmin_peer                    # 60,000 messages each
    .venv/bin/python -m bench.jasmin_peer --messages 10000
Set JASMIN_PEER_DIR when the peer's folder is elsewhere.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
JASMIN_VENV_PYTHON = Path.home() / "peers" / "jasmin-venv" / "bin" / "python"
CLIENTS = 32
_FINAL = re.compile(r"jasmin \S+: (\d+) msgs, ([\d.]+) msg/s end-to-end")


def peer_dir() -> Path:
    """`../shared/peers/jasmin` from the project root (a worktree sits one level deeper)."""
    if os.environ.get("JASMIN_PEER_DIR"):
        return Path(os.environ["JASMIN_PEER_DIR"])
    for base in (REPO.parent, REPO.parent.parent):
        candidate = base / "shared" / "peers" / "jasmin"
        if (candidate / "setup.sh").exists():
            return candidate
    raise FileNotFoundError("no ../shared/peers/jasmin (set JASMIN_PEER_DIR)")


def jasmin_rate(messages: int) -> float:
    """Set up, start, run and stop the peer; its end-to-end msg/s."""
    folder = peer_dir()
    subprocess.run(["./setup.sh"], cwd=folder, check=True)
    subprocess.run(["./start.sh"], cwd=folder, check=True)
    try:
        command = [str(JASMIN_VENV_PYTHON), "bench.py", "-n", str(messages), "-c", str(CLIENTS), "--runs", "1"]
        output = subprocess.run(command, cwd=folder, check=True, capture_output=True, text=True).stdout
    finally:
        subprocess.run(["./stop.sh"], cwd=folder, check=False)
    print(output, end="")
    match = _FINAL.search(output)
    if match is None:
        raise RuntimeError("Jasmin's bench printed no final line")
    return float(match.group(2))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="jarchi's service SMS campaign vs the Jasmin gateway")
    parser.add_argument("--messages", type=int, default=int(os.environ.get("RECIPIENTS", "60000")))
    args = parser.parse_args(argv if argv is not None else [])
    from bench.campaign import run

    jarchi = run(["service_sms"], args.messages)[0].campaign
    print(f"jarchi service SMS: {jarchi.attempts:,} attempts in {jarchi.seconds:.1f} s = {jarchi.rate:,.0f}/s")
    jasmin = jasmin_rate(args.messages)
    ratio = jarchi.rate / jasmin
    print(
        f"same sitting: jarchi service SMS {jarchi.rate:,.0f} attempts/s, Jasmin {jasmin:,.0f} msg/s "
        f"(HTTP /send → SMPP, {CLIENTS} clients): jarchi / Jasmin = {ratio:.2f} (target ≥ 1)"
    )
    return 0 if ratio >= 1 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
