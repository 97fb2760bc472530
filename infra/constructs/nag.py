"""cdk-nag (v3) acknowledgements: every one names the rule (or the exact finding) and says why."""

from __future__ import annotations

from aws_cdk import Acknowledgment, CfnElement, Stack, Validations
from constructs import IConstruct


def acknowledge(scope: IConstruct, rule: str, reason: str) -> None:
    """Acknowledge one cdk-nag rule or finding (`AwsSolutions-IAM5[Resource::...]`) on `scope` and below."""
    Validations.of(scope).acknowledge(Acknowledgment(id=rule, reason=reason))


def arn_ref(resource: IConstruct) -> str:
    """How cdk-nag writes a resource's `Fn::GetAtt Arn` in finding ids: `<LogicalId.Arn>`."""
    child = resource.node.default_child
    if not isinstance(child, CfnElement):
        raise TypeError(f"{resource.node.path} has no CloudFormation resource")
    return f"<{Stack.of(resource).get_logical_id(child)}.Arn>"
