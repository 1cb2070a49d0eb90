"""Each deploy-time rule on templates that deploy, that fail, and that nearly fail, as cdk-nag's tests do."""

from __future__ import annotations

import copy
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_s3 as s3

from omics_secure.compliance.model import Resource, Status, TemplateIndex
from omics_secure.compliance.packs import OMICS_SECURE_PACK
from omics_secure.compliance.rules.deploy import (
    CONFIG_DELIVERY_BUCKET_UNLOCKED,
    DEPLOY_RULES,
    KEY_POLICY_PRINCIPAL_NOT_NEW,
    LIFECYCLE_RULES_ACCEPTED,
    OMICS_RUN_ZONE_IDS_SUPPORTED,
    OMICS_RUN_ZONES_PINNED,
    REPLICA_KEY_ALLOWS_DECRYPT,
    RESOURCE_POLICY_PRINCIPAL_NOT_NEW,
    RETAINED_FIXED_NAME,
)
from tests.harness import check_compliance

ACCOUNT_ROOT = "arn:aws:iam::111122223333:root"
ROLE_NAME = "replication-role"
ROLE_ARN = f"arn:aws:iam::111122223333:role/{ROLE_NAME}"
ROLE_GETATT = {"Fn::GetAtt": ["Role", "Arn"]}


def judge(rule, logical_id: str, resources: dict[str, Any]) -> Status:
    verdict = rule.evaluate(Resource.from_template(logical_id, resources[logical_id], resources,
                                                   TemplateIndex(resources)))
    if verdict.status is Status.NON_COMPLIANT:
        assert verdict.detail, "a finding must say what is wrong"
    return verdict.status


def detail(rule, logical_id: str, resources: dict[str, Any]) -> str:
    return rule.evaluate(Resource.from_template(logical_id, resources[logical_id], resources)).detail


def test_every_deploy_rule_is_in_the_pack_cites_aws_and_maps_controls():
    assert set(DEPLOY_RULES) <= set(OMICS_SECURE_PACK.rules)
    for rule in DEPLOY_RULES:
        assert "https://docs.aws.amazon.com/" in rule.explanation, rule.id
        assert rule.controls.hipaa and rule.controls.nist_800_53_r5 and rule.controls.nist_800_171_r2
        assert rule.severity in ("error", "warning")
    assert {r.id for r in DEPLOY_RULES if r.severity == "warning"} == {
        "ResourcePolicyPrincipalNotCreatedInTemplate", "RetainedResourceFixedName", "OmicsRunSubnetZonePinned"}


@pytest.mark.parametrize("value", [
    "not a mapping", ["a", "list"], {"Fn::If": ["C", {}, {}]}, {"Ref": "AWS::NoValue"}, None, 5,
])
def test_no_rule_raises_on_intrinsic_or_malformed_shapes(value):
    for rule in DEPLOY_RULES:
        for type_ in rule.resource_types:
            properties = {key: value for key in (
                "KeyPolicy", "PolicyDocument", "LifecycleConfiguration", "ReplicationConfiguration",
                "BucketEncryption", "RunConfigurations", "BucketName", "LogGroupName", "Bucket",
                "S3BucketName")}
            body = {"Type": type_, "Properties": properties, "DeletionPolicy": "Retain"}
            resources = {"R": body, "Role": {"Type": "AWS::IAM::Role", "Properties": value}}
            rule.evaluate(Resource.from_template("R", body, resources))  # any verdict, never an exception


# Key, bucket and topic policies naming principals created in the same template

def role(name: str | None = ROLE_NAME, **properties: Any) -> dict[str, Any]:
    return {"Type": "AWS::IAM::Role", "Properties": {**({"RoleName": name} if name else {}), **properties}}


