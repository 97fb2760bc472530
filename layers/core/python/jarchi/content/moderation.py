"""Operator moderation of content (R-AUD-3) and sender names (R-SMS-3), one state machine for both.

``pending`` → ``approved`` | ``rejected`` | ``clarification_requested``;
``clarification_requested`` → ``approved`` | ``rejected`` | ``clarification_requested`` (when the
owner answers, the moderator decides again). ``approved`` and ``rejected`` are final: deciding again
is ``moderation_already_decided`` (409). A rejection or a clarification request needs a reason
(``moderation_reason_required``, 400).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from jarchi.errors import BadRequest, Conflict


class ModerationStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    CLARIFICATION_REQUESTED = "clarification_requested"

    @property
    def is_final(self) -> bool:
        return self in (ModerationStatus.APPROVED, ModerationStatus.REJECTED)

    @property
    def is_usable(self) -> bool:
        """Only approved audio or senders may be used in a campaign."""
        return self is ModerationStatus.APPROVED


class ModerationDecision(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    CLARIFY = "clarify"


_OUTCOME = {
    ModerationDecision.APPROVE: ModerationStatus.APPROVED,
    ModerationDecision.REJECT: ModerationStatus.REJECTED,
    ModerationDecision.CLARIFY: ModerationStatus.CLARIFICATION_REQUESTED,
}


@dataclass(frozen=True, slots=True)
class ModerationOutcome:
    status: ModerationStatus
    reason: str | None


def moderate(current: ModerationStatus, decision: str, reason: str | None = None) -> ModerationOutcome:
    """The new status after a moderator's decision."""
    try:
        chosen = ModerationDecision(decision)
    except ValueError:
        raise BadRequest(
            "moderation_decision_invalid",
            f"decision must be one of {', '.join(d.value for d in ModerationDecision)}",
        ) from None
    if current.is_final:
        raise Conflict("moderation_already_decided", f"this was already {current.value}", status=current.value)
    cleaned = reason.strip() if reason else ""
    if chosen is not ModerationDecision.APPROVE and not cleaned:
        raise BadRequest("moderation_reason_required", f"a reason is required to {chosen.value}")
    return ModerationOutcome(_OUTCOME[chosen], cleaned or None)
