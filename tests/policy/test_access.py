"""Who can read, write and administer each store, from hand-written templates (parameters, Fn::If, imports)."""

from __future__ import annotations

import json
from typing import Any

from omics_secure.inputs.templates import load_template
from omics_secure.policy.access import access
from omics_secure.policy.extract import read_environment

PHI_TAGS = [{"Key": "omics-secure:data-classification", "Value": "phi"}]


def listing(tmp_path, *templates: dict[str, Any], parameters: dict[str, str] | None = None
            ) -> dict[str, dict[str, dict[str, list[list[str]]]]]:
    stacks = []
    for index, template in enumerate(templates):
        path = tmp_path / f"stack{index}.json"
        path.write_text(json.dumps(template), encoding="utf-8")
        stacks.append(load_template(path, parameters, name=path.name))
    found: dict[str, dict[str, dict[str, list[list[str]]]]] = {}
    for entry in access(read_environment(stacks)):
        found[entry.store.logical_id] = {kind: {} for kind in ("readers", "writers", "admins")}
        for kind in ("readers", "writers", "admins"):
            for grant in entry.grants(kind):
                found[entry.store.logical_id][kind].setdefault(grant.principal, []).append(list(grant.conditions))
    return found


def role(*statements: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"Type": "AWS::IAM::Role", "Properties": {
        "AssumeRolePolicyDocument": {"Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                    "Action": "sts:AssumeRole"}]},
        "Policies": [{"PolicyName": "p", "PolicyDocument": {"Statement": list(statements)}}], **extra}}


def allow(action: Any, resource: Any, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def bucket(**properties: Any) -> dict[str, Any]:
    return {"Type": "AWS::S3::Bucket", "Properties": {"Tags": PHI_TAGS, **properties}}


def key(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": {"Statement": list(statements)}}}


OBJECTS = {"Fn::Sub": "${Data.Arn}/*"}
ROOT = {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}}
ENCRYPTED = {"BucketEncryption": {"ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {
    "SSEAlgorithm": "aws:kms", "KMSMasterKeyID": {"Fn::GetAtt": ["Key", "Arn"]}}}]}}


def test_a_reader_of_an_encrypted_bucket_needs_the_key_too(tmp_path):
    found = listing(tmp_path, {"Resources": {
        "Key": key({"Effect": "Allow", "Principal": ROOT, "Action": "kms:*", "Resource": "*"}),
        "Data": bucket(**ENCRYPTED),
        "ObjectsOnly": role(allow("s3:GetObject", OBJECTS)),
        "WithKey": role(allow("s3:GetObject", OBJECTS), allow("kms:Decrypt", {"Fn::GetAtt": ["Key", "Arn"]})),
        "WildcardKey": role(allow(["s3:Get*", "kms:*"], "*")),
    }})
    readers = found["Data"]["readers"]
    assert "stack0.json/ObjectsOnly" not in readers
    assert readers["stack0.json/WithKey"] == [[]]
    assert readers["stack0.json/WildcardKey"] == [[]]
    assert found["Key"]["admins"]["account:self"] == [[]]


def test_a_key_policy_without_the_account_statement_ignores_identity_policies(tmp_path):
    found = listing(tmp_path, {"Resources": {
        "Key": key({"Effect": "Allow", "Principal": {"AWS": {"Fn::GetAtt": ["Admin", "Arn"]}}, "Action": "kms:*",
                    "Resource": "*"}),
        "Data": bucket(**ENCRYPTED),
        "Admin": role(),
        "Reader": role(allow(["s3:GetObject", "kms:Decrypt"], "*")),
    }})
    assert found["Data"]["readers"] == {}
    assert set(found["Key"]["admins"]) == {"stack0.json/Admin"}


