"""Provider reports → results messages, each report applied once however SQS redelivers or regroups
(R-DSP-1): `jarchi.connectors.callbacks`."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from jarchi.attempts import AttemptResult, Outcome
from jarchi.connectors.callbacks import REPORTS_PER_MESSAGE, ProviderReport, forward_reports, group_id
from tests.fakes.connectors import FakeReportClaims, RecordingQueue

AT = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)


def report(n: int, campaign: str = "cmp-1", outcome: Outcome = Outcome.DELIVERED) -> ProviderReport:
    result = AttemptResult(f"{campaign}.{n}.1", campaign, f"+98912{n:07d}", outcome, AT, "end_user_messaging")
    return ProviderReport(f"eum:msg-{campaign}-{n}", result)


@pytest.fixture
def claims() -> FakeReportClaims:
    return FakeReportClaims()


@pytest.fixture
def queue() -> RecordingQueue:
    return RecordingQueue()


def applied(queue: RecordingQueue) -> Counter[str]:
    """Attempt ids as the results side applies them: each batch id once."""
    seen: set[str] = set()
    counts: Counter[str] = Counter()
    for _, body in queue.sent:
        if body["batch_id"] in seen:
            continue
        seen.add(body["batch_id"])
        counts.update(r["attempt_id"] for r in body["results"])
    return counts


def test_reports_are_grouped_per_campaign_under_a_batch_id_made_of_their_event_ids(claims, queue) -> None:
    reports = [report(1), report(2), report(3, "cmp-2")]
    forwarded = forward_reports(reports, claims=claims, queue=queue)
    assert forwarded.sent == 3 and forwarded.ignored == 0
    bodies = {body["campaign_id"]: body for _, body in queue.sent}
    assert {q for q, _ in queue.sent} == {"results"}
    assert bodies["cmp-1"]["batch_id"] == group_id(["eum:msg-cmp-1-1", "eum:msg-cmp-1-2"])
    assert [r["attempt_id"] for r in bodies["cmp-2"]["results"]] == ["cmp-2.3.1"]


def test_a_group_holds_at_most_one_results_message_worth(claims, queue) -> None:
    forward_reports([report(n) for n in range(REPORTS_PER_MESSAGE + 1)], claims=claims, queue=queue)
    assert [len(body["results"]) for _, body in queue.sent] == [REPORTS_PER_MESSAGE, 1]


def test_a_report_that_is_not_final_is_not_sent(claims, queue) -> None:
    forwarded = forward_reports([report(1, outcome=Outcome.SENT)], claims=claims, queue=queue)
    assert forwarded.ignored == 1 and queue.sent == []


def test_r_dsp_1_the_same_batch_delivered_again_is_the_same_message(claims, queue) -> None:
    reports = [report(1), report(2)]
    forward_reports(reports, claims=claims, queue=queue)
    forward_reports(reports, claims=claims, queue=queue)
    assert len({body["batch_id"] for _, body in queue.sent}) == 1
    assert applied(queue) == {"cmp-1.1.1": 1, "cmp-1.2.1": 1}


def test_r_dsp_1_a_report_regrouped_by_sqs_is_applied_once(claims, queue) -> None:
    # GIVEN reports 1 and 2 forwarded together; WHEN SQS delivers 2 again beside 3 (and 1 beside 2 twice)
    forward_reports([report(1), report(2)], claims=claims, queue=queue)
    forward_reports([report(2), report(3)], claims=claims, queue=queue)
    forward_reports([report(1), report(2), report(2)], claims=claims, queue=queue)
    # THEN every attempt is applied exactly once
    assert applied(queue) == {"cmp-1.1.1": 1, "cmp-1.2.1": 1, "cmp-1.3.1": 1}


def test_r_dsp_1_a_send_that_failed_is_sent_when_the_report_comes_back(claims, queue) -> None:
    queue.fail = True
    with pytest.raises(RuntimeError):
        forward_reports([report(1), report(2)], claims=claims, queue=queue)
    queue.fail = False
    forward_reports([report(2)], claims=claims, queue=queue)  # regrouped: only 2 comes back first
    forward_reports([report(1)], claims=claims, queue=queue)
    assert applied(queue) == {"cmp-1.1.1": 1, "cmp-1.2.1": 1}


def test_r_dsp_1_a_crash_before_the_group_was_stored_lets_each_report_join_a_new_group(claims, queue) -> None:
    claims.fail_store = True
    with pytest.raises(RuntimeError):
        forward_reports([report(1), report(2)], claims=claims, queue=queue)
    claims.fail_store = False
    forward_reports([report(2), report(3)], claims=claims, queue=queue)
    forward_reports([report(1)], claims=claims, queue=queue)
    assert applied(queue) == {"cmp-1.1.1": 1, "cmp-1.2.1": 1, "cmp-1.3.1": 1}


def test_a_second_final_word_on_one_attempt_does_not_count(claims, queue) -> None:
    first = report(1)
    later = ProviderReport(first.event_id, replace(first.result, outcome=Outcome.UNDELIVERED))
    forward_reports([first], claims=claims, queue=queue)
    forward_reports([later, report(2)], claims=claims, queue=queue)
    assert applied(queue) == {"cmp-1.1.1": 1, "cmp-1.2.1": 1}
    outcomes = [r["outcome"] for _, body in queue.sent for r in body["results"] if r["attempt_id"] == "cmp-1.1.1"]
    assert set(outcomes) == {"delivered"}