def key(*statements: dict[str, Any]) -> dict[str, Any]:
    root = {"Effect": "Allow", "Principal": {"AWS": ACCOUNT_ROOT}, "Action": "kms:*", "Resource": "*"}
    return {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": {"Statement": [root, *statements]}}}


def allow(principal: Any, *actions: str, **condition: Any) -> dict[str, Any]:
    statement: dict[str, Any] = {"Sid": "Use", "Effect": "Allow", "Principal": {"AWS": principal},
                                 "Action": list(actions), "Resource": "*"}
    if condition:
        statement["Condition"] = condition
    return statement


ONLY_THE_ROLE = {"ArnEquals": {"aws:PrincipalArn": ROLE_ARN}}


@pytest.mark.parametrize("principal", [ROLE_GETATT, ROLE_ARN, [ACCOUNT_ROOT, ROLE_ARN],
                                       {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"},
                                                          f":iam::111122223333:role/{ROLE_NAME}"]]}])
def test_a_key_policy_naming_a_role_of_the_template_is_reported(principal):
    template = {"Role": role(), "Key": key(allow(principal, "kms:Decrypt"))}
    assert judge(KEY_POLICY_PRINCIPAL_NOT_NEW, "Key", template) is Status.NON_COMPLIANT
    assert "Use names Role, created in this template" in detail(KEY_POLICY_PRINCIPAL_NOT_NEW, "Key", template)


def test_the_account_narrowed_by_principal_arn_is_compliant():
    template = {"Role": role(), "Key": key(allow(ACCOUNT_ROOT, "kms:Decrypt", **ONLY_THE_ROLE))}
    assert judge(KEY_POLICY_PRINCIPAL_NOT_NEW, "Key", template) is Status.COMPLIANT


@pytest.mark.parametrize("principal", [
    "arn:aws:iam::111122223333:role/replication-role-old",  # near miss: another, existing role
    "arn:aws:iam::444455556666:role/elsewhere",
    {"Fn::GetAtt": ["Bucket", "Arn"]},  # a GetAtt of something that is not a principal
])
def test_principals_not_created_here_are_compliant(principal):
    template = {"Role": role(), "Bucket": {"Type": "AWS::S3::Bucket"}, "Key": key(allow(principal, "kms:Decrypt"))}
    assert judge(KEY_POLICY_PRINCIPAL_NOT_NEW, "Key", template) is Status.COMPLIANT


@pytest.mark.parametrize("type_", ["AWS::S3::BucketPolicy", "AWS::SNS::TopicPolicy"])
def test_bucket_and_topic_policies_naming_a_new_role_warn(type_):
    policy = {"Type": type_, "Properties": {"PolicyDocument": {"Statement": [allow(ROLE_GETATT, "s3:GetObject")]}}}
    template = {"Role": role(name=None), "Policy": policy}
    assert judge(RESOURCE_POLICY_PRINCIPAL_NOT_NEW, "Policy", template) is Status.NON_COMPLIANT
    policy["Properties"]["PolicyDocument"]["Statement"] = [allow(ACCOUNT_ROOT, "s3:GetObject", **ONLY_THE_ROLE)]
    assert judge(RESOURCE_POLICY_PRINCIPAL_NOT_NEW, "Policy", template) is Status.COMPLIANT


# Lifecycle rules S3 refuses