def test_conditions_that_still_restrict_a_grant_are_listed_and_a_conditional_deny_is_kept(tmp_path):
    found = listing(tmp_path, {"Resources": {
        "Data": bucket(),
        "Policy": {"Type": "AWS::S3::BucketPolicy", "Properties": {"Bucket": {"Ref": "Data"}, "PolicyDocument": {
            "Statement": [
                {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": [OBJECTS],
                 "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
                {"Effect": "Allow", "Principal": {"AWS": "444455556666"}, "Action": "s3:GetObject",
                 "Resource": OBJECTS, "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc"}}},
            ]}}},
        "Reader": role(allow("s3:GetObject", OBJECTS, Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}})),
    }})
    readers = found["Data"]["readers"]
    assert readers["stack0.json/Reader"] == [["aws:MultiFactorAuthPresent Bool true",
                                              "not (aws:SecureTransport Bool false)"]]
    assert readers["account:444455556666"] == [["aws:PrincipalOrgID StringEquals o-abc",
                                                "not (aws:SecureTransport Bool false)"]]


def test_a_deny_on_one_branch_of_a_condition_never_hides_the_grant(tmp_path):
    found = listing(tmp_path, {
        "Parameters": {"Locked": {"Type": "String"}},
        "Conditions": {"IsLocked": {"Fn::Equals": [{"Ref": "Locked"}, "yes"]}},
        "Resources": {
            "Data": bucket(),
            "Policy": {"Type": "AWS::S3::BucketPolicy", "Properties": {"Bucket": {"Ref": "Data"}, "PolicyDocument": {
                "Statement": [{"Fn::If": ["IsLocked", {"Effect": "Deny", "Principal": "*", "Action": "s3:*",
                                                       "Resource": OBJECTS}, {"Ref": "AWS::NoValue"}]}]}}},
            "Reader": role(allow("s3:GetObject", "*"))}})
    assert found["Data"]["readers"]["stack0.json/Reader"] == [[]]


def test_an_unconditional_deny_removes_the_reader(tmp_path):
    found = listing(tmp_path, {"Resources": {
        "Data": bucket(),
        "Policy": {"Type": "AWS::S3::BucketPolicy", "Properties": {"Bucket": {"Ref": "Data"}, "PolicyDocument": {
            "Statement": [{"Effect": "Deny", "NotPrincipal": {"AWS": {"Fn::GetAtt": ["Other", "Arn"]}},
                           "Action": "s3:*", "Resource": [{"Fn::GetAtt": ["Data", "Arn"]}, OBJECTS]}]}}},
        "Reader": role(allow("s3:GetObject", "*")),
        "Other": role(allow("s3:GetObject", "*"))}})
    assert set(found["Data"]["readers"]) == {"stack0.json/Other"}


def test_an_arn_from_a_parameter_without_a_default_is_a_condition(tmp_path):
    found = listing(tmp_path, {
        "Parameters": {"Prefix": {"Type": "String"}},
        "Resources": {"Data": bucket(BucketName="study-data"),
                      "Reader": role(allow("s3:GetObject", {"Fn::Sub": "arn:aws:s3:::${Prefix}/*"})),
                      "Elsewhere": role(allow("s3:GetObject", {"Fn::Sub": "arn:aws:s3:::other-${Prefix}/*"}))}})
    assert found["Data"]["readers"] == {"stack0.json/Reader": [["Resource ArnLike arn:aws:s3:::${Prefix}/*"]]}


def test_an_import_is_followed_to_the_exporting_stack(tmp_path):
    producer = {"Resources": {"Data": bucket()},
                "Outputs": {"DataArn": {"Value": {"Fn::GetAtt": ["Data", "Arn"]},
                                        "Export": {"Name": {"Fn::Sub": "${AWS::StackName}-data-arn"}}}}}
    consumer = {"Resources": {"Reader": role(allow("s3:GetObject", {"Fn::Sub": [
        "${Arn}/*", {"Arn": {"Fn::ImportValue": "stack0.json-data-arn"}}]}))}}
    unrelated = {"Resources": {"Reader": role(allow("s3:GetObject", {"Fn::Sub": [
        "${Arn}/*", {"Arn": {"Fn::ImportValue": "no-such-export"}}]}))}}
    found = listing(tmp_path, producer, consumer, unrelated)
    readers = found["Data"]["readers"]
    assert readers["stack1.json/Reader"] == [[]]
    assert readers["stack2.json/Reader"][0][0].startswith("Resource ArnLike ${")  # unknown import: a condition


