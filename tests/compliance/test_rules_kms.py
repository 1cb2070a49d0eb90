"""Each KMS rule on a compliant and a non-compliant resource, as the template states it."""

from __future__ import annotations

from typing import Any

import pytest

from omics_secure.compliance.model import Resource, Status
from omics_secure.compliance.rules.kms import (
    GRANT_SERVICE_STATEMENTS_SCOPED,
    KEY_POLICY_NO_OPEN_PRINCIPAL,
    KEY_RETAINED,
    KEY_ROTATION_ENABLED,
)

ACCOUNT_ROOT = {"AWS": "arn:aws:iam::111122223333:root"}
SCOPED = {"StringEquals": {"kms:ViaService": "omics.us-east-1.amazonaws.com", "kms:CallerAccount": "111122223333"}}


def key(properties: dict[str, Any], deletion_policy: str | None = "Retain") -> Resource:
    return Resource(logical_id="Key", type="AWS::KMS::Key", properties=properties, deletion_policy=deletion_policy)


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"KeyPolicy": {"Version": "2012-10-17", "Statement": list(statements)}}


def allow(principal: Any, actions: list[str], condition: dict[str, Any] | None = None, sid: str = "S") -> dict:
    statement = {"Sid": sid, "Effect": "Allow", "Principal": principal, "Action": actions, "Resource": "*"}
    if condition is not None:
        statement["Condition"] = condition
    return statement


def test_rules_ignore_other_resource_types():
    bucket = Resource(logical_id="B", type="AWS::S3::Bucket", properties={})
    for rule in (KEY_ROTATION_ENABLED, GRANT_SERVICE_STATEMENTS_SCOPED, KEY_POLICY_NO_OPEN_PRINCIPAL, KEY_RETAINED):
        assert rule.evaluate(bucket).status is Status.NOT_APPLICABLE


@pytest.mark.parametrize(("properties", "status"), [
    ({"EnableKeyRotation": True}, Status.COMPLIANT),
    ({"EnableKeyRotation": False}, Status.NON_COMPLIANT),
    ({}, Status.NON_COMPLIANT),
    ({"KeySpec": "RSA_2048", "KeyUsage": "SIGN_VERIFY"}, Status.NOT_APPLICABLE),
])
def test_rotation(properties, status):
    assert KEY_ROTATION_ENABLED.evaluate(key(properties)).status is status


def test_grant_statement_with_both_conditions_and_grant_scope_is_compliant():
    resource = key(policy(
        allow(ACCOUNT_ROOT, ["kms:DescribeKey", "kms:GenerateDataKey*", "kms:Decrypt"], SCOPED),
        allow(ACCOUNT_ROOT, ["kms:CreateGrant"], {**SCOPED, "Bool": {"kms:GrantIsForAWSResource": "true"}}),
    ))
    assert GRANT_SERVICE_STATEMENTS_SCOPED.evaluate(resource).status is Status.COMPLIANT


def test_grant_statement_without_caller_account_is_non_compliant():
    # The statement from the HealthLake guide with kms:CallerAccount left out.
    resource = key(policy(allow(ACCOUNT_ROOT, ["kms:DescribeKey", "kms:Decrypt"],
                                {"StringEquals": {"kms:ViaService": "healthlake.us-east-1.amazonaws.com"}},
                                sid="HealthLake")))
    verdict = GRANT_SERVICE_STATEMENTS_SCOPED.evaluate(resource)
    assert verdict.status is Status.NON_COMPLIANT
    assert verdict.detail == "HealthLake (healthlake) lacks kms:CallerAccount"


def test_service_principal_statement_without_via_service_is_non_compliant():
    resource = key(policy(allow({"Service": "omics.amazonaws.com"}, ["kms:Decrypt"])))
    verdict = GRANT_SERVICE_STATEMENTS_SCOPED.evaluate(resource)
    assert verdict.status is Status.NON_COMPLIANT
    assert "lacks kms:ViaService and kms:CallerAccount" in verdict.detail


def test_create_grant_without_grant_is_for_aws_resource_is_non_compliant():
    resource = key(policy(allow(ACCOUNT_ROOT, ["kms:CreateGrant", "kms:Decrypt"], SCOPED)))
    verdict = GRANT_SERVICE_STATEMENTS_SCOPED.evaluate(resource)
    assert verdict.status is Status.NON_COMPLIANT
    assert "without kms:GrantIsForAWSResource" in verdict.detail


def test_via_service_given_as_an_intrinsic_is_recognised():
    via = {"Fn::Join": ["", ["omics.", {"Ref": "AWS::Region"}, ".amazonaws.com"]]}
    resource = key(policy(allow(ACCOUNT_ROOT, ["kms:Decrypt"], {"StringEquals": {"kms:ViaService": via}})))
    assert GRANT_SERVICE_STATEMENTS_SCOPED.evaluate(resource).status is Status.NON_COMPLIANT


def test_statements_for_other_services_are_not_judged_by_the_grant_rule():
    resource = key(policy(allow({"Service": "logs.us-east-1.amazonaws.com"}, ["kms:Encrypt*"])))
    assert GRANT_SERVICE_STATEMENTS_SCOPED.evaluate(resource).status is Status.COMPLIANT


@pytest.mark.parametrize(("principal", "condition", "status"), [
    (ACCOUNT_ROOT, None, Status.COMPLIANT),
    ("*", {"StringEquals": {"kms:CallerAccount": "111122223333"}}, Status.COMPLIANT),
    ("*", None, Status.NON_COMPLIANT),
    ({"AWS": "*"}, None, Status.NON_COMPLIANT),
    ({"AWS": ["arn:aws:iam::111122223333:root", "*"]}, None, Status.NON_COMPLIANT),
    ({"Service": ""}, None, Status.NON_COMPLIANT),
    ({"AWS": []}, None, Status.NON_COMPLIANT),
])
def test_open_or_empty_principal(principal, condition, status):
    resource = key(policy(allow(principal, ["kms:Decrypt"], condition)))
    assert KEY_POLICY_NO_OPEN_PRINCIPAL.evaluate(resource).status is status


def test_wildcard_in_a_deny_statement_is_fine():
    deny = {"Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*"}
    assert KEY_POLICY_NO_OPEN_PRINCIPAL.evaluate(key(policy(deny))).status is Status.COMPLIANT


@pytest.mark.parametrize(("deletion_policy", "status"), [
    ("Retain", Status.COMPLIANT),
    ("Delete", Status.NON_COMPLIANT),
    (None, Status.NON_COMPLIANT),
])
def test_retained(deletion_policy, status):
    assert KEY_RETAINED.evaluate(key({}, deletion_policy)).status is status
