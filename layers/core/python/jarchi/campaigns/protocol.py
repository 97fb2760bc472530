"""The campaign workflow's protocol with its Step Functions definition (infra/statemachines/campaign.asl.json):
the tasks the ASL's Task states ask for (`{"task": …}`), and what each answers in `next` for the Choice
state to follow. tests/infra checks these enums against the ASL file."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any


class WorkflowTask(StrEnum):
    PREPARE = "prepare"
    ADMIT = "admit"
    RECONCILE = "reconcile"
    FAIL = "fail"


class Next(StrEnum):
    """Where the workflow goes after a task."""

    ADMIT = "admit"
    WAIT = "wait"  # until `resume_at`, then admit
    RECONCILE = "reconcile"
    END = "end"


@dataclass(frozen=True, slots=True)
class TaskAnswer:
    campaign_id: str
    next: Next
    resume_at: datetime | None = None

    def as_output(self) -> dict[str, Any]:
        """The task's output, as the ASL reads it (`$.next`, `$.resume_at`)."""
        output: dict[str, Any] = {"campaign_id": self.campaign_id, "next": self.next.value}
        if self.resume_at is not None:
            # The ASL Wait reads a UTC timestamp without offset.
            output["resume_at"] = self.resume_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return output
