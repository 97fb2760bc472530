"""R-CMP-4: who a new part sends to (reset, retry-failed, resume-unfinished), numbered as the part's own."""

from __future__ import annotations

from jarchi.campaigns.models import PART_STRIDE, AudienceEntry, RecipientState
from jarchi.campaigns.parts import RETRY_FAILED_STATUSES, renumbered, retried, unfinished

ENTRIES = [
    AudienceEntry(seq=PART_STRIDE + i, number=f"+98912000000{i}", time_zone="Asia/Tehran", units=1) for i in range(5)
]


def _state(seq: int, status: str) -> RecipientState:
    return RecipientState("cmp_1", seq, number="+98", units=1, status=status, attempt_id=f"cmp_1.{seq}.2")


def test_r_cmp_4_retry_failed_takes_no_answer_busy_failed_undelivered_and_expired() -> None:
    assert {"no_answer", "busy", "failed", "unreachable", "undelivered", "expired"} == RETRY_FAILED_STATUSES
    states = {
        e.seq: _state(e.seq, status)
        for e, status in zip(ENTRIES, ["answered", "busy", "delivered", "undelivered", "frequency_capped"], strict=True)
    }
    assert [e.seq - PART_STRIDE for e in retried(ENTRIES, states)] == [1, 3]
    assert retried(ENTRIES, {}) == []  # nobody with a result: nothing to retry


def test_r_cmp_4_resume_unfinished_takes_those_ahead_of_the_pointer() -> None:
    assert [e.seq - PART_STRIDE for e in unfinished(ENTRIES, next_seq=3, seq_base=PART_STRIDE)] == [3, 4]
    assert unfinished(ENTRIES, next_seq=5, seq_base=PART_STRIDE) == []


def test_r_cmp_4_a_new_part_numbers_its_recipients_from_its_base_in_order() -> None:
    again = renumbered(ENTRIES[1::2], 2)
    assert [e.seq for e in again] == [2 * PART_STRIDE, 2 * PART_STRIDE + 1]
    assert [e.number for e in again] == [ENTRIES[1].number, ENTRIES[3].number]
