"""R-CPL-1: restricted periods close sending per country and category, like a closed window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from jarchi.campaigns.models import AudienceEntry
from jarchi.campaigns.workflow import screen
from jarchi.channels import Category
from jarchi.compliance.restricted import RestrictedPeriod, restricted_until
from jarchi.compliance.windows import TimeWindow, WindowRule

NOW = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)  # 10:30 in Tehran
H = timedelta(hours=1)


def _period(start: datetime, end: datetime, *categories: Category, country: str = "IR") -> RestrictedPeriod:
    return RestrictedPeriod("rsp_1", country, start, end, categories or (Category.ADVERTISING,), "mourning", NOW)


def test_r_cpl_1_a_period_covers_its_country_and_categories_from_start_to_end() -> None:
    period = _period(NOW - H, NOW + H)
    assert restricted_until([period], "IR", Category.ADVERTISING, NOW) == NOW + H
    assert restricted_until([period], "IR", Category.SERVICE, NOW) is None
    assert restricted_until([period], "AE", Category.ADVERTISING, NOW) is None
    assert restricted_until([period], "IR", Category.ADVERTISING, NOW + H) is None  # the end is open
    assert restricted_until([period], "IR", Category.ADVERTISING, NOW - 2 * H) is None


def test_r_cpl_1_periods_that_touch_chain_into_one_wait() -> None:
    periods = [_period(NOW - H, NOW + H), _period(NOW + H, NOW + 3 * H), _period(NOW + 5 * H, NOW + 6 * H)]
    assert restricted_until(periods, "IR", Category.ADVERTISING, NOW) == NOW + 3 * H


def test_r_cpl_1_admission_waits_at_a_restricted_recipient_until_the_period_ends() -> None:
    recipients = [
        AudienceEntry(0, "+971501234567", "Asia/Dubai", 1),
        AudienceEntry(1, "+989121234567", "Asia/Tehran", 1),
        AudienceEntry(2, "+971501234568", "Asia/Dubai", 1),
    ]
    rule = WindowRule.of([TimeWindow.parse("00:00", "23:59")], range(1, 8))
    countries = {"+971501234567": "AE", "+989121234567": "IR", "+971501234568": "AE"}
    period = _period(NOW - H, NOW + 2 * H)
    screening = screen(recipients, Category.ADVERTISING, {}, rule, NOW, restricted=[period], countries=countries)
    assert [s.recipient.seq for s in screening.screened] == [0]
    assert screening.blocked_until == NOW + 2 * H
    free = screen(recipients, Category.SERVICE, {}, rule, NOW, restricted=[period], countries=countries)
    assert len(free.screened) == 3 and free.blocked_until is None
