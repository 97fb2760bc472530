"""Signed callbacks from the generic HTTPS provider (R-DSP-4). Public of the bearer token: the HMAC signature
over the raw body, within a 5-minute replay window, is the credential (`jarchi.connectors.https.events`)."""

from __future__ import annotations

import json

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router

from jarchi.connectors.https.events import https_config, receive_callback
from jarchi.signing import HEADER

router = Router()
EVENTS_PATH = "/connectors/https/events"


# Not in the OpenAPI document: the caller is the provider, not an API client (docs/deploy.md describes it).
@router.post(EVENTS_PATH, include_in_schema=False)
def provider_event() -> Response[str]:
    request = router.current_event
    signature = next((v for k, v in request.headers.items() if k.lower() == HEADER.lower()), None)
    event = receive_callback((request.decoded_body or "").encode(), signature, https_config())
    body = json.dumps({"event_id": event.event_id, "status": "accepted"})
    return Response(status_code=202, content_type=content_types.APPLICATION_JSON, body=body)
