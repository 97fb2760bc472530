"""The campaign reads' memos (issue 14, read latency): the store maps a stored item to its `Campaign` through
`RawItemMemo` (kept by the item's values), the API renders a `CampaignOut` once per campaign object and zone. Both
must answer exactly what building everything again answers: after every kind of write, at any instant."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from functions.api.schemas import campaign_views
from functions.api.schemas.campaign_views import CampaignOut
from jarchi import clock as platform_clock
from jarchi.billing import credit
from jarchi.billing.ledger import EntryType, Posting
from jarchi.campaigns.models import (
    Campaign,
    CampaignContent,
    CampaignEdit,
    CampaignMoney,
    CampaignProgress,
    CampaignSettings,
    Comment,
)
from jarchi.campaigns.pacing import PacingState
from jarchi.campaigns.statuses import CampaignStatus, StatusChange
from jarchi.channels import Category, Channel
from jarchi.clock import LocalClock
from jarchi.ids import new_id
from jarchi.store.base import RawItemMemo
from jarchi.store.campaigns import _READ_ATTRIBUTES, CampaignItem, DynamoCampaigns, to_campaign
from jarchi.store.ledger import DynamoLedger
from tests.builders import running_sms_campaign


def test_a_memo_builds_once_per_stored_values_and_forgets_beyond_its_size() -> None:
    built: list[dict[str, Any]] = []

    def build(raw: dict[str, Any]) -> tuple[str, ...]:
        built.append(raw)
        return tuple(sorted(raw))

    memo = RawItemMemo(build, size=2)
    first = {"id": {"S": "a"}, "n": {"N": "1"}}
    assert memo(first) is memo({"id": {"S": "a"}, "n": {"N": "1"}}) and len(built) == 1
    assert memo({"id": {"S": "a"}, "n": {"N": "2"}}) == ("id", "n") and len(built) == 2  # changed: built again
    assert memo({"id": {"S": "a"}, "n": {"S": "1"}}) is not None and len(built) == 3  # another type: another key
    memo(first)
    assert len(built) == 4  # three distinct items through a memo of two: the first was forgotten


def _fresh(campaign_id: str) -> Campaign:
    """The campaign as the store built it before the memo: pynamodb's instance, then `to_campaign`."""
    return to_campaign(CampaignItem.get(campaign_id, consistent_read=True, attributes_to_get=_READ_ATTRIBUTES))


def test_every_write_is_read_back_as_a_fresh_build_reads_it(aws: Any, clock: LocalClock) -> None:
    store, ledger = DynamoCampaigns(), DynamoLedger()
    account = new_id("acc")
    ledger.post(Posting((credit._entry(account, EntryType.TOP_UP, 1_000),)))
    campaign = running_sms_campaign(account, reserved=300, name="Memo")
    other = replace(
        running_sms_campaign(account, reserved=0, name="Memo"), created_at=campaign.created_at + timedelta(seconds=1)
    )
    store.create(campaign, credit.reservation(account, campaign.id, 300))
    store.create(other, None)

    def read_back() -> Campaign:
        listed, _ = store.list_for_account(account, 10, None)
        assert listed == [_fresh(other.id), _fresh(campaign.id)]
        got = store.get(campaign.id)
        assert got == _fresh(campaign.id) and got is store.get(campaign.id)  # an unchanged item: the same one
        return got

    before = read_back()
    clock.advance(60)
    pacing = PacingState(units=0, updated_at=platform_clock.now())
    assert store.record_admission(before, walked=3, admitted=2, finals={"invalid": 1}, pacing=pacing)
    admitted = read_back()
    assert admitted != before and admitted.counts["invalid"] == 1
    store.clear_dispatching(campaign.id)
    assert read_back() != admitted
    assert store.record_results(campaign.id, "batch-1", applied=2, charged=100, finals={"delivered": 2})
    results = read_back()
    assert results.counts["delivered"] == 2 and results.money.charged == 100
    store.add_comment(campaign.id, Comment(at=platform_clock.now(), author="user", text="hi"))
    assert read_back().comments[-1].text == "hi"
    paused = StatusChange(at=platform_clock.now(), status=CampaignStatus.PAUSED, actor="account:x")
    store.record_status_change(read_back(), paused)
    assert read_back().status is CampaignStatus.PAUSED
    store.edit(read_back(), CampaignEdit(name="Renamed"), None)
    assert read_back().name == "Renamed"
    finished = StatusChange(at=platform_clock.now(), status=CampaignStatus.FINISHED, actor="system")
    store.settle(read_back(), finished, refunded=200, posting=credit.settlement(account, campaign.id, 100, 200))
    settled = read_back()
    assert settled.status is CampaignStatus.FINISHED and settled.money.refunded == 200


