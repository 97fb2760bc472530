"""What kind of message a send is: the channel it travels on and its regulatory category (SPEC §1).

Compliance rules (windows, the ad cap, opt-out) are keyed by these two, so they live here; the campaign
and connector models import them from this module.
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
