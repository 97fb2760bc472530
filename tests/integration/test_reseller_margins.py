"""Reseller tariffs and margins (R-ACC-3, R-BIL-4): who sets a tariff and never below cost, the margin of each
level booked with the customer's charge, and balance = Σ ledger for every account of a two-level chain under
concurrent settlements (a property test against moto's DynamoDB)."""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from jarchi import clock
from jarchi.accounts.models import Account, AccountType
from jarchi.billing import credit
from jarchi.billing.ledger import EntryType, totals_of
from jarchi.billing.margins import PULSE, SEGMENT, account_tariff, reseller_margins
from jarchi.campaigns.models import Campaign, CampaignContent, CampaignMoney, CampaignProgress, CampaignSettings
from jarchi.campaigns.ports import CampaignPorts, FollowUpCounts
from jarchi.campaigns.settlement import settle_campaign
from jarchi.campaigns.statuses import CampaignStatus, StatusChange, SystemEvent
from jarchi.channels import Category, Channel
from jarchi.ids import new_id
from jarchi.settings import Settings
from jarchi.store import ledger
from jarchi.store.accounts import DynamoAccounts
from jarchi.store.campaigns import DynamoCampaigns
from tests.api import Api, assert_error

_seq = itertools.count()


def _put(api: Api, account_id: str, voice: int, sms: int) -> object:
    return api.call("PUT", f"/v1/accounts/{account_id}/tariff", {"voice_pulse": voice, "sms_segment": sms})


def test_r_acc_3_the_parent_reseller_sets_a_tariff_never_below_its_own_cost(admin: Api) -> None:
    r1 = admin.new_account("Agency", "reseller_1")
    as_r1 = admin.as_(admin.new_token(r1["id"]))
    r2 = as_r1.new_account("Subagency", "reseller_2")
    assert r2["parent_id"] == r1["id"]
    as_r2 = admin.as_(admin.new_token(r2["id"]))
    shop = as_r2.new_account("Shop")
    as_shop = admin.as_(admin.new_token(shop["id"]))

    # defaults by type until set
    assert as_shop.get(f"/v1/accounts/{shop['id']}/tariff").json() | {"voice_pulse": 1_000, "custom": False}
    assert as_r2.get(f"/v1/accounts/{r2['id']}/tariff").json()["voice_pulse"] == 850
    # R1 prices R2 at or above R1's cost (700 / 900); R2 prices its shop at or above R2's new cost
    assert _put(as_r1, r2["id"], 800, 950).json() | {"voice_pulse": 800, "custom": True}  # type: ignore[attr-defined]
    below = assert_error(_put(as_r2, shop["id"], 799, 2_000), 422, "tariff_below_cost")  # type: ignore[arg-type]
    assert below["voice_per_pulse_min"] == 800
    assert_error(_put(as_r1, r2["id"], 699, 950), 422, "tariff_below_cost")  # type: ignore[arg-type]
    set_ = _put(as_r2, shop["id"], 1_100, 1_300)
    assert set_.json() == {  # type: ignore[attr-defined]
        "account_id": shop["id"],
        "voice_pulse": 1_100,
        "sms_segment": 1_300,
        "currency": "IRR",
        "custom": True,
    }
    assert as_shop.get(f"/v1/accounts/{shop['id']}/tariff").json()["voice_pulse"] == 1_100
    # nobody but the parent reseller (or admin) sets it: not the shop itself, not R1 over R2's customer
    assert_error(_put(as_shop, shop["id"], 5_000, 5_000), 403, "tariff_not_allowed")  # type: ignore[arg-type]
    assert_error(_put(as_r1, shop["id"], 5_000, 5_000), 403, "tariff_not_allowed")  # type: ignore[arg-type]
    assert_error(_put(as_r2, r1["id"], 5_000, 5_000), 404, "account_not_found")  # type: ignore[arg-type]
    assert _put(admin, shop["id"], 1_200, 1_400).status == 200  # type: ignore[attr-defined]
    assert_error(_put(admin, shop["id"], 700, 1_400), 422, "tariff_below_cost")  # type: ignore[arg-type]
    bad = as_r2.call("PUT", f"/v1/accounts/{shop['id']}/tariff", {"voice_pulse": -1, "sms_segment": 1})
    assert_error(bad, 422, "validation_error")


