"""Same money on the whole local platform (R-DSP-4, R-BIL-3): one SMS campaign through End User Messaging
(requests checked against the service model, delivery events pushed to connector-events as the SNS
subscription would) and one through the simulator, with the same subscribers, end in the same statuses,
the same charge and the same ledger."""

from __future__ import annotations

import copy
import json
import threading
import time
from typing import Any

import boto3
from botocore.validate import validate_parameters

from jarchi.billing.ledger import totals_of
from jarchi.clock import LocalClock
from jarchi.connectors.end_user_messaging.config import EndUserMessagingConfig
from jarchi.connectors.end_user_messaging.connector import EndUserMessagingConnector
from jarchi.connectors.simulator import SimulatorConfig, SimulatorConnector
from jarchi.ports import Connector, override
from jarchi.resources import CONNECTOR_EVENTS_QUEUE
from jarchi.settings import Settings
from jarchi.store import ledger
from local.runtime import LocalRuntime
from tests.api import Api
from tests.connectors.events import load_event

NUMBERS = [f"+9891200001{i:02d}" for i in range(20)]
EVENT = {"DELIVRD": "TEXT_DELIVERED", "EXPIRED": "TEXT_TTL_EXPIRED", "REJECTD": "TEXT_CARRIER_BLOCKED"}
DEADLINE_SECONDS = 60


def report_for(number: str) -> str:
    index = NUMBERS.index(number)
    return "EXPIRED" if index % 5 == 0 else "REJECTD" if index % 7 == 0 else "DELIVRD"


class EndUserMessagingDouble:
    """A pinpoint-sms-voice-v2 client: each SendTextMessage is validated against the service model, answered
    with a message id, and its final event goes to connector-events (SNS raw delivery does that in AWS)."""

    def __init__(self, settings: Settings, clock: LocalClock) -> None:
        self._model = boto3.client("pinpoint-sms-voice-v2", region_name=settings.region).meta.service_model
        self._sqs = boto3.client("sqs", region_name=settings.region)
        self._queue_url = self._sqs.get_queue_url(QueueName=settings.queue_name(CONNECTOR_EVENTS_QUEUE.logical))[
            "QueueUrl"
        ]
        self._clock = clock
        self._lock = threading.Lock()
        self.requests: list[dict[str, Any]] = []

    def send_text_message(self, **params: Any) -> dict[str, Any]:
        validate_parameters(params, self._model.operation_model("SendTextMessage").input_shape)
        with self._lock:
            self.requests.append(params)
            message_id = f"msg-{len(self.requests)}"
        event = copy.deepcopy(load_event(f"end_user_messaging/{EVENT[report_for(params['DestinationPhoneNumber'])]}"))
        event |= {
            "messageId": message_id,
            "destinationPhoneNumber": params["DestinationPhoneNumber"],
            "eventTimestamp": int(self._clock.now().timestamp() * 1000),
            "context": params["Context"],
        }
        self._sqs.send_message(QueueUrl=self._queue_url, MessageBody=json.dumps(event))
        return {"MessageId": message_id}


def _customer(admin: Api, name: str) -> tuple[str, Api]:
    account = admin.new_account(name)
    admin.top_up(account["id"], 1_000_000)
    api = admin.as_(admin.new_token(account["id"]))
    sender = api.post("/v1/senders", {"name": name}).json()
    assert admin.post(f"/v1/senders/{sender['id']}/moderation", {"decision": "approve"}).status == 200
    return account["id"], api


def _run(api: Api, sender: str, clock: LocalClock) -> dict[str, Any]:
    body = {
        "name": "Order ready",
        "channel": "sms",
        "category": "service",
        "sms_text": f"{sender}: your order is ready",
        "sender": sender,
        "recipients": NUMBERS,
        "speed_per_hour": 360_000,
    }
    created = api.post("/v1/campaigns", body)
    assert created.status == 201, created.body
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        campaign: dict[str, Any] = api.get(f"/v1/campaigns/{created.json()['id']}").json()
        if campaign["status"] == "finished":
            return campaign
        clock.advance(15)
        time.sleep(0.05)
    raise AssertionError(f"never finished: {campaign['status']} {campaign['stats']}")


def test_r_bil_3_an_sms_campaign_through_end_user_messaging_costs_what_the_simulator_does(
    admin: Api, platform: LocalRuntime, clock: LocalClock, aws: Settings
) -> None:
    double = EndUserMessagingDouble(aws, clock)
    eum = EndUserMessagingConnector(
        EndUserMessagingConfig(configuration_set="jarchi-sms"),
        region=aws.region,
        client=double,  # type: ignore[arg-type]
    )
    eum_account, eum_api = _customer(admin, "Viaeum")
    with override(Connector, eum):
        through_eum = _run(eum_api, "Viaeum", clock)
    simulated = SimulatorConnector(SimulatorConfig(overrides={n: report_for(n) for n in NUMBERS}))
    sim_account, sim_api = _customer(admin, "Viasim")
    with override(Connector, simulated):
        through_simulator = _run(sim_api, "Viasim", clock)

    assert len(double.requests) == len(NUMBERS)  # each number texted once
    assert through_eum["stats"] == through_simulator["stats"]
    assert through_eum["cost"] == through_simulator["cost"]
    assert through_eum["cost"]["charged"] > 0 and through_eum["stats"]["failed"] > 0
    for account in (eum_account, sim_account):
        assert ledger.get_balance(account) == totals_of(ledger.all_entries(account))
        assert ledger.get_balance(account).reserved == 0
    assert ledger.get_balance(eum_account) == ledger.get_balance(sim_account)
