"""Each KMS rule on a compliant and a non-compliant resource, as the template states it."""

from __future__ import annotations

from typing import Any

import pytest

from omics_secure.compliance.model import Resource, Status
from omics_secure.compliance.rules.kms import (
    ALIAS_NO_PHI_IN_NAME,
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


def test_every_statement_that_cannot_be_judged_is_named():
    resource = key(policy(allow({"Service": {"Fn::ImportValue": "analysis-service"}}, ["kms:Decrypt"], sid="A"),
                          allow({"Service": {"Fn::ImportValue": "archive-service"}}, ["kms:Decrypt"], sid="B")))
    verdict = GRANT_SERVICE_STATEMENTS_SCOPED.evaluate(resource)
    assert verdict.status is Status.CANNOT_JUDGE
    assert verdict.detail == ("Service is !ImportValue analysis-service, known only at deploy time; "
                              "Service is !ImportValue archive-service, known only at deploy time")


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


# The open-principal rule asks the policy evaluator what remains of a '*' grant: issue 27's false PASSes
# (conditions that do not restrict who, Allow with NotPrincipal) fail with the statement named, and a
# condition that pins the caller passes.
@pytest.mark.parametrize(("statement", "status", "detail"), [
    (allow("*", ["kms:Decrypt"], {"Bool": {"aws:SecureTransport": "true"}}, sid="Tls"), Status.NON_COMPLIANT,
     "Tls allows a wildcard principal under conditions that do not restrict who (aws:SecureTransport Bool true)"),
    (allow({"AWS": "*"}, ["kms:*"], {"StringLike": {"kms:CallerAccount": "*"}}, sid="AnyAccount"),
     Status.NON_COMPLIANT, "AnyAccount allows a wildcard principal without conditions"),
    ({"Sid": "AllButOne", "Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::444455556666:root"},
      "Action": "kms:Decrypt", "Resource": "*"}, Status.NON_COMPLIANT, "AllButOne allows a wildcard principal: "
     "every principal but those its NotPrincipal names (arn:aws:iam::444455556666:root)"),
    (allow("*", ["kms:Decrypt"], {"StringNotEquals": {"aws:PrincipalAccount": "444455556666"}}, sid="NotOne"),
     Status.NON_COMPLIANT, "NotOne allows a wildcard principal under conditions that do not restrict who"),
    (allow("*", ["kms:Decrypt"], {"StringEquals": {"kms:CallerAccount": "111122223333"}}), Status.COMPLIANT, ""),
    (allow("*", ["kms:Decrypt"], {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}), Status.COMPLIANT, ""),
    (allow("*", ["kms:Decrypt"], {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/x-*"}}),
     Status.COMPLIANT, ""),
    # A near miss: the wildcard is in the condition's value, so it pins nothing.
    (allow("*", ["kms:Decrypt"], {"ArnLike": {"aws:PrincipalArn": "*"}}, sid="Star"), Status.NON_COMPLIANT,
     "Star allows a wildcard principal without conditions"),
    # Conditions that name a network, a reusable name or a path, not an account (a new user's false PASSes):
    (allow("*", ["kms:Decrypt"], {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, sid="Office"),
     Status.NON_COMPLIANT, "Office allows a wildcard principal under conditions that do not restrict who "
     "(aws:SourceIp IpAddress 203.0.113.0/24)"),
    (allow("*", ["kms:Decrypt"], {"StringEquals": {"aws:username": "alice"}}), Status.NON_COMPLIANT,
     "aws:username StringEquals alice"),
    (allow("*", ["kms:Decrypt"], {"StringEquals": {"aws:PrincipalServiceName": "cloudtrail.amazonaws.com"}}),
     Status.NON_COMPLIANT, "aws:PrincipalServiceName"),
    (allow("*", ["kms:Decrypt"], {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}),
     Status.NON_COMPLIANT, "kms:ViaService StringEquals s3.us-east-1.amazonaws.com"),
    # A wildcard where the account, organization or id stands pins nothing, under any wildcard operator.
    (allow("*", ["kms:Decrypt"], {"StringLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/x"}}),
     Status.NON_COMPLIANT, "aws:PrincipalArn StringLike arn:aws:iam::*:role/x"),
    (allow("*", ["kms:Decrypt"], {"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::*:root"}}),
     Status.NON_COMPLIANT, "aws:PrincipalArn ArnEquals arn:aws:iam::*:root"),
    (allow("*", ["kms:Decrypt"], {"StringLike": {"aws:PrincipalAccount": "1*"}}), Status.NON_COMPLIANT,
     "aws:PrincipalAccount StringLike 1*"),
    (allow("*", ["kms:Decrypt"], {"StringLike": {"aws:PrincipalAccount": ["111122223333", "4?"]}}),
     Status.NON_COMPLIANT, "aws:PrincipalAccount StringLike"),
    (allow("*", ["kms:Decrypt"], {"StringLike": {"aws:PrincipalOrgPaths": "*/r-ab12/*"}}), Status.NON_COMPLIANT,
     "aws:PrincipalOrgPaths StringLike */r-ab12/*"),
    (allow("*", ["kms:Decrypt"], {"StringLike": {"aws:userid": "*:alice"}}), Status.NON_COMPLIANT,
     "aws:userid StringLike *:alice"),
    (allow("*", ["kms:Decrypt"], {"ArnLike": {"aws:SourceArn": "arn:aws:s3:::*"}}), Status.NON_COMPLIANT,
     "aws:SourceArn ArnLike arn:aws:s3:::*"),
    (allow("*", ["kms:Decrypt"], {"StringEquals": {"aws:PrincipalAccount": "${aws:PrincipalAccount}"}}),
     Status.NON_COMPLIANT, "aws:PrincipalAccount StringEquals ${aws:PrincipalAccount}"),
    # Operators under which a request without the key passes.
    (allow("*", ["kms:Decrypt"], {"StringEqualsIfExists": {"aws:SourceAccount": "111122223333"}}),
     Status.NON_COMPLIANT, "aws:SourceAccount StringEqualsIfExists 111122223333"),
    (allow("*", ["kms:Decrypt"], {"ForAllValues:StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}),
     Status.NON_COMPLIANT, "aws:PrincipalOrgID ForAllValues:StringEquals o-abc123"),
    # Fixed values pin the caller: literal under StringEquals, owner variables, a fixed organization or id.
    (allow("*", ["kms:Decrypt"], {"StringEquals": {"aws:PrincipalAccount": "1*"}}), Status.COMPLIANT, ""),
    (allow("*", ["kms:Decrypt"], {"StringEquals": {"aws:PrincipalAccount": "${aws:ResourceAccount}"}}),
     Status.COMPLIANT, ""),
    (allow("*", ["kms:Decrypt"], {"StringLike": {"aws:PrincipalOrgPaths": "o-abc123/r-ab12/*"}}),
     Status.COMPLIANT, ""),
    (allow("*", ["kms:Decrypt"], {"StringLike": {"aws:userid": "AROAEXAMPLEID:*"}}), Status.COMPLIANT, ""),
    (allow("*", ["kms:Decrypt"], {"ArnEquals": {"aws:SourceArn": "arn:aws:s3:::cohort-logs"}}),
     Status.COMPLIANT, ""),
    (allow("*", ["kms:Decrypt"], {"StringEquals": {"aws:SourceVpce": "vpce-0a1b2c3d"}}), Status.COMPLIANT, ""),
    (allow("*", ["kms:Decrypt"], {"StringEqualsIfExists": {"aws:PrincipalAccount": "111122223333"}}),
     Status.COMPLIANT, ""),
    (allow("*", ["kms:Decrypt"], {"ArnLike": {"aws:SourceArn": "arn:aws:logs:us-east-1:*:log-group:x:*"}}),
     Status.NON_COMPLIANT, "aws:SourceArn ArnLike arn:aws:logs:us-east-1:*:log-group:x:*"),
    (allow("*", ["kms:Decrypt"], {"StringLike": {"aws:PrincipalOrgPaths": "o-abc123/*/ou-ab12-cdef5678/"}}),
     Status.COMPLIANT, ""),
    (allow("*", ["kms:Decrypt"], {"StringEquals": {"aws:PrincipalAccount": {"Ref": "AWS::AccountId"}}}),
     Status.COMPLIANT, ""),
    (allow("*", ["kms:Decrypt"], {"ArnLike": {"aws:PrincipalArn": {
        "Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/*"}}}), Status.COMPLIANT, ""),
    (allow("*", ["kms:Decrypt"], {"StringEquals": {"aws:PrincipalOrgID": "${aws:resourceorgid}"}}),
     Status.COMPLIANT, ""),
    # A Deny with NotPrincipal is the documented lock-out pattern, not a grant.
    ({"Effect": "Deny", "NotPrincipal": ACCOUNT_ROOT, "Action": "kms:*", "Resource": "*"}, Status.COMPLIANT, ""),
    (allow(ACCOUNT_ROOT, ["kms:*"]), Status.COMPLIANT, ""),
])
def test_open_principal_judged_by_what_the_evaluator_leaves(statement, status, detail):
    verdict = KEY_POLICY_NO_OPEN_PRINCIPAL.evaluate(key(policy(statement)))
    assert verdict.status is status, verdict.detail
    assert detail in verdict.detail


# A deny of every caller outside the account (the data-perimeter pattern) pins a '*' grant to that account: the
# grant stands only where the deny's condition does not hold. A deny that a caller without the key escapes, or
# one on the network, pins nothing.
@pytest.mark.parametrize(("deny_condition", "status"), [
    ({"StringNotEquals": {"aws:PrincipalAccount": "111122223333"}}, Status.COMPLIANT),
    ({"StringNotEquals": {"aws:PrincipalOrgID": "o-abc123"}}, Status.COMPLIANT),
    ({"StringNotEqualsIfExists": {"aws:SourceAccount": "111122223333"}}, Status.NON_COMPLIANT),
    ({"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, Status.NON_COMPLIANT),
    ({"StringNotEquals": {"aws:PrincipalAccount": "111122223333"}, "Bool": {"aws:SecureTransport": "false"}},
     Status.NON_COMPLIANT),
])
def test_a_deny_outside_the_account_pins_an_open_grant(deny_condition, status):
    grant = allow("*", ["kms:Decrypt"], sid="Open")
    deny = {"Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*", "Condition": deny_condition}
    verdict = KEY_POLICY_NO_OPEN_PRINCIPAL.evaluate(key(policy(grant, deny)))
    assert verdict.status is status, verdict.detail


@pytest.mark.parametrize(("alias_name", "status", "detail"), [
    ("alias/patient-123-45-6789", Status.NON_COMPLIANT, "AliasName looks like PHI (social security number)"),
    ("alias/omics-secure/S/Patient-12345678", Status.NON_COMPLIANT,
     "AliasName looks like PHI (patient or subject identifier)"),
    ({"Fn::Sub": "alias/${AWS::Region}/cohort-00123456"}, Status.NON_COMPLIANT,
     "AliasName looks like PHI (long number (8 or more digits))"),
    ("alias/owner-jane.doe@example.org", Status.NON_COMPLIANT, "AliasName looks like PHI (e-mail address)"),
    ("alias/study42/phi", Status.COMPLIANT, ""),
    ({"Fn::Sub": "alias/backups-111122223333-${AWS::Region}"}, Status.COMPLIANT, ""),   # an account id
    ({"Fn::Sub": "alias/${AWS::AccountId}/phi"}, Status.COMPLIANT, ""),
])
def test_alias_names_that_look_like_phi(alias_name, status, detail):
    alias = Resource(logical_id="Alias", type="AWS::KMS::Alias",
                     properties={"AliasName": alias_name, "TargetKeyId": {"Ref": "Key"}})
    verdict = ALIAS_NO_PHI_IN_NAME.evaluate(alias)
    assert verdict.status is status and verdict.detail == detail
    assert ALIAS_NO_PHI_IN_NAME.evaluate(key({})).status is Status.NOT_APPLICABLE
