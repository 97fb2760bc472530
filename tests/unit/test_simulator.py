"""R-DSP-4: the simulator connector behind the Connector interface."""

from __future__ import annotations

import json
import random
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from jarchi.attempts import Attempt, AttemptResult, DeliveryStatus, Outcome, Placement, PlacementStatus
from jarchi.channels import Category, Channel
from jarchi.clock import LocalClock
from jarchi.connectors.simulator import SimulatorConfig, SimulatorConnector
from jarchi.ports import Connector
from tests.fakes.content import FakeRecordings

START = datetime(2026, 3, 2, 6, 30, tzinfo=UTC)


def voice(i: int, *, category: Category = Category.ADVERTISING, vote: bool = True, seconds: int = 40) -> Attempt:
    return Attempt(
        attempt_id=f"att_{i:06d}",
        campaign_id="cmp_1",
        account_id="acc_1",
        channel=Channel.VOICE,
        category=category,
        number=f"+98912{i:07d}",
        audio_key="audio/aud_1.mp3",
        message_seconds=seconds,
        vote=vote,
    )


def sms(i: int) -> Attempt:
    return Attempt(
        attempt_id=f"sms_{i:06d}",
        campaign_id="cmp_2",
        account_id="acc_1",
        channel=Channel.SMS,
        category=Category.SERVICE,
        number=f"+98912{i:07d}",
        sms_text="your order has shipped",
        sender="SHOP",
    )


def results(connector: SimulatorConnector, attempts: list[Attempt]) -> dict[str, AttemptResult]:
    out = {}
    for placement in connector.place(attempts):
        assert placement.status is PlacementStatus.COMPLETED and placement.result is not None
        out[placement.attempt_id] = placement.result
    return out


@pytest.fixture
def frozen() -> LocalClock:
    return LocalClock(START, ticking=False)


def test_r_dsp_4_simulator_is_a_connector(frozen: LocalClock) -> None:
    connector = SimulatorConnector(clock=frozen)
    assert isinstance(connector, Connector)
    assert connector.name == "simulator"
    placements = connector.place([voice(1), sms(2)])
    assert [p.attempt_id for p in placements] == ["att_000001", "sms_000002"]
    assert all(p.reference == f"sim-{p.attempt_id}" for p in placements)


def test_r_dsp_4_same_seed_same_results_regardless_of_order_and_batches(frozen: LocalClock) -> None:
    attempts = [voice(i) for i in range(500)] + [sms(i) for i in range(200)]
    config = SimulatorConfig(seed=42)
    first = results(SimulatorConnector(config, frozen), attempts)
    shuffled = attempts[:]
    random.Random(7).shuffle(shuffled)
    connector = SimulatorConnector(config, frozen)
    second: dict[str, AttemptResult] = {}
    for k in range(0, len(shuffled), 10):
        second |= results(connector, shuffled[k : k + 10])
    assert first == second
    other_seed = results(SimulatorConnector(SimulatorConfig(seed=43), frozen), attempts)
    assert other_seed != first


def test_r_dsp_4_voice_rates_are_roughly_honoured(frozen: LocalClock) -> None:
    n = 10_000
    config = SimulatorConfig(
        seed=1,
        voice={"answered": 50, "no_answer": 20, "busy": 10, "unreachable": 10, "failed": 5, "answering_machine": 5},
        opt_out_probability=0.0,
    )
    got = results(SimulatorConnector(config, frozen), [voice(i) for i in range(n)])
    outcomes = Counter(r.outcome for r in got.values())
    machines = sum(r.answering_machine for r in got.values())
    expected = {
        Outcome.ANSWERED: 0.55,
        Outcome.NO_ANSWER: 0.20,
        Outcome.BUSY: 0.10,
        Outcome.UNREACHABLE: 0.10,
        Outcome.FAILED: 0.05,
    }
    for outcome, share in expected.items():
        assert abs(outcomes[outcome] / n - share) < 0.02, (outcome, outcomes[outcome])
    assert abs(machines / n - 0.05) < 0.01


def test_r_dsp_4_listen_and_vote_distributions(frozen: LocalClock) -> None:
    n = 10_000
    config = SimulatorConfig(
        seed=3,
        voice={"answered": 1, "no_answer": 0, "busy": 0, "unreachable": 0, "failed": 0, "answering_machine": 0},
        full_listen_probability=0.5,
        min_listen_fraction=0.2,
        opt_out_probability=0.1,
        vote_probability=0.5,
        vote_digits={"1": 1, "2": 1},
    )
    got = list(results(SimulatorConnector(config, frozen), [voice(i, seconds=60) for i in range(n)]).values())
    full = sum(r.listened_seconds == 60 for r in got)
    assert abs(full / n - 0.5) < 0.03
    assert all(12 <= r.listened_seconds <= 60 for r in got)
    votes = Counter(r.vote for r in got)
    assert abs(votes[11] / n - 0.1) < 0.02
    assert abs(votes[0] / n - 0.45) < 0.03  # no opt-out and no vote: 0.9 × 0.5
    assert abs(votes[1] / n - 0.225) < 0.03 and abs(votes[2] / n - 0.225) < 0.03
    assert all(r.digits == str(r.vote) for r in got if r.vote > 0)


