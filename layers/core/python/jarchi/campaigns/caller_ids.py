"""The caller-ID pool (R-DSP-5, SPEC §14 `/v1/caller-ids`), as pure rules.

- The platform admin assigns numbers to an account (`POST /v1/caller-ids`); a number belongs to at most one
  account at a time. A campaign created with `caller_id_pool: true` freezes the account's numbers then (sorted;
  `no_caller_ids` when it has none): numbers assigned later serve later campaigns, and a number cannot be
  released while a campaign that may still call from it uses it (`release` → 409 `caller_id_in_use`).
- Each call goes out from one number of the campaign's pool chosen from the recipient's number
  (`caller_id_for`: a hash, so the pool is spread evenly over the audience and no state is kept or written
  per call), so a recipient keeps the same caller ID across its retry parts, a reset and a copy: the number
  it sees on its phone is the number it calls back, and the callback finds its campaign by that number and
  its own (`jarchi.campaigns.callbacks`).
- An assignment's id is `cid_` and the number's digits, so an id names its number and nothing else needs a
  lookup.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from jarchi.campaigns.statuses import CampaignStatus

ID_PREFIX: Final = "cid_"
MAX_NUMBERS_PER_REQUEST: Final = 100

# A campaign in one of these may still place calls (or be resumed, reset, started): its pool is in use.
STATUSES_USING_POOL: Final = frozenset(
    {
        CampaignStatus.MODERATION,
        CampaignStatus.CLARIFICATION,
        CampaignStatus.ACCEPTED,
        CampaignStatus.SCHEDULED,
        CampaignStatus.RUNNING,
        CampaignStatus.PAUSED,
        CampaignStatus.WAITING_WINDOW,
        CampaignStatus.STOPPED,
        CampaignStatus.ERROR,
    }
)


@dataclass(frozen=True, slots=True)
class CallerId:
    """A platform number assigned to an account as an outgoing caller ID."""

    number: str  # E.164
    account_id: str
    assigned_at: datetime

    @property
    def id(self) -> str:
        return caller_id_id(self.number)


def caller_id_id(number: str) -> str:
    return ID_PREFIX + number.lstrip("+")


def number_of(caller_id: str) -> str | None:
    """The number an id names (None: not an id of ours)."""
    digits = caller_id.removeprefix(ID_PREFIX)
    if not caller_id.startswith(ID_PREFIX) or not digits.isdigit() or not 7 <= len(digits) <= 15:
        return None
    return "+" + digits


def caller_id_for(pool: Sequence[str], number: str) -> str | None:
    """The number a call to `number` goes out from: one of `pool`, the same for the same recipient (None: no
    pool, the connector's own numbers)."""
    if not pool:
        return None
    digest = hashlib.blake2b(number.encode(), digest_size=8).digest()
    return pool[int.from_bytes(digest, "big") % len(pool)]
