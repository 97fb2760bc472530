"""The white-label domains' background step (R-ACC-6): every few minutes (an EventBridge rule), each
`pending_validation` domain becomes `active` once ACM has issued its certificate (custom domain, base-path
mapping and alias records made), or `failed` when ACM gives up or after 72 h on the platform clock."""

from __future__ import annotations

import gc

gc.disable()  # until `wiring.init_done()`, this module's last line (issue 10, cold start)

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.emf import counted
from jarchi import wiring
from jarchi.configuration import check_configuration
from jarchi.domains.service import refresh_pending

wiring.install()
check_configuration()  # a bad setting stops the cold start with a message naming its key (R-RUN-6)
logger = Logger()
tracer = Tracer()


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@counted
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    counts = refresh_pending()
    logger.info("pending domains looked at", extra=counts)
    return counts


wiring.init_done()
