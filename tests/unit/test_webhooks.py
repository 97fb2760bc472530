"""Webhooks (SPEC §14) on fakes: signed bodies, exponential backoff on the platform clock for 24 h and then the
DLQ, subscriptions looked up once, events only for subscribed types, the SSRF guard."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from jarchi.accounts.models import Account, AccountType, Caller
from jarchi.campaigns.follow_ups import follow_up_seq
from jarchi.campaigns.models import RecipientState
from jarchi.clock import LocalClock, use_clock
from jarchi.connectors.webhook_http import HttpWebhookSender
from jarchi.errors import Unprocessable
from jarchi.ports import PlatformEvent
from jarchi.reports import webhooks
from jarchi.reports.events import recipient_events
from jarchi.reports.ports import DeliveryStatus, WebhookRefused
from jarchi.reports.webhooks import WEBHOOKS_DLQ, WebhookPorts, WebhookPublisher, backoff_seconds, deliver
from jarchi.resources import WEBHOOKS_QUEUE
from jarchi.signing import verify
from tests.fakes.campaigns import FakeQueue
from tests.fakes.reports import FakeEndpoint, FakeWebhooks

START = datetime.fromisoformat("2026-03-02T10:00:00+03:30")


@pytest.fixture
def clock() -> LocalClock:
    local = LocalClock(START, ticking=False)
    use_clock(local)
    webhooks.forget_subscriptions()
    return local


def _caller(account_id: str = "acc_1") -> Caller:
    account = Account(
        id=account_id,
        name="Shop",
        type=AccountType.CUSTOMER,
        parent_id=None,
        created_at=START,
        ancestors=(),
        timezone="Asia/Tehran",
        default_region="IR",
    )
    return Caller(account=account, token_id="tok_1")


def _event(kind: str = "campaign.status", account_id: str = "acc_1", event_id: str = "cmp_1:2:x") -> PlatformEvent:
    return PlatformEvent(event_id, kind, account_id, START.isoformat(), {"campaign_id": "cmp_1", "status": "running"})


def test_spec_14_webhook_events_go_only_to_subscribers_with_a_signed_body(clock: LocalClock) -> None:
    ports = WebhookPorts(FakeWebhooks(), FakeEndpoint(200), FakeQueue())
    hook = webhooks.register(_caller(), "https://hooks.example/j", ["campaign.status"], ports=ports)
    WebhookPublisher(ports).publish(
        [_event(), _event("recipient.result", event_id="x:answered"), _event(account_id="acc_2")]
    )
    messages = ports.queue.take(WEBHOOKS_QUEUE)  # type: ignore[attr-defined]
    assert [m["event"]["id"] for m in messages] == ["cmp_1:2:x"]

    assert deliver(messages[0], ports=ports) is DeliveryStatus.DELIVERED
    _url, body, headers = ports.sender.posts[0]  # type: ignore[attr-defined]
    verify(hook.secret, headers["Jarchi-Signature"], body, now=clock.now().timestamp(), window=300)
    assert json.loads(body)["id"] == headers["Jarchi-Event-Id"] == "cmp_1:2:x"
    assert ports.webhooks.delivery[(hook.id, "cmp_1:2:x")].status is DeliveryStatus.DELIVERED  # type: ignore[attr-defined]


def test_spec_14_failed_deliveries_back_off_exponentially_for_24_hours_then_dead_letter(clock: LocalClock) -> None:
    ports = WebhookPorts(FakeWebhooks(), FakeEndpoint(500, None, 503), FakeQueue())
    hook = webhooks.register(_caller(), "https://hooks.example/j", ["campaign.status"], ports=ports)
    WebhookPublisher(ports).publish([_event()])
    message = ports.queue.take(WEBHOOKS_QUEUE)[0]  # type: ignore[attr-defined]
    first = clock.now()
    waits = []
    status = None
    while status is not DeliveryStatus.DEAD_LETTERED:
        clock.advance(max(0.0, (datetime.fromisoformat(message["due_at"]) - clock.now()).total_seconds()))
        status = deliver(message, ports=ports)
        if status is DeliveryStatus.RETRYING:
            message = ports.queue.take(WEBHOOKS_QUEUE)[0]  # type: ignore[attr-defined]
            waits.append((datetime.fromisoformat(message["due_at"]) - clock.now()).total_seconds())
    assert waits[:4] == [30, 60, 120, 240] and max(waits) == 3600
    assert timedelta(hours=23) < clock.now() - first <= timedelta(hours=24)
    assert [m["event"]["id"] for m in ports.queue.take(WEBHOOKS_DLQ)] == ["cmp_1:2:x"]  # type: ignore[attr-defined]
    dead = ports.webhooks.delivery[(hook.id, "cmp_1:2:x")]  # type: ignore[attr-defined]
    assert dead.status is DeliveryStatus.DEAD_LETTERED and dead.attempts == len(waits) + 1
    assert dead.response_status == 503 and len(ports.sender.posts) == dead.attempts  # type: ignore[attr-defined]


def test_spec_14_a_message_early_for_its_retry_goes_back_without_calling(clock: LocalClock) -> None:
    ports = WebhookPorts(FakeWebhooks(), FakeEndpoint(200), FakeQueue())
    webhooks.register(_caller(), "https://hooks.example/j", ["campaign.status"], ports=ports)
    WebhookPublisher(ports).publish([_event()])
    message = {**ports.queue.take(WEBHOOKS_QUEUE)[0], "due_at": (START + timedelta(minutes=5)).isoformat()}  # type: ignore[attr-defined]
    assert deliver(message, ports=ports) is None
    assert ports.sender.posts == [] and ports.queue.take(WEBHOOKS_QUEUE) == [message]  # type: ignore[attr-defined]


def test_spec_14_registration_refuses_unknown_events_and_urls_the_guard_refuses(clock: LocalClock) -> None:
    ports = WebhookPorts(FakeWebhooks(), FakeEndpoint(allow=False), FakeQueue())
    with pytest.raises(Unprocessable) as refused:
        webhooks.register(_caller(), "https://10.0.0.1/j", ["campaign.status"], ports=ports)
    assert refused.value.code == "webhook_url_not_allowed"
    with pytest.raises(Unprocessable) as unknown:
        webhooks.register(_caller(), "https://hooks.example/j", ["campaign.deleted"], ports=ports)
    assert unknown.value.code == "unknown_event"


@pytest.mark.parametrize(
    "url",
    [
        "http://93.184.216.34/hook",  # not https
        "https://127.0.0.1/hook",
        "https://10.1.2.3/hook",
        "https://192.168.0.10/hook",
        "https://169.254.169.254/latest/meta-data",  # instance metadata
        "https://[::1]/hook",
        "https://[fe80::1]/hook",
        "https://0.0.0.0/hook",
        "https://user:pw@93.184.216.34/hook",
        "file:///etc/passwd",
        "https://[::1",  # not a URL
        "https://93.184.216.34:99999/hook",
    ],
)
def test_spec_14_ssrf_guard_refuses_private_loopback_and_link_local_in_the_cloud(url: str) -> None:
    with pytest.raises(WebhookRefused):
        HttpWebhookSender(allow_private=False).check(url)


def test_spec_14_ssrf_guard_allows_public_addresses_and_loopback_only_locally() -> None:
    HttpWebhookSender(allow_private=False).check("https://93.184.216.34/hook")
    HttpWebhookSender(allow_private=True).check("http://127.0.0.1:8080/hook")


def test_spec_14_backoff_doubles_from_30_seconds_up_to_an_hour() -> None:
    assert [backoff_seconds(n) for n in (1, 2, 3, 7, 8, 20)] == [30, 60, 120, 1920, 3600, 3600]


def test_spec_14_a_follow_up_sms_is_an_sms_delivery_naming_its_rule_never_a_recipient_result() -> None:
    follow_up = RecipientState(
        "cmp_1", follow_up_seq(3, 1), "+989120000001", 1, status="delivered", attempt_id="cmp_1.3.f1",
        cost=50, updated_at=START, delivery_status="DELIVRD",
    )  # fmt: skip
    [event] = recipient_events("acc_1", follow_up)
    assert (event.id, event.type) == ("cmp_1.3.f1:dlr:DELIVRD", "sms.delivery")
    assert event.data["follow_up_rule"] == 1 and event.data["number"] == "+989120000001"
    not_sent = RecipientState("cmp_1", follow_up_seq(3, 0), "+989120000001", 1, status="window_closed")
    assert recipient_events("acc_1", not_sent) == []
    call = RecipientState("cmp_1", 3, "+989120000001", 1, status="answered", attempt_id="cmp_1.3.1", updated_at=START)
    assert [e.type for e in recipient_events("acc_1", call)] == ["recipient.result"]
