"""Each HealthOmics/HealthLake rule on a compliant and a non-compliant resource, as the template states it."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import aws_healthlake as healthlake
from aws_cdk import aws_iam as iam
from aws_cdk import aws_omics as omics

from omics_secure.compliance.controls import CONTROL_IDS, DBGAP, HIPAA, NIST_800_53, NIST_800_171
from omics_secure.compliance.model import Resource, Status
from omics_secure.compliance.packs import OMICS_SECURE_PACK
from omics_secure.compliance.rules.omics import (
    HEALTHLAKE_DATASTORE_CUSTOMER_MANAGED_KEY,
    OMICS_RULES,
    OMICS_RUN_ROLE_NO_WILDCARD_DATA_ACCESS,
    OMICS_STORE_CUSTOMER_MANAGED_KEY,
    SEQUENCE_STORE_ACCESS_LOGGING,
    is_omics_run_role,
)
from tests.harness import check_compliance

KEY_ARN = {"Fn::GetAtt": ["Key", "Arn"]}
OMICS_TRUST = {"Statement": [{"Effect": "Allow", "Principal": {"Service": "omics.amazonaws.com"},
                              "Action": "sts:AssumeRole"}]}
BUCKET_OBJECTS = {"Fn::Join": ["", [{"Fn::GetAtt": ["Data", "Arn"]}, "/runs/*"]]}


def status(rule, resource: Resource) -> Status:
    return rule.evaluate(resource).status


def detail(rule, resource: Resource) -> str:
    return rule.evaluate(resource).detail


def store(type_: str, properties: dict[str, Any]) -> Resource:
    return Resource(logical_id="Store", type=type_, properties=properties)


def role(policy: dict[str, Any] | None = None, *, trust: dict[str, Any] = OMICS_TRUST,
         attached: dict[str, Any] | None = None, managed_arns: list[Any] | None = None) -> Resource:
    properties: dict[str, Any] = {"AssumeRolePolicyDocument": trust}
    if policy is not None:
        properties["Policies"] = [{"PolicyName": "inline", "PolicyDocument": policy}]
    if managed_arns is not None:
        properties["ManagedPolicyArns"] = managed_arns
    template: dict[str, Any] = {"Role": {"Type": "AWS::IAM::Role", "Properties": properties}}
    if attached is not None:
        template["Attached"] = {"Type": "AWS::IAM::ManagedPolicy",
                                "Properties": {"Roles": [{"Ref": "Role"}], "PolicyDocument": attached}}
    return Resource(logical_id="Role", type="AWS::IAM::Role", properties=properties, template_resources=template)


def allow(actions: Any, resource: Any) -> dict[str, Any]:
    return {"Statement": [{"Effect": "Allow", "Action": actions, "Resource": resource}]}


def test_every_omics_rule_is_in_the_pack_maps_to_catalogue_controls_and_ignores_other_types():
    assert set(OMICS_RULES) <= set(OMICS_SECURE_PACK.rules)
    bucket = Resource(logical_id="B", type="AWS::S3::Bucket", properties={})
    for rule in OMICS_RULES:
        assert rule.evaluate(bucket).status is Status.NOT_APPLICABLE
        controls = rule.controls
        assert controls.hipaa and controls.nist_800_53_r5 and controls.nist_800_171_r2 and controls.dbgap
        assert set(controls.hipaa) <= CONTROL_IDS[HIPAA]
        assert set(controls.nist_800_53_r5) <= CONTROL_IDS[NIST_800_53]
        assert set(controls.nist_800_171_r2) <= CONTROL_IDS[NIST_800_171]
        assert set(controls.dbgap) <= CONTROL_IDS[DBGAP]
        assert rule.finding.endswith(".") and rule.explanation


# OmicsStoreCustomerManagedKey

@pytest.mark.parametrize("type_", ["AWS::Omics::SequenceStore", "AWS::Omics::ReferenceStore",
                                   "AWS::Omics::VariantStore", "AWS::Omics::AnnotationStore"])
def test_omics_store_with_a_key_arn_is_compliant(type_):
    assert status(OMICS_STORE_CUSTOMER_MANAGED_KEY, store(type_, {"SseConfig": {"Type": "KMS", "KeyArn": KEY_ARN}})) \
        is Status.COMPLIANT


@pytest.mark.parametrize("properties, expected", [
    ({}, "no SseConfig"),
    ({"SseConfig": {"Type": "KMS"}}, "names no KeyArn"),
    ({"SseConfig": {"Type": "KMS", "KeyArn": ""}}, "names no KeyArn"),
])
@pytest.mark.parametrize("type_", ["AWS::Omics::SequenceStore", "AWS::Omics::VariantStore"])
def test_omics_store_on_an_aws_owned_key_is_non_compliant(type_, properties, expected):
    resource = store(type_, properties)
    assert status(OMICS_STORE_CUSTOMER_MANAGED_KEY, resource) is Status.NON_COMPLIANT
    assert expected in detail(OMICS_STORE_CUSTOMER_MANAGED_KEY, resource)


# HealthLakeDatastoreCustomerManagedKey

def fhir(config: dict[str, Any] | None) -> Resource:
    properties: dict[str, Any] = {"DatastoreTypeVersion": "R4"}
    if config is not None:
        properties["SseConfiguration"] = {"KmsEncryptionConfig": config}
    return store("AWS::HealthLake::FHIRDatastore", properties)


def test_fhir_datastore_with_a_customer_managed_key_is_compliant():
    resource = fhir({"CmkType": "CUSTOMER_MANAGED_KMS_KEY", "KmsKeyId": KEY_ARN})
    assert status(HEALTHLAKE_DATASTORE_CUSTOMER_MANAGED_KEY, resource) is Status.COMPLIANT


@pytest.mark.parametrize("config, expected", [
    (None, "no SseConfiguration"),
    ({"CmkType": "AWS_OWNED_KMS_KEY"}, "CmkType is AWS_OWNED_KMS_KEY"),
    ({"CmkType": "CUSTOMER_MANAGED_KMS_KEY"}, "without KmsKeyId"),
])
def test_fhir_datastore_on_an_aws_owned_key_is_non_compliant(config, expected):
    assert status(HEALTHLAKE_DATASTORE_CUSTOMER_MANAGED_KEY, fhir(config)) is Status.NON_COMPLIANT
    assert expected in detail(HEALTHLAKE_DATASTORE_CUSTOMER_MANAGED_KEY, fhir(config))


# OmicsSequenceStoreAccessLogging

def test_sequence_store_with_an_access_log_location_is_compliant():
    location = {"Fn::Join": ["", ["s3://", {"Ref": "Logs"}, "/omics/reads/"]]}
    resource = store("AWS::Omics::SequenceStore", {"AccessLogLocation": location})
    assert status(SEQUENCE_STORE_ACCESS_LOGGING, resource) is Status.COMPLIANT
    assert status(SEQUENCE_STORE_ACCESS_LOGGING, store("AWS::Omics::ReferenceStore", {})) is Status.NOT_APPLICABLE


@pytest.mark.parametrize("properties", [{}, {"AccessLogLocation": ""}])
def test_sequence_store_without_access_logs_is_non_compliant(properties):
    resource = store("AWS::Omics::SequenceStore", properties)
    assert status(SEQUENCE_STORE_ACCESS_LOGGING, resource) is Status.NON_COMPLIANT
    assert "no AccessLogLocation" in detail(SEQUENCE_STORE_ACCESS_LOGGING, resource)


# OmicsRunRoleNoWildcardDataAccess

def test_only_roles_healthomics_can_assume_are_judged():
    ec2_trust = {"Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                "Action": "sts:AssumeRole"}]}
    ec2_role = role(allow("s3:*", "*"), trust=ec2_trust)
    assert not is_omics_run_role(ec2_role)
    assert status(OMICS_RUN_ROLE_NO_WILDCARD_DATA_ACCESS, ec2_role) is Status.NOT_APPLICABLE
    assert is_omics_run_role(role())


def test_run_role_with_named_actions_on_named_resources_is_compliant():
    policy = {"Statement": [
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": BUCKET_OBJECTS},
        {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": KEY_ARN},
        {"Effect": "Allow", "Action": ["omics:GetReference"],
         "Resource": {"Fn::Join": ["", [{"Fn::GetAtt": ["Refs", "Arn"]}, "/reference/*"]]}},
        # Logs are not data access; their wildcards are judged by AwsSolutions-IAM5.
        {"Effect": "Allow", "Action": "logs:CreateLogStream", "Resource": "arn:aws:logs:us-east-1:1:log-group:*"},
        {"Effect": "Deny", "Action": "s3:*", "Resource": "*"},
    ]}
    assert status(OMICS_RUN_ROLE_NO_WILDCARD_DATA_ACCESS, role(attached=policy)) is Status.COMPLIANT
    assert status(OMICS_RUN_ROLE_NO_WILDCARD_DATA_ACCESS, role(policy)) is Status.COMPLIANT


@pytest.mark.parametrize("policy, expected", [
    (allow("s3:*", BUCKET_OBJECTS), "wildcard actions s3:*"),
    (allow(["s3:Get*", "s3:PutObject"], BUCKET_OBJECTS), "wildcard actions s3:Get*"),
    (allow(["s3:Get*", "s3:Put*"], BUCKET_OBJECTS), "wildcard actions s3:Get*, s3:Put*"),
    (allow("*", BUCKET_OBJECTS), "wildcard actions *"),
    (allow("kms:Decrypt", "*"), "allows kms:Decrypt on every resource"),
    (allow("kms:Decrypt", "arn:aws:kms:us-east-1:111122223333:key/*"), "on every resource"),
    (allow("s3:GetObject", "arn:aws:s3:::*"), "on every resource"),
    (allow("s3:GetObject", {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::*/*"]]}),
     "on every resource"),
    (allow("omics:GetReadSet", "arn:aws:omics:us-east-1:111122223333:sequenceStore/*"), "on every resource"),
    (allow("healthlake:ReadResource", "*"), "on every resource"),
    ({"Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": BUCKET_OBJECTS}]}, "uses NotAction"),
    ({"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "NotResource": BUCKET_OBJECTS}]},
     "on every resource"),
])
@pytest.mark.parametrize("where", ["inline", "attached"])
def test_run_role_with_wildcard_data_access_is_non_compliant(policy, expected, where):
    resource = role(policy) if where == "inline" else role(attached=policy)
    assert status(OMICS_RUN_ROLE_NO_WILDCARD_DATA_ACCESS, resource) is Status.NON_COMPLIANT
    assert expected in detail(OMICS_RUN_ROLE_NO_WILDCARD_DATA_ACCESS, resource)


def test_run_role_with_a_broad_aws_managed_policy_is_non_compliant():
    arn = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::aws:policy/AmazonS3ReadOnlyAccess"]]}
    resource = role(managed_arns=[arn])
    assert status(OMICS_RUN_ROLE_NO_WILDCARD_DATA_ACCESS, resource) is Status.NON_COMPLIANT
    assert "AmazonS3ReadOnlyAccess" in detail(OMICS_RUN_ROLE_NO_WILDCARD_DATA_ACCESS, resource)
    narrow = role(managed_arns=["arn:aws:iam::aws:policy/CloudWatchLogsReadOnlyAccess"])
    assert status(OMICS_RUN_ROLE_NO_WILDCARD_DATA_ACCESS, narrow) is Status.COMPLIANT


def test_run_role_judged_through_a_managed_policy_it_lists_in_managed_policy_arns():
    properties = {"AssumeRolePolicyDocument": OMICS_TRUST, "ManagedPolicyArns": [{"Ref": "Broad"}]}
    template = {"Broad": {"Type": "AWS::IAM::ManagedPolicy",
                          "Properties": {"PolicyDocument": allow("s3:*", "*")}}}
    resource = Resource(logical_id="Role", type="AWS::IAM::Role", properties=properties,
                        template_resources=template)
    assert status(OMICS_RUN_ROLE_NO_WILDCARD_DATA_ACCESS, resource) is Status.NON_COMPLIANT


# The rules fire in a synthesized app (the pack is wired into cdk-nag), on escape-hatch L1 resources.

@pytest.mark.slow
def test_rules_report_aws_owned_keys_unlogged_stores_and_wildcard_run_roles(stack):
    omics.CfnSequenceStore(stack, "Reads", name="reads", sse_config=omics.CfnSequenceStore.SseConfigProperty(
        type="KMS"))
    omics.CfnReferenceStore(stack, "Refs", name="refs")
    healthlake.CfnFHIRDatastore(stack, "Fhir", datastore_type_version="R4")
    run_role = iam.Role(stack, "RunRole", assumed_by=iam.ServicePrincipal("omics.amazonaws.com"))
    run_role.add_to_policy(iam.PolicyStatement(actions=["s3:*"], resources=["*"]))
    opened = check_compliance(stack).open_rule_ids()
    assert {
        "OmicsSecure-OmicsStoreCustomerManagedKey",
        "OmicsSecure-HealthLakeDatastoreCustomerManagedKey",
        "OmicsSecure-OmicsSequenceStoreAccessLogging",
        "OmicsSecure-OmicsRunRoleNoWildcardDataAccess",
    } <= opened
