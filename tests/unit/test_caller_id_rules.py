"""Caller-ID pool rules (R-DSP-5) and which call a callback answers (R-OUT-4), pure."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from jarchi.campaigns.callbacks import LastCall, pick_last_call
from jarchi.campaigns.caller_ids import caller_id_for, caller_id_id, number_of

POOL = ("+982191001000", "+982191001001", "+982191001002")
AT = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)


@given(st.integers(min_value=0, max_value=9_999_999).map(lambda n: f"+98912{n:07d}"))
def test_r_dsp_5_a_recipient_always_gets_the_same_pool_number(number: str) -> None:
    assert caller_id_for(POOL, number) == caller_id_for(list(POOL), number) in POOL
    assert caller_id_for((), number) is None


def test_r_dsp_5_the_pool_is_spread_evenly_over_an_audience() -> None:
    used = Counter(caller_id_for(POOL, f"+98912{i:07d}") for i in range(3000))
    assert set(used) == set(POOL) and min(used.values()) > 900


def test_r_dsp_5_an_id_names_its_number_and_nothing_else() -> None:
    assert number_of(caller_id_id(POOL[0])) == POOL[0]
    assert number_of("cid_12") is None and number_of("snd_982191001000") is None and number_of("cid_98x") is None


def _call(campaign: str, minutes_ago: int, caller_id: str | None) -> LastCall:
    return LastCall(campaign, 1, "+989120000001", AT - timedelta(minutes=minutes_ago), caller_id)


def test_r_out_4_the_dialled_number_picks_the_campaign_then_the_deployments_own_calls() -> None:
    newest_first = [_call("b", 5, POOL[1]), _call("none", 10, None), _call("a", 20, POOL[0])]
    assert pick_last_call(newest_first, POOL[0]).campaign_id == "a"  # type: ignore[union-attr]
    assert pick_last_call(newest_first, "+13125550100").campaign_id == "none"  # type: ignore[union-attr]
    assert pick_last_call(newest_first, None).campaign_id == "b"  # type: ignore[union-attr]
    assert pick_last_call([_call("b", 5, POOL[1])], POOL[0]) is None
