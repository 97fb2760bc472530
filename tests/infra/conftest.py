"""Synthesize the cloud stack once per test session (synth takes ~5-10 s) and share the template."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from aws_cdk import App
from aws_cdk.assertions import Template

from infra.app import build_app
from infra.constants import STATE_MACHINE_ASL
from infra.stacks.jarchi_stack import JarchiStack

# Used only while infra/statemachines/campaign.asl.json does not exist yet.
PLACEHOLDER_ASL = {
    "Comment": "placeholder for tests",
    "StartAt": "Prepare",
    "States": {
        "Prepare": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "${WorkflowFunctionArn}", "Payload.$": "$"},
            "End": True,
        }
    },
}


@dataclass(frozen=True)
class Synth:
    stack: JarchiStack
    template: Template
    outdir: Path

    def resources(self, type_: str) -> dict[str, dict[str, Any]]:
        return {k: dict(v) for k, v in self.template.find_resources(type_).items()}


@pytest.fixture(scope="session")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synth]:
    outdir = tmp_path_factory.mktemp("cdk.out")
    definition = STATE_MACHINE_ASL
    if not definition.exists():
        definition = outdir.parent / "campaign.asl.json"
        definition.write_text(json.dumps(PLACEHOLDER_ASL), encoding="utf-8")
    os.environ.pop("CDK_DEFAULT_ACCOUNT", None)
    os.environ.pop("CDK_DEFAULT_REGION", None)
    app = App(outdir=str(outdir))
    app, stack = build_app(app, definition=definition)
    app.synth()  # runs the cdk-nag AwsSolutions checks; raises ValidationFailed on any finding
    yield Synth(stack=stack, template=Template.from_stack(stack), outdir=outdir)
