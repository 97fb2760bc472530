"""Cleaning a contact list by a campaign's results (the seed's "clean the group"):
`POST /v1/contact-lists/{id}/clean` `{"campaign_id", "reasons"?}`.

The numbers whose **last** result in the chosen campaign (its latest part with a final result for the number:
a retry part's answer outweighs the first send's) is one of `reasons` leave the list; the answer says how many
went, for which reason, and how many stay. By default the reasons are the ones that say the number will not
get a message: `invalid`, `undelivered`, `blacklisted`, `opted_out`; `rejected`, `country_not_allowed` and
`prefix_not_allowed` may be asked for too. The campaign must be the list owner's (any campaign of its, not
only one created from this list); a campaign still sending is read as it stands.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from jarchi.accounts.models import Caller
from jarchi.attempts import Outcome
from jarchi.audiences.editing import NumbersDropped, drop_numbers
from jarchi.audiences.ports import ContactListPorts
from jarchi.audiences.service import get_contact_list
from jarchi.campaigns.models import IN_PROGRESS, PENDING
from jarchi.campaigns.ports import CampaignPorts
from jarchi.campaigns.queries import visible_campaign
from jarchi.campaigns.reading import every_recipient
from jarchi.errors import Unprocessable

DEFAULT_REASONS: Final = (Outcome.INVALID, Outcome.UNDELIVERED, Outcome.BLACKLISTED, Outcome.OPTED_OUT)
CLEANABLE: Final = frozenset(
    {*DEFAULT_REASONS, Outcome.REJECTED, Outcome.COUNTRY_NOT_ALLOWED, Outcome.PREFIX_NOT_ALLOWED}
)
_NOT_A_RESULT: Final = frozenset({PENDING, IN_PROGRESS})


def checked_reasons(reasons: Sequence[str] | None) -> frozenset[str]:
    if reasons is None:
        return frozenset(DEFAULT_REASONS)
    unknown = sorted(set(reasons) - CLEANABLE)
    if unknown or not reasons:
        raise Unprocessable(
            "invalid_reasons",
            f"reasons are one or more of {', '.join(sorted(CLEANABLE))}",
            unknown=unknown,
        )
    return frozenset(reasons)


def clean_contact_list(
    caller: Caller,
    list_id: str,
    campaign_id: str,
    reasons: Sequence[str] | None = None,
    *,
    lists: ContactListPorts | None = None,
    campaigns: CampaignPorts | None = None,
) -> NumbersDropped:
    wanted = checked_reasons(reasons)
    lists = lists or ContactListPorts.wired()
    contact_list = get_contact_list(caller, list_id, ports=lists)
    campaign = visible_campaign(caller, campaign_id, ports=campaigns)
    if campaign.account_id != contact_list.account_id:
        raise Unprocessable(
            "campaign_of_another_account",
            f"campaign {campaign_id!r} is not of the list's account: its results say nothing about these numbers",
        )
    last: dict[str, str] = {}
    for _, state in every_recipient(campaign, ports=campaigns):
        if state.status not in _NOT_A_RESULT:
            last[state.number] = state.status
    leaving = {number: status for number, status in last.items() if status in wanted}
    return drop_numbers(caller, list_id, leaving, ports=lists)
