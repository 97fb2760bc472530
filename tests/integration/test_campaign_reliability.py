"""Nothing lost, nothing twice (issue 5: R-DSP-1, R-CPL-1, R-CPL-2, R-BIL-3), on the whole local platform.

- two accounts racing advertising campaigns over the same numbers: each number gets one ad, the other
  campaign's recipient is `frequency_capped`, and both accounts' money is exact;
- every SQS message delivered twice: nothing placed twice, nothing charged twice;
- crashes in the middle of a batch (dispatch and results, before and after their writes): the batch is
  redelivered and applied exactly once;
- poison messages end in the DLQs, are visible there and in the log, and a running campaign is unaffected.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from jarchi.attempts import Outcome
from jarchi.clock import LocalClock
from jarchi.compliance.adcap import SuppressionList
from jarchi.connectors.simulator import SimulatorConfig, SmsRates, VoiceRates
from jarchi.resources import DISPATCH_QUEUE, RESULTS_QUEUE
from jarchi.settings import Settings
from jarchi.store.adcap import AdCapItem
from jarchi.store.suppression import DynamoSuppression
from local.faults import FAULTS_ENV, injected
from local.runtime import LocalRuntime
from tests.api import Api
from tests.campaign_harness import (
    Customer,
    assert_ledger_exact,
    assert_reconciled,
    create,
    new_customer,
    recipients_of,
    recording_connector,
    run_to_end,
)

# Nothing in these runs gives an ad-cap claim back (no failed calls, no rejected SMS), so each number's
# winner keeps it and the cap's outcome is exact.
NO_RELEASE = SimulatorConfig(
    seed=5,
    voice=VoiceRates(failed=0),
    sms=SmsRates(REJECTD=0),
    opt_out_probability=0,
)
NUMBERS = [f"+98912{i:07d}" for i in range(1, 13)]
FAST = 360_000


def _body(customer: Customer, channel: str, category: str, recipients: list[str], **extra: Any) -> dict[str, Any]:
    if channel == "sms":  # a service SMS names its sender (R-SMS-1)
        content = {"sms_text": f"{customer.sender}: your order is ready"}
    else:
        content = {"tts_text": f"Hello from {customer.sender}", "language": "en"}
    return {
        "name": f"{channel} {category}",
        "channel": channel,
        "category": category,
        "recipients": recipients,
        "speed_per_hour": FAST,
        **content,
        **extra,
    }


@pytest.fixture
def customers(admin: Api, platform: LocalRuntime) -> tuple[Customer, Customer]:
    return new_customer(admin, "Alpha"), new_customer(admin, "Beta")


# --- 1. racing campaigns ------------------------------------------------------------------------------------


@pytest.mark.parametrize("channels", [("sms", "sms"), ("voice", "sms")], ids=["sms-sms", "voice-sms"])
def test_r_cpl_2_racing_ad_campaigns_of_two_accounts_give_each_number_one_ad(
    channels: tuple[str, str], customers: tuple[Customer, Customer], platform: LocalRuntime, clock: LocalClock
) -> None:
    # GIVEN two accounts advertising to the same numbers (in opposite orders; the cap spans channels),
    # their campaigns created at the same moment from two threads
    alpha, beta = customers
    bodies = [
        (alpha, _body(alpha, channels[0], "advertising", NUMBERS)),
        (beta, _body(beta, channels[1], "advertising", NUMBERS[::-1])),
    ]
    created: dict[str, dict[str, Any]] = {}
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(bodies))

    def create_in_thread(customer: Customer, body: dict[str, Any]) -> None:
        try:
            barrier.wait(5)
            created[customer.account_id] = create(customer, body)
        except BaseException as error:  # surfaced below
            errors.append(error)

    with recording_connector(NO_RELEASE) as connector:
        threads = [threading.Thread(target=create_in_thread, args=pair) for pair in bodies]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert not errors, errors
        items = run_to_end(clock, [c["id"] for c in created.values()], region=platform.settings.region)

    # THEN each number got exactly one ad, and the other campaign's recipient was frequency-capped
    assert Counter(p.number for p in connector.placed) == Counter(NUMBERS)
    rows = {item.id: {r.number: r for r in recipients_of(item)} for item in items}
    for number in NUMBERS:
        statuses = sorted(rows[item.id][number].status for item in items)
        assert statuses.count(Outcome.FREQUENCY_CAPPED.value) == 1, (number, statuses)
        winner = next(item for item in items if rows[item.id][number].status != Outcome.FREQUENCY_CAPPED.value)
        assert AdCapItem.get(number).campaign_id == winner.id
        assert rows[winner.id][number].attempt_id == AdCapItem.get(number).attempt_id
    assert sum(int(item.n_frequency_capped) for item in items) == len(NUMBERS)
    # AND both campaigns and both accounts reconcile exactly
    for item in items:
        assert_reconciled(item)
    assert_ledger_exact([alpha.account_id, beta.account_id])


def test_r_cpl_2_a_recipient_who_is_never_called_does_not_take_the_numbers_ad_cap(
    customers: tuple[Customer, Customer], platform: LocalRuntime, clock: LocalClock
) -> None:
    # GIVEN Alpha's stop list holds the number, and Alpha advertises to it first (it is not called)
    alpha, beta = customers
    number = NUMBERS[0]
    DynamoSuppression().add(
        SuppressionList.ACCOUNT_STOP_LIST, number, account_id=alpha.account_id, added_at="2026-03-01"
    )
    with recording_connector(NO_RELEASE) as connector:
        first = create(alpha, _body(alpha, "sms", "advertising", [number]))
        (first_item,) = run_to_end(clock, [first["id"]], region=platform.settings.region)
        # WHEN Beta advertises to the same number an hour later
        clock.advance(3600)
        second = create(beta, _body(beta, "sms", "advertising", [number]))
        (second_item,) = run_to_end(clock, [second["id"]], region=platform.settings.region)
    assert [r.status for r in recipients_of(first_item)] == ["blacklisted"]
    # THEN Beta's ad reaches it: no ad went to the number in the last 24 h
    assert [r.status for r in recipients_of(second_item)] != ["frequency_capped"]
    assert [p.campaign_id for p in connector.placed] == [second["id"]]


# --- 2. every message delivered twice --------------------------------------------------------------------


@pytest.fixture
def twice(aws: Settings) -> Iterator[LocalRuntime]:
    with LocalRuntime(aws, failed_visibility_seconds=0, deliver_twice=True) as runtime:
        yield runtime


def _count_deliveries(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> Counter[str]:
    """Count how often each SQS message reaches a handler's record function (passing it through)."""
    seen: Counter[str] = Counter()
    real = getattr(module, name)

    def counting(record: Any) -> Any:
        seen[record.message_id] += 1
        return real(record)

    monkeypatch.setattr(module, name, counting)
    return seen


