"""Recipient items written without a pynamodb model per item (issue 17): the same attributes, byte for byte,
as the model serialises, and what `save_all` writes is what `load_many` reads back, past one 25-item request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from jarchi.campaigns.models import RecipientState
from jarchi.settings import Settings
from jarchi.store.campaigns import RecipientItem, recipient_attributes, to_recipient_item
from jarchi.store.recipients import S3DynamoRecipients

TEHRAN = timezone(timedelta(hours=3, minutes=30))
moments = st.none() | st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.sampled_from([UTC, TEHRAN])
)
texts = st.none() | st.text(max_size=12)
counts = st.none() | st.integers(min_value=-(10**12), max_value=10**12)

states = st.builds(
    RecipientState,
    campaign_id=st.text(min_size=1, max_size=12),
    seq=st.integers(min_value=0, max_value=10**9),
    number=st.text(min_size=1, max_size=16),
    units=st.integers(min_value=0, max_value=10),
    status=st.sampled_from(["pending", "in_progress", "delivered", "answered", "failed", ""]),
    attempts=st.integers(min_value=0, max_value=9),
    attempt_id=texts,
    vote=counts,
    listened_seconds=counts,
    cost=st.integers(min_value=0, max_value=10**12),
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


@settings(max_examples=300, deadline=None)
@given(states)
def test_the_raw_item_is_the_models_serialisation(state: RecipientState) -> None:
    assert recipient_attributes(state) == to_recipient_item(state).serialize()


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
    assert RecipientItem.get("c1", 7).serialize() == to_recipient_item(states[7]).serialize()
