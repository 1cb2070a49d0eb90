"""PhiStoreReadersAccountedFor: every reader the policy evaluator finds is an approval, a service or a declared
administrator; compliant, non-compliant and near-miss cases."""

from __future__ import annotations

from typing import Any

import pytest

from omics_secure.compliance.model import Resource, Status
from omics_secure.compliance.rules.readers import PHI_STORE_READERS_ACCOUNTED_FOR as RULE

PHI = [{"Key": "omics-secure:data-classification", "Value": "phi"}]
OBJECTS = {"Fn::Sub": "${Data.Arn}/*"}
SERVICE_TRUST = {"Statement": [{"Effect": "Allow", "Principal": {"Service": "omics.amazonaws.com"},
                                "Action": "sts:AssumeRole"}]}
PEOPLE = " (assumable by any principal in account 111122223333)"
PEOPLE_TRUST = {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                               "Action": "sts:AssumeRole"}]}


def reader(trust: dict[str, Any] = PEOPLE_TRUST, tags: list[dict[str, str]] | None = None,
           **properties: Any) -> dict[str, Any]:
    return {"Type": "AWS::IAM::Role", "Properties": {
        "AssumeRolePolicyDocument": trust, "Tags": tags or [],
        "Policies": [{"PolicyName": "read", "PolicyDocument": {"Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": OBJECTS}]}}], **properties}}


def bucket_policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Type": "AWS::S3::BucketPolicy", "Properties": {"Bucket": {"Ref": "Data"},
                                                            "PolicyDocument": {"Statement": list(statements)}}}


def judge(tags: list[dict[str, str]] = PHI, **resources: Any) -> Any:
    template = {"Data": {"Type": "AWS::S3::Bucket", "Properties": {"Tags": tags}}, **resources}
    return RULE.evaluate(Resource.from_template("Data", template["Data"], template))


@pytest.mark.parametrize("resources", [
    {},
    {"Run": reader(SERVICE_TRUST)},
    {"Researcher": reader(tags=[{"Key": "omics-secure:approval-id", "Value": "phs000001"}])},
    {"Custodian": reader(tags=[{"Key": "omics-secure:administrator", "Value": "true"}])},
    {"Logs": bucket_policy({"Effect": "Allow", "Principal": {"Service": "logging.s3.amazonaws.com"},
                            "Action": "s3:GetObject", "Resource": OBJECTS})},
    {"Point": {"Type": "AWS::S3::AccessPoint", "Properties": {
        "Bucket": {"Ref": "Data"}, "Tags": [{"Key": "omics-secure:approval-id", "Value": "phs000002"}],
        "Policy": {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
                                  "Action": "s3:GetObject", "Resource": {"Fn::Sub":
                                  "arn:aws:s3:us-east-1:111122223333:accesspoint/${Point}/object/*"}}]}}},
     "Delegate": bucket_policy({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": OBJECTS,
                                "Condition": {"StringEquals": {"s3:DataAccessPointAccount": "111122223333"}}})},
    # A deny that stops everyone but the approved role leaves no other reader.
    {"Other": reader(), "Guard": bucket_policy({"Effect": "Deny", "NotPrincipal": {"AWS": {"Fn::GetAtt": [
        "Approved", "Arn"]}}, "Action": "s3:*", "Resource": OBJECTS}),
     "Approved": reader(tags=[{"Key": "omics-secure:approval-id", "Value": "phs000003"}])},
])
def test_every_reader_accounted_for(resources):
    verdict = judge(**resources)
    assert verdict.status is Status.COMPLIANT, verdict.detail


