"""What one attempt costs (R-BIL-3): only successful attempts are charged, the whole message's units at the
campaign's tariff."""

from __future__ import annotations

from jarchi.attempts import PRE_DIAL_OUTCOMES, SMS_OUTCOMES, VOICE_OUTCOMES, Outcome
from jarchi.channels import Channel


def is_billable(outcome: Outcome) -> bool:
    """Charged: answered calls and SMS accepted by the operator (R-BIL-3).

    An SMS may report `sent` and later `delivered`/`undelivered`: both are billable, and the attempt is
    charged once, on the first billable result (the results side keys the charge by attempt id).
    """
    return outcome in {Outcome.ANSWERED, Outcome.SENT, Outcome.DELIVERED, Outcome.UNDELIVERED}


def attempt_charge(channel: Channel | str, outcome: Outcome, *, units: int, tariff: int) -> int:
    """What one attempt costs, in minor units: the message's units (voice pulses, or SMS segments after
    personalisation) × the tariff per unit when billable, else 0. An answered call pays the whole message,
    however long the subscriber listened."""
    if units < 0 or tariff < 0:
        raise ValueError("units and tariff are not negative")
    channel = Channel(channel)
    allowed = VOICE_OUTCOMES if channel is Channel.VOICE else SMS_OUTCOMES
    if outcome not in allowed | PRE_DIAL_OUTCOMES:
        raise ValueError(f"{outcome} is not a {channel} outcome")
    return units * tariff if is_billable(outcome) else 0