def lifecycle(*rules: dict[str, Any]) -> dict[str, Any]:
    return {"Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"LifecycleConfiguration": {"Rules": list(rules)}}}}


@pytest.mark.parametrize("rule", [
    {"Id": "Expire", "Status": "Enabled", "ExpirationInDays": 2192, "ExpiredObjectDeleteMarker": False},
    {"Id": "Expire", "Status": "Enabled", "ExpirationDate": "2030-06-30T00:00:00Z", "ExpiredObjectDeleteMarker": True},
    {"Id": "Tagged", "Status": "Enabled", "TagFilters": [{"Key": "k", "Value": "v"}],
     "NoncurrentVersionExpiration": {"NoncurrentDays": 30}, "ExpiredObjectDeleteMarker": True},
    {"Id": "Alone", "Status": "Enabled", "ExpiredObjectDeleteMarker": True},
])
def test_lifecycle_rules_s3_refuses_are_reported(rule):
    assert judge(LIFECYCLE_RULES_ACCEPTED, "Bucket", lifecycle(rule)) is Status.NON_COMPLIANT


def test_delete_markers_in_their_own_rule_beside_an_expiration_are_accepted():
    template = lifecycle(
        {"Id": "Expire", "Status": "Enabled", "ExpirationInDays": 2192},
        {"Id": "Noncurrent", "Status": "Enabled", "NoncurrentVersionExpiration": {"NoncurrentDays": 365},
         "ExpiredObjectDeleteMarker": True},
    )
    assert judge(LIFECYCLE_RULES_ACCEPTED, "Bucket", template) is Status.COMPLIANT
    assert judge(LIFECYCLE_RULES_ACCEPTED, "Bucket", {"Bucket": {"Type": "AWS::S3::Bucket"}}) is Status.NOT_APPLICABLE


# Replication with S3 Bucket Keys: kms:Decrypt on the replica key

def replica_template(key_statement: dict[str, Any], *, bucket_key: bool = True,
                     role_policies: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    encryption = {"ServerSideEncryptionConfiguration": [{
        "BucketKeyEnabled": bucket_key,
        "ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": {"Fn::GetAtt": ["Key", "Arn"]}},
    }]}
    write = allow(ROLE_GETATT, "s3:ReplicateObject", "s3:ReplicateDelete")
    template: dict[str, Any] = {
        "Role": role(),
        "Key": key(key_statement),
        "Replica": {"Type": "AWS::S3::Bucket", "Properties": {"BucketEncryption": encryption}},
        "ReplicaPolicy": {"Type": "AWS::S3::BucketPolicy", "Properties": {
            "Bucket": {"Ref": "Replica"}, "PolicyDocument": {"Statement": [write]}}},
    }
    for index, document in enumerate(role_policies or []):
        template[f"Grants{index}"] = {"Type": "AWS::IAM::ManagedPolicy", "Properties": {
            "Roles": [{"Ref": "Role"}], "PolicyDocument": document}}
    return template


def test_the_replica_key_of_the_original_bug_is_reported():
    """The replica key gave the role only kms:Encrypt and kms:GenerateDataKey, and the role had no policy."""
    template = replica_template(allow(ROLE_GETATT, "kms:Encrypt", "kms:GenerateDataKey"))
    assert judge(REPLICA_KEY_ALLOWS_DECRYPT, "Replica", template) is Status.NON_COMPLIANT
    assert "Role may not kms:Decrypt with Key" in detail(REPLICA_KEY_ALLOWS_DECRYPT, "Replica", template)


@pytest.mark.parametrize("statement", [
    allow(ROLE_GETATT, "kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"),
    allow(ACCOUNT_ROOT, "kms:Decrypt", **ONLY_THE_ROLE),
    allow(ROLE_ARN, "kms:*"),
])
def test_decrypt_in_the_key_policy_for_the_role_is_compliant(statement):
    assert judge(REPLICA_KEY_ALLOWS_DECRYPT, "Replica", replica_template(statement)) is Status.COMPLIANT


def test_decrypt_in_the_roles_own_policy_is_compliant_and_on_another_key_is_not():
    grant = {"Statement": [{"Effect": "Allow", "Action": ["kms:Decrypt", "kms:Encrypt"],
                            "Resource": {"Fn::GetAtt": ["Key", "Arn"]}}]}
    template = replica_template(allow(ROLE_GETATT, "kms:Encrypt"), role_policies=[grant])
    assert judge(REPLICA_KEY_ALLOWS_DECRYPT, "Replica", template) is Status.COMPLIANT
    near_miss = copy.deepcopy(grant)
    near_miss["Statement"][0]["Resource"] = {"Fn::GetAtt": ["OtherKey", "Arn"]}
    template = replica_template(allow(ROLE_GETATT, "kms:Encrypt"), role_policies=[near_miss])
    assert judge(REPLICA_KEY_ALLOWS_DECRYPT, "Replica", template) is Status.NON_COMPLIANT


DECRYPT_THE_KEY = {"Statement": [{"Effect": "Allow", "Action": "kms:Decrypt",
                                  "Resource": {"Fn::GetAtt": ["Key", "Arn"]}}]}


def test_decrypt_in_an_iam_policy_attached_to_the_role_is_compliant():
    template = replica_template(allow(ROLE_GETATT, "kms:Encrypt"))
    template["Grants"] = {"Type": "AWS::IAM::Policy", "Properties": {
        "PolicyName": "decrypt", "Roles": [{"Ref": "Role"}], "PolicyDocument": DECRYPT_THE_KEY}}
    assert judge(REPLICA_KEY_ALLOWS_DECRYPT, "Replica", template) is Status.COMPLIANT
    template["Grants"]["Properties"]["Roles"] = [{"Ref": "OtherRole"}]  # near miss: attached to another role
    assert judge(REPLICA_KEY_ALLOWS_DECRYPT, "Replica", template) is Status.NON_COMPLIANT


def test_decrypt_in_a_managed_policy_the_role_lists_is_compliant():
    """The role attaches the policy (ManagedPolicyArns), not the policy the role (Roles)."""
    template = replica_template(allow(ROLE_GETATT, "kms:Encrypt"))
    template["Decrypt"] = {"Type": "AWS::IAM::ManagedPolicy", "Properties": {"PolicyDocument": DECRYPT_THE_KEY}}
    template["Role"]["Properties"]["ManagedPolicyArns"] = [{"Ref": "Decrypt"}]
    assert judge(REPLICA_KEY_ALLOWS_DECRYPT, "Replica", template) is Status.COMPLIANT
    template["Role"]["Properties"]["ManagedPolicyArns"] = []
    assert judge(REPLICA_KEY_ALLOWS_DECRYPT, "Replica", template) is Status.NON_COMPLIANT


def test_a_replicator_of_another_account_the_key_policy_names_without_decrypt_is_reported():
    """The key policy is all the template shows of a principal outside it: naming it without kms:Decrypt is a
    finding; not naming it at all cannot be judged, so it is left alone."""
    partner = "arn:aws:iam::444455556666:role/partner-replication"
    template = replica_template(allow(partner, "kms:Encrypt", "kms:GenerateDataKey"))
    template["ReplicaPolicy"]["Properties"]["PolicyDocument"]["Statement"][0]["Principal"] = {"AWS": partner}
    assert judge(REPLICA_KEY_ALLOWS_DECRYPT, "Replica", template) is Status.NON_COMPLIANT
    assert detail(REPLICA_KEY_ALLOWS_DECRYPT, "Replica", template) == (
        f"{partner} may not kms:Decrypt with Key (replicas written here)")
    template["Key"] = key(allow(partner, "kms:Decrypt"))
    assert judge(REPLICA_KEY_ALLOWS_DECRYPT, "Replica", template) is Status.COMPLIANT
    template["Key"] = key()
    assert judge(REPLICA_KEY_ALLOWS_DECRYPT, "Replica", template) is Status.COMPLIANT


def test_decrypt_for_another_principal_is_a_near_miss():
    statement = allow(ACCOUNT_ROOT, "kms:Decrypt", ArnEquals={"aws:PrincipalArn": f"{ROLE_ARN}-old"})
    assert judge(REPLICA_KEY_ALLOWS_DECRYPT, "Replica", replica_template(statement)) is Status.NON_COMPLIANT


def test_without_bucket_keys_the_rule_does_not_apply():
    template = replica_template(allow(ROLE_GETATT, "kms:Encrypt"), bucket_key=False)
    assert judge(REPLICA_KEY_ALLOWS_DECRYPT, "Replica", template) is Status.NOT_APPLICABLE


def test_same_template_replication_rule_is_judged_from_the_source():
    template = replica_template(allow(ROLE_GETATT, "kms:Encrypt", "kms:GenerateDataKey"))
    del template["ReplicaPolicy"]
    template["Source"] = {"Type": "AWS::S3::Bucket", "Properties": {"ReplicationConfiguration": {
        "Role": ROLE_GETATT,
        "Rules": [{"Id": "ToReplica", "Status": "Enabled", "Destination": {
            "Bucket": {"Fn::GetAtt": ["Replica", "Arn"]},
            "EncryptionConfiguration": {"ReplicaKmsKeyID": {"Fn::GetAtt": ["Key", "Arn"]}}}}]}}}
    assert judge(REPLICA_KEY_ALLOWS_DECRYPT, "Source", template) is Status.NON_COMPLIANT
    assert "replication rule ToReplica" in detail(REPLICA_KEY_ALLOWS_DECRYPT, "Source", template)
    template["Key"] = key(allow(ROLE_GETATT, "kms:Encrypt", "kms:Decrypt"))
    assert judge(REPLICA_KEY_ALLOWS_DECRYPT, "Source", template) is Status.COMPLIANT


def test_a_replica_key_in_another_template_cannot_be_judged():
    template = {"Source": {"Type": "AWS::S3::Bucket", "Properties": {
        **replica_template({})["Replica"]["Properties"],
        "ReplicationConfiguration": {"Role": ROLE_ARN, "Rules": [{"Destination": {
            "Bucket": "arn:aws:s3:::replica", "EncryptionConfiguration": {
                "ReplicaKmsKeyID": "arn:aws:kms:us-west-2:111122223333:alias/replica"}}}]}}}}
    assert judge(REPLICA_KEY_ALLOWS_DECRYPT, "Source", template) is Status.NOT_APPLICABLE


# Retained resources with fixed names

@pytest.mark.parametrize("type_, name_property, name", [
    ("AWS::S3::Bucket", "BucketName", "omics-secure-replica-111122223333-us-west-2"),
    ("AWS::CloudTrail::Trail", "TrailName", "audit"),
    ("AWS::Logs::LogGroup", "LogGroupName", {"Fn::Sub": "/audit/${AWS::StackName}"}),
])
def test_a_retained_resource_with_a_fixed_name_warns_with_the_fix(type_, name_property, name):
    template = {"R": {"Type": type_, "DeletionPolicy": "Retain", "Properties": {name_property: name}}}
    assert judge(RETAINED_FIXED_NAME, "R", template) is Status.NON_COMPLIANT
    message = detail(RETAINED_FIXED_NAME, "R", template)
    assert "already exists" in message and "name_suffix" in message and "cdk import" in message


@pytest.mark.parametrize("body", [
    {"Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain", "Properties": {}},  # a generated name
    {"Type": "AWS::S3::Bucket", "DeletionPolicy": "Delete", "Properties": {"BucketName": "scratch"}},
    {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "scratch"}},
    {"Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain", "Properties": {"BucketName": {"Fn::Join": ["-", [
        "data", {"Fn::Select": [2, {"Fn::Split": ["/", {"Ref": "AWS::StackId"}]}]}]]}}},
])
def test_generated_deleted_or_per_stack_names_are_fine(body):
    status = judge(RETAINED_FIXED_NAME, "R", {"R": body})
    assert status in (Status.COMPLIANT, Status.NOT_APPLICABLE)


