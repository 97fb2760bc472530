"""The campaign workflow's protocol (`jarchi.campaigns.protocol`) agrees with its ASL definition, both ways:
every task the ASL asks for is one the handler serves, every `next` the tasks answer is one the Choice state
routes, and nothing in the ASL is left without a counterpart."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from jarchi.campaigns.protocol import Next, WorkflowTask
from jarchi.campaigns.tasks import TASKS

ASL = Path(__file__).resolve().parents[2] / "infra" / "statemachines" / "campaign.asl.json"


def _states(definition: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for state in definition["States"].values():
        yield state
        for branch in state.get("Branches", []):
            yield from _states(branch)


def _definition() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(ASL.read_text())
    return loaded


def test_every_task_the_asl_asks_for_is_a_workflow_task_with_a_handler() -> None:
    asked = {
        state["Parameters"]["Payload"]["task"]
        for state in _states(_definition())
        if state["Type"] == "Task" and "task" in state.get("Parameters", {}).get("Payload", {})
    }
    assert asked == {task.value for task in WorkflowTask}
    assert set(TASKS) == set(WorkflowTask)


def test_the_choice_routes_exactly_the_next_values_the_tasks_answer() -> None:
    routed = {
        choice["StringEquals"]
        for state in _states(_definition())
        if state["Type"] == "Choice"
        for choice in state["Choices"]
        if choice.get("Variable") == "$.next"
    }
    assert routed == {value.value for value in Next}
