"""R-CMP-4: who a new part sends to (reset, retry-failed, resume-unfinished), numbered as the part's own."""

from __future__ import annotations

from datetime import UTC, datetime

from jarchi.campaigns.follow_ups import FollowUpOn, FollowUpRule
from jarchi.campaigns.models import (
    PART_STRIDE,
    AudienceEntry,
    Campaign,
    CampaignContent,
    CampaignMoney,
    CampaignProgress,
    CampaignSettings,
    RecipientState,
)
from jarchi.campaigns.parts import RETRY_FAILED_STATUSES, renumbered, retried, unfinished
from jarchi.campaigns.statuses import CampaignStatus
from jarchi.channels import Category, Channel

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


def voice_campaign(follow_ups: tuple[FollowUpRule, ...]) -> Campaign:
    now = datetime(2026, 12, 1, 8, tzinfo=UTC)
    return Campaign(
        id="cmp_1",
        account_id="acc_1",
        created_at=now,
        name="Sale",
        channel=Channel.VOICE,
        category=Category.SERVICE,
        status=CampaignStatus.FINISHED,
        history=(),
        content=CampaignContent(pulses=1),
        settings=CampaignSettings(follow_ups=follow_ups),
        money=CampaignMoney(unit="pulse", tariff=1000, follow_up_tariff=1200 if follow_ups else 0),
        progress=CampaignProgress(total=5),
        audience_key="a/",
    )


def test_r_bil_2_r_out_3_a_new_part_reserves_its_calls_and_each_recipients_worst_case_of_follow_ups() -> None:
    answered = FollowUpRule(on=FollowUpOn.ANSWERED, sms_text="thanks", sender="Shop", units=2)
    not_answered = FollowUpRule(on=FollowUpOn.NOT_ANSWERED, sms_text="sorry", sender="Shop", units=1)
    # 5 recipients × 1 pulse × 1000; follow-ups: max(2 answered, 1 not answered) segments × 5 × 1200
    assert voice_campaign((answered, not_answered)).part_estimate(ENTRIES) == 5_000 + 2 * 5 * 1200
    assert voice_campaign(()).part_estimate(ENTRIES) == 5_000
    assert voice_campaign((answered,)).part_estimate([]) == 0
