"""One contract per port, run against the in-memory fake (tests/fakes) and the real adapter on moto: what the
domain relies on (conditional writes, once-only postings and results batches, the ledger's credit checks,
one holder per capped number) holds for both, so a test on fakes says something about the platform."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest

from jarchi import clock as platform_clock
from jarchi.billing import credit
from jarchi.billing.ledger import AlreadyPosted, Balance, EntryType, Posting, ReservationExceeded, totals_of
from jarchi.billing.ports import Ledger
from jarchi.campaigns.models import Campaign, CampaignContent, CampaignMoney, CampaignProgress, CampaignSettings
from jarchi.campaigns.pacing import PacingState
from jarchi.campaigns.ports import CampaignChanged, CampaignRepository, SettlementRefused
from jarchi.campaigns.statuses import CampaignStatus, StatusChange
from jarchi.channels import Category, Channel
from jarchi.compliance.ports import AdCap
from jarchi.errors import InsufficientCredit
from jarchi.ids import new_id
from jarchi.store.adcap import DynamoAdCap
from jarchi.store.campaigns import DynamoCampaigns
from jarchi.store.ledger import DynamoLedger
from tests.fakes import FakeAdCap, FakeCampaigns, FakeLedger

KINDS = ["fake", "aws"]


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    request.getfixturevalue("aws" if request.param == "aws" else "clock")
    return str(request.param)


@pytest.fixture
def ledger(kind: str) -> Ledger:
    return FakeLedger() if kind == "fake" else DynamoLedger()


@pytest.fixture
def ad_cap(kind: str) -> AdCap:
    return FakeAdCap() if kind == "fake" else DynamoAdCap()


@dataclass(frozen=True)
class CampaignSide:
    campaigns: CampaignRepository
    ledger: Ledger


@pytest.fixture
def side(kind: str) -> CampaignSide:
    if kind == "fake":
        fake_ledger = FakeLedger()
        return CampaignSide(FakeCampaigns(fake_ledger), fake_ledger)
    return CampaignSide(DynamoCampaigns(), DynamoLedger())


def _top_up(ledger: Ledger, account_id: str, amount: int) -> None:
    ledger.post(Posting((credit._entry(account_id, EntryType.TOP_UP, amount),)))


# --- the ledger ----------------------------------------------------------------------------------------------


def test_ledger_contract_sums_pages_and_refusals(ledger: Ledger) -> None:
    account = new_id("acc")
    assert ledger.balance(account) == Balance()
    _top_up(ledger, account, 1_000)
    ledger.post(credit.reservation(account, "cmp_1", 600))

    with pytest.raises(InsufficientCredit) as short:
        ledger.post(credit.reservation(account, "cmp_2", 401))
    assert (short.value.details["required"], short.value.details["available"]) == (401, 400)

    ledger.post(credit.charge(account, "cmp_1", 100, "batch-1"))
    with pytest.raises(AlreadyPosted):
        ledger.post(credit.charge(account, "cmp_1", 100, "batch-1"))
    with pytest.raises(ReservationExceeded):
        ledger.post(credit.refund(account, "cmp_1", 501))
    ledger.post(credit.refund(account, "cmp_1", 500))
    with pytest.raises(AlreadyPosted):
        ledger.post(credit.refund(account, "cmp_1", 1))

    assert ledger.balance(account) == Balance(balance=900, reserved=0)
    assert ledger.balance(account) == totals_of(ledger.all_entries(account))
    first, cursor = ledger.entries(account, "cmp_1", 2, None)
    rest, end = ledger.entries(account, "cmp_1", 2, cursor)
    assert [e.type for e in first + rest] == [EntryType.REFUND, EntryType.CHARGE, EntryType.RESERVATION]
    assert end is None or ledger.entries(account, "cmp_1", 2, end)[0] == []
    assert len(ledger.entries(account, None, 10, None)[0]) == 4


def test_ledger_contract_a_posting_over_two_accounts_is_all_or_nothing(ledger: Ledger) -> None:
    reseller, customer = new_id("acc"), new_id("acc")
    _top_up(ledger, reseller, 100)
    top_up = credit._entry(customer, EntryType.TOP_UP, 150)
    paid = credit._entry(reseller, EntryType.TRANSFER, -150)
    with pytest.raises(InsufficientCredit):
        ledger.post(Posting((top_up, paid)))
    assert ledger.balance(customer) == Balance() and ledger.all_entries(customer) == []
    assert ledger.balance(reseller) == Balance(balance=100)


# --- the ad cap ----------------------------------------------------------------------------------------------


def test_ad_cap_contract_one_holder_retries_release_and_expiry(ad_cap: AdCap) -> None:
    now = platform_clock.now()
    number = "+989120000001"
    assert ad_cap.claim(number, attempt_id="a-1", campaign_id="cmp_1", now=now)
    assert ad_cap.claim(number, attempt_id="a-1", campaign_id="cmp_1", now=now)  # a retried claim
    assert not ad_cap.claim(number, attempt_id="b-1", campaign_id="cmp_2", now=now)

    ad_cap.release(number, "b-1")  # only the holder releases
    assert not ad_cap.claim(number, attempt_id="b-1", campaign_id="cmp_2", now=now)
    ad_cap.release(number, "a-1")
    assert ad_cap.claim(number, attempt_id="b-1", campaign_id="cmp_2", now=now)

    later = now + timedelta(hours=24, seconds=1)
    assert ad_cap.claim(number, attempt_id="c-1", campaign_id="cmp_3", now=later)
    assert not ad_cap.claim(number, attempt_id="b-1", campaign_id="cmp_2", now=later)


# --- the campaign repository ---------------------------------------------------------------------------------


def _campaign(account_id: str, *, reserved: int, total: int = 3) -> Campaign:
    now = platform_clock.now()
    created = StatusChange(at=now, status=CampaignStatus.RUNNING, actor="system", reason="created")
    return Campaign(
        id=new_id("cmp"),
        account_id=account_id,
        created_at=now,
        name="Contract",
        channel=Channel.SMS,
        category=Category.SERVICE,
        status=CampaignStatus.RUNNING,
        history=(created,),
        content=CampaignContent(sms_text="Shop: hi", sender="Shop"),
        settings=CampaignSettings(time_zones=("Asia/Tehran",)),
        money=CampaignMoney(unit="segment", tariff=100, estimated=reserved, reserved=reserved),
        progress=CampaignProgress(total=total, run=1),
        audience_key=f"campaigns/{account_id}/audience/",
    )


def test_campaign_contract_creation_is_all_or_nothing_with_its_reservation(side: CampaignSide) -> None:
    account = new_id("acc")
    _top_up(side.ledger, account, 250)
    too_big = _campaign(account, reserved=300)
    with pytest.raises(InsufficientCredit):
        side.campaigns.create(too_big, credit.reservation(account, too_big.id, 300))
    assert side.campaigns.get(too_big.id) is None and side.ledger.balance(account).reserved == 0

    campaign = _campaign(account, reserved=200)
    side.campaigns.create(campaign, credit.reservation(account, campaign.id, 200))
    assert side.campaigns.get(campaign.id) == campaign
    assert side.ledger.balance(account) == Balance(balance=250, reserved=200)
    pricing = side.campaigns.pricing(campaign.id)
    assert pricing is not None and (pricing.channel, pricing.tariff) == (Channel.SMS, 100)
    assert [c.id for c in side.campaigns.list_for_account(account, 10, None)[0]] == [campaign.id]


def test_campaign_contract_writes_are_conditional_and_results_apply_once(side: CampaignSide) -> None:
    account = new_id("acc")
    _top_up(side.ledger, account, 1_000)
    campaign = _campaign(account, reserved=300)
    side.campaigns.create(campaign, credit.reservation(account, campaign.id, 300))
    now = platform_clock.now()

    # admission: conditional on the pointer it read
    pacing = PacingState(units=0, updated_at=now)
    assert side.campaigns.record_admission(campaign, walked=3, admitted=2, finals={"invalid": 1}, pacing=pacing)
    assert not side.campaigns.record_admission(campaign, walked=3, admitted=2, finals={}, pacing=pacing)
    admitted = side.campaigns.get(campaign.id)
    assert admitted is not None
    assert (admitted.progress.next_seq, admitted.progress.in_flight, admitted.progress.dispatching) == (3, 2, (0, 3))
    assert admitted.counts["invalid"] == 1 and admitted.progress.pacing == pacing
    side.campaigns.clear_dispatching(campaign.id)

    # a status change on a stale read is refused
    paused = StatusChange(at=now, status=CampaignStatus.PAUSED, actor="account:x")
    side.campaigns.record_status_change(admitted, paused)
    with pytest.raises(CampaignChanged):
        side.campaigns.record_status_change(admitted, paused)

    # settlement is refused while attempts are in flight, and writes nothing
    finished = StatusChange(at=now, status=CampaignStatus.FINISHED, actor="system")
    current = side.campaigns.get(campaign.id)
    assert current is not None and current.status is CampaignStatus.PAUSED
    with pytest.raises(SettlementRefused):
        side.campaigns.settle(current, finished, refunded=300, posting=credit.refund(account, campaign.id, 300))
    assert side.ledger.balance(account).reserved == 300

    # a results batch applies once
    assert side.campaigns.record_results(campaign.id, "batch-1", applied=2, charged=100, finals={"delivered": 2})
    assert not side.campaigns.record_results(campaign.id, "batch-1", applied=2, charged=100, finals={"delivered": 2})
    done = side.campaigns.get(campaign.id)
    assert done is not None
    assert (done.progress.in_flight, done.money.charged, done.counts["delivered"]) == (0, 100, 2)

    # settled once, with its posting in the same step
    posting = credit.settlement(account, campaign.id, charged=100, refunded=200)
    with pytest.raises(SettlementRefused):  # read before the results moved the charge: stale
        side.campaigns.settle(current, finished, refunded=200, posting=posting)
    side.campaigns.settle(done, finished, refunded=200, posting=posting)
    settled = side.campaigns.get(campaign.id)
    assert settled is not None and settled.progress.reconciled and settled.status is CampaignStatus.FINISHED
    assert settled.money.refunded == 200 and settled.history[-1] == finished
    assert side.ledger.balance(account) == Balance(balance=900, reserved=0)
    with pytest.raises(SettlementRefused):
        side.campaigns.settle(settled, finished, refunded=200, posting=posting)
    assert side.ledger.balance(account) == totals_of(side.ledger.all_entries(account))
