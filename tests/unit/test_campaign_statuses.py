"""R-CMP-3/4: campaign statuses and their transitions, R-CPL-4 moderation, R-CPL-5 quality stop."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jarchi.campaigns.statuses import (
    OWNER_ACTIONS,
    TRANSITIONS,
    CampaignAction,
    CampaignOperation,
    CampaignStatus,
    StatusChange,
    SystemEvent,
    after_acceptance,
    allowed_triggers,
    apply,
    archived_from,
    can_transition,
    ensure_nothing_in_flight,
    initial_status,
    parse_action,
    refuse,
    transition,
)
from jarchi.errors import BadRequest, Conflict

S = CampaignStatus
A = CampaignAction
E = SystemEvent
NOW = datetime(2026, 3, 2, 6, 30, tzinfo=UTC)


def test_r_cmp_3_all_spec_statuses_exist() -> None:
    assert {s.value for s in CampaignStatus} == {
        "moderation",
        "clarification",
        "accepted",
        "rejected",
        "scheduled",
        "running",
        "paused",
        "waiting_window",
        "stopped",
        "finished",
        "archived",
        "error",
    }


def test_r_cmp_3_happy_path_with_moderation_schedule_and_window() -> None:
    status = initial_status(needs_moderation=True)
    assert status is S.MODERATION
    for trigger, expected in [
        (A.CLARIFY, S.CLARIFICATION),
        (A.REPLY, S.MODERATION),
        (A.APPROVE, S.ACCEPTED),
        (E.SCHEDULE, S.SCHEDULED),
        (E.RUN, S.RUNNING),
        (E.WINDOW_CLOSED, S.WAITING_WINDOW),
        (E.WINDOW_OPENED, S.RUNNING),
        (A.PAUSE, S.PAUSED),
        (A.RESUME, S.RUNNING),
    ]:
        status = transition(status, trigger)
        assert status is expected
    status = transition(status, E.COMPLETE, in_flight=0)
    assert status is S.FINISHED
    assert transition(status, A.ARCHIVE) is S.ARCHIVED


def test_r_cmp_3_invalid_transition_is_a_409_naming_status_and_action() -> None:
    with pytest.raises(Conflict) as error:
        transition(S.FINISHED, A.PAUSE)
    assert error.value.code == "action_not_allowed"
    assert error.value.status == 409
    assert error.value.details["status"] == "finished"
    assert error.value.details["action"] == "pause"
    assert "archive" in error.value.details["allowed"]  # type: ignore[operator]
    with pytest.raises(Conflict):
        transition("paused", "pause")  # repeating an action is not a no-op


def test_r_bil_3_an_errored_campaign_can_be_finished_to_return_its_reservation() -> None:
    assert transition(S.ERROR, A.FINISH, in_flight=0) is S.FINISHED
    with pytest.raises(Conflict):
        transition(S.ERROR, A.FINISH, in_flight=2)


def test_r_cmp_4_finish_needs_nothing_in_flight() -> None:
    with pytest.raises(Conflict) as error:
        transition(S.RUNNING, A.FINISH, in_flight=3)
    assert error.value.code == "campaign_in_flight"
    assert error.value.details["in_flight"] == 3
    assert transition(S.RUNNING, A.FINISH, in_flight=0) is S.FINISHED
    with pytest.raises(ValueError, match="in flight"):
        transition(S.RUNNING, A.FINISH)
    ensure_nothing_in_flight(0)


def test_r_cpl_5_low_quality_stays_stopped_until_the_owner_finishes() -> None:
    status = transition(S.RUNNING, E.LOW_QUALITY)
    assert status is S.STOPPED
    for trigger in (A.RESUME, A.START, E.WINDOW_OPENED, E.RUN, A.RESET, A.RETRY_FAILED):
        assert not can_transition(status, trigger)
    assert transition(status, A.FINISH, in_flight=0) is S.FINISHED


def test_r_cpl_4_reviewer_decisions() -> None:
    assert transition(S.MODERATION, A.REJECT) is S.REJECTED
    assert transition(S.CLARIFICATION, A.APPROVE) is S.ACCEPTED
    assert transition(S.REJECTED, A.ARCHIVE) is S.ARCHIVED
    assert not can_transition(S.MODERATION, A.START)


def test_r_cmp_4_archive_only_settled_campaigns() -> None:
    # An errored campaign still holds its reservation: finished first (which returns it), then archived
    assert {s for s in S if can_transition(s, A.ARCHIVE)} == {S.FINISHED, S.REJECTED}


def test_r_cmp_4_reset_retry_and_resume_unfinished() -> None:
    assert transition(S.FINISHED, A.RESET) is S.RUNNING
    assert transition(S.FINISHED, A.RETRY_FAILED) is S.RUNNING
    assert transition(S.FINISHED, A.RESUME_UNFINISHED) is S.RUNNING
    assert transition(S.PAUSED, A.RESUME_UNFINISHED) is S.RUNNING
    assert not can_transition(S.ARCHIVED, A.RESET)


def test_r_cmp_4_only_unarchive_leaves_archived_back_to_where_it_was() -> None:
    assert allowed_triggers(S.ARCHIVED) == [A.UNARCHIVE]
    for settled in (S.FINISHED, S.REJECTED, S.ERROR):
        history = [
            StatusChange(NOW, S.RUNNING, "system"),
            StatusChange(NOW, settled, "system"),
            StatusChange(NOW, S.ARCHIVED, "account:a"),
        ]
        assert archived_from(history) is settled
        assert transition(S.ARCHIVED, A.UNARCHIVE, history=history) is settled
    assert transition(S.ARCHIVED, A.UNARCHIVE) is S.FINISHED
    assert not can_transition(S.FINISHED, A.UNARCHIVE)


def test_r_cmp_4_a_refusal_is_action_not_allowed_naming_the_status_and_owner_actions_only() -> None:
    refused = refuse(S.RUNNING, "reset")
    assert (refused.code, refused.status) == ("action_not_allowed", 409)
    assert refused.details["status"] == "running" and refused.details["action"] == "reset"
    assert "pause" in refused.details["allowed"]  # type: ignore[operator]
    assert "window_closed" not in refused.details["allowed"]  # type: ignore[operator]


def test_r_cmp_4_copy_and_comment_are_owner_operations_not_transitions() -> None:
    assert parse_action("copy") is CampaignOperation.COPY
    assert parse_action("Comment") is CampaignOperation.COMMENT
    assert all(op.value not in {t.value for t in TRANSITIONS} for op in CampaignOperation)


def test_r_cmp_3_error_from_any_active_status() -> None:
    for status in (S.MODERATION, S.ACCEPTED, S.SCHEDULED, S.RUNNING, S.WAITING_WINDOW, S.PAUSED):
        assert transition(status, E.FAIL) is S.ERROR


@given(status=st.sampled_from(CampaignStatus), trigger=st.sampled_from([*CampaignAction, *SystemEvent]))
def test_r_cmp_3_property_transition_agrees_with_the_table(
    status: CampaignStatus, trigger: CampaignAction | SystemEvent
) -> None:
    expected = TRANSITIONS[trigger].get(status)
    if expected is None:
        with pytest.raises(Conflict):
            transition(status, trigger, in_flight=0)
        assert trigger not in allowed_triggers(status)
    else:
        assert transition(status, trigger, in_flight=0) is expected
        assert trigger in allowed_triggers(status)


def test_r_cmp_3_every_change_is_recorded_with_time_actor_and_reason() -> None:
    change = apply(S.RUNNING, E.LOW_QUALITY, at=NOW, actor="system")
    assert change == StatusChange(at=NOW, status=S.STOPPED, actor="system", reason="low_quality")
    assert change.as_dict() == {
        "at": "2026-03-02T06:30:00+00:00",
        "status": "stopped",
        "actor": "system",
        "reason": "low_quality",
    }
    paused = apply("running", "pause", at=NOW, actor="account:acc_1", reason="lunch")
    assert paused.status is S.PAUSED and paused.reason == "lunch"
    assert apply(S.MODERATION, A.REJECT, at=NOW, actor="reviewer:adm_1").reason is None
    with pytest.raises(ValueError, match="aware"):
        apply(S.RUNNING, A.PAUSE, at=datetime(2026, 3, 2), actor="system")


def test_r_cmp_4_owner_actions_from_the_url() -> None:
    assert parse_action("resume-unfinished") is A.RESUME_UNFINISHED
    assert parse_action("retry_failed") is A.RETRY_FAILED
    assert parse_action("Stop") is A.STOP
    assert A.APPROVE not in OWNER_ACTIONS
    for bad in ("approve", "delete", ""):
        with pytest.raises(BadRequest) as error:
            parse_action(bad)
        assert error.value.code == "unknown_action"


def test_r_cmp_2_after_acceptance() -> None:
    assert after_acceptance(auto_start=True, start_at=None, now=NOW) is E.RUN
    assert after_acceptance(auto_start=True, start_at=NOW - timedelta(minutes=1), now=NOW) is E.RUN
    assert after_acceptance(auto_start=True, start_at=NOW + timedelta(hours=1), now=NOW) is E.SCHEDULE
    assert after_acceptance(auto_start=False, start_at=None, now=NOW) is None
    assert initial_status(needs_moderation=False) is S.ACCEPTED
