"""An OTP as stored (never its code): who sent it to which number, until when, how many tries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from jarchi.channels import Channel


@dataclass(frozen=True, slots=True)
class Otp:
    id: str
    account_id: str
    number: str  # E.164
    channel: Channel
    code_hash: str
    campaign_id: str
    created_at: datetime
    expires_at: datetime
    tries: int = 0
    verified: bool = False
    # Why the code never reached the number (the send's result: `failed`, `rejected`, `no_answer`…), once a
    # verify saw it: such a code never verifies.
    undeliverable: str | None = None
