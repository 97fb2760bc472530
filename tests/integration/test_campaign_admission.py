"""Admission without the pollers: the workflow's tasks called directly against moto, to see exactly what
reaches the dispatch queue when a task crashes part way (R-DSP-1), and how the recipient list reads the
frozen audience (R-REP-3)."""

from __future__ import annotations

import base64
import json
from typing import Any

import boto3
import pytest

from jarchi.campaigns import workflow
from jarchi.campaigns.models import Campaign
from jarchi.campaigns.ports import CampaignRepository
from jarchi.ports import override, resolve
from jarchi.resources import DISPATCH_QUEUE
from jarchi.settings import Settings
from jarchi.store.campaigns import CampaignItem, to_campaign
from jarchi.store.recipients import S3DynamoRecipients
from local.faults import InjectedCrash, injected, one_fault
from tests.api import Api

RECIPIENTS = 450
# The workflow tasks are called by hand here: a campaign created with auto_start false has had no run yet.
BY_HAND = 0


def _campaign(admin: Api, count: int = RECIPIENTS) -> tuple[Api, str]:
    shop = admin.new_account("Shop")
    admin.top_up(shop["id"], 10**9)
    as_shop = admin.as_(admin.new_token(shop["id"]))
    sender = as_shop.post("/v1/senders", {"name": "Shop"}).json()
    admin.post(f"/v1/senders/{sender['id']}/moderation", {"decision": "approve"})
    csv = "phone,name\n" + "".join(f"+98912{i:07d},n{i}\n" for i in range(count))
    contacts = as_shop.post(
        "/v1/contact-lists",
        {"name": "Customers", "file": {"name": "c.csv", "content_base64": base64.b64encode(csv.encode()).decode()}},
    )
    assert contacts.status == 201, contacts.body
    created = as_shop.post(
        "/v1/campaigns",
        {
            "name": "Orders",
            "channel": "sms",
            "category": "service",
            "sms_text": "Shop: hi #name#, your order is ready",
            "sender": "Shop",
            "contact_list_id": contacts.json()["id"],
            "auto_start": False,
            "speed_per_hour": 3_600_000,
        },
    )
    assert created.status == 201, created.body
    campaign_id: str = created.json()["id"]
    workflow.prepare(campaign_id, run=BY_HAND, execution_arn="by-hand")
    return as_shop, campaign_id


def _drain_dispatch(settings: Settings) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs", region_name=settings.region)
    url = sqs.get_queue_url(QueueName=settings.queue_name(DISPATCH_QUEUE.logical))["QueueUrl"]
    bodies: list[dict[str, Any]] = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        bodies += [json.loads(m["Body"]) for m in messages]
        sqs.delete_message_batch(
            QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
        )
    return bodies


def _item(campaign_id: str) -> CampaignItem:
    return CampaignItem.get(campaign_id, consistent_read=True)


class _StaleCampaigns:
    """The campaign repository as a second admitter sees it: every read answers `stale`."""

    def __init__(self, inner: CampaignRepository, stale: Campaign) -> None:
        self.inner = inner
        self.stale = stale

    def get(self, campaign_id: str) -> Campaign | None:
        return self.stale

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_r_dsp_1_crash_after_the_pointer_moved_resends_the_same_batches(aws: Settings, admin: Api) -> None:
    _, campaign_id = _campaign(admin)
    # WHEN the task crashes after the pointer moved but before anything was sent
    with injected(one_fault("MessageQueue.send", "crash_before")), pytest.raises(InjectedCrash):
        workflow.admit(campaign_id, run=BY_HAND)
    crashed = _item(campaign_id)
    assert int(crashed.next_seq) == RECIPIENTS and int(crashed.in_flight) == RECIPIENTS
    assert list(crashed.dispatching or []) == [0, RECIPIENTS]
    assert _drain_dispatch(aws) == []
    # THEN the next task sends that batch's attempts, once, and clears the mark
    assert workflow.admit(campaign_id, run=BY_HAND)["next"] == "wait"
    bodies = _drain_dispatch(aws)
    attempts = [a for body in bodies for a in body["attempts"]]
    assert sorted(a["attempt_id"] for a in attempts) == sorted(f"{campaign_id}.{i}.1" for i in range(RECIPIENTS))
    assert [b["batch_id"] for b in bodies] == [
        f"{campaign_id}.0.1-200",
        f"{campaign_id}.200.1-200",
        f"{campaign_id}.400.1-50",
    ]
    assert next(a for a in attempts if a["attempt_id"] == f"{campaign_id}.7.1")["sms_text"].startswith("Shop: hi n7,")
    assert _item(campaign_id).dispatching is None
    assert workflow.admit(campaign_id, run=BY_HAND)["next"] == "wait" and _drain_dispatch(aws) == []


