"""Reseller margins per unit up the chain (R-ACC-3, R-BIL-4): pure, from the accounts' tariffs."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from jarchi.accounts.models import Account, AccountType
from jarchi.billing import credit
from jarchi.billing.ledger import EntryType
from jarchi.billing.margins import PULSE, SEGMENT, ResellerMargin, account_tariff, margin_amounts, margins_for
from jarchi.campaigns.models import CampaignMoney

NOW = datetime.fromisoformat("2026-03-02T10:00:00+03:30")


def _account(account_id: str, type_: AccountType, voice: int | None = None, sms: int | None = None) -> Account:
    return Account(
        id=account_id,
        name=account_id,
        type=type_,
        parent_id=None,
        ancestors=(),
        timezone="Asia/Tehran",
        default_region="IR",
        created_at=NOW,
        voice_pulse_price=voice,
        sms_segment_price=sms,
    )


R1 = _account("r1", AccountType.RESELLER_1)  # default cost: 700 a pulse, 900 a segment
R2 = _account("r2", AccountType.RESELLER_2)  # default: 850, 1,050
SHOP = _account("shop", AccountType.CUSTOMER)  # default: 1,000, 1,200


def test_r_acc_3_a_tariff_is_the_account_s_own_else_its_type_s() -> None:
    assert (account_tariff(SHOP).voice_per_pulse, account_tariff(SHOP).sms_per_segment) == (1_000, 1_200)
    priced = replace(SHOP, voice_pulse_price=1_100, sms_segment_price=1_300)
    assert (account_tariff(priced).voice_per_pulse, account_tariff(priced).sms_per_segment) == (1_100, 1_300)


def test_r_bil_4_both_levels_of_a_two_level_chain_earn() -> None:
    assert margins_for(SHOP, PULSE, [R2, R1]) == (ResellerMargin("r2", 150), ResellerMargin("r1", 150))
    assert margins_for(SHOP, SEGMENT, [R2, R1]) == (ResellerMargin("r2", 150), ResellerMargin("r1", 150))
    assert margins_for(SHOP, PULSE, [R1]) == (ResellerMargin("r1", 300),)
    assert margins_for(SHOP, PULSE, []) == ()


def test_r_bil_4_a_level_whose_cost_was_raised_above_its_price_earns_nothing_and_never_less() -> None:
    # reseller_1 raised reseller_2's cost to 1,050 after reseller_2 priced its shop at 1,000 a pulse
    dear = replace(R2, voice_pulse_price=1_050, sms_segment_price=1_050)
    assert margins_for(SHOP, PULSE, [dear, R1]) == (ResellerMargin("r1", 300),)  # the platform still gets 700


def test_r_bil_4_settlement_books_each_margin_on_the_units_charged_with_the_charge() -> None:
    margins = (ResellerMargin("r2", 150), ResellerMargin("r1", 150))
    posting = credit.settlement("shop", "cmp_1", 3_000, 500, 2, margins=margin_amounts([(3, margins)]))
    assert posting.entries[0].account_id == "shop" and posting.once_key == "reconcile:cmp_1:2"
    booked = [(e.account_id, e.type, e.amount, e.campaign_id) for e in posting.entries]
    assert booked == [
        ("shop", EntryType.CHARGE, 3_000, "cmp_1"),
        ("shop", EntryType.REFUND, 500, "cmp_1"),
        ("r2", EntryType.MARGIN, 450, "cmp_1"),
        ("r1", EntryType.MARGIN, 450, "cmp_1"),
    ]
    nothing_charged = credit.settlement("shop", "cmp_1", 0, 500, margins=margin_amounts([(0, margins)]))
    assert [e.type for e in nothing_charged.entries] == [EntryType.REFUND]


def test_r_bil_4_follow_up_sms_earn_the_sms_margin_per_segment_not_the_voice_margin() -> None:
    # GIVEN a voice campaign at 1,000 a pulse whose follow-up SMS cost 1,200 a segment, resellers earning 150 and
    # 100 a pulse, 200 and 50 a segment
    money = CampaignMoney(
        unit=PULSE,
        tariff=1_000,
        charged=4 * 1_000 + 3 * 1_200,  # 4 pulses of calls, 3 follow-up segments
        billed=0,
        margins=(ResellerMargin("r2", 150), ResellerMargin("r1", 100)),
        follow_up_tariff=1_200,
        follow_up_charged=3 * 1_200,
        follow_up_margins=(ResellerMargin("r2", 200), ResellerMargin("r1", 50)),
    )
    # THEN each level earns its voice margin per pulse and its SMS margin per segment
    assert (money.unbilled_units, money.unbilled_follow_up_segments) == (4, 3)
    assert money.unbilled_margins() == [("r2", 4 * 150 + 3 * 200), ("r1", 4 * 100 + 3 * 50)]
    # and a later part's settlement counts only what was not booked yet
    later = replace(
        money, billed=money.charged, follow_up_billed=money.follow_up_charged, charged=money.charged + 1_200
    )
    assert later.unbilled_margins() == [("r2", 150), ("r1", 100)]