# --- the property: balance = Σ ledger across the chain under concurrent settlements --------------------------


def _account(type_: AccountType, parent: Account | None, price: int | None) -> Account:
    return Account(
        id=f"acc_chain_{next(_seq)}",
        name=type_.value,
        type=type_,
        parent_id=parent.id if parent else None,
        ancestors=(*parent.ancestors, parent.id) if parent else (),
        timezone="Asia/Tehran",
        default_region="IR",
        created_at=clock.now(),
        voice_pulse_price=price,
        sms_segment_price=price,
    )


def _campaign(account: Account, units: int, spare: int) -> Campaign:
    tariff = account_tariff(account).sms_per_segment
    reserved = (units + spare) * tariff
    now = clock.now()
    return Campaign(
        id=new_id("cmp"),
        account_id=account.id,
        created_at=now,
        name="Chain",
        channel=Channel.SMS,
        category=Category.SERVICE,
        status=CampaignStatus.RUNNING,
        history=(StatusChange(at=now, status=CampaignStatus.RUNNING, actor="system", reason="created"),),
        content=CampaignContent(sms_text="Shop: hi", sender="Shop"),
        settings=CampaignSettings(time_zones=("Asia/Tehran",)),
        money=CampaignMoney(
            unit=SEGMENT,
            tariff=tariff,
            estimated=reserved,
            reserved=reserved,
            margins=reseller_margins(account, SEGMENT, accounts=DynamoAccounts()),
        ),
        progress=CampaignProgress(total=units + spare, run=1),
        audience_key=f"campaigns/{account.id}/audience/",
    )


prices = st.integers(min_value=0, max_value=300)
sends = st.lists(
    st.tuples(st.integers(min_value=0, max_value=2), st.integers(0, 5), st.integers(1, 3)), min_size=1, max_size=4
)


