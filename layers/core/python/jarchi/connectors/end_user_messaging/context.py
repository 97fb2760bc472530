"""The keys the End User Messaging connector writes into a message's `Context`, which every delivery event
brings back (`jarchi.connectors.end_user_messaging.events`). Apart from the connector so that the events'
function loads neither the connector nor its pydantic configuration (issue 10, cold start)."""

from __future__ import annotations

from typing import Final

CONNECTOR_NAME: Final = "end_user_messaging"
CAMPAIGN_KEY: Final = "jarchi_campaign"
ATTEMPT_KEY: Final = "jarchi_attempt"
UNITS_KEY: Final = "jarchi_units"
SECONDS_KEY: Final = "jarchi_seconds"  # a call's message length: an answered call listened to all of it
CALLER_ID_KEY: Final = "jarchi_caller_id"  # the campaign's pool number the call goes out from (R-DSP-5)
ROUTE_SLOT_KEY: Final = "jarchi_route_slot"  # the fixed line's route slot its result gives back (R-DSP-3)
SPOKEN_KEY: Final = "jarchi_spoken"  # the language a call was spoken in
