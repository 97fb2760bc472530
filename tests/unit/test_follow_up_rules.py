"""Follow-up SMS rules (R-OUT-3) without AWS: which results fire which rule, the worst case the estimate holds,
and the results side's checks (SMS window, ad opt-out by vote 11, once per rule and recipient across parts)."""

from __future__ import annotations

from datetime import datetime

from hypothesis import given
from hypothesis import strategies as st

from jarchi.attempts import AttemptResult, Outcome, vote_code
from jarchi.campaigns.follow_ups import (
    FollowUpOn,
    FollowUpRule,
    fired,
    follow_up_attempt_id,
    follow_up_of,
    follow_up_seq,
    max_units_per_recipient,
    recipient_of_follow_up_seq,
)
from jarchi.campaigns.ports import CampaignPricing
from jarchi.channels import Category, Channel
from jarchi.results.follow_ups import WINDOW_CLOSED, plan_follow_ups
from tests.fakes import Fakes

RULES = (
    FollowUpRule(FollowUpOn.VOTE, "chose 1", "Shop", digits=("1",), units=1),
    FollowUpRule(FollowUpOn.ANSWERED, "thanks", "Shop", units=2),
    FollowUpRule(FollowUpOn.NOT_ANSWERED, "missed you", "Shop", units=1),
)
NOON = datetime.fromisoformat("2026-03-02T12:00:00+03:30")
LATE = datetime.fromisoformat("2026-03-02T21:15:00+03:30")  # voice ads until 21:30, SMS ads until 21:00
PRICING = CampaignPricing(
    "cmp_1", Channel.VOICE, Category.ADVERTISING, 1000, account_id="acc_1", follow_ups=RULES, follow_up_tariff=1200
)


def _result(
    outcome: Outcome, digits: str | None = None, *, seq: int = 0, machine: bool = False, number: str = "+989120000001"
) -> AttemptResult:
    return AttemptResult(
        attempt_id=f"cmp_1.{seq}.1",
        campaign_id="cmp_1",
        number=number,
        outcome=outcome,
        completed_at=NOON,
        connector="simulator",
        vote=vote_code(outcome, digits),
        answering_machine=machine,
    )


def test_r_out_3_rules_fire_on_vote_digit_answered_and_not_answered() -> None:
    assert fired(RULES, _result(Outcome.ANSWERED, "1")) == [0, 1]
    assert fired(RULES, _result(Outcome.ANSWERED, "2")) == [1]
    assert fired(RULES, _result(Outcome.ANSWERED, machine=True)) == []  # a machine is not a person
    assert fired(RULES, _result(Outcome.BUSY)) == fired(RULES, _result(Outcome.NO_ANSWER)) == [2]
    assert fired(RULES, _result(Outcome.FAILED)) == []


@given(st.lists(st.tuples(st.sampled_from(list(FollowUpOn)), st.integers(1, 4)), max_size=5))
def test_r_out_3_the_estimate_holds_the_most_any_result_can_fire(rules: list[tuple[FollowUpOn, int]]) -> None:
    built = [FollowUpRule(on, "x", "Shop", digits=("1",) if on is FollowUpOn.VOTE else (), units=u) for on, u in rules]
    worst = max_units_per_recipient(built)
    for result in (_result(o, d) for o in Outcome if o.value in ("answered", "busy", "no_answer") for d in ("1", "")):
        assert sum(built[i].units for i in fired(built, result)) <= worst


@given(st.integers(0, 10**9), st.integers(0, 4))
def test_r_out_3_follow_up_ids_and_keys_lead_back_to_their_recipient(seq: int, rule: int) -> None:
    attempt_id = follow_up_attempt_id(f"cmp_1.{seq}.3", rule)
    assert follow_up_of(attempt_id) == (seq, rule) and follow_up_of(f"cmp_1.{seq}.3") is None
    assert follow_up_seq(seq, rule) < 0 and recipient_of_follow_up_seq(follow_up_seq(seq, rule)) == (seq, rule)


def test_r_out_3_no_follow_up_outside_the_sms_window_or_after_an_opt_out() -> None:
    fakes = Fakes()
    late = plan_follow_ups(PRICING, [_result(Outcome.ANSWERED, "2")], LATE, ports=fakes.campaign_ports())
    assert late.attempts == [] and [s.status for s in late.refused] == [WINDOW_CLOSED]
    opted = plan_follow_ups(
        PRICING, [_result(Outcome.ANSWERED, "11", seq=1, number="+989120000002")], NOON, ports=fakes.campaign_ports()
    )
    assert opted.attempts == [] and [s.status for s in opted.refused] == ["opted_out"]


def test_r_out_3_once_per_rule_and_recipient_across_parts_and_redeliveries() -> None:
    ports = Fakes().campaign_ports()
    first = plan_follow_ups(PRICING, [_result(Outcome.NO_ANSWER)], NOON, ports=ports)
    again = plan_follow_ups(PRICING, [_result(Outcome.NO_ANSWER)], NOON, ports=ports)  # a redelivery
    next_part = plan_follow_ups(PRICING, [_result(Outcome.BUSY, seq=10_000_000)], NOON, ports=ports)
    assert [a.attempt_id for a in first.attempts] == [a.attempt_id for a in again.attempts] == ["cmp_1.0.f2"]
    assert next_part.attempts == [] and next_part.refused == []
    sms = first.attempts[0]
    assert (sms.channel, sms.category, sms.sender, sms.units) == (Channel.SMS, Category.ADVERTISING, "Shop", 1)