def test_r_dsp_4_no_vote_without_a_survey_and_no_opt_out_outside_ads(frozen: LocalClock) -> None:
    config = SimulatorConfig(
        seed=5,
        voice={"answered": 1, "answering_machine": 0, "no_answer": 0, "busy": 0, "unreachable": 0, "failed": 0},
        opt_out_probability=0.5,
        vote_probability=1.0,
    )
    connector = SimulatorConnector(config, frozen)
    service = results(connector, [voice(i, category=Category.SERVICE, vote=False) for i in range(300)])
    assert {r.vote for r in service.values()} == {0}
    service_vote = results(connector, [voice(i, category=Category.SERVICE) for i in range(300)])
    assert 11 not in {r.vote for r in service_vote.values()}


def test_r_dsp_4_answering_machine_listens_fully_and_never_votes(frozen: LocalClock) -> None:
    config = SimulatorConfig(
        voice={"answering_machine": 1, "answered": 0, "no_answer": 0, "busy": 0, "unreachable": 0, "failed": 0}
    )
    for result in results(SimulatorConnector(config, frozen), [voice(i) for i in range(50)]).values():
        assert result.outcome is Outcome.ANSWERED and result.answering_machine
        assert result.listened_seconds == 40 and result.vote == 0


def test_r_out_2_not_answered_results_have_vote_minus_one(frozen: LocalClock) -> None:
    got = results(SimulatorConnector(SimulatorConfig(seed=9), frozen), [voice(i) for i in range(500)])
    for result in got.values():
        if result.outcome is not Outcome.ANSWERED:
            assert result.vote == -1 and result.listened_seconds == 0 and result.digits is None


def test_r_dsp_4_sms_delivery_statuses(frozen: LocalClock) -> None:
    n = 10_000
    config = SimulatorConfig(seed=11, sms={"DELIVRD": 80, "UNDELIV": 10, "EXPIRED": 5, "REJECTD": 5, "NOREPORT": 0})
    got = results(SimulatorConnector(config, frozen), [sms(i) for i in range(n)])
    statuses = Counter(r.delivery_status for r in got.values())
    for status, share in {"DELIVRD": 0.8, "UNDELIV": 0.1, "EXPIRED": 0.05, "REJECTD": 0.05}.items():
        assert abs(statuses[DeliveryStatus(status)] / n - share) < 0.02
    outcomes = Counter(r.outcome for r in got.values())
    assert set(outcomes) == {Outcome.DELIVERED, Outcome.UNDELIVERED, Outcome.REJECTED}
    assert all(r.listened_seconds == 0 and r.vote == -1 for r in got.values())


def test_r_dsp_4_latency_on_the_local_clock(frozen: LocalClock) -> None:
    instant = SimulatorConnector(clock=frozen)
    assert all(r.completed_at == START for r in results(instant, [voice(i) for i in range(20)]).values())
    config = SimulatorConfig(voice_latency_seconds=(5, 25), include_call_duration=True, sms_latency_seconds=(1, 2))
    slow = results(SimulatorConnector(config, frozen), [voice(i) for i in range(200)] + [sms(i) for i in range(50)])
    for attempt_id, result in slow.items():
        delay = (result.completed_at - START).total_seconds()
        if attempt_id.startswith("sms"):
            assert 1 <= delay <= 2
        else:
            assert 5 <= delay - result.listened_seconds <= 25
    frozen.advance(100)
    later = results(SimulatorConnector(clock=frozen), [voice(1)])
    assert later["att_000001"].completed_at == START + timedelta(seconds=100)


def test_r_dsp_4_overrides_force_outcomes_per_number(frozen: LocalClock) -> None:
    config = SimulatorConfig.model_validate(
        {
            "overrides": {
                "+989120000001": "busy",
                "+989120000002": {"outcome": "answered", "digits": "2", "listened_seconds": 10},
                "+989120000003": "UNDELIV",
                "+989120000004": "failed",
                "+989120000005": {"outcome": "answered", "listened_seconds": 999},
            }
        }
    )
    connector = SimulatorConnector(config, frozen)
    got = results(connector, [voice(1), voice(2), sms(3), sms(4), voice(5)])
    assert got["att_000001"].outcome is Outcome.BUSY
    answered = got["att_000002"]
    assert (answered.outcome, answered.vote, answered.listened_seconds) == (Outcome.ANSWERED, 2, 10)
    assert got["sms_000003"].outcome is Outcome.UNDELIVERED
    assert got["sms_000003"].delivery_status is DeliveryStatus.UNDELIV
    assert got["sms_000004"].outcome is Outcome.FAILED
    assert got["att_000005"].listened_seconds == 40  # never more than the message


