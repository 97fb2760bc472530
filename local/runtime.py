"""The local stand-ins for AWS's event sources, wired together (R-RUN-2).

Inside an already started `emulated_aws(settings)`: hooks moto's Lambda invoke and ASL Wait, deploys our
functions and the campaign state machine into moto, then runs the SQS pollers (dispatch, results) and the
scheduler loop as daemon threads. No business rules live here.

`dead_letters()` answers how many messages each DLQ holds (by logical name, e.g. `dispatch-dlq`); the
pollers also log a WARNING for every failed batch and every message sent towards a DLQ.

Fault injection, off by default: `deliver_twice=True` makes both SQS pollers hand every batch to their
function twice (a duplicate of every message, as SQS's at-least-once delivery may produce); see
`local.pollers`. `JARCHI_FAULTS` (a `local.faults` plan as JSON, validated by `start()`) wraps the named
ports' adapters in fault-injecting ones for the runtime's life.
"""

from __future__ import annotations

import logging
import os
from contextlib import ExitStack
from dataclasses import replace

from jarchi.resources import ALL_FUNCTIONS, QueueSpec
from jarchi.settings import Settings, reset_settings
from local.faults import InjectedFaults, injected, plan_from_env
from local.lambdas import deploy_functions, install_lambda_hook
from local.pollers import SqsPoller
from local.scheduler import LocalScheduler
from local.stepfunctions import deploy_state_machine, install_wait_hook, stop_executions

LOG = logging.getLogger(__name__)

STATE_MACHINE_ARN_ENV = "JARCHI_STATE_MACHINE_ARN"
# Locally a failed SQS message comes back after this many seconds instead of the queue's 120 s.
DEFAULT_FAILED_VISIBILITY_SECONDS = 5

# (queue, logical function name): one SQS poller per queue-triggered function of the registry.
EVENT_SOURCES: tuple[tuple[QueueSpec, str], ...] = tuple(
    (spec.queue, spec.name) for spec in ALL_FUNCTIONS if spec.queue is not None
)


class LocalRuntime:
    def __init__(
        self,
        settings: Settings,
        *,
        failed_visibility_seconds: int | None = DEFAULT_FAILED_VISIBILITY_SECONDS,
        run_pollers: bool = True,
        run_scheduler: bool = True,
        deliver_twice: bool = False,
        resuming: bool = False,
    ) -> None:
        self.settings = settings
        self.resuming = resuming  # restarted on a data folder: `local.recovery` runs before the pollers
        self.failed_visibility_seconds = failed_visibility_seconds
        self.deliver_twice = deliver_twice
        self.run_pollers = run_pollers
        self.run_scheduler = run_scheduler
        self.function_arns: dict[str, str] = {}
        self.state_machine_arn = ""
        self.pollers: list[SqsPoller] = []
        self.scheduler: LocalScheduler | None = None
        self._faults = ExitStack()
        self.faults: InjectedFaults | None = None  # what JARCHI_FAULTS installed (its log says what struck)

    def start(self) -> LocalRuntime:
        faults = plan_from_env()  # FaultPlanError names the variable and the key before anything starts
        install_lambda_hook()
        install_wait_hook()
        self.function_arns = deploy_functions(self.settings)
        self.state_machine_arn = deploy_state_machine(self.settings, self.function_arns)
        os.environ[STATE_MACHINE_ARN_ENV] = self.state_machine_arn
        reset_settings()
        self.settings = replace(self.settings, state_machine_arn=self.state_machine_arn)
        self.pollers = [
            SqsPoller(
                self.settings,
                queue,
                function,
                failed_visibility_seconds=self.failed_visibility_seconds,
                deliver_twice=self.deliver_twice,
            )
            for queue, function in EVENT_SOURCES
        ]
        self.scheduler = LocalScheduler(self.settings)
        if faults:
            self.faults = self._faults.enter_context(injected(faults))
            LOG.warning("fault injection on: %s", faults.as_json())
        if self.resuming:
            from local.recovery import recover

            recover(self.settings, failed_visibility_seconds=self.failed_visibility_seconds)
        if self.run_pollers:
            for poller in self.pollers:
                poller.start()
        if self.run_scheduler:
            self.scheduler.start()
        LOG.info("local runtime started; state machine %s", self.state_machine_arn)
        return self

    def dead_letters(self) -> dict[str, int]:
        """Messages held by each DLQ, by its logical name (`dispatch-dlq`, `results-dlq`)."""
        return {poller.queue.dlq_logical: poller.dead_letters() for poller in self.pollers}

    def stop(self, timeout_seconds: float = 5.0) -> None:
        for poller in self.pollers:
            poller.stop(timeout_seconds)
        if self.scheduler is not None:
            self.scheduler.stop(timeout_seconds)
        try:  # call stop() while moto is still running: moto's execution threads outlive mock_aws
            stop_executions(self.settings)
        except Exception:
            LOG.exception("could not stop the running executions")
        self._faults.close()
        LOG.info("local runtime stopped")

    def __enter__(self) -> LocalRuntime:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()
