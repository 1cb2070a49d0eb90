"""VerifyAuditorRole: exactly verify's read-only actions, and a clean bill from every pack."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Match, Template

from omics_secure import OmicsSecureConfigError
from omics_secure.verify import OPERATIONS, VerifyAuditorRole
from tests.harness import ACCOUNT


def _actions(template: Template) -> list[str]:
    policies = template.find_resources("AWS::IAM::ManagedPolicy")
    (policy,) = policies.values()
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Allow" and statement["Resource"] == "*"
    actions: list[str] = statement["Action"]
    return actions


def test_the_policy_grants_exactly_the_actions_verify_calls(stack: cdk.Stack) -> None:
    VerifyAuditorRole(stack, "Auditor", assumed_by=iam.AccountPrincipal(ACCOUNT))
    template = Template.from_stack(stack)
    assert sorted(_actions(template)) == sorted(set(OPERATIONS.values()))
    assert all(a.split(":")[1].startswith(("Get", "List", "Describe")) for a in _actions(template))
    template.has_resource_properties("AWS::IAM::Role", {
        "AssumeRolePolicyDocument": Match.object_like({"Statement": [Match.object_like({"Action": "sts:AssumeRole"})]}),
        "ManagedPolicyArns": [{"Ref": Match.string_like_regexp("AuditorPolicy")}],
    })
    template.resource_count_is("AWS::IAM::Policy", 0)  # no inline policy


def test_the_auditor_role_passes_every_pack(stack: cdk.Stack, compliant) -> None:  # type: ignore[no-untyped-def]
    VerifyAuditorRole(stack, "Auditor", assumed_by=iam.AccountPrincipal(ACCOUNT), role_name="omics-secure-auditor")
    result = compliant(stack)
    acknowledged = {f.rule_id for f in result.acknowledged_findings}
    assert acknowledged == {"AwsSolutions-IAM5[Resource::*]"}


def test_an_auditor_is_required(stack: cdk.Stack) -> None:
    with pytest.raises(OmicsSecureConfigError, match="assumed_by=None"):
        VerifyAuditorRole(stack, "Auditor", assumed_by=None)  # type: ignore[arg-type]