def test_retain_except_on_create_is_retained_too():
    body = {"Type": "AWS::Logs::LogGroup", "DeletionPolicy": "RetainExceptOnCreate",
            "Properties": {"LogGroupName": "/audit"}}
    assert judge(RETAINED_FIXED_NAME, "R", {"R": body}) is Status.NON_COMPLIANT


# HealthOmics VPC runs: supported zone ids

def omics_template(**subnet_properties: Any) -> dict[str, Any]:
    return {
        "Subnet": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": {"Ref": "Vpc"}, **subnet_properties}},
        "Runs": {"Type": "AWS::Omics::Configuration", "Properties": {"Name": "runs", "RunConfigurations": {
            "VpcConfig": {"SubnetIds": [{"Ref": "Subnet"}], "SecurityGroupIds": [{"Ref": "Sg"}]}}}},
    }


def test_an_unsupported_zone_id_is_reported_and_a_supported_one_is_not():
    assert judge(OMICS_RUN_ZONE_IDS_SUPPORTED, "Runs", omics_template(AvailabilityZoneId="use1-az3")) \
        is Status.NON_COMPLIANT
    assert judge(OMICS_RUN_ZONE_IDS_SUPPORTED, "Runs", omics_template(AvailabilityZoneId="use1-az4")) \
        is Status.COMPLIANT
    # a region whose list was not read is not judged
    assert judge(OMICS_RUN_ZONE_IDS_SUPPORTED, "Runs", omics_template(AvailabilityZoneId="apne1-az1")) \
        is Status.NOT_APPLICABLE


