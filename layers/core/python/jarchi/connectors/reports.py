"""What arrives on the `connector-events` queue, read back as provider reports.

Three shapes: an End User Messaging event (from its SNS topic: raw message delivery, or the SNS envelope with
the event as `Message`), and the messages our own telephony handler and HTTPS callback route send
(`ProviderReport.to_message`, `{"source", "event_id", "result"}`). Anything else is not ours to read: it is
answered `None` (and counted by the handler), never retried into the DLQ.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from typing import Any

from jarchi.attempts import is_final
from jarchi.connectors.callbacks import Forwarded, ProviderReport, forward_reports
from jarchi.connectors.end_user_messaging import events as eum
from jarchi.results.callbacks import CallbackReport, book_callback


def report_from_body(body: Mapping[str, Any]) -> ProviderReport | None:
    if body.get("Type") == "Notification" and isinstance(body.get("Message"), str):
        inner = json.loads(body["Message"])
        return report_from_body(inner) if isinstance(inner, Mapping) else None
    if eum.is_event(body):
        return eum.report_from_event(body)
    if "event_id" in body and "result" in body:
        return ProviderReport.from_message(body)
    return None


def forward_bodies(bodies: list[str]) -> Forwarded:
    """Read each queue message body and forward the final reports (`jarchi.connectors.callbacks`); book the
    inbound callbacks (R-OUT-4, `jarchi.results.callbacks`), each once; a body that is not JSON or not a
    report counts as ignored."""
    reports: list[ProviderReport] = []
    unreadable = 0
    for raw in bodies:
        try:
            body = json.loads(raw)
        except json.JSONDecodeError:
            unreadable += 1
            continue
        if isinstance(body, Mapping) and "callback" in body:
            book_callback(CallbackReport.from_message(body))
            continue
        report = report_from_body(body) if isinstance(body, Mapping) else None
        if report is None:
            unreadable += 1
        else:
            reports.append(report)
    forwarded = forward_reports(reports)
    reported = Counter((r.result.connector, str(r.result.outcome)) for r in reports if is_final(r.result.outcome))
    return Forwarded(forwarded.sent, forwarded.resent, ignored=forwarded.ignored + unreadable, reported=reported)
