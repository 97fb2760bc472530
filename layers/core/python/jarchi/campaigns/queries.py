"""A caller's reads of campaigns: one campaign, the list, a part's recipients a page at a time, the review queue
(R-CMP-4, R-REP-1, R-CPL-4). Apart from `jarchi.campaigns.service` (issue 10, cold start: a read imports nothing of
what creates and edits campaigns — the draft, window and number rules, billing) and from `jarchi.campaigns.reading`
(the stored recipients, which the exports worker reads without the account rules)."""

from __future__ import annotations

import base64
import json

from jarchi.accounts.access import require_admin
from jarchi.accounts.models import Caller
from jarchi.accounts.service import listed_account_id, require_owned
from jarchi.attempts import Outcome
from jarchi.campaigns.listing import DEFAULT_FILTER, CampaignFilter
from jarchi.campaigns.models import IN_PROGRESS, PART_STRIDE, PENDING, Campaign, RecipientState
from jarchi.campaigns.ports import CampaignPorts, CampaignRepository
from jarchi.campaigns.reading import part_states
from jarchi.errors import NotFound, Unprocessable
from jarchi.ports import resolve

RECIPIENT_STATUSES = (PENDING, IN_PROGRESS, *(outcome.value for outcome in Outcome))
FILTER_PAGE = 500
FILTER_WALK = 1_000


def _campaigns(ports: CampaignPorts | None) -> CampaignRepository:
    """The campaign repository alone: a read that needs no other port does not wire them (issue 10, cold start)."""
    return ports.campaigns if ports is not None else resolve(CampaignRepository)


def visible_campaign(caller: Caller, campaign_id: str, *, ports: CampaignPorts | None = None) -> Campaign:
    return require_owned(caller, _campaigns(ports).get(campaign_id), "campaign", campaign_id)


def list_campaigns(
    caller: Caller,
    account_id: str | None,
    limit: int,
    cursor: str | None,
    filters: CampaignFilter = DEFAULT_FILTER,
    *,
    ports: CampaignPorts | None = None,
) -> tuple[list[Campaign], str | None]:
    """Newest first; archived campaigns only with `archived=true` (R-CMP-4, R-REP-1)."""
    owner = listed_account_id(caller, account_id)
    return _campaigns(ports).list_for_account(owner, limit, cursor, filters)


def _recipient_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"seq": seq}).encode()).decode()


def _seq_of(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        seq = json.loads(base64.urlsafe_b64decode(cursor.encode()))["seq"]
    except (ValueError, KeyError, TypeError):
        return 0
    return seq if isinstance(seq, int) and seq >= 0 else 0


def recipients_page(
    caller: Caller,
    campaign_id: str,
    *,
    limit: int,
    cursor: str | None,
    part: int | None = None,
    status: str | None = None,
    vote: int | None = None,
    ports: CampaignPorts | None = None,
) -> tuple[list[RecipientState], str | None]:
    """Recipients of a part (the current one by default) in its audience order (see `part_states`). With
    `status` or `vote`, a page walks the audience until `limit` match or `FILTER_WALK` positions were read: it
    may hold fewer than `limit` with a cursor to go on from (no scan: the audience is read in order)."""
    ports = ports or CampaignPorts.wired()
    campaign = visible_campaign(caller, campaign_id, ports=ports)
    parts = campaign.all_parts()
    if part is None:
        part = campaign.progress.part
    if not 0 <= part < len(parts):
        raise NotFound("part_not_found", f"campaign {campaign.id} has parts 0..{len(parts) - 1}")
    if status is not None and status not in RECIPIENT_STATUSES:
        raise Unprocessable("unknown_status", f"a recipient's status is one of {', '.join(RECIPIENT_STATUSES)}")
    first = _seq_of(cursor)
    total = parts[part].total
    if status is None and vote is None:
        states = part_states(campaign, part, first, limit, ports=ports)
        end = first + len(states)
        return states, (_recipient_cursor(end) if states and end < total else None)
    found: list[RecipientState] = []
    position = first
    while position < total and len(found) < limit and position - first < FILTER_WALK:
        step = part_states(campaign, part, position, min(FILTER_PAGE, total - position), ports=ports)
        if not step:
            break
        for state in step:
            position = state.seq - part * PART_STRIDE + 1
            if (status is None or state.status == status) and (vote is None or state.vote == vote):
                found.append(state)
                if len(found) == limit:
                    break
    return found, (_recipient_cursor(position) if position < total else None)


def awaiting_review(
    caller: Caller, limit: int, cursor: str | None, *, ports: CampaignPorts | None = None
) -> tuple[list[Campaign], str | None]:
    """Admin: every account's campaigns in moderation, oldest first (R-CPL-4)."""
    require_admin(caller)
    return _campaigns(ports).awaiting_review(limit, cursor)
