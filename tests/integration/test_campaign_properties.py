"""Property test over random campaigns on the whole local platform (issue 5: R-DSP-1, R-CPL-1..3, R-BIL-3).

The examples share one local platform (moto, the runtime, the frozen clock): each starts with the ad caps
and suppression lists emptied, new accounts, and the clock moved days on to a random time of day; it runs
2–3 campaigns of two accounts at once: random channel and category (mostly advertising, so
campaigns compete for numbers), recipients from a small pool of numbers in several time zones, sometimes
narrowed windows, random suppression entries and a random simulator (seed, outcome weights, ad opt-outs
by vote 11). The clock jumps only while every workflow waits with nothing in flight
(tests.campaign_harness.run_to_end), so each attempt is placed at the instant it was admitted. After the
run (`--hypothesis-show-statistics` shows which situations the examples reached):

- every recipient has exactly one final status, matching what the connector reported for its one attempt;
- no attempt was placed outside the policy's window nor the campaign's own, in the recipient's local time;
- no number got two advertising attempts within 24 h across all campaigns (an attempt that never reached
  the network, `failed`/`rejected`, gives its claim back), and a `frequency_capped` recipient was capped by
  an advertising attempt of the last 24 h;
- the suppression lists decided what they must (stop list, telecom blacklist, ad opt-out);
- each campaign: reserved = charged + released + refunded, charged = Σ recipient costs; each account's
  balance item = Σ its ledger, nothing left reserved.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st

from jarchi.attempts import Outcome
from jarchi.campaigns.models import RecipientState
from jarchi.channels import Category
from jarchi.clock import LocalClock, iso
from jarchi.compliance.adcap import AD_CAP_PERIOD, SuppressionList, releases_ad_cap
from jarchi.compliance.windows import WindowPolicy, WindowRule
from jarchi.connectors.simulator import SimulatorConfig, SmsRates, VoiceRates
from jarchi.store.adcap import AdCapItem
from jarchi.store.campaigns import CampaignItem
from jarchi.store.suppression import DynamoSuppression, SuppressionItem
from local.runtime import LocalRuntime
from tests.api import Api
from tests.campaign_harness import (
    Customer,
    Placed,
    allow_countries,
    assert_ledger_exact,
    assert_reconciled,
    create,
    new_customer,
    recipients_of,
    recording_connector,
    run_to_end,
)

# E.164 number → the zone its recipient is called in (libphonenumber's single zone; the Russian mobile
# range spans many zones, so it takes the account's, Asia/Tehran).
POOL: dict[str, str] = {
    "+989120000001": "Asia/Tehran",
    "+989350000002": "Asia/Tehran",
    "+971501234567": "Asia/Dubai",
    "+4915112345678": "Europe/Berlin",
    "+14155550123": "America/Los_Angeles",
    "+79161234567": "Asia/Tehran",
}
TEHRAN = ZoneInfo("Asia/Tehran")
# Inside every policy rule, so a campaign of any channel and category may narrow to them.
NARROWED = [None, [{"start": "10:00", "end": "13:00"}], [{"start": "18:00", "end": "20:00"}]]
ACCOUNTS = ("Alpha", "Beta")


@dataclass(frozen=True)
class CampaignSpec:
    account: int
    channel: str
    category: str
    recipients: list[str]
    windows: list[dict[str, str]] | None
    vote: bool

    def body(self, customer: Customer) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": f"{self.channel} {self.category}",
            "channel": self.channel,
            "category": self.category,
            "recipients": self.recipients,
            "speed_per_hour": 360_000,
        }
        if self.channel == "sms":
            body["sms_text"] = f"{customer.sender}: news for you"
        else:
            body |= {"tts_text": f"Hello from {customer.sender}", "language": "en", "vote": self.vote}
        if self.windows is not None:
            body["windows"] = self.windows
        return body


@dataclass(frozen=True)
class Scenario:
    start_minute: int  # Tehran wall clock
    simulator: SimulatorConfig
    suppressed: list[tuple[SuppressionList, str, int]]  # list, number, account index (stop lists)
    campaigns: list[CampaignSpec]


weights = st.sampled_from([0.0, 1.0, 4.0])
simulators = st.builds(
    SimulatorConfig,
    seed=st.integers(0, 10_000),
    voice=st.builds(
        VoiceRates, answered=st.just(2.0), no_answer=weights, busy=weights, failed=weights, answering_machine=weights
    ),
    sms=st.builds(SmsRates, DELIVRD=st.just(2.0), UNDELIV=weights, REJECTD=weights, NOREPORT=weights),
    opt_out_probability=st.sampled_from([0.0, 0.5]),
)


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    """Campaigns draw their recipients from one small audience of the example, so they compete for numbers."""
    audience = draw(st.lists(st.sampled_from(sorted(POOL)), min_size=2, max_size=4, unique=True))
    specs = st.builds(
        CampaignSpec,
        account=st.integers(0, len(ACCOUNTS) - 1),
        channel=st.sampled_from(["sms", "voice"]),
        category=st.sampled_from(["advertising", "advertising", "service"]),
        recipients=st.lists(st.sampled_from(audience), min_size=1, max_size=len(audience), unique=True),
        windows=st.sampled_from(NARROWED),
        vote=st.booleans(),
    )
    return Scenario(
        # mostly inside Tehran's advertising windows, sometimes any time of day (the campaign waits)
        start_minute=draw(st.one_of(st.integers(10 * 60, 13 * 60), st.integers(0, 24 * 60 - 1))),
        simulator=draw(simulators),
        suppressed=draw(
            st.lists(
                st.tuples(st.sampled_from(list(SuppressionList)), st.sampled_from(audience), st.integers(0, 1)),
                max_size=2,
            )
        ),
        campaigns=draw(st.lists(specs, min_size=2, max_size=3)),
    )


@settings(
    max_examples=8,
    deadline=None,
    database=None,
    # No shrinking: an example takes seconds and is small already; the failing one is reported as drawn.
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(scenario=scenarios())
def test_r_dsp_1_r_cpl_1_2_r_bil_3_random_campaigns_lose_nothing_and_do_nothing_twice(
    scenario: Scenario, admin: Api, platform: LocalRuntime, clock: LocalClock
) -> None:
    started = _fresh_start(clock, scenario.start_minute)
    customers = [new_customer(admin, name) for name in ACCOUNTS]
    for each in customers:
        allow_countries(each.account_id, "IR", "AE", "DE", "US", "RU")
    for kind, number, account in scenario.suppressed:
        DynamoSuppression().add(kind, number, account_id=customers[account].account_id, added_at=iso(started))
    with recording_connector(scenario.simulator) as connector:
        created = [create(customers[spec.account], spec.body(customers[spec.account])) for spec in scenario.campaigns]
        items = run_to_end(clock, [c["id"] for c in created], region=platform.settings.region)
    rows = {item.id: recipients_of(item) for item in items}
    for spec, item in zip(scenario.campaigns, items, strict=True):
        assert_reconciled(item)
        assert sorted(r.number for r in rows[item.id]) == sorted(spec.recipients)
        _check_suppression(scenario, spec, customers, rows[item.id])
    assert_ledger_exact(c.account_id for c in customers)
    _check_placements(connector.placed, items, rows)
    _check_windows(connector.placed, {item.id: spec for spec, item in zip(scenario.campaigns, items, strict=True)})
    _check_ad_cap(connector.placed, items, rows)
    _record_events(clock.now() - started, connector.placed, rows)


def _fresh_start(clock: LocalClock, start_minute: int) -> datetime:
    """Examples share one platform: forget the previous example's ad caps and suppression entries, and move
    the clock at least two days on (its caps would have expired anyway), to `start_minute` in Tehran."""
    for item in AdCapItem.scan():
        item.delete()
    for entry in SuppressionItem.scan():
        entry.delete()
    later = (clock.now() + timedelta(days=2)).astimezone(TEHRAN)
    start = later.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1, minutes=start_minute)
    clock.advance((start - clock.now()).total_seconds())
    return start


def _record_events(took: timedelta, placed: list[Placed], rows: dict[str, list[RecipientState]]) -> None:
    statuses = {r.status for campaign_rows in rows.values() for r in campaign_rows}
    for status in sorted(statuses & {o.value for o in Outcome}):
        event(f"some recipient {status}")
    if took > timedelta(hours=1):
        event("a campaign waited for a window")
    if any(p.outcome is not None and releases_ad_cap(p.outcome) for p in placed if p.category is Category.ADVERTISING):
        event("an ad attempt gave its cap claim back")


def _check_placements(placed: list[Placed], items: list[CampaignItem], rows: dict[str, list[RecipientState]]) -> None:
    """Each attempt placed once; a recipient with an attempt holds exactly the outcome the connector gave."""
    by_attempt = {p.attempt_id: p for p in placed}
    assert len(by_attempt) == len(placed), "an attempt was placed twice"
    attempted = {r.attempt_id: r for item in items for r in rows[item.id] if r.attempt_id}
    assert set(attempted) == set(by_attempt)
    for attempt_id, row in attempted.items():
        assert int(row.attempts) == 1
        assert row.status == by_attempt[attempt_id].status, (row.number, row.status, by_attempt[attempt_id])
    pre_dial = {o.value for o in (Outcome.FREQUENCY_CAPPED, Outcome.OPTED_OUT, Outcome.BLACKLISTED)}
    for item in items:
        assert all(r.status in pre_dial for r in rows[item.id] if not r.attempt_id), item.id


def _check_windows(placed: list[Placed], specs: dict[str, CampaignSpec]) -> None:
    """R-CPL-1: inside the policy's window and the campaign's own, in the recipient's local time."""
    policy = WindowPolicy.default()
    for p in placed:
        zone = POOL[p.number]
        assert policy.rule_for(p.channel, p.category).is_open(p.placed_at, zone), (p, zone)
        narrowed = specs[p.campaign_id].windows
        if narrowed is not None:
            assert WindowRule.of(f"{w['start']}-{w['end']}" for w in narrowed).is_open(p.placed_at, zone), (p, zone)