@pytest.mark.parametrize("zone", ["us-east-1a", {"Fn::Select": [0, {"Fn::GetAZs": ""}]}])
def test_subnets_placed_by_zone_name_warn(zone):
    assert judge(OMICS_RUN_ZONES_PINNED, "Runs", omics_template(AvailabilityZone=zone)) is Status.NON_COMPLIANT
    assert detail(OMICS_RUN_ZONES_PINNED, "Runs", omics_template(AvailabilityZone=zone)) == (
        "Subnet pick their zone by name (AvailabilityZone), and zone names map to zone ids differently in each "
        "account; set AvailabilityZoneId to a supported zone id instead")
    assert judge(OMICS_RUN_ZONES_PINNED, "Runs", omics_template(AvailabilityZoneId="use1-az1")) is Status.COMPLIANT


# AWS Config delivery

@pytest.mark.parametrize("lock, expected", [
    ({"ObjectLockEnabled": True}, Status.NON_COMPLIANT),
    ({"ObjectLockEnabled": "true"}, Status.NON_COMPLIANT),
    ({"ObjectLockEnabled": False}, Status.COMPLIANT),
    ({}, Status.COMPLIANT),
])
def test_config_delivery_to_an_object_locked_bucket_is_reported(lock, expected):
    template = {"Bucket": {"Type": "AWS::S3::Bucket", "Properties": lock},
                "Channel": {"Type": "AWS::Config::DeliveryChannel", "Properties": {"S3BucketName": {"Ref": "Bucket"}}}}
    assert judge(CONFIG_DELIVERY_BUCKET_UNLOCKED, "Channel", template) is expected