def test_r_dsp_1_crash_before_the_pointer_moved_walks_again_without_double_counting(aws: Settings, admin: Api) -> None:
    _, campaign_id = _campaign(admin)
    crash = one_fault("CampaignRepository.record_admission", "crash_before")
    with injected(crash), pytest.raises(InjectedCrash):
        workflow.admit(campaign_id, run=BY_HAND)
    assert int(_item(campaign_id).next_seq) == 0 and _drain_dispatch(aws) == []
    workflow.admit(campaign_id, run=BY_HAND)
    item = _item(campaign_id)
    assert int(item.next_seq) == RECIPIENTS and int(item.in_flight) == RECIPIENTS
    stats = to_campaign(item).stats()
    assert stats["pending"] == 0 and stats["in_progress"] == RECIPIENTS
    assert len({a["attempt_id"] for b in _drain_dispatch(aws) for a in b["attempts"]}) == RECIPIENTS


def test_r_dsp_1_an_execution_of_an_earlier_run_ends_without_admitting(aws: Settings, admin: Api) -> None:
    # GIVEN a campaign whose current run is 0 (an execution of another run is left over from a pause)
    _, campaign_id = _campaign(admin)
    # WHEN that execution's tasks run
    assert workflow.prepare(campaign_id, run=BY_HAND + 1, execution_arn="stale")["next"] == "end"
    assert workflow.admit(campaign_id, run=BY_HAND + 1)["next"] == "end"
    # THEN nothing was admitted, sent or recorded
    item = _item(campaign_id)
    assert int(item.next_seq) == 0 and int(item.in_flight) == 0 and item.execution_arn == "by-hand"
    assert _drain_dispatch(aws) == []


def test_r_dsp_1_an_admitter_that_loses_the_pointer_reads_again_and_sends_nothing(aws: Settings, admin: Api) -> None:
    # GIVEN a second admitter holding the campaign as it was before the first admitted everything
    _, campaign_id = _campaign(admin)
    stale = to_campaign(_item(campaign_id))
    workflow.admit(campaign_id, run=BY_HAND)
    sent = _drain_dispatch(aws)
    # WHEN it walks the same recipients: its pointer write is refused, and it asks to read again
    with override(CampaignRepository, _StaleCampaigns(resolve(CampaignRepository), stale)):
        assert workflow.admit(campaign_id, run=BY_HAND)["next"] == "admit"
    # THEN nothing more was sent or counted
    assert _drain_dispatch(aws) == []
    assert len({a["attempt_id"] for b in sent for a in b["attempts"]}) == RECIPIENTS
    item = _item(campaign_id)
    assert int(item.next_seq) == RECIPIENTS and int(item.in_flight) == RECIPIENTS and item.dispatching is None


def test_r_rep_3_recipient_pages_read_the_audience_and_the_stored_states(aws: Settings, admin: Api) -> None:
    as_shop, campaign_id = _campaign(admin, count=2_300)  # three audience chunks
    assert len(S3DynamoRecipients().read_audience(_item(campaign_id).audience_key, 950, 100)) == 100
    before = as_shop.get(f"/v1/campaigns/{campaign_id}/recipients", limit=200).json()
    assert {r["status"] for r in before["items"]} == {"pending"} and before["next_cursor"]
    workflow.admit(campaign_id, run=BY_HAND)  # admits 2,000 (one task's most)
    seen: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        page = as_shop.get(f"/v1/campaigns/{campaign_id}/recipients", limit=200, cursor=cursor).json()
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [r["number"] for r in seen] == [f"+98912{i:07d}" for i in range(2_300)]
    assert [r["status"] for r in seen] == ["in_progress"] * 2_000 + ["pending"] * 300