def _count_batch_deliveries(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> Counter[str]:
    """Count how often each SQS message reaches a handler's function of a batch of records (passing it through)."""
    seen: Counter[str] = Counter()
    real = getattr(module, name)

    def counting(records: Any) -> Any:
        seen.update(record.message_id for record in records)
        return real(records)

    monkeypatch.setattr(module, name, counting)
    return seen


def test_r_dsp_1_every_message_delivered_twice_places_and_charges_once(
    admin: Api, twice: LocalRuntime, clock: LocalClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    import functions.dispatch.handler as dispatch_handler
    import functions.results.handler as results_handler

    dispatched = _count_deliveries(monkeypatch, dispatch_handler, "place_record")
    results = _count_batch_deliveries(monkeypatch, results_handler, "apply_records")
    alpha, beta = new_customer(admin, "Alpha"), new_customer(admin, "Beta")
    with recording_connector(SimulatorConfig(seed=11)) as connector:
        ids = [
            create(alpha, _body(alpha, "sms", "service", NUMBERS))["id"],
            create(beta, _body(beta, "voice", "advertising", NUMBERS[:6], vote=True))["id"],
            create(beta, _body(beta, "sms", "advertising", NUMBERS[6:]))["id"],
        ]
        items = run_to_end(clock, ids, region=twice.settings.region)

    # every message really was handed over twice
    assert dispatched and set(dispatched.values()) == {2}
    assert results and set(results.values()) == {2}
    # nothing placed twice, and every placed attempt's result applied once
    placements = connector.placements_per_attempt()
    assert len(placements) == len(NUMBERS) * 2 and set(placements.values()) == {1}
    for item in items:
        assert_reconciled(item)  # includes: charges sum to `charged`, no batch charged twice
        attempts = {r.attempt_id for r in recipients_of(item) if r.attempt_id}
        assert attempts == {p for p in placements if p.startswith(f"{item.id}.")}
        assert all(int(r.attempts) == 1 for r in recipients_of(item) if r.attempt_id)
    assert sum(int(item.charged) for item in items) > 0
    assert_ledger_exact([alpha.account_id, beta.account_id])


# --- 3. crashes mid-batch -------------------------------------------------------------------------------


# Each crash is a fault plan on the ports (`local.faults`): the platform's own retries must absorb it (Step
# Functions retries the workflow task, SQS redelivers the failed message).
CRASHES: dict[str, dict[str, Any]] = {
    # admission: before the pointer moves / after it moved, before sending / after sending, before clearing
    "admit-before-the-pointer": {"CampaignRepository.record_admission": {"crash_before": 1}},
    "admit-before-sending": {"MessageQueue.send@dispatch": {"crash_before": 1}},
    "admit-after-sending": {"CampaignRepository.clear_dispatching": {"crash_before": 1}},
    # the dispatch handler placed the batch and sent its results, then died before the ack
    "dispatch-after-placing": {"MessageQueue.send@results": {"crash_after": 1}},
    # the results handler applied the batch, then died before the ack
    "results-after-applying": {"CampaignRepository.record_results": {"crash_after": 1}},
    # the recipients' final states are saved, then the campaign item's once-per-batch write fails (twice)
    "results-before-the-campaign-write": {"CampaignRepository.record_results": {"crash_before": [1, 2]}},
    # the provider is down for the first batch
    "connector-down-once": {"Connector.place": {"timeout": 1}},
}


@pytest.mark.parametrize("crash", list(CRASHES))
def test_r_dsp_1_a_crash_mid_batch_is_redelivered_and_applied_exactly_once(
    crash: str, admin: Api, platform: LocalRuntime, clock: LocalClock
) -> None:
    alpha = new_customer(admin, "Alpha")
    with recording_connector(SimulatorConfig(seed=3)) as connector, injected(CRASHES[crash]) as faults:
        ids = [
            create(alpha, _body(alpha, "sms", "service", NUMBERS))["id"],
            create(alpha, _body(alpha, "voice", "service", NUMBERS[:4], vote=True))["id"],
        ]
        items = run_to_end(clock, ids, region=platform.settings.region)

    assert faults.log.entries, "the crash was never injected"
    placements = connector.placements_per_attempt()
    assert len(placements) == len(NUMBERS) + 4 and set(placements.values()) == {1}
    for item in items:
        assert_reconciled(item)
        rows = recipients_of(item)
        assert all(int(r.attempts) == 1 and r.attempt_id in placements for r in rows)
    assert_ledger_exact([alpha.account_id])


def test_r_dsp_1_a_crash_after_the_connector_placed_does_not_place_again(
    admin: Api, platform: LocalRuntime, clock: LocalClock
) -> None:
    alpha = new_customer(admin, "Alpha")
    results_queue_down_once = {"MessageQueue.send@results": {"crash_before": 1}}
    with recording_connector(SimulatorConfig(seed=3)) as connector, injected(results_queue_down_once) as faults:
        created = create(alpha, _body(alpha, "sms", "service", NUMBERS[:3]))
        items = run_to_end(clock, [created["id"]], region=platform.settings.region)
    assert faults.log.entries
    assert_reconciled(items[0])  # the money is right: the results batch is applied once
    assert set(connector.placements_per_attempt().values()) == {1}  # and no SMS went out twice


def test_r_dsp_1_faults_chosen_by_the_environment_strike_in_the_local_runtime(
    aws: Settings, admin: Api, clock: LocalClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN the local runtime started with JARCHI_FAULTS: the first admission write crashes, the first
    # results message is sent twice
    monkeypatch.setenv(
        FAULTS_ENV,
        '{"CampaignRepository.record_admission": {"crash_before": 1}, "MessageQueue.send@results": {"duplicate": 1}}',
    )
    with LocalRuntime(aws, failed_visibility_seconds=0) as runtime:
        alpha = new_customer(admin, "Alpha")
        with recording_connector(SimulatorConfig(seed=3)) as connector:
            created = create(alpha, _body(alpha, "sms", "service", NUMBERS[:4]))
            items = run_to_end(clock, [created["id"]], region=runtime.settings.region)
        assert runtime.faults is not None
        struck = list(runtime.faults.log.entries)
    # THEN both struck, and the platform's retries absorbed them
    assert struck == ["CampaignRepository.record_admission#1 crash_before", "MessageQueue.send@results#1 duplicate"]
    assert_reconciled(items[0])
    assert set(connector.placements_per_attempt().values()) == {1}
    assert_ledger_exact([alpha.account_id])


# --- 4. poison messages ----------------------------------------------------------------------------------


def _send_raw(settings: Settings, logical: str, body: str) -> None:
    sqs = boto3.client("sqs", region_name=settings.region)
    url = sqs.get_queue_url(QueueName=settings.queue_name(logical))["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody=body)


def _dead_bodies(settings: Settings, logical: str) -> list[str]:
    sqs = boto3.client("sqs", region_name=settings.region)
    url = sqs.get_queue_url(QueueName=settings.queue_name(logical))["QueueUrl"]
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0).get("Messages", [])
    return sorted(message["Body"] for message in messages)


def test_r_dsp_1_poison_messages_end_in_the_dlqs_visibly_and_a_running_campaign_is_unaffected(
    admin: Api, platform: LocalRuntime, clock: LocalClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="local.pollers")
    settings = platform.settings
    watched = (DISPATCH_QUEUE.dlq_logical, RESULTS_QUEUE.dlq_logical)
    quiet = {name: 0 for name in platform.dead_letters() if name not in watched}  # every other DLQ stays empty
    assert platform.dead_letters() == {DISPATCH_QUEUE.dlq_logical: 0, RESULTS_QUEUE.dlq_logical: 0, **quiet}
    alpha = new_customer(admin, "Alpha")
    with recording_connector(SimulatorConfig(seed=9)) as connector:
        campaign = create(alpha, _body(alpha, "sms", "service", NUMBERS))
        poison = {
            DISPATCH_QUEUE.logical: ["{not json", '{"batch_id": "no-attempts"}'],
            RESULTS_QUEUE.logical: ["{not json either"],
        }
        for logical, bodies in poison.items():
            for body in bodies:
                _send_raw(settings, logical, body)
        items = run_to_end(clock, [campaign["id"]], region=settings.region)
        deadline = time.monotonic() + 20
        while platform.dead_letters()[DISPATCH_QUEUE.dlq_logical] < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        while platform.dead_letters()[RESULTS_QUEUE.dlq_logical] < 1 and time.monotonic() < deadline:
            time.sleep(0.05)

    # THEN each poison message sits in its queue's DLQ after maxReceiveCount deliveries ...
    assert platform.dead_letters() == {DISPATCH_QUEUE.dlq_logical: 2, RESULTS_QUEUE.dlq_logical: 1, **quiet}
    for logical, bodies in poison.items():
        assert _dead_bodies(settings, f"{logical}-dlq") == sorted(bodies)
    # ... and the log said so, naming the queue and the DLQ
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    for logical, bodies in poison.items():
        dlq = settings.queue_name(f"{logical}-dlq")
        last = [w for w in warnings if "last allowed receive" in w and f"from {logical} " in w and dlq in w]
        assert len(last) == len(bodies), warnings
        assert any(f"messages from {logical} failed in" in w for w in warnings), warnings
    # AND the campaign beside them ran to the end, exactly
    assert_reconciled(items[0])
    assert set(connector.placements_per_attempt().values()) == {1} and len(connector.placed) == len(NUMBERS)
    assert_ledger_exact([alpha.account_id])
