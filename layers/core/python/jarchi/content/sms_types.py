"""SMS validity period and delivery statuses (R-SMS-5).

Validity (TTL): how long the operator keeps trying to deliver. The seed's operators default to 24 h or
72 h; we default to 24 h and accept 1..72 whole hours (``sms_validity_invalid`` otherwise). A campaign that
sets no `validity_minutes` sends each SMS with its operator's: the deployment's rules by E.164 prefix
(`JARCHI_SMS_VALIDITY_RULES`, the longest matching prefix wins), else `JARCHI_SMS_VALIDITY_DEFAULT_MINUTES`
(`validity_minutes_for`).

Delivery statuses, as delivery reports (DLR) name them:

========  =======  ========  ===================================================================
status    final    billable  meaning
========  =======  ========  ===================================================================
ENROUTE   no       yes       accepted by the operator, on its way (the first report)
DELIVRD   yes      yes       delivered to the handset
EXPIRED   yes      yes       accepted, but the handset was unreachable for the whole validity period
UNDELIV   yes      yes       accepted, but the operator could not deliver (number off, blocked…)
NOREPORT  yes      yes       accepted, and no report came before validity + grace ran out
FAILED    yes      no        never accepted: the submission failed (our side or the gateway)
REJECTD   yes      no        refused by the operator (sender name not allowed, spam filter)
========  =======  ========  ===================================================================

Billing rule (R-BIL-3 "SMS accepted by the operator"): a submission is charged once the operator has
accepted it, whatever happens to it afterwards; FAILED and REJECTD are never charged. ENROUTE is the
only status that may still change; a charge taken at ENROUTE stays when the final report arrives,
unless that report is FAILED/REJECTD (which an operator does not send after ENROUTE in practice; if
it does, the charge is refunded: ``is_billable`` of the final status decides).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from jarchi.errors import BadRequest
from jarchi.settings import get_settings

DEFAULT_VALIDITY_HOURS = 24
MIN_VALIDITY_HOURS = 1
MAX_VALIDITY_HOURS = 72


@dataclass(frozen=True, slots=True)
class ValidityPeriod:
    hours: int = DEFAULT_VALIDITY_HOURS

    def __post_init__(self) -> None:
        if isinstance(self.hours, bool) or not isinstance(self.hours, int):
            raise BadRequest("sms_validity_invalid", "the validity period is a whole number of hours")
        if not MIN_VALIDITY_HOURS <= self.hours <= MAX_VALIDITY_HOURS:
            raise BadRequest(
                "sms_validity_invalid",
                f"the validity period must be {MIN_VALIDITY_HOURS}..{MAX_VALIDITY_HOURS} hours, not {self.hours}",
                min_hours=MIN_VALIDITY_HOURS,
                max_hours=MAX_VALIDITY_HOURS,
            )

    @classmethod
    def of(cls, hours: int | None) -> ValidityPeriod:
        return cls() if hours is None else cls(hours)

    @property
    def seconds(self) -> int:
        return self.hours * 3600

    def expires_at(self, submitted_at: datetime) -> datetime:
        return submitted_at + timedelta(hours=self.hours)


def operator_validity_minutes(number: str, by_prefix: Sequence[tuple[str, int]], default: int) -> int:
    """The validity the operator of `number` keeps (R-SMS-5): the minutes of the first matching prefix of
    `by_prefix` (longest first), else `default`."""
    return next((minutes for prefix, minutes in by_prefix if number.startswith(prefix)), default)


def validity_minutes_for(number: str, chosen: int | None = None) -> int:
    """An SMS's validity: the campaign's own (`chosen`), else its operator's by the deployment's rules."""
    if chosen is not None:
        return chosen
    settings = get_settings()
    return operator_validity_minutes(number, settings.sms_validity_by_prefix, settings.sms_validity_default_minutes)