# No shrinking: each example writes a few dozen transactions to moto; a failure prints its example as drawn.
@settings(
    max_examples=4,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(r1_cost=st.integers(min_value=1, max_value=1_000), steps=st.tuples(prices, prices, prices), campaigns=sends)
def test_r_bil_4_balance_equals_ledger_for_the_whole_chain_under_concurrent_settlements(
    aws: Settings, r1_cost: int, steps: tuple[int, int, int], campaigns: list[tuple[int, int, int]]
) -> None:
    # GIVEN reseller_1 → reseller_2 → two shops, and a shop of reseller_1's own, each priced at or above cost
    accounts = DynamoAccounts()
    r1 = _account(AccountType.RESELLER_1, None, r1_cost)
    r2 = _account(AccountType.RESELLER_2, r1, r1_cost + steps[0])
    shops = [
        _account(AccountType.CUSTOMER, r2, r1_cost + steps[0] + steps[1]),
        _account(AccountType.CUSTOMER, r2, r1_cost + steps[0] + steps[2]),
        _account(AccountType.CUSTOMER, r1, r1_cost + steps[2]),
    ]
    for account in (r1, r2, *shops):
        accounts.create(account)
        credit.post(credit.Posting((credit._entry(account.id, EntryType.TOP_UP, 10_000_000),)))
    repository = DynamoCampaigns()
    expected = {account.id: 0 for account in (r1, r2)}
    created = []
    for shop_index, units, spare in campaigns:
        shop = shops[shop_index]
        campaign = _campaign(shop, units, spare)
        repository.create(campaign, credit.reservation(shop.id, campaign.id, campaign.money.reserved))
        if units:
            charged = units * campaign.money.tariff
            assert repository.record_results(campaign.id, "b-1", applied=0, charged=charged, finals={})
        for margin in campaign.money.margins:
            expected[margin.account_id] += units * margin.per_unit
        created.append(campaign)

    # WHEN every campaign is settled twice at once (the workflow and an owner's finish racing)
    ports = CampaignPorts.wired()
    with ThreadPoolExecutor(max_workers=4) as pool:
        settled = list(
            pool.map(
                lambda c: settle_campaign(c.id, actor="system", event=SystemEvent.COMPLETE, ports=ports),
                [*created, *created],
            )
        )

    # THEN each is finished once, every account's balance is the sum of its ledger, and each reseller earned
    # exactly its margin on the units charged, one entry per settled campaign that was charged
    assert all(c.status is CampaignStatus.FINISHED and c.progress.reconciled for c in settled)
    for account in (r1, r2, *shops):
        entries = ledger.all_entries(account.id)
        balance = ledger.get_balance(account.id)
        assert balance == totals_of(entries) and balance.reserved == 0, account.id
    for reseller in (r1, r2):
        margins = [e for e in ledger.all_entries(reseller.id) if e.type is EntryType.MARGIN]
        assert sum(e.amount for e in margins) == expected[reseller.id]
        assert len({e.campaign_id for e in margins}) == len(margins)
    # and the money adds up: what the shops paid = the resellers' margins + the platform's cost of the units
    paid = sum(units * c.money.tariff for c, (_, units, _) in zip(created, campaigns, strict=True))
    platform = sum(units * r1_cost for _, units, _ in campaigns)
    assert paid == platform + expected[r1.id] + expected[r2.id]
    stored = repository.get(created[0].id)
    assert stored is not None and stored.money.margins == created[0].money.margins


def test_r_bil_4_follow_up_sms_of_a_voice_campaign_earn_each_level_its_sms_margin(aws: Settings) -> None:
    # GIVEN reseller_1 (cost 700 a pulse, 900 a segment) → reseller_2 (850 / 1,000) → a shop (1,000 / 1,300)
    accounts = DynamoAccounts()
    r1 = replace(_account(AccountType.RESELLER_1, None, None), voice_pulse_price=700, sms_segment_price=900)
    r2 = replace(_account(AccountType.RESELLER_2, r1, None), voice_pulse_price=850, sms_segment_price=1_000)
    shop = replace(_account(AccountType.CUSTOMER, r2, None), voice_pulse_price=1_000, sms_segment_price=1_300)
    for account in (r1, r2, shop):
        accounts.create(account)
    credit.post(credit.Posting((credit._entry(shop.id, EntryType.TOP_UP, 1_000_000),)))
    # a voice campaign with follow-up SMS, priced and given its margins as creation does
    base = _campaign(shop, 0, 10)
    campaign = replace(
        base,
        channel=Channel.VOICE,
        money=replace(
            base.money,
            unit=PULSE,
            tariff=1_000,
            estimated=100_000,
            reserved=100_000,
            margins=reseller_margins(shop, PULSE, accounts=accounts),
            follow_up_tariff=1_300,
            follow_up_margins=reseller_margins(shop, SEGMENT, accounts=accounts),
        ),
    )
    repository = DynamoCampaigns()
    repository.create(campaign, credit.reservation(shop.id, campaign.id, campaign.money.reserved))
    # WHEN 6 pulses of calls and 4 follow-up segments are charged, then the campaign settles
    follow_ups = FollowUpCounts(charged=4 * 1_300)
    charged = 6 * 1_000 + 4 * 1_300
    assert repository.record_results(campaign.id, "b-1", applied=0, charged=charged, finals={}, follow_ups=follow_ups)
    settle_campaign(campaign.id, actor="system", event=SystemEvent.COMPLETE, ports=CampaignPorts.wired())

    # THEN each level earns its voice margin per pulse and its SMS margin per segment (not SMS money at the pulse
    # rate), and the platform keeps exactly reseller_1's cost of what was sent
    margins = {r.id: sum(e.amount for e in ledger.all_entries(r.id) if e.type is EntryType.MARGIN) for r in (r1, r2)}
    assert margins == {r2.id: 6 * 150 + 4 * 300, r1.id: 6 * 150 + 4 * 100}
    assert charged == 6 * 700 + 4 * 900 + margins[r1.id] + margins[r2.id]
    for account in (r1, r2, shop):
        assert ledger.get_balance(account.id) == totals_of(ledger.all_entries(account.id))
    stored = repository.get(campaign.id)
    assert stored is not None and stored.money.follow_up_billed == 4 * 1_300
