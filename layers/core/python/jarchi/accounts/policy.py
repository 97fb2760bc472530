"""What an account may use, in one place (R-ACC-4, R-ACC-5, issue 13): a suspended account nothing, a demo
account for 10 days, up to 4 recipients a campaign, and not OTP nor exports. Pure functions of the account and
the time; the API's door, the campaign draft, OTP and exports call them.

- `require_usable(account, now)`: every authenticated request. Suspended → 403 `account_suspended`; a demo
  past its 10 days → 403 `demo_expired` (the whole API: the account's campaigns already sending finish, at
  most 4 recipients each).
- `require_not_demo(account, feature)`: 403 `not_allowed_for_demo` naming the feature (`otp`, `export`).
- `recipient_limit(account)`: the most recipients one campaign may have (more: `too_many_recipients`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from jarchi.accounts.models import Account, AccountStatus, AccountType
from jarchi.clock import iso
from jarchi.errors import Forbidden

DEMO_DAYS: Final = 10
DEMO_LIFETIME: Final = timedelta(days=DEMO_DAYS)
DEMO_MAX_RECIPIENTS: Final = 4


def demo_expires_at(account: Account) -> datetime | None:
    return account.created_at + DEMO_LIFETIME if account.type is AccountType.DEMO else None


def require_usable(account: Account, now: datetime) -> None:
    if account.status is AccountStatus.SUSPENDED:
        raise Forbidden("account_suspended", "this account is suspended; its owner should contact the platform")
    expires = demo_expires_at(account)
    if expires is not None and now >= expires:
        raise Forbidden(
            "demo_expired",
            f"this demo account was usable for {DEMO_DAYS} days, until {iso(expires)}",
            expired_at=iso(expires),
        )


def require_not_demo(account: Account, feature: str) -> None:
    if account.type is AccountType.DEMO:
        raise Forbidden("not_allowed_for_demo", f"demo accounts cannot use {feature}", feature=feature)


def recipient_limit(account: Account) -> int:
    if account.type is AccountType.DEMO:
        return min(account.recipient_limit, DEMO_MAX_RECIPIENTS)
    return account.recipient_limit