def _check_ad_cap(placed: list[Placed], items: list[CampaignItem], rows: dict[str, list[RecipientState]]) -> None:
    """R-CPL-2 across all campaigns and accounts."""
    ads: dict[str, list[Placed]] = defaultdict(list)
    for p in sorted(placed, key=lambda p: p.order):
        if p.category is Category.ADVERTISING:
            ads[p.number].append(p)
    for number, attempts in ads.items():
        for index, holder in enumerate(attempts):
            if holder.outcome is not None and releases_ad_cap(holder.outcome):
                continue  # never reached the network: its claim was given back
            later = [p for p in attempts[index + 1 :] if p.placed_at < holder.placed_at + AD_CAP_PERIOD]
            assert not later, f"{number}: a second ad within 24 h of {holder}: {later}"
    capped = [r for item in items for r in rows[item.id] if r.status == Outcome.FREQUENCY_CAPPED.value]
    for row in capped:
        at = datetime.fromisoformat(str(row.updated_at))
        blockers = _within(at, (p.placed_at for p in ads.get(row.number, [])))
        assert blockers, f"{row.number} was frequency_capped at {at} with no ad to it in the 24 h before"


def _within(at: datetime, instants: Iterable[datetime]) -> list[datetime]:
    return [t for t in instants if t <= at < t + AD_CAP_PERIOD]


