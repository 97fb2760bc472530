"""The Chime SDK SIP media application's Lambda: each call event in, the call's next actions out; at HANGUP
the attempt's result goes to the results path (`jarchi.connectors.chime.sma` is the call script)."""

from __future__ import annotations

import gc

gc.disable()  # until `wiring.init_done()`, this module's last line (issue 10, cold start)

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.emf import count, counted
from jarchi import wiring
from jarchi.configuration import check_configuration
from jarchi.connectors.chime.telephony import handle_sma_event
from jarchi.metrics import Metric

wiring.install()
check_configuration()  # a bad setting stops the cold start with a message naming its key (R-RUN-6)
logger = Logger()
tracer = Tracer()


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@counted
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    logger.append_keys(
        invocation=event.get("InvocationEventType"),
        transaction_id=(event.get("CallDetails") or {}).get("TransactionId"),
    )
    if event.get("InvocationEventType") == "NEW_INBOUND_CALL":
        count(Metric.INBOUND_CALLS)
    return handle_sma_event(event)


wiring.init_done()
