"""Grants land in one customer-managed policy per role of the app, never in an inline policy."""

from __future__ import annotations

from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Template

from omics_secure._internal.grants import GRANTS_POLICY_ID, add_to_grantee_policy


def statement(action: str) -> iam.PolicyStatement:
    return iam.PolicyStatement(actions=[action], resources=["arn:aws:s3:::example-bucket"])


def test_a_role_of_the_app_collects_every_grant_in_one_managed_policy(stack):
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("batch.amazonaws.com"))
    first_grant, first = add_to_grantee_policy(role, statement("s3:GetObject"))
    _, second = add_to_grantee_policy(role, statement("s3:PutObject"))
    assert first is second and first is not None and first.node.id == GRANTS_POLICY_ID
    assert isinstance(first_grant, iam.Grant) and first_grant.success
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::IAM::Policy", 0)
    (policy,) = template.find_resources("AWS::IAM::ManagedPolicy").values()
    (merged,) = policy["Properties"]["PolicyDocument"]["Statement"]  # the minimizePolicies flag merges them
    assert merged["Action"] == ["s3:GetObject", "s3:PutObject"]


def test_an_imported_role_keeps_cdks_default_policy(stack):
    imported = iam.Role.from_role_arn(stack, "Imported", "arn:aws:iam::111122223333:role/analyst")
    grant, policy = add_to_grantee_policy(imported, statement("s3:GetObject"))
    assert policy is None and grant.success
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::IAM::ManagedPolicy", 0)
    template.resource_count_is("AWS::IAM::Policy", 1)