def _check_suppression(
    scenario: Scenario, spec: CampaignSpec, customers: list[Customer], rows: list[RecipientState]
) -> None:
    """R-CPL-3: the stop list applies to every category, the blacklist and the opt-out list to ads only."""
    stop = {n for kind, n, a in scenario.suppressed if kind is SuppressionList.ACCOUNT_STOP_LIST and a == spec.account}
    telecom = {n for kind, n, _ in scenario.suppressed if kind is SuppressionList.TELECOM_BLACKLIST}
    opted_out = {n for kind, n, _ in scenario.suppressed if kind is SuppressionList.AD_OPT_OUT}
    advertising = spec.category == Category.ADVERTISING
    lists = DynamoSuppression().memberships((r.number for r in rows), customers[spec.account].account_id)
    for row in rows:
        expected = None
        if row.number in stop or (advertising and row.number in telecom):
            expected = Outcome.BLACKLISTED.value
        elif advertising and row.number in opted_out:
            expected = Outcome.OPTED_OUT.value
        if expected is not None:
            assert row.status == expected, (row.number, row.status, expected)
        if not advertising:
            assert row.status not in (Outcome.OPTED_OUT.value, Outcome.FREQUENCY_CAPPED.value), row.number
        if row.status == Outcome.OPTED_OUT.value or (advertising and row.vote is not None and int(row.vote) == 11):
            assert SuppressionList.AD_OPT_OUT in lists.get(row.number, set()), row.number
