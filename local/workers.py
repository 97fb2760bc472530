"""API worker processes: the local server's answers on more than one core (issue 14).

One Python interpreter runs one request's CPU at a time, so on one interpreter concurrent API clients wait for
each other's CPU. With workers, the main process (`python -m local`) keeps HTTP, the emulated AWS, the pollers,
the workflow and the data folder, and hands each API request to a worker process, as API Gateway hands a request
to a Lambda container: each worker serves one request at a time, and its AWS calls (botocore's prepared requests)
come back to the main process over the same channel, where they go through the emulator exactly as an in-process
call does (its lock, the durability journal, moto). So the state stays in one place, and a worker keeps only what
a warm Lambda container keeps (its imports and memos).

- **The clock:** each request carries the main process's local clock (its instant and whether it ticks); the
  worker reads that for the request. `/v1/local/...` (which moves the clock) is served by the main process.
- **A token stays with one worker** (the first free one it met, kept while recently used), so the API's per-token
  rate limit, kept in the API's memory as each Lambda container keeps it, counts every request of the token.
- **A worker that dies** is started again; a request it held is answered 503 `worker_restarted` (one that
  comes after goes to its successor).

Protocol on each worker's socket (`multiprocessing.connection` messages, pickled tuples):
main → worker `("request", HttpRequest, now, ticking)`, worker → main `("aws", event, method, url, headers, body)`
answered by `("aws", status, headers, body)`, and at last worker → main `("answer", HttpResponse)`.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import traceback
import warnings
from collections.abc import Callable, Iterator
from itertools import count
from multiprocessing.connection import Connection
from typing import Any, Final

from jarchi.clock import LocalClock, get_clock
from jarchi.memo import LeastRecentlyUsed
from local.apigateway import HttpRequest, HttpResponse

LOG = logging.getLogger(__name__)

READY_SECONDS: Final = 120.0  # a worker's start: its imports, on a loaded machine
STOP_SECONDS: Final = 10.0
REMEMBERED_TOKENS: Final = 10_000
MAIN_PROCESS_PREFIX: Final = "/v1/local/"
RESTARTED: Final = json.dumps(
    {"error": {"code": "worker_restarted", "message": "the API worker serving this request stopped; try again"}}
).encode()

AwsAnswer = tuple[int, list[tuple[str, str]], bytes]
ServeAws = Callable[[str, str, str, list[tuple[str, str]], bytes], AwsAnswer]


class WorkerStopped(Exception):
    """The worker process ended while it held a request."""


class ApiWorker:
    """The main process's end of one worker: its process and channel; one request at a time."""

    def __init__(self, number: int, environment: dict[str, str]) -> None:
        self.number = number
        self.lock = threading.Lock()
        ours, theirs = socket.socketpair()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "local.workers", str(theirs.fileno())],
            pass_fds=(theirs.fileno(),),
            env=environment,
        )
        theirs.close()
        self.channel = Connection(ours.detach())

    def wait_ready(self, timeout: float) -> None:
        if not self.channel.poll(timeout):
            raise RuntimeError(f"API worker {self.number} did not start within {timeout:.0f} s")
        if self.channel.recv() != ("ready",):
            raise RuntimeError(f"API worker {self.number} did not start")

    def serve(self, request: HttpRequest, serve_aws: ServeAws) -> HttpResponse:
        clock = get_clock()
        ticking = clock.ticking if isinstance(clock, LocalClock) else True
        try:
            self.channel.send(("request", request, clock.now(), ticking))
            while True:
                message = self.channel.recv()
                if message[0] == "aws":
                    self.channel.send(("aws", *serve_aws(*message[1:])))
                elif message[0] == "answer":
                    response: HttpResponse = message[1]
                    return response
                else:  # ("failed", traceback): the handler raised, as it would have in-process
                    raise RuntimeError(f"API worker {self.number} failed:\n{message[1]}")
        except (EOFError, OSError) as error:
            raise WorkerStopped from error

    def stop(self) -> None:
        with contextlib.suppress(OSError):  # it may be gone already
            self.channel.send(None)
        try:
            self.process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.channel.close()


