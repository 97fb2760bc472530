"""Local-only: the simulator's subscriber calls a caller ID back (R-OUT-4). Never part of the cloud API: the
stack does not route it (in the cloud, the SIP media application's NEW_INBOUND_CALL does this)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import Field

from functions.api.auth import current_caller
from functions.api.schemas.common import Request, Shape
from jarchi.accounts.access import require_admin
from jarchi.connectors.simulator import originate_inbound_call
from jarchi.ids import new_id

router = Router()


class InboundCallBody(Request):
    number: Annotated[str, Field(pattern=r"^\+[1-9]\d{6,14}$", examples=["+989121234567"])]
    seconds: Annotated[int, Field(ge=0, le=3600)] = 30
    # The number dialled: the caller ID the subscriber saw (R-DSP-5); unset, the newest call to them answers.
    caller_id: Annotated[str | None, Field(pattern=r"^\+[1-9]\d{6,14}$", examples=["+982191001000"])] = None


class InboundCallOut(Shape):
    id: str
    outcome: str  # connected | refused
    campaign_id: str | None
    bridged_to: str | None  # connected to the campaign's callback bridge, not its message (R-OUT-4)


@router.post("/local/inbound-calls", status_code=201, tags=["local"], summary="A subscriber calls back (admin)")
def inbound_call(body: InboundCallBody) -> InboundCallOut:
    require_admin(current_caller())
    call_id = new_id("in")
    answer = originate_inbound_call(body.number, body.seconds, event_id=call_id, dialled=body.caller_id)
    connected = answer.outcome.value == "connected"
    return InboundCallOut(
        id=call_id,
        outcome=answer.outcome.value,
        campaign_id=answer.campaign_id,
        bridged_to=answer.bridge_to if connected else None,
    )
