"""The fault-injecting adapters (`local.faults`): plans, their validation, and what each fault kind does to
the wrapped adapter's calls."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from botocore.exceptions import ClientError, ReadTimeoutError

from jarchi.ports import ConnectorError, MessageQueue, override, resolve
from jarchi.resources import DISPATCH_QUEUE, RESULTS_QUEUE, QueueSpec
from jarchi.settings import Settings
from local.faults import (
    FAULTS_ENV,
    FaultKind,
    FaultLog,
    FaultPlan,
    FaultPlanError,
    FaultyAdapter,
    InjectedCrash,
    injected,
    one_fault,
    plan_from_env,
)
from local.runtime import LocalRuntime


class Queue:
    def __init__(self) -> None:
        self.sent: list[tuple[str, list[Mapping[str, Any]], Any]] = []

    def send(
        self, queue: QueueSpec, bodies: Sequence[Mapping[str, Any]], *, delay_seconds: int | Sequence[int] = 0
    ) -> None:
        self.sent.append((queue.logical, list(bodies), delay_seconds))


class Campaigns:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def clear_dispatching(self, campaign_id: str) -> None:
        self.calls.append(f"clear {campaign_id}")

    def record_results(self, campaign_id: str, batch_id: str, **_: Any) -> bool:
        self.calls.append(f"results {batch_id}")
        return True


class Connector:
    name = "fake"

    def __init__(self) -> None:
        self.placed = 0

    def place(self, attempts: Sequence[Any]) -> list[Any]:
        self.placed += 1
        return []


def _wrap(port: str, inner: Any, plan: Mapping[str, Any]) -> tuple[Any, FaultLog]:
    log = FaultLog()
    return FaultyAdapter(port, inner, FaultPlan.parse(dict(plan)), log), log


@pytest.mark.parametrize(
    ("plan", "message"),
    [
        ("[1]", "a JSON object"),
        ("{not json", "a fault plan is a JSON object"),
        ('{"Ledger.post": {"crash_before": 1}}', "Ledger.post: no port 'Ledger'"),
        ('{"AdCap.clam": {"crash_before": 1}}', "AdCap.clam: AdCap has no method 'clam'"),
        ('{"AdCap.claim": {"explode": 1}}', "AdCap.claim: no fault kind 'explode'"),
        ('{"AdCap.claim": {"crash_before": 0}}', "AdCap.claim: crash_before takes a call number"),
        ('{"AdCap.claim": {"crash_before": [1], "throttle": 1}}', "AdCap.claim: call 1 has two faults"),
        ('{"AdCap.claim": {"duplicate": 1}}', "AdCap.claim: only MessageQueue.send can be duplicated"),
        ('{"AdCap.claim": {"hold": 1}}', "AdCap.claim: only"),
        ('{"AdCap.claim@results": {"crash_before": 1}}', "only MessageQueue.send names a queue"),
        ('{"MessageQueue.send@nowhere": {"crash_before": 1}}', "no queue 'nowhere'"),
        ('{"MessageQueue.send": {"crash_before": 1, "until": "send"}}', "'until' goes with 'hold'"),
        ('{"CampaignRepository.clear_dispatching": {"hold": 1, "until": "nap"}}', "'until' names a method"),
    ],
)
def test_a_plan_that_cannot_be_followed_is_refused_naming_its_key(plan: str, message: str) -> None:
    with pytest.raises(FaultPlanError, match=message.replace("[", r"\[")):
        FaultPlan.parse(plan)


def test_the_environment_plan_names_the_variable_when_refused() -> None:
    assert not plan_from_env({})
    plan = plan_from_env({FAULTS_ENV: '{"CampaignRepository.record_admission": {"crash_before": 1}}'})
    assert plan.as_json() == '{"CampaignRepository.record_admission": {"crash_before": [1]}}'
    with pytest.raises(FaultPlanError, match=f"^{FAULTS_ENV}: AdCap.claim: no fault kind"):
        plan_from_env({FAULTS_ENV: '{"AdCap.claim": {"explode": 1}}'})


def test_the_local_runtime_refuses_a_bad_plan_before_starting(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(FAULTS_ENV, '{"MessageQueue.sned": {"crash_before": 1}}')
    with pytest.raises(FaultPlanError, match=r"MessageQueue\.sned: MessageQueue has no method 'sned'"):
        LocalRuntime(settings).start()


def test_crash_before_skips_the_call_and_crash_after_makes_it() -> None:
    campaigns = Campaigns()
    wrapped, log = _wrap(
        "CampaignRepository",
        campaigns,
        {"CampaignRepository.clear_dispatching": {"crash_before": 1, "crash_after": 3}},
    )
    with pytest.raises(InjectedCrash):
        wrapped.clear_dispatching("a")
    wrapped.clear_dispatching("b")
    with pytest.raises(InjectedCrash):
        wrapped.clear_dispatching("c")
    assert campaigns.calls == ["clear b", "clear c"]
    assert log.entries == [
        "CampaignRepository.clear_dispatching#1 crash_before",
        "CampaignRepository.clear_dispatching#3 crash_after",
    ]


def test_throttles_and_timeouts_raise_what_each_service_raises() -> None:
    campaigns, queue, connector = Campaigns(), Queue(), Connector()
    repository, _ = _wrap(
        "CampaignRepository", campaigns, {"CampaignRepository.record_results": {"throttle": 1, "timeout_after": 2}}
    )
    sqs, _ = _wrap("MessageQueue", queue, {"MessageQueue.send": {"throttle": 1, "timeout": 2}})
    provider, _ = _wrap("Connector", connector, {"Connector.place": {"throttle": 1, "timeout": 2}})
    with pytest.raises(ClientError) as dynamodb_error:
        repository.record_results("c", "b1", applied=1, charged=0, finals={})
    assert dynamodb_error.value.response["Error"]["Code"] == "ProvisionedThroughputExceededException"
    with pytest.raises(ReadTimeoutError):
        repository.record_results("c", "b2", applied=1, charged=0, finals={})
    assert campaigns.calls == ["results b2"]  # the answer was lost, the write was not
    with pytest.raises(ClientError) as sqs_error:
        sqs.send(DISPATCH_QUEUE, [{"n": 1}])
    assert sqs_error.value.response["Error"]["Code"] == "ThrottlingException"
    with pytest.raises(ReadTimeoutError):
        sqs.send(DISPATCH_QUEUE, [{"n": 2}])
    assert queue.sent == []
    for _ in range(2):
        with pytest.raises(ConnectorError) as refused:
            provider.place([])
        assert refused.value.retryable
    assert connector.placed == 0 and provider.name == "fake"


def test_a_queue_fault_may_name_its_queue_and_duplicate_sends_every_message_twice() -> None:
    queue = Queue()
    sqs, log = _wrap("MessageQueue", queue, {"MessageQueue.send@results": {"duplicate": 2}})
    sqs.send(RESULTS_QUEUE, [{"n": 1}])
    sqs.send(DISPATCH_QUEUE, [{"n": 2}])  # not counted: another queue
    sqs.send(RESULTS_QUEUE, [{"n": 3}, {"n": 4}], delay_seconds=5)
    assert queue.sent == [
        ("results", [{"n": 1}], 0),
        ("dispatch", [{"n": 2}], 0),
        ("results", [{"n": 3}, {"n": 4}, {"n": 3}, {"n": 4}], [5, 5, 5, 5]),
    ]
    assert log.entries == ["MessageQueue.send@results#2 duplicate"]


def test_a_held_call_takes_effect_after_its_until_or_at_flush() -> None:
    campaigns = Campaigns()
    wrapped, _ = _wrap(
        "CampaignRepository",
        campaigns,
        {"CampaignRepository.clear_dispatching": {"hold": [1, 2], "until": "record_results"}},
    )
    assert wrapped.clear_dispatching("a") is None
    assert campaigns.calls == []
    wrapped.record_results("a", "b1", applied=1, charged=0, finals={})
    assert campaigns.calls == ["results b1", "clear a"]  # the results first, then the dispatched mark
    wrapped.clear_dispatching("b")
    assert wrapped.flush() == 1 and campaigns.calls[-1] == "clear b"
    queue = Queue()
    sqs, _ = _wrap("MessageQueue", queue, {"MessageQueue.send": {"hold": 1}})
    sqs.send(DISPATCH_QUEUE, [{"n": 1}])
    sqs.send(DISPATCH_QUEUE, [{"n": 2}])
    assert [body for _, bodies, _ in queue.sent for body in bodies] == [{"n": 2}, {"n": 1}]  # overtaken


def test_injected_wraps_what_the_port_resolves_to_and_gives_it_back() -> None:
    queue = Queue()
    with override(MessageQueue, queue):
        with injected(one_fault("MessageQueue.send", FaultKind.CRASH_BEFORE)) as faults:
            wrapped = resolve(MessageQueue)
            assert isinstance(wrapped, FaultyAdapter) and wrapped.inner is queue
            with pytest.raises(InjectedCrash):
                resolve(MessageQueue).send(DISPATCH_QUEUE, [{"n": 1}])
            resolve(MessageQueue).send(DISPATCH_QUEUE, [{"n": 2}])
        assert resolve(MessageQueue) is queue
    assert faults.log.entries == ["MessageQueue.send#1 crash_before"]
    assert queue.sent == [("dispatch", [{"n": 2}], 0)]
