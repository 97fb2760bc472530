"""cfn-lint and checkov over the synthesized template (issue 10, "The stack"); cdk-nag runs at synth in the
session's `synth` fixture. Both scanners read the same template file, synthesized once.

checkov lives in its own virtual environment (`.venv-checkov`, made by `make test`) because its pins would
downgrade boto3 and packaging in the project's venv: docs/decisions.md, "Template scanners"."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cfnlint.api import lint_file

from infra.constants import STACK_NAME
from tests.infra.conftest import Synth


def _template(synth: Synth) -> Path:
    return synth.outdir / f"{STACK_NAME}.template.json"


def _checkov() -> Path:
    """`CHECKOV` (set by `make test`), else `.venv-checkov` beside the venv running the tests."""
    path = Path(os.environ.get("CHECKOV") or Path(sys.prefix).parent / ".venv-checkov" / "bin" / "checkov")
    if not path.exists():
        pytest.fail(f"checkov not found at {path}: `make test` installs it (or set CHECKOV to its executable)")
    return path


def test_r_ops_cfn_lint_finds_nothing_and_every_ignore_has_a_reason(synth: Synth) -> None:
    findings = lint_file(_template(synth))

    assert [str(finding) for finding in findings] == []
    for name, resource in json.loads(_template(synth).read_text(encoding="utf-8"))["Resources"].items():
        metadata: dict[str, Any] = resource.get("Metadata", {})
        ignored = metadata.get("cfn-lint", {}).get("config", {}).get("ignore_checks", [])
        reasons = metadata.get("jarchi-cfn-lint", {})
        assert all(reasons.get(rule) for rule in ignored), f"{name}: an ignored cfn-lint rule without a reason"


def test_r_ops_checkov_finds_nothing_and_every_skip_has_a_reason(synth: Synth) -> None:
    # --skip-download: no guideline download (this machine and CI are offline); the checks ship with checkov.
    command = [_checkov(), "-f", _template(synth), "--framework", "cloudformation", "--skip-download", "--compact"]
    done = subprocess.run(
        [*command, "--output", "json"],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    report = json.loads(done.stdout)

    assert report["summary"]["parsing_errors"] == 0
    failed = [(f["check_id"], f["resource"]) for f in report["results"]["failed_checks"]]
    assert failed == [], f"checkov findings: {failed}"
    assert report["summary"]["passed"] > 0
    for skipped in report["results"].get("skipped_checks", []):
        reason = skipped["check_result"].get("suppress_comment", "")
        assert len(reason) > 20, f"{skipped['check_id']} on {skipped['resource']} is skipped without a reason"
