"""The campaign view and the recipient's story (R-REP-2, R-REP-3, SPEC §14): the seed's statistics (leads from
votes), speed configured vs achieved, units sent, local times with `?tz=account`, a presigned URL to listen to
the message, recipients filtered by status and vote, and each recipient's timeline."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
import requests

from jarchi.attempts import VOTE_KEYS
from jarchi.clock import LocalClock
from jarchi.connectors.simulator import SimulatorConfig
from local.runtime import LocalRuntime
from tests.api import Api, assert_error
from tests.campaign_harness import Customer, create, new_customer, recording_connector, run_to_end

VOTED, SILENT, BUSY = "+989120000051", "+989120000052", "+989120000053"
OVERRIDES: dict[str, Any] = {
    VOTED: {"outcome": "answered", "digits": "2", "listened_seconds": 600},
    SILENT: {"outcome": "answered", "listened_seconds": 600},
    BUSY: "busy",
}


@pytest.fixture
def shop(admin: Api, platform: LocalRuntime) -> Customer:
    return new_customer(admin, "Shop")


def test_r_rep_2_the_view_counts_leads_speed_units_in_local_time_with_a_url_to_listen(
    shop: Customer, platform: LocalRuntime, clock: LocalClock
) -> None:
    with recording_connector(SimulatorConfig.model_validate({"overrides": OVERRIDES, "vote_probability": 0})):
        campaign = create(
            shop,
            {
                "name": "Survey",
                "channel": "voice",
                "category": "service",
                "tts_text": "سلام، لطفا یک عدد را فشار دهید",
                "recipients": [VOTED, SILENT, BUSY],
                "vote": True,
                "speed_per_hour": 360_000,
            },
        )
        run_to_end(clock, [campaign["id"]], region=platform.settings.region)
    view = shop.api.get(f"/v1/campaigns/{campaign['id']}").json()
    stats = view["stats"]
    assert (stats["answered"], stats["leads"], stats["not_answered"], stats["busy"]) == (2, 1, 1, 1)
    assert (stats["machine"], stats["follow_ups_sent"], stats["callbacks"]) == (0, 0, 0)
    # the vote histogram: one pressed 2, one listened without voting (the busy one is not in it)
    assert view["votes"] == {**dict.fromkeys(VOTE_KEYS, 0), "2": 1, "0": 1}
    assert view["parts"][0]["votes"] == view["votes"] and view["parts"][0]["stats"]["leads"] == 1
    # the running ACD from the quality gate's counters: both listened to the whole message (not judged yet)
    assert view["quality"] == {**view["quality"], "acd_percent": 100.0, "band": "excellent", "checked_at": None}
    assert view["units_sent"] * view["cost"]["charged"] // max(view["units_sent"], 1) == view["cost"]["charged"]
    assert view["unit"] == "pulse" and view["units_sent"] >= 2
    assert view["speed"]["configured_per_hour"] == 360_000 and view["speed"]["achieved_per_hour"] >= 0
    assert view["created_at"].endswith("+00:00") and view["time_zone"] == "UTC"
    local = shop.api.get(f"/v1/campaigns/{campaign['id']}", tz="account").json()
    assert local["created_at"].endswith("+03:30") and local["time_zone"] == "Asia/Tehran"
    assert all(h["at"].endswith("+03:30") for h in local["history"])
    listened = requests.get(view["audio_url"], timeout=10)
    assert listened.status_code == 200 and len(listened.content) > 0
    audio = shop.api.get(f"/v1/audio/{view['audio_id']}").json()
    assert audio["url"] and requests.get(audio["url"], timeout=10).content == listened.content

    def numbers(**query: Any) -> list[str]:
        page = shop.api.get(f"/v1/campaigns/{campaign['id']}/recipients", **query).json()
        return [r["number"] for r in page["items"]]

    assert numbers(status="answered") == [VOTED, SILENT] and numbers(vote=2) == [VOTED]
    assert numbers(status="busy", vote=-1) == [BUSY] and numbers(status="pending") == []
    assert_error(shop.api.get(f"/v1/campaigns/{campaign['id']}/recipients", status="asleep"), 422, "unknown_status")

    story = shop.api.get(f"/v1/campaigns/{campaign['id']}/recipients/{VOTED}").json()
    assert story["status"] == "answered"
    assert [e["event"] for e in story["timeline"]] == ["admitted", "placed", "answered", "vote", "charged"]
    assert story["timeline"][3]["detail"]["vote"] == 2 and story["timeline"][4]["detail"]["amount"] > 0
    # admission and placing carry the dispatch batch's times, in order before the result
    admitted, placed, answered = (datetime.fromisoformat(e["at"]) for e in story["timeline"][:3])
    assert admitted <= placed <= answered
    busy = shop.api.get(f"/v1/campaigns/{campaign['id']}/recipients/{BUSY}").json()
    assert [e["event"] for e in busy["timeline"]] == ["admitted", "placed", "busy"]
    assert_error(shop.api.get(f"/v1/campaigns/{campaign['id']}/recipients/+989129999999"), 404, "recipient_not_found")
