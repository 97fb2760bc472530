"""EventBridge Scheduler, fired on the local clock.

Schedules are created with the real `scheduler` API (moto stores them but never fires them). This loop
lists the schedules, and fires every ENABLED one-time schedule (`at(yyyy-mm-ddThh:mm:ss)` in its
`ScheduleExpressionTimezone`) whose instant `jarchi.clock.now()` has reached, once:

- target `arn:aws:states:...:stateMachine:...`: StartExecution with the target's Input;
- target `arn:aws:lambda:...`: an asynchronous Invoke with the Input;
- target `arn:aws:sqs:...`: SendMessage with the Input.

After firing, a schedule with ActionAfterCompletion=DELETE is deleted (as AWS does); any other is
remembered (by ARN and last modification) so it never fires twice. Recurring `rate()`/`cron()`
schedules are not fired locally (the platform uses one-time schedules only).

The loop does not ask moto every tick: it lists the schedules again only when a scheduler request that may
have changed them passed the emulator (`local.emulator.scheduler_changes_so_far`) or when the earliest
instant it knows of has come; in between it only reads the clock (a poll of ListSchedules every 0.1 s
competed with the campaign's hot path for the interpreter and the emulator).
"""

from __future__ import annotations

import logging
import re
import threading
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import boto3

from jarchi.clock import now as clock_now
from jarchi.settings import Settings
from local.emulator import scheduler_changes_so_far

if TYPE_CHECKING:
    from mypy_boto3_scheduler.client import EventBridgeSchedulerClient
    from mypy_boto3_scheduler.type_defs import GetScheduleOutputTypeDef

LOG = logging.getLogger(__name__)

_AT = re.compile(r"^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$")
POLL_SECONDS = 0.1

# schedules already fired and kept (ActionAfterCompletion NONE): (ARN, LastModificationDate)
_fired: set[tuple[str, str]] = set()
_fire_lock = threading.Lock()  # the loop and a test may both fire


def one_time_instant(expression: str, timezone: str | None) -> datetime | None:
    """The instant of an `at(...)` expression in its time zone; None for rate()/cron()."""
    match = _AT.match(expression.strip())
    if match is None:
        return None
    return datetime.fromisoformat(match.group(1)).replace(tzinfo=ZoneInfo(timezone or "UTC"))


class LocalScheduler:
    def __init__(self, settings: Settings, *, poll_seconds: float = POLL_SECONDS) -> None:
        self.settings = settings
        self.poll_seconds = poll_seconds
        self._client: EventBridgeSchedulerClient = boto3.client("scheduler", region_name=settings.region)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._next_due: datetime | None = None  # the earliest instant of an unfired schedule at the last listing

    def _schedules(self) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        for page in self._client.get_paginator("list_schedules").paginate(State="ENABLED"):
            found.extend((item["GroupName"], item["Name"]) for item in page["Schedules"])
        return found

    def fire_due_schedules(self, now: datetime | None = None) -> int:
        """Fire every one-time schedule due at `now` (default: the local clock); answer how many fired."""
        moment = now if now is not None else clock_now()
        fired = 0
        next_due: datetime | None = None
        with _fire_lock:
            for group, name in self._schedules():
                try:
                    schedule = self._client.get_schedule(GroupName=group, Name=name)
                except self._client.exceptions.ResourceNotFoundException:
                    continue  # deleted since it was listed
                key = (schedule["Arn"], str(schedule.get("LastModificationDate", "")))
                instant = one_time_instant(schedule["ScheduleExpression"], schedule.get("ScheduleExpressionTimezone"))
                if instant is not None and instant > moment and key not in _fired:
                    next_due = instant if next_due is None else min(next_due, instant)
                if instant is None or instant > moment or key in _fired:
                    continue
                try:
                    self._fire(schedule)
                    fired += 1
                except Exception:  # AWS would retry and then dead-letter: locally, log and drop
                    LOG.exception("schedule %s could not fire its target; dropped", name)
                if schedule.get("ActionAfterCompletion") == "DELETE":
                    self._client.delete_schedule(GroupName=group, Name=name)
                else:
                    _fired.add(key)
            self._next_due = next_due
        return fired

    def _fire(self, schedule: GetScheduleOutputTypeDef) -> None:
        target = schedule["Target"]
        arn = target["Arn"]
        payload = target.get("Input", "{}")
        LOG.info("firing schedule %s -> %s", schedule["Name"], arn)
        if arn.startswith("arn:aws:states:"):
            sfn: Any = boto3.client("stepfunctions", region_name=self.settings.region)
            # EventBridge Scheduler names each execution it starts; moto's ASL engine would name it "None"
            # (so a second schedule's start collides with the first).
            sfn.start_execution(stateMachineArn=arn, name=uuid.uuid4().hex, input=payload)
        elif arn.startswith("arn:aws:lambda:"):
            lambda_client: Any = boto3.client("lambda", region_name=self.settings.region)
            lambda_client.invoke(FunctionName=arn, InvocationType="Event", Payload=payload.encode())
        elif arn.startswith("arn:aws:sqs:"):
            sqs: Any = boto3.client("sqs", region_name=self.settings.region)
            queue_name = arn.rsplit(":", 1)[-1]
            sqs.send_message(QueueUrl=sqs.get_queue_url(QueueName=queue_name)["QueueUrl"], MessageBody=payload)
        else:
            LOG.warning("schedule %s has a target the local scheduler cannot fire: %s", schedule["Name"], arn)

    def _loop(self) -> None:
        seen_changes: int | None = None
        while not self._stop.is_set():
            changes = scheduler_changes_so_far()
            due = self._next_due is not None and clock_now() >= self._next_due
            if changes != seen_changes or due:
                seen_changes = changes  # read before listing: a change made meanwhile lists again
                try:
                    self.fire_due_schedules()
                except Exception:
                    LOG.exception("local scheduler failed to fire due schedules")
                    seen_changes = None
            self._stop.wait(self.poll_seconds)

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="local-scheduler", daemon=True)
        self._thread.start()

    def stop(self, timeout_seconds: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_seconds)
            if self._thread.is_alive():
                LOG.warning("local scheduler did not stop within %s s", timeout_seconds)
            self._thread = None


def fire_due_schedules(settings: Settings, now: datetime | None = None) -> int:
    """One pass of the scheduler loop (for tests and scripts)."""
    return LocalScheduler(settings).fire_due_schedules(now)
