"""PhiKey: defaults, key-policy statements, grants, errors, and a clean run of every pack."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk.assertions import Match, Template

from omics_secure import PhiKey


def key_policy_statements(stack: cdk.Stack) -> list[dict]:
    keys = Template.from_stack(stack).find_resources("AWS::KMS::Key")
    (key,) = keys.values()
    return key["Properties"]["KeyPolicy"]["Statement"]


def statement(stack: cdk.Stack, sid: str) -> dict:
    matching = [s for s in key_policy_statements(stack) if s.get("Sid") == sid]
    assert len(matching) == 1, f"expected one statement {sid}, found {len(matching)}"
    return matching[0]


def test_defaults_rotate_retain_alias_and_pending_window(stack, compliant):
    PhiKey(stack, "DataKey")
    template = Template.from_stack(stack)
    template.has_resource("AWS::KMS::Key", {
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": Match.object_like({
            "EnableKeyRotation": True,
            "RotationPeriodInDays": 365,
            "PendingWindowInDays": 30,
            "KeySpec": "SYMMETRIC_DEFAULT",
        }),
    })
    template.has_resource_properties("AWS::KMS::Alias", {"AliasName": "alias/omics-secure/TestStack/DataKey"})
    compliant(stack)
