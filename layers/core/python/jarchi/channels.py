"""What kind of message a send is: the channel it travels on and its regulatory category (SPEC §1).

Compliance rules (windows, the ad cap, opt-out), prices and connectors are keyed by these two; the lowest
module of the domain, so that every package can import it.
"""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    VOICE = "voice"
    SMS = "sms"


class Category(StrEnum):
    ADVERTISING = "advertising"
    SERVICE = "service"  # informational / transactional
    OTP = "otp"
