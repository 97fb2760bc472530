"""Cold start per function against a bare Powertools handler, in one run (R-OPS, issue 10: goal ≤ 1.5×).

A function's cold start is measured in two fresh interpreters and added up:
- **import**: a clean interpreter imports the function's handler module (the wiring, the configuration check,
  whatever the module pulls in at load), as the Lambda runtime's init does;
- **first invocation**: another interpreter starts moto in-process with every table, queue and bucket (untimed,
  like the import there), drops boto3's default session so no client or service model is reused, then times the
  handler's first call with a typical event of its trigger (an API request, an SQS batch, a state-machine task,
  a SIP media application event, the schedule's tick). That call pays what the lazy imports moved out of the
  import (the adapters, pynamodb, the AWS clients and their service models) and its first requests to moto.
The baseline is a module with a Powertools `Logger`, `Tracer` and a decorated handler, imported and invoked
once in a clean interpreter, sampled in turn with each function's two. Each figure is the interpreter's CPU
time (`time.process_time`), not wall time: on this shared 2-core machine the wall clock mostly measures the
other processes. Medians of `RUNS` turns; the ratio is (import + first invocation) / baseline. What it does not
include: the Lambda runtime's own init and the network (moto answers in-process, on the same CPU clock).
Every module is imported from bytecode (written by an untimed first turn), as from a deployment that ships
it. `COLD_START_FUNCTIONS=api,dispatch` limits the run to those functions, `COLD_START_RUNS=3` the turns.

`api_signed_in` is the API once more with a first request that the front door admits: `GET /v1/campaigns` with
a valid token (the API's own figure is a refused request, 401, as in the earlier passes). Its token and account are
made in another interpreter and written into this one's tables with the client that created them, so the timed
call pays every import and client of its own.

Each row ends with the one-minute load average when it was done; the last lines give the baseline's samples over
the whole run (median and range): a row's ratio is against its own baseline, which moves with the load.

`python -m bench cold_start` (or `python bench/cold_start.py`); exits 0 when every ratio is ≤ 1.5.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any, Final

ROOT: Final = Path(__file__).resolve().parents[1]
RUNS: Final = int(os.environ.get("COLD_START_RUNS", "5"))
# Bytecode for every module, ours and the site-packages', written by a first untimed turn: the Lambda deployment
# ships compiled modules, so compiling our sources must not count (this shell sets PYTHONDONTWRITEBYTECODE).
PYCACHE: Final = ROOT / "bench" / "out" / "pycache"
GOAL: Final = 1.5

_BARE: Final = """
import time
start = time.process_time()
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
print(time.process_time() - start)
"""

_FUNCTION: Final = """
import importlib, time
start = time.process_time()
importlib.import_module({module!r})
print(time.process_time() - start)
"""

# The handler's first call, against moto: everything before `start` is set-up the Lambda would not pay here.
_FIRST_INVOCATION: Final = """
import importlib, json, time
import boto3
from bench.cold_start import first_event
from jarchi.settings import get_settings
from local.emulator import emulated_aws
from local.functions import make_context

with emulated_aws(get_settings()):
    seed = {seed!r}
    if seed:
        dynamodb = boto3.client("dynamodb", region_name=get_settings().region)  # as the emulator made its tables
        for table, items in json.loads(seed)["tables"].items():
            for item in items:
                dynamodb.put_item(TableName=table, Item=item)
    boto3.DEFAULT_SESSION = None
    module = importlib.import_module({module!r})
    event, context = first_event({name!r}, seed), make_context({function!r}, region=get_settings().region)
    start = time.process_time()
    try:
        module.handler(event, context)
    except Exception as error:  # a task about an unknown campaign fails after its reads: still a first call
        print(type(error).__name__)
    print(time.process_time() - start)
"""


def _sqs(*bodies: dict[str, Any]) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": f"m-{index}",
                "receiptHandle": f"r-{index}",
                "body": json.dumps(body),
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:eu-central-1:123456789012:jarchi-bench",
                "awsRegion": "eu-central-1",
            }
            for index, body in enumerate(bodies)
        ]
    }


def _recorded(path: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((ROOT / "events" / f"{path}.json").read_text(encoding="utf-8"))
    return event


# A signed-in platform for `api_signed_in`: the admin account and a token, as DynamoDB items.
_SEED: Final = """
import json, boto3
from jarchi.settings import get_settings
from local.emulator import emulated_aws
from jarchi import wiring
from local.seed import seed_admin

wiring.install()
with emulated_aws(get_settings()):
    secret = seed_admin().secret
    dynamodb = boto3.client("dynamodb", region_name=get_settings().region)
    tables = {name: dynamodb.scan(TableName=name)["Items"] for name in dynamodb.list_tables()["TableNames"]}
    print(json.dumps({"secret": secret, "tables": {name: items for name, items in tables.items() if items}}))
