"""Acknowledge a compliance finding on a construct, with a reason a security reviewer can accept."""

from __future__ import annotations

import re

import aws_cdk as cdk
from constructs import IConstruct

from omics_secure._internal.errors import ProblemCollector

MINIMUM_REASON_WORDS = 6
_GENERIC_REASONS = frozenset({
    "n/a", "na", "none", "todo", "tbd", "fixme", "ok", "okay", "fine", "accepted", "acknowledged",
    "suppressed", "ignore", "ignored", "not needed", "not required", "not applicable", "false positive",
    "by design", "intentional", "known issue", "will fix later", "approved", "reviewed", "test",
})
_RULE_ID = re.compile(
    r"^(?:(?P<prefix>[A-Za-z0-9.]+)::)?(?P<bare>(?P<pack>[A-Za-z0-9.]+)-[A-Za-z0-9]+(?:\[.+\])?)$")


def nag_rendering(value: object) -> str:
    """A resolved CloudFormation value as cdk-nag prints it inside granular finding ids.

    ``{"Fn::GetAtt": ["Bucket", "Arn"]}`` becomes ``<Bucket.Arn>``, ``{"Ref": "AWS::Partition"}``
    becomes ``<AWS::Partition>``, and ``Fn::Join`` joins the renderings: so a construct can acknowledge
    ``AwsSolutions-IAM5[Resource::<Bucket.Arn>/runs/*]`` for a resource it created itself.
    """
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and len(value) == 1:
        ((function, argument),) = value.items()
        if function == "Ref":
            return f"<{argument}>"
        if function == "Fn::GetAtt":
            return f"<{'.'.join(argument) if isinstance(argument, list) else argument}>"
        if function == "Fn::Join" and isinstance(argument, list) and len(argument) == 2:
            separator, parts = argument
            return str(separator).join(nag_rendering(part) for part in parts)
    return str(value)


def acknowledge(construct: IConstruct, rule_id: str, reason: str) -> None:
    """Acknowledge ``rule_id`` on ``construct`` and everything below it, recorded with ``reason``.

    ``rule_id`` is a pack's rule id such as ``HIPAA.Security-S3BucketReplicationEnabled`` or a granular
    ``AwsSolutions-IAM5[Action::s3:*]``; the ``Pack::`` prefix is added here so that CDK records the
    acknowledgment and its reason under ``suppressedViolations`` in validation-report.json. A reason
    that is empty, generic ("false positive", "n/a") or shorter than six words is refused: say which
    AWS constraint or compensating control makes the finding acceptable.
    """
    problems = ProblemCollector(f"acknowledge({construct.node.path or '<app>'})")
    match = _RULE_ID.match(rule_id.strip()) if isinstance(rule_id, str) else None
    if match is not None and match["prefix"] not in (None, match["pack"]):
        match = None
    bare = match["bare"] if match else str(rule_id)
    if match is None:
        problems.add("rule_id", rule_id,
                     "use a pack rule id such as 'HIPAA.Security-S3BucketReplicationEnabled' or "
                     "'AwsSolutions-IAM5[Action::s3:*]', exactly as the validation report prints it")
    cleaned = " ".join(reason.split()) if isinstance(reason, str) else ""
    normalized = cleaned.lower().strip(" .!")
    if not cleaned:
        problems.add("reason", reason, "give the specific reason the finding is acceptable")
    elif normalized in _GENERIC_REASONS or normalized == bare.lower():
        problems.add("reason", reason,
                     "a generic reason records nothing; name the AWS constraint or compensating control")
    elif len(cleaned.split()) < MINIMUM_REASON_WORDS:
        problems.add("reason", reason,
                     f"write at least {MINIMUM_REASON_WORDS} words: what the constraint is and why it is safe")
    problems.raise_if_any()
    assert match is not None
    cdk.Validations.of(construct).acknowledge(
        cdk.Acknowledgment(id=f"{match['pack']}::{bare}", reason=cleaned)
    )
