"""Call recordings on the whole local platform (R-OUT-5, SPEC §14 `GET /v1/campaigns/{id}/recordings`): a voice
campaign with `record: true` has its answered calls recorded by the connector (the simulator's stand-in WAV)
into the recordings bucket under the campaign; the key rides the call's result onto its recipient item, and the
listing pages them with short-lived presigned links, to the campaign's owner only."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

import boto3
import pytest

from jarchi.campaigns.recordings import URL_SECONDS
from jarchi.clock import LocalClock
from jarchi.connectors.simulator import SimulatorConfig, VoiceRates
from jarchi.resources import RECORDINGS_BUCKET
from jarchi.store.campaigns import RecipientItem, to_state
from local.runtime import LocalRuntime
from tests.api import Api
from tests.campaign_harness import Customer, create, new_customer, recording_connector, run_to_end

NUMBERS = [f"+98912{i:07d}" for i in range(800, 806)]
NOBODY = NUMBERS[:2]  # never answer: nothing to record
ANSWER = VoiceRates(answered=1, no_answer=0, busy=0, unreachable=0, failed=0, answering_machine=0)


@pytest.fixture
def shop(admin: Api, platform: LocalRuntime) -> Customer:
    return new_customer(admin, "Shop")


def _call(numbers: list[str], **extra: Any) -> dict[str, Any]:
    return {
        "name": "Call",
        "channel": "voice",
        "category": "service",
        "tts_text": "Your parcel is here",
        "language": "en",
        "recipients": numbers,
        "speed_per_hour": 360_000,
        **extra,
    }


def test_r_out_5_answered_calls_are_recorded_under_the_campaign_and_listed_with_presigned_links(
    admin: Api, shop: Customer, platform: LocalRuntime, clock: LocalClock
) -> None:
    config = SimulatorConfig(seed=5, voice=ANSWER, overrides=dict.fromkeys(NOBODY, "no_answer"))
    with recording_connector(config):
        campaign = create(shop, _call(NUMBERS, record=True))
        plain = create(shop, _call(NUMBERS[:2]))
        run_to_end(clock, [campaign["id"], plain["id"]], region=platform.settings.region)
    assert campaign["record"] is True and "recording" in campaign["tags"]
    path = f"/v1/campaigns/{campaign['id']}/recordings"

    # paged: two pages of 3 hold the 4 answered calls, once each, in audience order
    first = shop.api.get(path, limit=3).json()
    assert len(first["items"]) == 3 and first["next_cursor"]
    second = shop.api.get(path, limit=3, cursor=first["next_cursor"]).json()
    items = first["items"] + second["items"]
    assert second["next_cursor"] is None
    assert [i["number"] for i in items] == NUMBERS[2:]
    s3 = boto3.client("s3", region_name=platform.settings.region)
    bucket = platform.settings.bucket_name(RECORDINGS_BUCKET.logical)
    for item in items:
        assert item["seconds"] > 0 and item["part"] == 0
        url = urlparse(item["url"])
        key = url.path.split(f"/{bucket}/", 1)[-1].lstrip("/")
        assert key.startswith(f"recordings/{campaign['id']}/") and key.endswith(".wav")
        assert parse_qs(url.query)["X-Amz-Expires"] == [str(URL_SECONDS)]  # short-lived
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read()[:4] == b"RIFF"  # the recording is there

    # the key is on the recipient's item, written with its result; unanswered calls have none
    stored = {s.number: s.recording for s in map(to_state, RecipientItem.query(campaign["id"]))}
    assert all(stored[n] for n in NUMBERS[2:]) and not any(stored[n] for n in NOBODY)
    rows = shop.api.get(f"/v1/campaigns/{campaign['id']}/recipients", limit=50).json()["items"]
    assert {r["number"]: r["recorded"] for r in rows} == {n: n not in NOBODY for n in NUMBERS}

    # a campaign without record: nothing; another tenant: not found; SMS cannot record
    assert shop.api.get(f"/v1/campaigns/{plain['id']}/recordings").json() == {"items": [], "next_cursor": None}
    other = new_customer(admin, "Other")
    hidden = other.api.get(path)
    assert (hidden.status, hidden.json()["error"]["code"]) == (404, "campaign_not_found")
    sms = shop.api.post(
        "/v1/campaigns",
        {
            "name": "Text",
            "channel": "sms",
            "category": "service",
            "sms_text": "Hi",
            "sender": shop.sender,
            "recipients": NUMBERS[:1],
            "record": True,
        },
    )
    assert (sms.status, sms.json()["error"]["code"]) == (422, "record_not_supported")
