"""R-CPL-1..3: admission's pre-dial screening of a batch, as a pure function (no AWS), and the port lookup."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from jarchi.attempts import Outcome
from jarchi.campaigns.models import AudienceEntry, CampaignMoney
from jarchi.campaigns.workflow import screen
from jarchi.channels import Category
from jarchi.compliance.adcap import SuppressionList
from jarchi.compliance.windows import WindowRule
from jarchi.ports import MessageQueue, PortNotProvided, override, resolve

TEHRAN = "Asia/Tehran"
TOKYO = "Asia/Tokyo"
# 10:00 in Tehran (open 09:30-14:00), 15:30 in Tokyo (closed until 17:00).
NOW = datetime(2026, 3, 2, 6, 30, tzinfo=UTC)
AD_WINDOWS = WindowRule.of(["09:30-14:00", "17:00-21:30"])


def _entry(seq: int, zone: str = TEHRAN) -> AudienceEntry:
    return AudienceEntry(seq=seq, number=f"+98912000{seq:04d}", time_zone=zone, units=1)


def test_r_cpl_3_lists_decide_in_order_and_only_for_their_categories() -> None:
    recipients = [_entry(0), _entry(1), _entry(2), _entry(3)]
    lists = {
        recipients[0].number: {SuppressionList.ACCOUNT_STOP_LIST, SuppressionList.AD_OPT_OUT},
        recipients[1].number: {SuppressionList.TELECOM_BLACKLIST},
        recipients[2].number: {SuppressionList.AD_OPT_OUT},
    }
    ads = screen(recipients, Category.ADVERTISING, lists, AD_WINDOWS, NOW)
    assert [s.decision.outcome for s in ads.screened] == [
        Outcome.BLACKLISTED,
        Outcome.BLACKLISTED,
        Outcome.OPTED_OUT,
        None,
    ]
    assert [s.decision.claim_ad_cap for s in ads.screened] == [False, False, False, True]
    service = screen(recipients, Category.SERVICE, lists, AD_WINDOWS, NOW)
    # A service message ignores the ad lists but not the account's stop list, and claims no cap.
    assert [s.decision.outcome for s in service.screened] == [Outcome.BLACKLISTED, None, None, None]
    assert not any(s.decision.claim_ad_cap for s in service.screened)
    assert ads.blocked_until is None and service.blocked_until is None


def test_r_cpl_1_the_walk_stops_at_the_first_recipient_whose_window_is_closed() -> None:
    recipients = [_entry(0), _entry(1, TOKYO), _entry(2)]
    screening = screen(recipients, Category.ADVERTISING, {}, AD_WINDOWS, NOW)
    # Only the recipient before Tokyo is decided; the batch waits for Tokyo's 17:00 (08:00 UTC).
    assert [s.recipient.seq for s in screening.screened] == [0]
    assert screening.blocked_until == datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def test_r_bil_3_unspent_is_what_reconciliation_gives_back() -> None:
    money = CampaignMoney(unit="segment", tariff=10, estimated=500, reserved=500, charged=320, released=30)
    assert money.unspent == 150
    assert CampaignMoney(unit="pulse", tariff=1, reserved=100, charged=100).unspent == 0


class _Queue:
    def send(self, queue: object, bodies: object, *, delay_seconds: object = 0) -> None:
        raise AssertionError("not called here")


def test_an_override_wins_inside_its_block_and_the_previous_choice_comes_back() -> None:
    outer, inner = _Queue(), _Queue()
    with override(MessageQueue, outer):
        with override(MessageQueue, inner):
            assert resolve(MessageQueue) is inner
        assert resolve(MessageQueue) is outer


def test_a_port_nobody_provided_says_so() -> None:
    class Unwired:
        pass

    with pytest.raises(PortNotProvided, match="Unwired"):
        resolve(Unwired)