def test_r_dsp_4_override_wins_over_an_answering_machine_draw(frozen: LocalClock) -> None:
    # Every draw is an answering machine; the forced outcome must still be what comes back.
    rates = {"answered": 0, "no_answer": 0, "busy": 0, "unreachable": 0, "failed": 0, "answering_machine": 1}
    config = SimulatorConfig.model_validate(
        {"voice": rates, "overrides": {"+989120000001": "busy", "+989120000002": {"outcome": "answered"}}}
    )
    got = results(SimulatorConnector(config, frozen), [voice(1), voice(2), voice(3)])
    assert got["att_000001"].outcome is Outcome.BUSY
    assert got["att_000002"].outcome is Outcome.ANSWERED and not got["att_000002"].answering_machine
    assert got["att_000003"].answering_machine


def test_r_dsp_4_override_rejects_pre_dial_outcomes() -> None:
    with pytest.raises(ValidationError):
        SimulatorConfig.model_validate({"overrides": {"+989120000001": "frequency_capped"}})
    with pytest.raises(ValidationError):
        SimulatorConfig.model_validate({"overrides": {"+989120000001": "ENROUTE"}})


def test_r_dsp_4_invalid_number_fails_at_the_connector(frozen: LocalClock) -> None:
    attempt = Attempt(
        attempt_id="att_x",
        campaign_id="c",
        account_id="a",
        channel=Channel.VOICE,
        category=Category.SERVICE,
        number="0912",
        tts_text="hello",
        message_seconds=5,
    )
    (placement,) = SimulatorConnector(clock=frozen).place([attempt])
    assert placement.result is not None
    assert placement.result.outcome is Outcome.FAILED and placement.result.detail == "invalid_number"


def test_r_dsp_4_config_from_json_file_inline_and_defaults(tmp_path: Path) -> None:
    path = tmp_path / "simulator.json"
    path.write_text(json.dumps({"seed": "demo", "voice": {"answered": 1, "busy": 1}}), encoding="utf-8")
    from_file = SimulatorConfig.from_json(path)
    assert from_file.seed == "demo" and from_file.voice.busy == 1
    assert SimulatorConfig.load(str(path)) == from_file
    assert SimulatorConfig.load('{"seed": 5}').seed == 5
    assert SimulatorConfig.load(None) == SimulatorConfig()
    assert SimulatorConfig.load("") == SimulatorConfig()


@pytest.mark.parametrize(
    "bad",
    [
        {"voice": {"answered": -1}},
        {"voice": {"answered": 0, "no_answer": 0, "busy": 0, "unreachable": 0, "failed": 0, "answering_machine": 0}},
        {"vote_probability": 1.5},
        {"voice_latency_seconds": [10, 5]},
        {"vote_digits": {"x": 1}},
        {"unknown_field": 1},
    ],
)
def test_r_dsp_4_config_errors(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        SimulatorConfig.model_validate(bad)


def test_r_dsp_1_attempt_and_result_messages_round_trip(frozen: LocalClock) -> None:
    attempt = voice(7)
    message = json.loads(json.dumps(attempt.to_message()))
    assert message["channel"] == "voice" and message["category"] == "advertising"
    assert Attempt.from_message(message) == attempt
    (placement,) = SimulatorConnector(clock=frozen).place([sms(8)])
    assert placement.result is not None
    result_message = json.loads(json.dumps(placement.result.to_message()))
    assert AttemptResult.from_message(result_message) == placement.result


def test_r_dsp_4_attempt_and_placement_invariants() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        Attempt("a", "c", "acc", Channel.VOICE, Category.SERVICE, "+989120000001", audio_key="k", tts_text="t")
    with pytest.raises(ValueError, match="sms_text goes with"):
        Attempt("a", "c", "acc", Channel.VOICE, Category.SERVICE, "+989120000001", sms_text="hi")
    with pytest.raises(ValueError, match="completed placement"):
        Placement(attempt_id="a", status=PlacementStatus.COMPLETED)
    assert Placement(attempt_id="a", status=PlacementStatus.RETRY, error="throttled").result is None


def test_r_out_5_only_answered_calls_that_ask_for_it_are_recorded_under_their_campaign(frozen: LocalClock) -> None:
    store = FakeRecordings()
    numbers = {"+989120000001": "answered", "+989120000002": "no_answer", "+989120000003": "machine"}
    connector = SimulatorConnector(SimulatorConfig(overrides=numbers), frozen, recordings=store)
    recorded = [replace(voice(i), record=True) for i in (1, 2, 3)]
    out = results(connector, [*recorded, voice(4)])
    answered, unanswered, machine, unasked = (out[f"att_{i:06d}"] for i in (1, 2, 3, 4))
    assert answered.recording_key == "recordings/cmp_1/att_000001.wav"
    assert answered.recording_seconds == answered.listened_seconds > 0
    assert machine.recording_key == "recordings/cmp_1/att_000003.wav"  # the network answered: recorded too
    assert unanswered.recording_key is None and unasked.recording_key is None
    assert sorted(store.objects) == [answered.recording_key, machine.recording_key]
    assert all(data[:4] == b"RIFF" and len(data) < 4096 for data in store.objects.values())  # a small stand-in
    assert "record" not in voice(4).to_message() and recorded[0].to_message()["record"] is True
