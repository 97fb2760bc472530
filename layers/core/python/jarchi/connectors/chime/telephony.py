"""The SIP media application's Lambda, behind its thin handler (`functions/telephony`): the deployment's
call script, the answer to one event, and the result sent to `connector-events` at HANGUP."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import cache
from typing import Any

from jarchi import clock
from jarchi.connectors.chime.config import ChimeConfig
from jarchi.connectors.chime.sma import CallScript, answer
from jarchi.connectors.sections import connector_section
from jarchi.ports import MessageQueue, resolve
from jarchi.resources import CONNECTOR_EVENTS_QUEUE, MEDIA_BUCKET, RECORDINGS_BUCKET
from jarchi.results.callbacks import answer_callback
from jarchi.settings import get_settings


@cache
def _script(connector_config: str | None, media_bucket: str, recordings_bucket: str) -> CallScript:
    config = ChimeConfig.model_validate(connector_section(connector_config, "chime"))
    return CallScript(config, media_bucket, recordings_bucket)


def call_script() -> CallScript:
    settings = get_settings()
    return _script(
        settings.connector_config,
        settings.bucket_name(MEDIA_BUCKET.logical),
        settings.bucket_name(RECORDINGS_BUCKET.logical),
    )


def handle_sma_event(
    event: Mapping[str, Any], *, queue: MessageQueue | None = None, now: datetime | None = None
) -> dict[str, Any]:
    """The actions for one SIP media application event; at HANGUP the result is sent on first (a failed send
    raises, and the invocation fails rather than losing the result)."""
    reply = answer(event, call_script(), now or clock.now(), answer_callback)
    reports = [r.to_message("chime") for r in (reply.report, reply.callback) if r is not None]
    if reports:
        (queue or resolve(MessageQueue)).send(CONNECTOR_EVENTS_QUEUE, reports)
    return reply.response
