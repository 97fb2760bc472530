"""Recipient items written without a pynamodb model per item, packed (issue 17): the keys and what an index is
keyed on top-level, the rest of the state in one JSON attribute. Every reader goes through `to_state`, which
reads back exactly what `recipient_attributes` wrote, reads the items written before the state was packed as
before, and a callback's item (updated in place by ADDs)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from jarchi.campaigns.models import RecipientState
from jarchi.campaigns.ports import CallbackRecord
from jarchi.settings import Settings
from jarchi.store.campaigns import DynamoCampaigns, RecipientItem, callback_key, recipient_attributes, to_state
from jarchi.store.recipients import S3DynamoRecipients

TEHRAN = timezone(timedelta(hours=3, minutes=30))
# whole seconds: the store keeps times as `jarchi.clock.iso` formats them (to the millisecond)
moments = st.none() | st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.sampled_from([UTC, TEHRAN])
).map(lambda moment: moment.replace(microsecond=0))
texts = st.none() | st.text(max_size=12)
counts = st.none() | st.integers(min_value=-(10**12), max_value=10**12)

states = st.builds(
    RecipientState,
    campaign_id=st.text(min_size=1, max_size=12),
    seq=st.integers(min_value=-(10**9), max_value=10**9),
    number=st.text(min_size=1, max_size=16),
    units=st.integers(min_value=0, max_value=10),
    status=st.sampled_from(["pending", "in_progress", "delivered", "answered", "failed", ""]),
    attempts=st.integers(min_value=0, max_value=9),
    attempt_id=texts,
    vote=counts,
    listened_seconds=counts,
    cost=st.integers(min_value=0, max_value=10**15),
    reason=texts,
    updated_at=moments,
    delivery_status=texts,
    called_at=moments,
    caller_id=texts,
    admitted_at=moments,
    placed_at=moments,
    recording=texts,
    recording_seconds=counts,
)

# Top-level attributes a packed item may have: the keys, `state`, and the keys of the two sparse indexes.
PACKED_TOP_LEVEL = {"campaign_id", "seq", "state", "number", "called_at", "recorded_in"}


@settings(max_examples=300, deadline=None)
@given(states)
def test_what_is_packed_is_read_back(state: RecipientState) -> None:
    raw = recipient_attributes(state)
    assert set(raw) <= PACKED_TOP_LEVEL
    # the sparse indexes see the same items as before: a call that reached the network, a recorded call
    assert ("called_at" in raw and "number" in raw) is (state.called_at is not None)
    assert ("recorded_in" in raw) is (state.recording is not None)
    assert to_state(RecipientItem.from_raw_data(raw)) == state


@settings(max_examples=100, deadline=None)
@given(states)
def test_an_item_written_before_the_state_was_packed_reads_as_before(state: RecipientState) -> None:
    """Every field a top-level attribute, as the items written before (a data folder kept across versions)."""
    unpacked = RecipientItem(
        state.campaign_id,
        state.seq,
        number=state.number,
        units=state.units,
        status=state.status,
        attempts=state.attempts,
        attempt_id=state.attempt_id,
        vote=state.vote,
        listened_seconds=state.listened_seconds,
        cost=state.cost,
        reason=state.reason,
        updated_at=state.updated_at.isoformat() if state.updated_at else None,
        delivery_status=state.delivery_status,
        called_at=state.called_at.isoformat() if state.called_at else None,
        admitted_at=state.admitted_at.isoformat() if state.admitted_at else None,
        placed_at=state.placed_at.isoformat() if state.placed_at else None,
        caller_id=state.caller_id,
        recording=state.recording,
        recording_seconds=state.recording_seconds,
        recorded_in=state.campaign_id if state.recording else None,
    )
    assert to_state(RecipientItem.from_raw_data(unpacked.serialize())) == state


def test_save_all_writes_what_load_many_reads(aws: Settings) -> None:
    at = datetime(2026, 3, 2, 10, 0, tzinfo=TEHRAN)
    states = [
        RecipientState(
            "c1",
            seq,
            number=f"+98912{seq:07d}",
            units=1 + seq % 3,
            status="delivered" if seq % 2 else "failed",
            attempts=1,
            attempt_id=f"c1.{seq}.1",
            vote=seq % 10 if seq % 4 == 0 else None,
            cost=seq * 10,
            updated_at=at,
            delivery_status="DELIVRD" if seq % 2 else None,
            called_at=at if seq % 3 == 0 else None,
            caller_id="+982100000001" if seq % 3 == 0 else None,
            admitted_at=at - timedelta(seconds=2),
            placed_at=at - timedelta(seconds=1),
            recording=f"recordings/c1/{seq}.wav" if seq % 5 == 0 else None,
            recording_seconds=seq if seq % 5 == 0 else None,
        )
        for seq in range(60)  # three requests
    ]
    S3DynamoRecipients().save_all(states)
    loaded = S3DynamoRecipients().load_many("c1", range(60))
    assert [loaded[s.seq] for s in states] == states
    # fewer top-level attributes than fields: an SMS result is 3 (keys and `state`), a call that reached the
    # network 5 (and the `by_called_number` index's keys)
    assert set(RecipientItem.get("c1", 1).attribute_values) == {"campaign_id", "seq", "state"}
    assert set(RecipientItem.get("c1", 3).attribute_values) == {"campaign_id", "seq", "state", "number", "called_at"}
    # the sparse indexes read the state through the same decoder
    recorded, _ = S3DynamoRecipients().recordings("c1", 50, None)
    assert recorded == [s for s in states if s.recording]
    called = list(RecipientItem.by_called_number.query("+989120000003"))
    assert [to_state(i) for i in called] == [states[3]]


def test_a_callbacks_item_updated_in_place_reads_with_the_same_decoder(aws: Settings) -> None:
    record = CallbackRecord(
        account_id="acc",
        campaign_id="c2",
        seq=4,
        number="+989120000004",
        event_id="e1",
        connected=False,
        seconds=12,
        cost=0,
        posting=None,
    )
    assert DynamoCampaigns().record_callback(record)
    assert DynamoCampaigns().record_callback(replace(record, event_id="e2", seconds=3))
    stored = S3DynamoRecipients().load_many("c2", [callback_key(4)])[callback_key(4)]
    assert (stored.number, stored.units, stored.status, stored.callbacks_refused, stored.cost) == (
        "+989120000004",
        0,
        "callbacks",
        2,
        0,
    )