@pytest.mark.parametrize(("resources", "detail"), [
    ({"Analyst": reader()}, "Analyst" + PEOPLE + " can read it unconditionally"),
    ({"Analyst": reader(Policies=[{"PolicyName": "p", "PolicyDocument": {"Statement": [
        {"Effect": "Allow", "Action": "s3:Get*", "Resource": "*",
         "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}]}}])},
     "Analyst" + PEOPLE + " can read it when aws:MultiFactorAuthPresent Bool true"),
    ({"Open": bucket_policy({"Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:root"},
                             "Action": "s3:GetObject", "Resource": OBJECTS})}, "* can read it"),
    ({"Partner": bucket_policy({"Effect": "Allow", "Principal": {"AWS": "444455556666"}, "Action": "s3:GetObject",
                                "Resource": OBJECTS})}, "account:444455556666 can read it"),
    # Near misses: a role people can assume besides the service; an administrator tag that is not true.
    ({"Mixed": reader({"Statement": [*SERVICE_TRUST["Statement"], *PEOPLE_TRUST["Statement"]]})},
     "Mixed (assumable by any principal in account 111122223333, the HealthOmics service (omics.amazonaws.com)) "
     "can read"),
    ({"Admin": reader(tags=[{"Key": "omics-secure:administrator", "Value": "false"}])}, "Admin" + PEOPLE + " can read"),
])
def test_an_unaccounted_reader_is_named_with_its_conditions(resources, detail):
    verdict = judge(**resources)
    assert verdict.status is Status.NON_COMPLIANT
    assert detail in verdict.detail


def test_a_key_policy_naming_an_account_is_not_mistaken_for_the_roles_trust():
    """A template does not say which account it is deployed to: a key policy that grants to account
    111122223333 lets the role decrypt only if it is deployed there. That is a condition on the caller, from the
    key policy's Principal, worded as such; who may assume the role comes from its trust policy (another account
    here), and is named beside the role."""
    key = {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": {"Statement": [{
        "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*",
        "Resource": "*"}]}}}
    trust = {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
                            "Action": "sts:AssumeRole"}]}
    role = reader(trust, Policies=[{"PolicyName": "read", "PolicyDocument": {"Statement": [
        {"Effect": "Allow", "Action": ["s3:GetObject", "kms:Decrypt"], "Resource": "*"}]}}])
    template = {"Data": {"Type": "AWS::S3::Bucket", "Properties": {"Tags": PHI, "BucketEncryption": {
        "ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {
            "SSEAlgorithm": "aws:kms", "KMSMasterKeyID": {"Fn::GetAtt": ["Key", "Arn"]}}}]}}},
        "Key": key, "Analyst": role}
    verdict = RULE.evaluate(Resource.from_template("Data", template["Data"], template))
    assert verdict.status is Status.NON_COMPLIANT
    assert verdict.detail.startswith(
        "Analyst (assumable by any principal in account 444455556666) can read it when the principal is in account "
        "111122223333 (a resource policy's Principal): ")
    assert "ArnEquals" not in verdict.detail


def test_a_managed_policy_outside_the_template_cannot_be_judged():
    role = reader(Policies=[], ManagedPolicyArns=["arn:aws:iam::111122223333:policy/shared-data-access"])
    verdict = judge(Analyst=role)
    assert verdict.status is Status.CANNOT_JUDGE
    assert "Analyst" + PEOPLE + " can read it when ManagedPolicy AllowsPerItsDocument" in verdict.detail


def test_only_phi_stores_are_judged():
    assert judge(tags=[], Analyst=reader()).status is Status.NOT_APPLICABLE


def test_a_reader_no_one_may_assume_is_named_without_an_assumable_by_clause():
    """A role whose trust admits no one (an empty trust, or only a deny) still reads through its policy: it is
    reported by name, and no one is said to assume it."""
    for trust in ({"Statement": []},
                  {"Statement": [{"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}):
        verdict = judge(Orphan=reader(trust))
        assert verdict.status is Status.NON_COMPLIANT
        assert verdict.detail == ("Orphan can read it unconditionally: neither an approved access, a role only AWS "
                                  "services assume, nor a declared administrator (s3:GetObject, s3:GetObjectVersion)")
