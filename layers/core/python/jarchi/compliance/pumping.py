"""The SMS-pumping guard on a running campaign (SPEC §14: a burst to unusual prefixes or premium ranges →
the campaign is paused by the system as `suspected_pumping`, for an admin to review). Pure.

Each admission batch is looked at before any ad-cap claim or send. Suspicious recipients are those refused
for their range (`prefix_not_allowed`: premium rate, shared cost, a blocked prefix) and those sent abroad
(outside the account's default region) to a range (`jarchi.accounts.reach.destination_prefix`) the platform
has never sent to. When at least `min_numbers` of a batch are suspicious *and* they are at least `share` of
it, the batch is not admitted and the campaign pauses. Home traffic is never "never seen": a new platform's
first campaign to its own country must not stop.

Only an admin resumes such a pause (the owner hears `awaiting_review`); the admin's resume is the review,
so the guard is off for that campaign from then on (`pumping_reviewed`, read from the history). Ranges
become "seen" when a batch to them is admitted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from jarchi.settings import get_settings

SUSPECTED_PUMPING: Final = "suspected_pumping"  # the system pause's reason


@dataclass(frozen=True, slots=True)
class PumpingPolicy:
    share: float = 0.2
    min_numbers: int = 10

    @classmethod
    def configured(cls) -> PumpingPolicy:
        settings = get_settings()
        return cls(share=settings.pumping_share, min_numbers=settings.pumping_min_numbers)


def suspected_pumping(walked: int, refused: int, never_seen: int, policy: PumpingPolicy) -> bool:
    """Whether a batch of `walked` recipients, `refused` of them for their range and `never_seen` sent to a
    foreign range never sent to before, looks like pumping."""
    suspicious = refused + never_seen
    return walked > 0 and suspicious >= policy.min_numbers and suspicious >= policy.share * walked