def test_config_delivery_to_a_bucket_outside_the_template_is_not_judged():
    template = {"Channel": {"Type": "AWS::Config::DeliveryChannel", "Properties": {"S3BucketName": "org-config"}}}
    assert judge(CONFIG_DELIVERY_BUCKET_UNLOCKED, "Channel", template) is Status.NOT_APPLICABLE


@pytest.mark.slow
def test_warning_rules_are_reported_without_failing_and_error_rules_fail(app):
    """Through cdk-nag's plugin: a retained fixed name warns; a lifecycle rule S3 refuses fails synthesis."""
    stack = cdk.Stack(app, "Deploy")
    kept = s3.CfnBucket(stack, "Kept", bucket_name="kept-after-destroy-111122223333")
    kept.apply_removal_policy(cdk.RemovalPolicy.RETAIN)
    result = check_compliance(app)
    assert ("OmicsSecure-RetainedResourceFixedName", "Deploy/Kept") in {
        (w.rule_id, w.construct_path) for pack in result.outcome.packs for w in pack.warnings}
    assert not any(f.rule_id.startswith("OmicsSecure-Retained") for f in result.open_findings)
    kept.lifecycle_configuration = s3.CfnBucket.LifecycleConfigurationProperty(rules=[
        s3.CfnBucket.RuleProperty(status="Enabled", expiration_in_days=30, expired_object_delete_marker=False)])
    assert "OmicsSecure-S3LifecycleRulesAccepted" in check_compliance(app).open_rule_ids()
