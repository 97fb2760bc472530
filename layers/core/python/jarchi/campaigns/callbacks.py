"""Callbacks (R-OUT-4), as pure rules: a subscriber calls back the number a campaign called them from.

- Within `CALLBACK_WINDOW` (1 hour) of the end of the campaign's last call to that number, the callback is
  connected: it hears the campaign's message again (its audio or text-to-speech), and is charged to the
  campaign's account by pulses of the time connected (started pulses, at the campaign's tariff per pulse).
- After the hour (or from a number no campaign called) it is refused: hung up at once, never charged.

Decisions where the spec is silent:

- "Called" is any call that reached the network (answered, not answered, busy, unreachable), not a `failed`
  one. The campaign is found by the number dialled and the caller's number (R-DSP-5): the newest call to the
  caller that went out from the dialled number (a campaign's caller-ID pool); when none did, the newest call
  from the deployment's own numbers (campaigns without a pool, which the dialled number cannot tell apart).
  So a subscriber called by two campaigns from two pool numbers reaches the campaign whose number they dial.
  Only the newest `LAST_CALLS_LOOKED_AT` calls to a number are looked at (one query page).
- A callback's charge is its own reservation and charge, booked at once (`jarchi.billing.credit.callback_charge`)
  with the campaign's money moved in the same transaction: it may come after the campaign settled, and
  `reserved = charged + released + refunded` still holds. No credit left: the callback is refused.
- Refused callbacks are kept too (counted per recipient), so the owner sees who tried after the hour.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from jarchi.content.audio import pulses_for

CALLBACK_WINDOW: Final = timedelta(hours=1)
CALLBACK_SLOT: Final = 7  # a recipient's callbacks are stored beside it (see `jarchi.campaigns.follow_ups`)


class CallbackOutcome(StrEnum):
    CONNECTED = "connected"
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class LastCall:
    """The last call a campaign placed to a number, found by the number (the recipients' `by_called_number`
    index)."""

    campaign_id: str
    seq: int
    number: str
    called_at: datetime
    caller_id: str | None = None  # the pool number the call went out from (None: the deployment's own)


LAST_CALLS_LOOKED_AT: Final = 20


def pick_last_call(newest_first: Sequence[LastCall], dialled: str | None) -> LastCall | None:
    """The call a callback to `dialled` answers (module docstring); `dialled` None (not known): the newest."""
    if dialled is None:
        return newest_first[0] if newest_first else None
    for call in newest_first:
        if call.caller_id == dialled:
            return call
    return next((call for call in newest_first if call.caller_id is None), None)


def callback_outcome(last: LastCall | None, at: datetime) -> CallbackOutcome:
    if last is None or at - last.called_at > CALLBACK_WINDOW or at < last.called_at:
        return CallbackOutcome.REFUSED
    return CallbackOutcome.CONNECTED


def callback_pulses(seconds: int) -> int:
    """Started pulses of the time connected; nothing for a callback that never connected."""
    return pulses_for(seconds * 1000) if seconds > 0 else 0
