"""Replaying a call through the call script the way the SIP media application does: each answer's
`TransactionAttributes` go into the next event."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from jarchi.connectors.chime.config import ChimeConfig
from jarchi.connectors.chime.sma import Callbacks, CallScript, SmaAnswer, answer
from tests.connectors.events import load_event

SCRIPT = CallScript(ChimeConfig(sip_media_application_id="sma-1", caller_ids=("+13125550100",)), "jarchi-media")


def replay(
    steps: Sequence[tuple[str, float]],
    *,
    start: datetime,
    arguments: Mapping[str, str] | None = None,
    script: CallScript = SCRIPT,
    transaction_id: str | None = None,
    digits: str | None = None,
    callbacks: Callbacks | None = None,
) -> list[SmaAnswer]:
    """Feed `events/chime/<name>.json` at `start + seconds` for each (name, seconds); `arguments` replace the
    recorded ArgumentsMap, `transaction_id` the recorded call's, `digits` what the subscriber pressed."""
    attributes: dict[str, str] = {}
    answers = []
    for name, seconds in steps:
        event: dict[str, Any] = copy.deepcopy(load_event(f"chime/{name}"))
        if arguments is not None and name == "NEW_OUTBOUND_CALL":
            event["ActionData"]["Parameters"]["Arguments"] = dict(arguments)
        if attributes:
            event["CallDetails"]["TransactionAttributes"] = dict(attributes)
        if transaction_id is not None:
            event["CallDetails"]["TransactionId"] = transaction_id
        if digits is not None and "ReceivedDigits" in event.get("ActionData", {}):
            event["ActionData"]["ReceivedDigits"] = digits
        reply = answer(event, script, start + timedelta(seconds=seconds), callbacks)
        attributes = dict(reply.response.get("TransactionAttributes", attributes))
        answers.append(reply)
    return answers