"""


def first_event(function: str, seed: str = "") -> dict[str, Any]:
    """A typical first event of each function's trigger (none of them needs data to exist beforehand but
    `api_signed_in`'s, whose token `seed` holds)."""
    from local.apigateway import HttpRequest, proxy_event

    attempt = {
        "attempt_id": "att-bench-1",
        "campaign_id": "cmp-bench",
        "account_id": "acc-bench",
        "channel": "sms",
        "category": "service",
        "number": "+989121234567",
        "sms_text": "Your code is 1234",
        "sender": "Jarchi",
    }
    events: dict[str, Any] = {
        # A well-formed unknown token: the resolver, the token lookup in DynamoDB, answered 401.
        "api": proxy_event(
            HttpRequest("GET", "/v1/campaigns", headers={"authorization": "Bearer jk_" + "b" * 43}), stage="api"
        ),
        # A signed-in first request: the door, the campaigns' routers and schemas, a DynamoDB query, 200.
        "api_signed_in": proxy_event(
            HttpRequest(
                "GET", "/v1/campaigns", headers={"authorization": f"Bearer {json.loads(seed or '{}').get('secret')}"}
            ),
            stage="api",
        ),
        # A REQUEST authorizer's event for the same unknown token: one lookup, Deny.
        "authorizer": {
            "type": "REQUEST",
            "methodArn": "arn:aws:execute-api:eu-central-1:123456789012:api-id/api/GET/v1/campaigns",
            "headers": {"authorization": "Bearer jk_" + "b" * 43},
        },
        "workflow": {"task": "prepare", "campaign_id": "cmp-bench", "run": 1, "execution_arn": "arn:bench"},
        "dispatch": _sqs({"batch_id": "batch-bench-1", "campaign_id": "cmp-bench", "attempts": [attempt]}),
        "results": _sqs({"batch_id": "batch-bench-1", "campaign_id": "cmp-bench", "results": []}),
        "connector_events": _sqs(_recorded("end_user_messaging/TEXT_DELIVERED")),
        "telephony": _recorded("chime/NEW_OUTBOUND_CALL"),
        "domains": {"source": "aws.scheduler", "detail-type": "Scheduled Event", "detail": {}},
        "exports": _sqs({"export_id": "exp-bench"}),
        "imports": _sqs({"import_id": "imp-bench"}),
        "webhooks": _sqs({"account_id": "acc-bench", "webhook_id": "wh-bench", "due_at": "2026-01-01T00:00:00+00:00"}),
    }
    event: dict[str, Any] = events.get(function, {})
    return event


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(
        PYTHONPYCACHEPREFIX=str(PYCACHE),
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


def _seed() -> str:
    done = subprocess.run([sys.executable, "-c", _SEED], capture_output=True, text=True, env=_environment(), check=True)
    return done.stdout.strip().splitlines()[-1]


def _function(module: str, name: str) -> tuple[list[float], float, float]:
    """The baseline's samples and the medians of (import, first invocation), sampled in turns so that the
    machine's load, which changes over a run, weighs on the three alike."""
    seed = _seed() if name == "api_signed_in" else ""
    function = "api" if name == "api_signed_in" else name
    first_call = _FIRST_INVOCATION.format(module=module, name=name, seed=seed, function=function)
    for code in (_BARE, _FUNCTION.format(module=module), first_call):
        _sample(code)  # the untimed turn that writes the bytecode
    samples = [
        (
            _sample(_BARE),
            _sample(_FUNCTION.format(module=module)),
            _sample(first_call),
        )
        for _ in range(RUNS)
    ]
    bares, imported, first = (list(column) for column in zip(*samples, strict=True))
    return bares, statistics.median(imported), statistics.median(first)


def main() -> int:
    from jarchi.resources import ALL_FUNCTIONS

    wanted = set(os.environ.get("COLD_START_FUNCTIONS", "").split(",")) - {""}
    print(f"CPU seconds of each fresh interpreter, medians of {RUNS} turns (baseline, import, first invocation)")
    print(f"{'function':>18}  {'bare':>7}  {'import':>7}  {'1st call':>8}  {'total':>7}  ratio  load")
    worst = 0.0
    every_bare: list[float] = []
    measured = [(function.name, function.module) for function in ALL_FUNCTIONS]
    measured.insert(1, ("api_signed_in", next(module for name, module in measured if name == "api")))
    for name, module in measured:
        if wanted and name not in wanted:
            continue
        bares, imported, first = _function(module, name)
        every_bare += bares
        bare = statistics.median(bares)
        ratio = (imported + first) / bare
        worst = max(worst, ratio)
        print(
            f"{name:>18}  {bare * 1000:4.0f} ms  {imported * 1000:4.0f} ms  {first * 1000:5.0f} ms  "
            f"{(imported + first) * 1000:4.0f} ms  {ratio:4.2f}x  {os.getloadavg()[0]:4.1f}",
            flush=True,
        )
    if every_bare:  # how much the baseline itself moved over the run (each ratio is against its own row's)
        print(
            f"bare handler over the run: median {statistics.median(every_bare) * 1000:.0f} ms, "
            f"{min(every_bare) * 1000:.0f}–{max(every_bare) * 1000:.0f} ms in {len(every_bare)} samples"
        )
    print(f"worst ratio {worst:.2f}x (goal ≤ {GOAL}x)")
    return 0 if worst <= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