def test_anyone_and_a_caller_account_that_matches_everything(tmp_path):
    found = listing(tmp_path, {"Resources": {
        "Key": key({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": ["kms:Decrypt", "kms:Encrypt"],
                    "Resource": "*", "Condition": {"StringLike": {"kms:CallerAccount": "*"}}},
                   {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:Decrypt", "Resource": "*",
                    "Condition": {"Bool": {"aws:SecureTransport": "true"}}})}})
    assert found["Key"]["readers"]["*"] == [[]]


def test_public_access_block_stops_a_public_bucket_policy_for_anyone(tmp_path):
    statement = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": OBJECTS}
    blocked = {"PublicAccessBlockConfiguration": {"RestrictPublicBuckets": True}}
    for properties, expected in (({}, {"*"}), (blocked, set())):
        found = listing(tmp_path, {"Resources": {
            "Data": bucket(**properties),
            "Policy": {"Type": "AWS::S3::BucketPolicy", "Properties": {
                "Bucket": {"Ref": "Data"}, "PolicyDocument": {"Statement": [statement]}}}}})
        assert set(found["Data"]["readers"]) == expected


def test_a_group_is_listed_beside_its_member_users(tmp_path):
    found = listing(tmp_path, {"Resources": {
        "Data": bucket(),
        "Team": {"Type": "AWS::IAM::Group", "Properties": {"Policies": [
            {"PolicyName": "p", "PolicyDocument": {"Statement": [allow("s3:GetObject", "*")]}}]}},
        "Person": {"Type": "AWS::IAM::User", "Properties": {"Groups": [{"Ref": "Team"}]}}}})
    assert set(found["Data"]["readers"]) == {"stack0.json/Team", "stack0.json/Person"}


def test_an_scp_on_the_account_denies_and_one_on_an_ou_is_not_guessed(tmp_path):
    def scp(target: str) -> dict[str, Any]:
        return {"Type": "AWS::Organizations::Policy", "Properties": {
            "Name": "deny-s3", "Type": "SERVICE_CONTROL_POLICY", "TargetIds": [target],
            "Content": {"Statement": [{"Effect": "Deny", "Action": "s3:GetObject", "Resource": "*"}]}}}

    template = {"Resources": {"Data": bucket(), "Reader": role(allow("s3:GetObject", "*"))}}
    assert listing(tmp_path, template, {"Resources": {"Scp": scp("123456789012")}},
                   parameters={"AWS::AccountId": "123456789012"})["Data"]["readers"] == {}
    assert listing(tmp_path, template, {"Resources": {"Scp": scp("ou-ab12-cdef3456")}})["Data"]["readers"]


def test_a_nested_stack_reads_what_its_parent_passes(tmp_path):
    from omics_secure.inputs.templates import load_templates

    child = {"Parameters": {"DataArn": {"Type": "String"}},
             "Resources": {"Reader": role(allow("s3:GetObject", {"Fn::Sub": "${DataArn}/*"}))}}
    parent = {"Resources": {
        "Data": bucket(),
        "Analysis": {"Type": "AWS::CloudFormation::Stack", "Properties": {
            "TemplateURL": "child.json", "Parameters": {"DataArn": {"Fn::GetAtt": ["Data", "Arn"]}}}}}}
    (tmp_path / "child.json").write_text(json.dumps(child), encoding="utf-8")
    (tmp_path / "parent.json").write_text(json.dumps(parent), encoding="utf-8")
    stacks = load_templates([tmp_path / "parent.json"])
    (entry,) = [e for e in access(read_environment(stacks)) if e.store.logical_id == "Data"]
    readers = {g.principal: g.conditions for g in entry.grants("readers")}
    assert readers == {f"{tmp_path / 'parent.json'}/Analysis/Reader": ()}
