"""`python -m local` as its own process on a free port, started and stopped as a user would, and called over
HTTP (the durability and API worker tests)."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 120
STOP_SECONDS = 240  # a clean stop finishes the batches in hand first (slow on a loaded machine)


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
    settings: dict[str, str] = field(default_factory=dict)  # JARCHI_* settings beyond the data folder
    arguments: tuple[str, ...] = ()  # `python -m local`'s, beyond the port
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
                **self.settings,
            }
        )
        self.process = subprocess.Popen(
            [sys.executable, "-m", "local", "--port", str(self.port), *self.arguments],
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
