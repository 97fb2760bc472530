"""The CDK app: `python -m infra.app` (or `cdk synth`) synthesizes the Jarchi stack offline into cdk.out."""

from __future__ import annotations

import os
from pathlib import Path

# Before jsii starts its Node process (on the first aws_cdk import): Node 20 is fine for synth.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from aws_cdk import App, Environment, Validations
from cdk_nag import AwsSolutionsChecks

from infra.constants import POWERTOOLS_LAYER_VERSION, REPO_ROOT, STACK_NAME, STATE_MACHINE_ASL
from infra.stacks.jarchi_stack import JarchiStack


def build_app(app: App | None = None, *, definition: Path = STATE_MACHINE_ASL) -> tuple[App, JarchiStack]:
    """The app with the stack and cdk-nag's AWS Solutions checks.

    cdk-nag v3 is a policy-validation plugin: `app.synth()` fails on any unacknowledged finding and writes
    them to `validation-report.json` in the cloud assembly."""
    app = app or App()
    version = app.node.try_get_context("powertools_layer_version")
    stack = JarchiStack(
        app,
        STACK_NAME,
        description="Jarchi: voice-message broadcasts and bulk SMS campaigns",
        definition=definition,
        powertools_layer_version=int(version) if version is not None else POWERTOOLS_LAYER_VERSION,
        # Environment-agnostic unless the CLI provides an account/region.
        env=Environment(account=os.environ.get("CDK_DEFAULT_ACCOUNT"), region=os.environ.get("CDK_DEFAULT_REGION")),
    )
    Validations.of(app).add_plugins(AwsSolutionsChecks(app, verbose=True))
    return app, stack


def main() -> None:
    # The CDK CLI passes CDK_OUTDIR; `python -m infra.app` alone writes to ./cdk.out like `cdk synth` would.
    app, _ = build_app(App(outdir=os.environ.get("CDK_OUTDIR") or str(REPO_ROOT / "cdk.out")))
    app.synth()


if __name__ == "__main__":
    main()
