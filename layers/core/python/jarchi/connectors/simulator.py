"""The simulator connector (R-DSP-4): the default locally, and what tests and benchmarks run against.

It "places" every attempt at once and returns its result, drawn from `SimulatorConfig`. Each attempt's
randomness comes from its own generator seeded with `"{seed}:{attempt_id}"`, so a run repeats exactly and an
attempt's result does not depend on the batch it came in, the order, or the thread that placed it.

Results carry `completed_at` = the clock's now + a latency drawn from the configured range (0 by default:
results are due at once); with `include_call_duration` an answered call also takes its listened seconds.
A result is applied once the platform clock reaches `completed_at`; until then its message waits on the
results queue (`jarchi.results.due`), in the cloud as locally.

Inbound calls (R-OUT-4): `originate_inbound_call` plays a subscriber calling a caller ID back: the platform's
callback rule answers (connect within the hour of the campaign's last call, or refuse), and the call's end is
reported on `connector-events`, the path every connector's events take, where it is booked once.

Idempotency keys: given a `PlacedAttempts` memory (the local platform gives it one in its data folder,
`local.durability.PlacementLedger`), the simulator honours `Attempt.idempotency_key` as a provider honouring
`Idempotency-Key` does: an attempt whose key it has placed before is not placed again, and its answer is the
first one (the same draws at the first placement's instant). A batch redelivered after a crash mid-placement
then places only what the crash cut short. Without one (tests, benchmarks, the cloud) it remembers nothing.

Recordings (R-OUT-5): an answered call of an attempt that asks for one (`Attempt.record`) is "recorded": the
result carries the key (`recordings/<campaign>/<attempt id>.wav`) and the call's listened seconds, and placing
puts a small stand-in WAV (a quarter second of silence, whatever the call's length) on the recordings store.

Answering machines: an `answering_machine` draw is an `answered` call (the network charges it) that
"listens" to the whole message (or the campaign's voicemail, when the attempt carries one) and never votes,
flagged `answering_machine=True` on the result; an override `{"outcome": "machine"}` forces one.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final, Protocol

from jarchi.attempts import (
    MACHINE,
    Attempt,
    AttemptResult,
    DeliveryStatus,
    Outcome,
    Placement,
    PlacementStatus,
    sms_outcome,
)
from jarchi.campaigns.callbacks import CallbackOutcome
from jarchi.campaigns.recordings import recording_key, stand_in_wav
from jarchi.channels import Category, Channel
from jarchi.clock import Clock, get_clock
from jarchi.connectors.simulator_config import Override, SimulatorConfig, SmsRates, VoiceRates
from jarchi.ports import MessageQueue, RecordingStore, resolve
from jarchi.resources import CONNECTOR_EVENTS_QUEUE

# The configuration's models are re-exported: tests and the local runtime read them from here too.
__all__ = [
    "CONNECTOR_NAME",
    "Override",
    "SimulatorConfig",
    "SimulatorConnector",
    "SmsRates",
    "VoiceRates",
    "originate_inbound_call",
]

if TYPE_CHECKING:
    from jarchi.results.callbacks import CallbackAnswer

CONNECTOR_NAME: Final = "simulator"
_E164 = re.compile(r"\+[1-9]\d{6,14}")


def originate_inbound_call(
    number: str,
    seconds: int,
    *,
    event_id: str,
    dialled: str | None = None,
    queue: MessageQueue | None = None,
    clock: Clock | None = None,
) -> CallbackAnswer:
    """A subscriber at `number` calls `dialled` (a caller ID it saw; None: not known) back and stays `seconds`
    on the line if connected; the answer, with the call's end sent to `connector-events` as the simulator's
    report (`event_id` names the call)."""
    # Here, not at the top: the dispatch function's cold start places calls and needs none of the callback rules.
    from jarchi.results.callbacks import CallbackReport, answer_callback

    answer = answer_callback(number, (clock or get_clock()).now(), dialled)
    connected = answer.outcome is CallbackOutcome.CONNECTED
    report = CallbackReport(
        event_id=f"{CONNECTOR_NAME}:{event_id}",
        number=number,
        outcome=answer.outcome,
        seconds=seconds if connected else 0,
        campaign_id=answer.campaign_id,
        seq=answer.seq,
        bridged=connected and answer.bridge_to is not None,
    )
    (queue or resolve(MessageQueue)).send(CONNECTOR_EVENTS_QUEUE, [report.to_message(CONNECTOR_NAME)])
    return answer


def _draw(rng: random.Random, weights: Mapping[str, float]) -> str:
    names = list(weights)
    return rng.choices(names, weights=[weights[name] for name in names])[0]


class PlacedAttempts(Protocol):
    """What the simulated provider remembers of the attempts it placed, by idempotency key."""

    def place_once(self, attempts: Sequence[Attempt], at: datetime) -> Mapping[str, datetime]:
        """Record the attempts whose keys are new as placed `at` (kept before answering, as a provider commits
        before it acknowledges); answer, by key, when each attempt of `attempts` was first placed."""
        ...


class SimulatorConnector:
    """`Connector` that answers at once from a seeded model of subscribers (see `SimulatorConfig`)."""

    def __init__(
        self,
        config: SimulatorConfig | None = None,
        clock: Clock | None = None,
        placed: PlacedAttempts | None = None,
        recordings: RecordingStore | None = None,
    ) -> None:
        self.config = config or SimulatorConfig()
        self._clock = clock
        self.placed = placed
        self._recordings = recordings

    @property
    def name(self) -> str:
        return CONNECTOR_NAME

    def remembering(self, placed: PlacedAttempts) -> SimulatorConnector:
        """The same simulator, honouring idempotency keys with `placed` as its memory."""
        return SimulatorConnector(self.config, self._clock, placed, self._recordings)

    def place(self, attempts: Sequence[Attempt]) -> list[Placement]:
        now = (self._clock or get_clock()).now()
        first = self.placed.place_once(attempts, now) if self.placed is not None else {}
        placements = []
        for attempt in attempts:
            result = self.simulate(attempt, first.get(attempt.idempotency_key, now))
            placements.append(
                Placement(
                    attempt_id=attempt.attempt_id,
                    status=PlacementStatus.COMPLETED,
                    result=result,
                    reference=result.reference,
                )
            )
        recorded = [p.result.recording_key for p in placements if p.result is not None and p.result.recording_key]
        if recorded:
            store = self._recordings or resolve(RecordingStore)
            for key in recorded:
                store.put(key, stand_in_wav())
        if self.config.answer_seconds:
            time.sleep(self.config.answer_seconds)
        return placements

    def simulate(self, attempt: Attempt, placed_at: datetime) -> AttemptResult:
        """The result of one attempt placed at `placed_at`; the same inputs always give the same result."""
        rng = random.Random(f"{self.config.seed}:{attempt.attempt_id}")
        if not _E164.fullmatch(attempt.number):
            return self._result(attempt, Outcome.FAILED, placed_at, detail="invalid_number")
        if Channel(attempt.channel) is Channel.SMS:
            return self._sms(attempt, rng, placed_at)
        return self._voice(attempt, rng, placed_at)

    @staticmethod
    def _result(
        attempt: Attempt,
        outcome: Outcome,
        completed_at: datetime,
        *,
        listened_seconds: int = 0,
        digits: str | None = None,
        delivery_status: DeliveryStatus | None = None,
        answering_machine: bool = False,
        detail: str | None = None,
    ) -> AttemptResult:
        recorded = attempt.record and outcome is Outcome.ANSWERED
        return AttemptResult.of(
            attempt,
            outcome,
            completed_at=completed_at,
            connector=CONNECTOR_NAME,
            reference=f"sim-{attempt.attempt_id}",
            listened_seconds=listened_seconds,
            digits=digits,
            delivery_status=delivery_status,
            answering_machine=answering_machine,
            detail=detail,
            recording_key=recording_key(attempt.campaign_id, attempt.attempt_id) if recorded else None,
            recording_seconds=listened_seconds if recorded else 0,
        )

    def _sms(self, attempt: Attempt, rng: random.Random, placed_at: datetime) -> AttemptResult:
        override = self.config.overrides.get(attempt.number)
        latency = rng.uniform(*self.config.sms_latency_seconds)
        drawn = DeliveryStatus(_draw(rng, self.config.sms.model_dump()))
        completed_at = placed_at + timedelta(seconds=latency)
        if override is not None and override.outcome is Outcome.FAILED:
            return self._result(attempt, Outcome.FAILED, completed_at, detail="submission_failed")
        status = override.delivery_status if override and override.delivery_status else drawn
        return self._result(attempt, sms_outcome(status), completed_at, delivery_status=status)

    def _voice(self, attempt: Attempt, rng: random.Random, placed_at: datetime) -> AttemptResult:
        config = self.config
        override = config.overrides.get(attempt.number)
        # Every draw happens in the same order whatever the outcome, so an override changes nothing else.
        kind = _draw(rng, config.voice.model_dump())
        full = rng.random() < config.full_listen_probability
        fraction = rng.uniform(config.min_listen_fraction, config.max_listen_fraction)
        opts_out = rng.random() < config.opt_out_probability
        votes = rng.random() < config.vote_probability
        digit = _draw(rng, config.vote_digits)
        latency = rng.uniform(*config.voice_latency_seconds)

        forced = override.outcome if override is not None else None
        machine = forced == MACHINE or (kind == "answering_machine" and forced is None)
        if machine:
            outcome = Outcome.ANSWERED
        elif forced is not None:
            outcome = Outcome(forced)
        else:
            outcome = Outcome(kind)
        if outcome is not Outcome.ANSWERED:
            return self._result(attempt, outcome, placed_at + timedelta(seconds=latency))

        length = max(attempt.voicemail_seconds if machine and attempt.voicemail_units else attempt.message_seconds, 0)
        listened = length if full or machine else min(length, max(1, round(fraction * length)))
        digits: str | None = None
        if not machine:
            if opts_out and Category(attempt.category) is Category.ADVERTISING:
                digits = "11"
            elif votes and attempt.vote:
                digits = digit
        if override is not None:
            if override.listened_seconds is not None:
                listened = min(length, override.listened_seconds)
            digits = override.digits if override.digits is not None else digits
        duration = latency + (listened if config.include_call_duration else 0)
        return self._result(
            attempt,
            Outcome.ANSWERED,
            placed_at + timedelta(seconds=duration),
            listened_seconds=listened,
            digits=digits,
            answering_machine=machine,
        )
