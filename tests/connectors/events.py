"""Recorded provider events under events/ (End User Messaging, the Chime SIP media application)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

EVENTS = Path(__file__).resolve().parents[2] / "events"


def load_event(path: str) -> dict[str, Any]:
    """`events/<path>.json` as a dict."""
    event: dict[str, Any] = json.loads((EVENTS / f"{path}.json").read_text(encoding="utf-8"))
    return event


def event_names(folder: str) -> list[str]:
    return sorted(p.stem for p in (EVENTS / folder).glob("*.json"))


def sqs_event(*bodies: str) -> dict[str, Any]:
    """An SQS Lambda event carrying these message bodies."""
    return {
        "Records": [
            {
                "messageId": f"m-{index}",
                "receiptHandle": f"r-{index}",
                "body": body,
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:eu-central-1:123456789012:jarchi-test-connector-events",
                "awsRegion": "eu-central-1",
            }
            for index, body in enumerate(bodies)
        ]
    }
