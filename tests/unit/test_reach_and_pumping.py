"""Where an account may send (SPEC §14 "Accounts, money and reach": `allowed_countries`, `country_not_allowed`)
and the SMS-pumping guard (`suspected_pumping`), as pure rules: `jarchi.accounts.reach`,
`jarchi.compliance.pumping`, admission's screening and the import's line report."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from jarchi.accounts.models import Account, AccountType
from jarchi.accounts.reach import Refusal, destination_prefix, refusal, region_of
from jarchi.attempts import Outcome
from jarchi.audiences.parsing import parse_inline
from jarchi.audiences.service import reach_of
from jarchi.campaigns.models import AudienceEntry
from jarchi.campaigns.statuses import CampaignStatus, StatusChange
from jarchi.campaigns.workflow import pumping_reviewed, screen
from jarchi.channels import Category
from jarchi.compliance.adcap import SuppressionList
from jarchi.compliance.pumping import SUSPECTED_PUMPING, PumpingPolicy, suspected_pumping
from jarchi.compliance.windows import WindowRule

IRAN = "+989121234567"
GERMANY = "+4915112345678"
GB_PREMIUM = "+449012345678"  # libphonenumber: premium rate
SATELLITE = "+88212345678"  # international networks: no country
NOW = datetime(2026, 3, 2, 6, 30, tzinfo=UTC)  # 10:00 in Tehran


def _account(**changes: object) -> Account:
    account = Account("acc_1", "Shop", AccountType.CUSTOMER, None, (), "Asia/Tehran", "IR", NOW)
    return replace(account, **changes)  # type: ignore[arg-type]


def test_r_acc_reach_an_account_reaches_its_own_region_by_default() -> None:
    assert _account().reachable_countries == {"IR"}
    assert _account(allowed_countries=("IR", "DE")).reachable_countries == {"IR", "DE"}
    assert refusal(IRAN, {"IR"}, blocked=()) is None
    assert refusal(GERMANY, {"IR"}, blocked=()) is Refusal.COUNTRY_NOT_ALLOWED
    assert refusal(GERMANY, {"IR", "DE"}, blocked=()) is None


def test_r_acc_reach_premium_ranges_and_blocked_prefixes_are_refused_even_where_allowed() -> None:
    assert refusal(GB_PREMIUM, {"GB"}, blocked=()) is Refusal.PREFIX_NOT_ALLOWED
    assert refusal("+447400123456", {"GB"}, blocked=()) is None  # a GB mobile
    assert refusal("+447400123456", {"GB"}, blocked=("+447400",)) is Refusal.PREFIX_NOT_ALLOWED
    # Non-geographic ranges belong to no country: refused unless `001` is allowed, then by the prefix list.
    assert region_of(SATELLITE) == "001"
    assert refusal(SATELLITE, {"IR"}, blocked=()) is Refusal.COUNTRY_NOT_ALLOWED
    assert refusal(SATELLITE, {"001"}, blocked=("+882",)) is Refusal.PREFIX_NOT_ALLOWED


@given(st.sampled_from(["+14155550123", "+12125550123", "+79161234567", "+77011234567", IRAN, GERMANY, SATELLITE]))
def test_r_acc_reach_region_without_parsing_agrees_with_libphonenumber(number: str) -> None:
    import phonenumbers

    expected = phonenumbers.region_code_for_number(phonenumbers.parse(number)) or "001"
    assert region_of(number) == expected


def test_r_acc_reach_destination_ranges_split_operators() -> None:
    assert destination_prefix(IRAN) == "+98912"
    assert destination_prefix("+989351234567") == "+98935"
    assert destination_prefix(GERMANY) == "+49151"


def test_r_acc_reach_an_import_reports_each_unreachable_line_and_keeps_the_rest() -> None:
    account = _account(allowed_countries=("IR", "GB"))
    numbers = ["09121234567", GERMANY, GB_PREMIUM, "not a number", "09121234567", GERMANY]
    parsed = parse_inline(numbers, "IR", reach=reach_of(account))
    assert [r.number for r in parsed.recipients] == [IRAN]
    assert (parsed.read, parsed.invalid, parsed.not_allowed, parsed.duplicate) == (6, 4, 3, 1)
    assert [(x.line, x.reason) for x in parsed.invalid_lines] == [
        (2, "country_not_allowed"),
        (3, "prefix_not_allowed"),
        (4, "not_a_number"),
        (6, "country_not_allowed"),
    ]


def test_r_acc_reach_admission_refuses_unreachable_numbers_before_the_lists_free() -> None:
    recipients = [
        AudienceEntry(seq=0, number=GERMANY, time_zone="Europe/Berlin", units=1),
        AudienceEntry(seq=1, number=IRAN, time_zone="Asia/Tehran", units=1),
    ]
    lists = {GERMANY: {SuppressionList.ACCOUNT_STOP_LIST}}
    refusals = {GERMANY: Refusal.COUNTRY_NOT_ALLOWED}
    screening = screen(recipients, Category.SERVICE, lists, WindowRule.of(["00:00-23:59"]), NOW, refusals=refusals)
    first, second = screening.screened
    assert first.decision.outcome is Outcome.COUNTRY_NOT_ALLOWED and first.decision.reason == "country_not_allowed"
    assert not first.decision.claim_ad_cap
    assert second.decision.proceed


def test_r_acc_pumping_a_batch_pauses_past_both_the_share_and_the_floor() -> None:
    policy = PumpingPolicy(share=0.2, min_numbers=10)
    assert suspected_pumping(50, refused=4, never_seen=6, policy=policy)  # 10 of 50 = 20 %
    assert not suspected_pumping(51, refused=4, never_seen=6, policy=policy)  # 19.6 %
    assert not suspected_pumping(100, refused=4, never_seen=5, policy=policy)  # 9: under the floor
    assert not suspected_pumping(1_000, refused=50, never_seen=100, policy=policy)  # 15 %: a normal mix
    assert not suspected_pumping(0, refused=0, never_seen=0, policy=policy)


@given(st.integers(1, 5_000), st.integers(0, 5_000), st.integers(0, 5_000))
def test_r_acc_pumping_more_suspicious_numbers_never_unpause(walked: int, refused: int, never_seen: int) -> None:
    policy = PumpingPolicy(share=0.2, min_numbers=10)
    if suspected_pumping(walked, refused, never_seen, policy):
        assert suspected_pumping(walked, refused + 1, never_seen, policy)
        assert suspected_pumping(walked, refused, never_seen + 1, policy)


def test_r_acc_pumping_only_a_resume_by_a_person_after_the_pause_clears_the_guard() -> None:
    from jarchi.campaigns.statuses import SYSTEM_ACTOR

    def change(status: CampaignStatus, actor: str, reason: str | None = None) -> StatusChange:
        return StatusChange(NOW, status, actor, reason)

    running = change(CampaignStatus.RUNNING, SYSTEM_ACTOR)
    paused = change(CampaignStatus.PAUSED, SYSTEM_ACTOR, SUSPECTED_PUMPING)
    by_admin = change(CampaignStatus.RUNNING, "account:acc_admin", "owner_request")
    owner_pause = change(CampaignStatus.PAUSED, "account:acc_1", "owner_request")

    class _Campaign:
        def __init__(self, *history: StatusChange) -> None:
            self.history = history

    assert not pumping_reviewed(_Campaign(running, paused))  # type: ignore[arg-type]
    assert pumping_reviewed(_Campaign(running, paused, by_admin))  # type: ignore[arg-type]
    assert not pumping_reviewed(_Campaign(running, owner_pause, by_admin))  # type: ignore[arg-type]