class ApiWorkers:
    """The pool: `serve(request)` answers an API request in a worker (or in this process for `/v1/local/`)."""

    def __init__(self, size: int, serve_aws: ServeAws, serve_here: Callable[[HttpRequest], HttpResponse]) -> None:
        if size < 1:
            raise ValueError("an API worker pool needs at least one worker")
        self.size = size
        self._serve_aws = serve_aws
        self._serve_here = serve_here
        self._workers: list[ApiWorker] = []
        self._tokens: LeastRecentlyUsed[str, int] = LeastRecentlyUsed(REMEMBERED_TOKENS)
        self._turn = count()
        self._restart_lock = threading.Lock()

    def start(self) -> ApiWorkers:
        environment = dict(os.environ)
        self._workers = [ApiWorker(number, environment) for number in range(self.size)]
        for worker in self._workers:
            worker.wait_ready(READY_SECONDS)
        return self

    def stop(self) -> None:
        for worker in self._workers:
            worker.stop()

    @property
    def pids(self) -> list[int]:
        return [worker.process.pid for worker in self._workers]

    def serve(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(MAIN_PROCESS_PREFIX):
            return self._serve_here(request)
        worker = self._worker_for(request)
        with worker.lock:
            if worker.process.poll() is not None:  # it ended between requests: this one goes to its successor
                LOG.error("API worker %d had stopped (exit %s)", worker.number, worker.process.returncode)
                self._restart(worker)
            try:
                return worker.serve(request, self._serve_aws)
            except WorkerStopped:
                LOG.error("API worker %d stopped while serving %s %s", worker.number, request.method, request.path)
                self._restart(worker)
                return HttpResponse(503, {"content-type": "application/json", "retry-after": "1"}, RESTARTED)

    def _worker_for(self, request: HttpRequest) -> ApiWorker:
        token = request.headers.get("authorization")
        if token is None:
            return self._workers[next(self._turn) % self.size]
        number = self._tokens.get(token)
        if number is None:
            idle = [w.number for w in self._workers if not w.lock.locked()]
            number = idle[0] if idle else next(self._turn) % self.size
            self._tokens.put(token, number)
        return self._workers[number]

    def _restart(self, worker: ApiWorker) -> None:
        with self._restart_lock:
            worker.stop()
            fresh = ApiWorker(worker.number, dict(os.environ))
            fresh.wait_ready(READY_SECONDS)
            worker.process, worker.channel = fresh.process, fresh.channel


def emulator_call(event_name: str, method: str, url: str, headers: list[tuple[str, str]], body: bytes) -> AwsAnswer:
    """A worker's AWS request, applied by this process's emulator as an in-process call is (`ServeAws`)."""
    from botocore.awsrequest import AWSPreparedRequest
    from botocore.compat import HTTPHeaders
    from moto.core.models import botocore_stubber

    from local.dynamo_responses import answers_as_text

    request_headers = HTTPHeaders()
    for key, value in headers:
        request_headers[key] = value
    request = AWSPreparedRequest(method, url, request_headers, body, stream_output=False)
    try:
        with answers_as_text():
            response = botocore_stubber(event_name, request)
    except Exception:  # moto raised instead of answering: the service's own 500, as AWS would answer
        LOG.exception("the emulator failed on a worker's %s", event_name)
        response = None
        failure = (500, "InternalServerError", "the emulator failed on this request")
    else:
        failure = (501, "NotImplemented", f"the emulator does not serve {event_name}")
    if response is None:
        status, code, message = failure
        error = json.dumps({"__type": code, "message": message}).encode()
        return status, [("Content-Type", "application/x-amz-json-1.0")], error
    return response.status_code, list(response.headers.items()), response.content


# --- the worker's side ---


class _Body(io.BytesIO):
    """A response body botocore reads as it reads a socket's (moto's `MockRawResponse` does the same)."""

    def stream(self, **_: Any) -> Iterator[bytes]:
        contents = self.read()
        while contents:
            yield contents
            contents = self.read()


def _forwarding(channel: Connection) -> Callable[..., Any]:
    from botocore.awsrequest import AWSResponse
    from botocore.compat import HTTPHeaders

    def forward(event_name: str, request: Any, **_: Any) -> AWSResponse:
        body = request.body
        if hasattr(body, "read"):
            body = body.read()
        if isinstance(body, str):
            body = body.encode()
        channel.send(("aws", event_name, request.method, request.url, list(request.headers.items()), body or b""))
        _, status, headers, content = channel.recv()
        answer_headers = HTTPHeaders()
        for key, value in headers:
            answer_headers[key] = value
        return AWSResponse(request.url, status, answer_headers, _Body(content))

    return forward


def run_worker(channel: Connection) -> None:
    """Serve requests until the main process says stop (or goes away)."""
    import botocore.handlers

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the main process stops us

    from jarchi.clock import use_clock
    from local import dynamo_responses
    from local.emulator import set_fake_credentials, skip_signing_emulated_dynamodb

    # before any botocore client exists: every AWS call of this process goes to the main process's emulator
    botocore.handlers.BUILTIN_HANDLERS.append(("before-send", _forwarding(channel)))
    skip_signing_emulated_dynamodb()
    dynamo_responses.install()  # its botocore half: attribute values parsed directly
    from jarchi.settings import get_settings

    settings = get_settings()
    set_fake_credentials(settings.region)
    from local.server import invoke_handler

    channel.send(("ready",))
    while True:
        try:
            message = channel.recv()
        except EOFError:
            return
        if message is None:
            return
        _, request, now, ticking = message
        use_clock(LocalClock(now, ticking=ticking))
        try:
            response = invoke_handler(request)
        except Exception:
            channel.send(("failed", traceback.format_exc()))
        else:
            channel.send(("answer", response))


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    run_worker(Connection(int(sys.argv[1])))