# --- the rendered answer ------------------------------------------------------------------------------------

_STATUSES = [CampaignStatus.RUNNING, CampaignStatus.PAUSED, CampaignStatus.FINISHED, CampaignStatus.SCHEDULED]


@st.composite
def _campaigns(draw: st.DrawFn) -> Campaign:
    now = platform_clock.now()
    started = now - timedelta(minutes=draw(st.integers(0, 600)))
    status = draw(st.sampled_from(_STATUSES))
    history = (
        StatusChange(at=started, status=CampaignStatus.RUNNING, actor="system", reason="created"),
        *(
            [StatusChange(at=started + timedelta(minutes=1), status=status, actor="account:x")]
            if status is not CampaignStatus.RUNNING
            else []
        ),
    )
    counts = {"delivered": draw(st.integers(0, 5_000)), "failed": draw(st.integers(0, 50))}
    channel = draw(st.sampled_from([Channel.SMS, Channel.VOICE]))
    content = (
        CampaignContent(sms_text="Shop: hi", sender="Shop")
        if channel is Channel.SMS
        else CampaignContent(tts_text="hello", audio_id="aud_1", audio_key="k")
    )
    return Campaign(
        id=new_id("cmp"),
        account_id="acc_1",
        created_at=started,
        name=draw(st.text(min_size=1, max_size=10)),
        channel=channel,
        category=Category.SERVICE,
        status=status,
        history=history,
        content=content,
        settings=CampaignSettings(time_zones=("Asia/Tehran",), speed_per_hour=draw(st.integers(1, 100_000))),
        money=CampaignMoney(unit="segment", tariff=100, estimated=500, reserved=500, charged=draw(st.integers(0, 500))),
        progress=CampaignProgress(total=draw(st.integers(0, 10_000)), run=1),
        audience_key="campaigns/acc_1/audience/",
        counts=counts,
        comments=tuple(
            Comment(at=started, author="user", text=t) for t in draw(st.lists(st.text(max_size=5), max_size=2))
        ),
    )


@pytest.fixture
def frozen_clock() -> LocalClock:
    local = LocalClock(platform_clock.now(), ticking=False)
    platform_clock.use_clock(local)
    return local


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    campaign=_campaigns(),
    zone=st.sampled_from([None, ZoneInfo("Asia/Tehran"), ZoneInfo("UTC")]),
    audio_url=st.sampled_from([None, "https://example.test/a.mp3?X-Amz-Date=1", "https://example.test/b"]),
    later=st.integers(0, 7_200),
)
def test_a_kept_answer_is_the_answer_made_afresh_at_any_instant(
    frozen_clock: LocalClock, campaign: Campaign, zone: ZoneInfo | None, audio_url: str | None, later: int
) -> None:
    CampaignOut.of(campaign, zone=zone, audio_url="https://example.test/earlier")  # kept at this instant
    frozen_clock.advance(later)
    got = CampaignOut.of(campaign, zone=zone, audio_url=audio_url)
    made = CampaignOut._of(campaign, zone)  # everything made now, as before the memo
    expected = made.model_dump(mode="json") | {"audio_url": audio_url}
    assert got.model_dump(mode="json") == expected
    assert got.model_dump_json() == CampaignOut.model_validate(expected).model_dump_json()
    changed = replace(campaign, name=campaign.name + "!")  # another campaign object: rendered anew
    assert CampaignOut.of(changed, zone=zone).name == campaign.name + "!"
    assert len(campaign_views._RENDERED) <= campaign_views._RENDERED_SIZE
