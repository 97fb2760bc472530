"""Step Functions campaign workflow tasks: prepare | admit | reconcile | fail (`jarchi.campaigns.tasks`)."""

from __future__ import annotations

import gc

gc.disable()  # until `wiring.init_done()`, this module's last line (issue 10, cold start)

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.emf import count_all, counted
from jarchi import wiring
from jarchi.campaigns.tasks import run_task
from jarchi.configuration import check_configuration

wiring.install()
check_configuration()  # a bad setting stops the cold start with a message naming its key (R-RUN-6)
logger = Logger()
tracer = Tracer()


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@counted
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    logger.append_keys(campaign_id=event.get("campaign_id"), task=event.get("task"))
    answer, counts = run_task(event)
    count_all(counts)
    return answer


wiring.init_done()
