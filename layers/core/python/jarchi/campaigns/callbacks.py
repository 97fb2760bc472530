"""Callbacks (R-OUT-4), as pure rules: a subscriber calls back the number a campaign called them from.

- Within `CALLBACK_WINDOW` (1 hour) of the end of the campaign's last call to that number, the callback is
  connected: it hears the campaign's message again (its audio or text-to-speech), and is charged to the
  campaign's account by pulses of the time connected (started pulses, at the campaign's tariff per pulse).
- After the hour (or from a number no campaign called) it is refused: hung up at once, never charged.

Decisions where the spec is silent:

- "Called" is any call that reached the network (answered, not answered, busy, unreachable), not a `failed`
  one; the campaign is the one whose call to the number ended last. Without a caller-ID pool every campaign
  calls from the deployment's numbers, so the number called back does not narrow it further.
- A callback's charge is its own reservation and charge, booked at once (`jarchi.billing.credit.callback_charge`)
  with the campaign's money moved in the same transaction: it may come after the campaign settled, and
  `reserved = charged + released + refunded` still holds. No credit left: the callback is refused.
- Refused callbacks are kept too (counted per recipient), so the owner sees who tried after the hour.
"""

from __future__ import annotations

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


def callback_outcome(last: LastCall | None, at: datetime) -> CallbackOutcome:
    if last is None or at - last.called_at > CALLBACK_WINDOW or at < last.called_at:
        return CallbackOutcome.REFUSED
    return CallbackOutcome.CONNECTED


def callback_pulses(seconds: int) -> int:
    """Started pulses of the time connected; nothing for a callback that never connected."""
    return pulses_for(seconds * 1000) if seconds > 0 else 0
