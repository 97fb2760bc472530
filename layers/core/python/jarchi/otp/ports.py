"""What OTP needs from outside: its store (DynamoDB adapter `DynamoOtp` in the store package; the fake in
`tests/fakes`)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from jarchi.otp.models import Otp


class OtpStore(Protocol):
    def put(self, otp: Otp) -> None: ...

    def get(self, otp_id: str) -> Otp | None:
        """Consistently read."""
        ...

    def record_try(self, otp: Otp, *, verified: bool) -> bool:
        """One more try, and `verified` when it matched, only if the OTP is still as read (its tries, not
        verified): False (nothing written) when another verify got there first."""
        ...

    def mark_undeliverable(self, otp: Otp, reason: str) -> None:
        """Keep why the code never reached its number (unless it was verified meanwhile)."""
        ...

    def take_send(self, key: str, now: datetime, *, limit: int, window: timedelta) -> float:
        """Count one send under `key` if fewer than `limit` were counted in the `window` before `now` (a sliding
        window, one conditional write); else nothing and the seconds until one falls out (> 0). 0 when taken."""
        ...
