"""Campaign statuses and the transitions between them (R-CMP-3, R-CMP-4, R-CPL-4, R-CPL-5).

Who moves a campaign:

| trigger | by | from | to |
| --- | --- | --- | --- |
| approve | reviewer | moderation, clarification | accepted |
| reject | reviewer | moderation, clarification | rejected |
| clarify | reviewer | moderation | clarification |
| reply | owner | clarification | moderation |
| start | owner | accepted, scheduled | running |
| pause | owner | running, waiting_window | paused |
| resume | owner | paused | running |
| stop | owner | accepted, scheduled, running, paused, waiting_window | stopped |
| finish | owner | running, paused, waiting_window, stopped (nothing in flight) | finished |
| archive | owner | finished, rejected, error | archived |
| unarchive | owner | archived | the status it was archived from |
| reset | owner | finished | running |
| resume_unfinished | owner | finished, paused | running |
| retry_failed | owner | finished | running |
| schedule | system | accepted | scheduled |
| run | system | accepted, scheduled | running |
| window_closed | system | running | waiting_window |
| window_opened | system | waiting_window | running |
| system_pause | system | running, waiting_window | paused |
| low_quality | system | running, waiting_window, paused | stopped |
| complete | system | running, waiting_window (nothing in flight, reconciled) | finished |
| fail | system | moderation, accepted, scheduled, running, waiting_window, paused | error |

Decisions where the spec is silent:

- `start` starts now, also a scheduled campaign (its schedule is then dropped); `run` is the system
  starting an auto-start or a due scheduled campaign. After `start`/`resume` the workflow's first admission
  flips the campaign to `waiting_window` if no recipient's window is open.
- `stopped` is the end of sending; the reservation is returned only by `finish` (which reconciles), so
  `archive` takes finished, rejected and error campaigns (whose reservation is settled), not stopped ones.
- A low-quality stop (R-CPL-5) "stays stopped until the owner finishes it": there is no resume from
  `stopped`; `reset` needs `finished`, so it cannot bypass the gate without a reconcile.
- Repeating an action (pausing a paused campaign) is `action_not_allowed` like any other; callers that
  want idempotence check `can_transition` first (the API's Idempotency-Key replays the first answer).
- Archiving is a status, so an archive racing a reset is decided by the one conditional write on the
  status: one wins, the other is `action_not_allowed`. `unarchive` returns to the status it was archived
  from (`archived_from(history)`), so nothing else needs remembering.
- Actions that change no status (`copy`, `comment`: `CampaignOperation`; edit is `PATCH`) are not triggers
  here; they are refused only where the service says so (a campaign is copied from any status).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final

from jarchi.errors import BadRequest, Conflict


class CampaignStatus(StrEnum):
    MODERATION = "moderation"
    CLARIFICATION = "clarification"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    SCHEDULED = "scheduled"
    RUNNING = "running"
    PAUSED = "paused"
    WAITING_WINDOW = "waiting_window"
    STOPPED = "stopped"
    FINISHED = "finished"
    ARCHIVED = "archived"
    ERROR = "error"


class CampaignAction(StrEnum):
    """What people do: the owner through `POST /v1/campaigns/{id}/{action}`, reviewers through moderation."""

    APPROVE = "approve"
    REJECT = "reject"
    CLARIFY = "clarify"
    REPLY = "reply"
    START = "start"
    PAUSE = "pause"
    RESUME = "resume"
    STOP = "stop"
    FINISH = "finish"
    ARCHIVE = "archive"
    UNARCHIVE = "unarchive"
    RESET = "reset"
    RESUME_UNFINISHED = "resume_unfinished"
    RETRY_FAILED = "retry_failed"


class CampaignOperation(StrEnum):
    """Owner actions on `POST /v1/campaigns/{id}/{action}` that move no status."""

    COPY = "copy"
    COMMENT = "comment"
    CANCEL_LAST_PART = "cancel_last_part"  # smart retry parts (R-CMP-4/5)
    CANCEL_ALL_PARTS = "cancel_all_parts"


class SystemEvent(StrEnum):
    """What the platform does by itself (scheduler, workflow, results handler)."""

    SCHEDULE = "schedule"
    RUN = "run"
    WINDOW_CLOSED = "window_closed"
    WINDOW_OPENED = "window_opened"
    SYSTEM_PAUSE = "system_pause"
    LOW_QUALITY = "low_quality"
    COMPLETE = "complete"
    FAIL = "fail"


Trigger = CampaignAction | SystemEvent

S = CampaignStatus
A = CampaignAction
E = SystemEvent

# trigger → {from status: to status}
TRANSITIONS: Final[dict[Trigger, dict[CampaignStatus, CampaignStatus]]] = {
    A.APPROVE: {S.MODERATION: S.ACCEPTED, S.CLARIFICATION: S.ACCEPTED},
    A.REJECT: {S.MODERATION: S.REJECTED, S.CLARIFICATION: S.REJECTED},
    A.CLARIFY: {S.MODERATION: S.CLARIFICATION},
    A.REPLY: {S.CLARIFICATION: S.MODERATION},
    A.START: {S.ACCEPTED: S.RUNNING, S.SCHEDULED: S.RUNNING},
    A.PAUSE: {S.RUNNING: S.PAUSED, S.WAITING_WINDOW: S.PAUSED},
    A.RESUME: {S.PAUSED: S.RUNNING},
    A.STOP: {s: S.STOPPED for s in (S.ACCEPTED, S.SCHEDULED, S.RUNNING, S.PAUSED, S.WAITING_WINDOW)},
    # From `error` too: the workflow gave up, and finishing is how its owner gets the reservation back.
    A.FINISH: {s: S.FINISHED for s in (S.RUNNING, S.PAUSED, S.WAITING_WINDOW, S.STOPPED, S.ERROR)},
    # Not from `error`: its reservation is still held until its owner finishes it (archiving would strand it).
    A.ARCHIVE: {s: S.ARCHIVED for s in (S.FINISHED, S.REJECTED)},
    A.UNARCHIVE: {S.ARCHIVED: S.FINISHED},  # the default; really the status it was archived from
    A.RESET: {S.FINISHED: S.RUNNING},
    A.RESUME_UNFINISHED: {S.FINISHED: S.RUNNING, S.PAUSED: S.RUNNING},
    A.RETRY_FAILED: {S.FINISHED: S.RUNNING},
    E.SCHEDULE: {S.ACCEPTED: S.SCHEDULED},
    E.RUN: {S.ACCEPTED: S.RUNNING, S.SCHEDULED: S.RUNNING},
    E.WINDOW_CLOSED: {S.RUNNING: S.WAITING_WINDOW},
    E.WINDOW_OPENED: {S.WAITING_WINDOW: S.RUNNING},
    E.SYSTEM_PAUSE: {S.RUNNING: S.PAUSED, S.WAITING_WINDOW: S.PAUSED},
    E.LOW_QUALITY: {S.RUNNING: S.STOPPED, S.WAITING_WINDOW: S.STOPPED, S.PAUSED: S.STOPPED},
    E.COMPLETE: {S.RUNNING: S.FINISHED, S.WAITING_WINDOW: S.FINISHED},
    E.FAIL: {s: S.ERROR for s in (S.MODERATION, S.ACCEPTED, S.SCHEDULED, S.RUNNING, S.WAITING_WINDOW, S.PAUSED)},
}

# Triggers that need "no attempt still in flight" (R-CMP-4).
NEEDS_NOTHING_IN_FLIGHT: Final = frozenset({A.FINISH, E.COMPLETE})
# The reason recorded when a system event gives none.
DEFAULT_REASONS: Final[dict[SystemEvent, str]] = {
    E.SCHEDULE: "scheduled",
    E.RUN: "started",
    E.WINDOW_CLOSED: "outside_window",
    E.WINDOW_OPENED: "window_opened",
    E.SYSTEM_PAUSE: "paused_by_system",
    E.LOW_QUALITY: "low_quality",
    E.COMPLETE: "completed",
    E.FAIL: "error",
}
# Sending may happen (the workflow admits attempts) in these.
SENDING_STATUSES: Final = frozenset({S.RUNNING, S.WAITING_WINDOW})
# No trigger leaves these but archive (or none at all).
SETTLED_STATUSES: Final = frozenset({S.FINISHED, S.REJECTED, S.ERROR, S.ARCHIVED})
# The default campaign list hides these (R-CMP-4).
HIDDEN_BY_DEFAULT: Final = frozenset({S.ARCHIVED})


def _trigger(value: Trigger | str) -> Trigger:
    if isinstance(value, CampaignAction | SystemEvent):
        return value
    if value in CampaignAction.__members__.values():
        return CampaignAction(value)
    return SystemEvent(value)


# Actions the owner takes through `POST /v1/campaigns/{id}/{action}` (reviewers use moderation).
OWNER_ACTIONS: Final = frozenset(set(CampaignAction) - {A.APPROVE, A.REJECT, A.CLARIFY})


def parse_action(value: str) -> CampaignAction | CampaignOperation:
    """The owner's action from the URL (`resume-unfinished` or `resume_unfinished`); unknown ones are
    BadRequest `unknown_action` listing the valid names."""
    name = value.strip().lower().replace("-", "_")
    if name in {o.value for o in CampaignOperation}:
        return CampaignOperation(name)
    if name not in {a.value for a in OWNER_ACTIONS}:
        raise BadRequest(
            "unknown_action",
            f"{value!r} is not a campaign action",
            actions=sorted([*(a.value for a in OWNER_ACTIONS), *(o.value for o in CampaignOperation)]),
        )
    return CampaignAction(name)


def allowed_triggers(current: CampaignStatus) -> list[Trigger]:
    """What can happen to a campaign in this status (for the API's hints and the UI's buttons)."""
    return [trigger for trigger, moves in TRANSITIONS.items() if current in moves]


def can_transition(current: CampaignStatus | str, trigger: Trigger | str) -> bool:
    return CampaignStatus(current) in TRANSITIONS[_trigger(trigger)]


def ensure_nothing_in_flight(in_flight: int) -> None:
    """`finish` only when no attempt is still in flight (R-CMP-4): Conflict `campaign_in_flight`."""
    if in_flight > 0:
        raise Conflict(
            "campaign_in_flight",
            f"{in_flight} attempt(s) are still in flight; finish once they have ended (or pause it)",
            in_flight=in_flight,
        )


def archived_from(history: Sequence[StatusChange]) -> CampaignStatus:
    """Where `unarchive` returns: the status before the last move to `archived` (finished by default)."""
    for before, change in zip(reversed(history[:-1]), reversed(history[1:]), strict=True):
        if change.status is S.ARCHIVED and before.status in SETTLED_STATUSES - {S.ARCHIVED}:
            return before.status
    return S.FINISHED


def refuse(status: CampaignStatus, action: str, *, overtaken: bool = False) -> Conflict:
    """The one refusal of an action (R-CMP-4): 409 `action_not_allowed` naming the status. `overtaken`: the
    action was allowed when its request read the campaign, but another actor changed it first (two owners at
    once): the loser is refused against what the campaign is now, whatever that now allows, and reads again."""
    message = f"a campaign that is {status.value} cannot {action}"
    if overtaken:
        message = f"{action} was not applied: the campaign became {status.value} meanwhile; read it and decide again"
    return Conflict(
        "action_not_allowed",
        message,
        status=status.value,
        action=action,
        allowed=[t.value for t in allowed_triggers(status) if isinstance(t, CampaignAction)],
    )


def transition(
    current: CampaignStatus | str,
    trigger: Trigger | str,
    *,
    in_flight: int | None = None,
    history: Sequence[StatusChange] = (),
) -> CampaignStatus:
    """The status after `trigger`, or Conflict `action_not_allowed` (409) naming the status and trigger.

    `finish` and `complete` need `in_flight` (attempts admitted and not yet final): more than 0 raises
    Conflict `campaign_in_flight`. `unarchive` returns to the status in `history` before archiving.
    """
    status = CampaignStatus(current)
    move = _trigger(trigger)
    target = TRANSITIONS[move].get(status)
    if target is not None and move is A.UNARCHIVE and history:
        target = archived_from(history)
    if target is None:
        raise Conflict(
            "action_not_allowed",
            f"a campaign that is {status.value} cannot {move.value}",
            status=status.value,
            action=move.value,
            allowed=[t.value for t in allowed_triggers(status) if isinstance(t, CampaignAction)],
        )
    if move in NEEDS_NOTHING_IN_FLIGHT:
        if in_flight is None:
            raise ValueError(f"{move.value} needs the number of attempts in flight")
        ensure_nothing_in_flight(in_flight)
    return target


@dataclass(frozen=True, slots=True)
class StatusChange:
    """One line of a campaign's history: `{"at", "status", "actor", "reason"}` (SPEC §11).

    `actor` is who caused it: `account:<id>` (owner), `reviewer:<id>`, or `system`.
    """

    at: datetime
    status: CampaignStatus
    actor: str
    reason: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {"at": self.at.isoformat(), "status": self.status.value, "actor": self.actor, "reason": self.reason}


SYSTEM_ACTOR: Final = "system"


def apply(
    current: CampaignStatus | str,
    trigger: Trigger | str,
    *,
    at: datetime,
    actor: str,
    reason: str | None = None,
    in_flight: int | None = None,
    history: Sequence[StatusChange] = (),
) -> StatusChange:
    """`transition` plus the history record to append (system events get a default reason)."""
    if at.tzinfo is None:
        raise ValueError("status changes are recorded at aware datetimes")
    move = _trigger(trigger)
    target = transition(current, move, in_flight=in_flight, history=history)
    if reason is None and isinstance(move, SystemEvent):
        reason = DEFAULT_REASONS[move]
    return StatusChange(at=at, status=target, actor=actor, reason=reason)


def initial_status(*, needs_moderation: bool) -> CampaignStatus:
    """A new campaign: `moderation` for new or flagged accounts (R-CPL-4), else `accepted`; then the system
    schedules or runs it when `auto_start` (events `schedule` / `run`)."""
    return S.MODERATION if needs_moderation else S.ACCEPTED


def after_acceptance(*, auto_start: bool, start_at: datetime | None, now: datetime) -> SystemEvent | None:
    """What the system does with an accepted campaign: `schedule` (start time ahead), `run`, or nothing
    (`auto_start` false: it waits for the owner's `start`)."""
    if not auto_start:
        return None
    if start_at is not None and start_at > now:
        return E.SCHEDULE
    return E.RUN
