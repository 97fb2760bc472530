"""Changing an account, with what a suspension means for its campaigns (issue 13, R-CMP-4).

Suspending an account (admin, `PATCH /v1/accounts/{id}` `{"status": "suspended"}`) stops it from sending
without losing anything: its tokens answer 403 `account_suspended` from the next request
(`jarchi.accounts.policy`), and every campaign of it that is sending (`running`, `waiting_window`) is
paused by the system with reason `account_suspended` and a system comment. Attempts already in flight end
and are applied as usual; reservations stay. The workflow's admission step pauses, the same way, any
campaign of a suspended account it meets (a scheduled start firing later, or one this sweep lost a race
for). Once admin sets the account `active` again, its owner continues each campaign with
`resume_unfinished` (a system pause resumes the same part)."""

from __future__ import annotations

from jarchi import clock
from jarchi.accounts import service as accounts
from jarchi.accounts.models import Account, AccountChanges, AccountStatus, Caller
from jarchi.campaigns.listing import CampaignFilter
from jarchi.campaigns.models import Campaign
from jarchi.campaigns.ports import CampaignChanged, CampaignPorts
from jarchi.campaigns.statuses import SENDING_STATUSES
from jarchi.campaigns.workflow import ACCOUNT_SUSPENDED, pause_by_system

PAGE = 100
TRIES = 5  # a campaign moving between running and waiting_window under us; its next admission pauses it


def change_account(
    caller: Caller, account_id: str, changes: AccountChanges, *, ports: CampaignPorts | None = None
) -> Account:
    """`PATCH /v1/accounts/{id}`; a suspension pauses the account's sending campaigns before it answers."""
    updated = accounts.update_account(caller, account_id, changes)
    if changes.status is AccountStatus.SUSPENDED:
        pause_sending_campaigns(updated.id, ACCOUNT_SUSPENDED, ports=ports)
    return updated


def _sending(ports: CampaignPorts, account_id: str) -> list[Campaign]:
    found: list[Campaign] = []
    for status in sorted(SENDING_STATUSES):
        cursor: str | None = None
        while True:
            page, cursor = ports.campaigns.list_for_account(account_id, PAGE, cursor, CampaignFilter(status=status))
            found.extend(page)
            if cursor is None:
                break
    return found


def pause_sending_campaigns(account_id: str, reason: str, *, ports: CampaignPorts | None = None) -> list[str]:
    """Every sending campaign of the account, paused by the system with `reason`; the ids paused. One that
    moves meanwhile (it finished, its window closed) is read again and paused if it still sends."""
    ports = ports or CampaignPorts.wired()
    paused: list[str] = []
    for campaign in _sending(ports, account_id):
        current: Campaign | None = campaign
        for _ in range(TRIES):
            if current is None or current.status not in SENDING_STATUSES:
                break
            try:
                pause_by_system(ports, current, reason, clock.now())
            except CampaignChanged:
                current = ports.campaigns.get(campaign.id)
                continue
            paused.append(campaign.id)
            break
    return paused
