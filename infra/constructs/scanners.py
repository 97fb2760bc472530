"""Suppressions for the template scanners run by `make test` (`tests/infra/test_template_scanners.py`): checkov
and cfn-lint read them from the resource's CloudFormation `Metadata`. Every one names the check and says why;
cdk-nag's acknowledgements are in `infra.constructs.nag`."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnResource
from constructs import IConstruct


def _resource(construct: IConstruct) -> CfnResource:
    resource = construct if isinstance(construct, CfnResource) else construct.node.default_child
    if not isinstance(resource, CfnResource):
        raise TypeError(f"{construct.node.path} has no CloudFormation resource")
    return resource


def skip_checkov(construct: IConstruct, check: str, reason: str) -> None:
    """`Metadata.checkov.skip` on the construct's resource: checkov reports the check as skipped, with `reason`."""
    resource = _resource(construct)
    current: dict[str, Any] = resource.get_metadata("checkov") or {}
    skips = [s for s in current.get("skip", []) if s["id"] != check]
    resource.add_metadata("checkov", {"skip": [*skips, {"id": check, "comment": reason}]})


def ignore_cfn_lint(construct: IConstruct, rule: str, reason: str) -> None:
    """`Metadata.cfn-lint.config.ignore_checks` on the construct's resource. cfn-lint has no place for a reason
    in the template, so it is kept beside, under `Metadata.jarchi-cfn-lint` (cfn-lint ignores other keys)."""
    resource = _resource(construct)
    config: dict[str, Any] = resource.get_metadata("cfn-lint") or {"config": {"ignore_checks": []}}
    rules = sorted({*config["config"]["ignore_checks"], rule})
    resource.add_metadata("cfn-lint", {"config": {"ignore_checks": rules}})
    reasons: dict[str, str] = resource.get_metadata("jarchi-cfn-lint") or {}
    resource.add_metadata("jarchi-cfn-lint", {**reasons, rule: reason})


def log_group_without_kms(log_group: IConstruct) -> None:
    """The one reason every log group shares (the functions', the state machine's, the API's access logs)."""
    skip_checkov(
        log_group,
        "CKV_AWS_158",
        "CloudWatch Logs encrypts every log group at rest; a customer key per group would add a key policy "
        "granting the logs service for no extra protection (no secret is logged: tokens are hashed).",
    )
