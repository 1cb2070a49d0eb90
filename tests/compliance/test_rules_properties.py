"""Property: every rule returns a verdict on any shape a template can give it, and none raises.

Resources of every type the pack judges (from the corpus, plus the types the corpus lacks) get one or
more values, at any depth, replaced with an Fn::If on an undecided condition, a Ref to a parameter
(with or without a default), an Fn::Sub, an intrinsic the layer does not know, a list where a map is
expected, a map where a list is expected, null, or a scalar of another type.
"""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from omics_secure.compliance.model import Resource, Status, TemplateIndex
from omics_secure.compliance.packs import OMICS_SECURE_PACK
from omics_secure.inputs.templates import load_template
from omics_secure.inputs.values import TemplateValues

CORPUS = Path(__file__).parent.parent / "corpus"
JUDGED_TYPES = frozenset(t for rule in OMICS_SECURE_PACK.rules for t in rule.resource_types)
EXTRA_RESOURCES = {
    "Vault": {"Type": "AWS::Backup::BackupVault", "Properties": {
        "BackupVaultName": "v", "EncryptionKeyArn": {"Fn::GetAtt": ["Key", "Arn"]},
        "LockConfiguration": {"MinRetentionDays": 35, "MaxRetentionDays": 3650, "ChangeableForDays": 3}}},
    "Variants": {"Type": "AWS::Omics::VariantStore", "Properties": {
        "Name": "v", "Reference": {"ReferenceArn": "arn"}, "SseConfig": {"Type": "KMS", "KeyArn": "k"}}},
    "Annotations": {"Type": "AWS::Omics::AnnotationStore", "Properties": {
        "Name": "a", "StoreFormat": "VCF", "SseConfig": {"Type": "KMS", "KeyArn": {"Ref": "Key"}}}},
    "Key": {"Type": "AWS::KMS::Key", "DeletionPolicy": "Retain", "Properties": {"EnableKeyRotation": True}},
    # The types the deploy-time and people-access rules judge, with the properties those rules read.
    "Data": {"Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain", "Properties": {
        "BucketName": "data", "ObjectLockEnabled": True,
        "Tags": [{"Key": "omics-secure:data-classification", "Value": "phi"}],
        "BucketEncryption": {"ServerSideEncryptionConfiguration": [{"BucketKeyEnabled": True,
                                                                   "ServerSideEncryptionByDefault": {
            "SSEAlgorithm": "aws:kms", "KMSMasterKeyID": {"Fn::GetAtt": ["Key", "Arn"]}}}]},
        "LifecycleConfiguration": {"Rules": [{"Id": "markers", "Status": "Enabled", "ExpiredObjectDeleteMarker": True,
                                              "NoncurrentVersionExpiration": {"NoncurrentDays": 30}}]},
        "ReplicationConfiguration": {"Role": {"Fn::GetAtt": ["Researcher", "Arn"]}, "Rules": [{
            "Id": "r", "Status": "Enabled", "Destination": {
                "Bucket": "arn:aws:s3:::replica", "EncryptionConfiguration": {
                    "ReplicaKmsKeyID": {"Fn::GetAtt": ["Key", "Arn"]}}}}]}}},
    "Researcher": {"Type": "AWS::IAM::Role", "DeletionPolicy": "Retain", "Properties": {
        "RoleName": "researcher", "AssumeRolePolicyDocument": {"Statement": [{
            "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "sts:AssumeRole",
            "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"},
                          "DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}}]},
        "Policies": [{"PolicyName": "read", "PolicyDocument": {"Statement": [{
            "Effect": "Allow", "Action": ["s3:GetObject", "kms:Decrypt"], "Resource": "*"}]}}]}},
    "Person": {"Type": "AWS::IAM::User", "Properties": {"UserName": "person"}},
    "PersonKey": {"Type": "AWS::IAM::AccessKey", "Properties": {"UserName": {"Ref": "Person"}}},
    "DataPoint": {"Type": "AWS::S3::AccessPoint", "Properties": {
        "Bucket": {"Ref": "Data"}, "VpcConfiguration": {"VpcId": "vpc-1"},
        "PublicAccessBlockConfiguration": {"BlockPublicAcls": True, "IgnorePublicAcls": True,
                                           "BlockPublicPolicy": True, "RestrictPublicBuckets": True},
        "Policy": {"Statement": [{"Effect": "Allow", "Principal": {"AWS": {"Fn::GetAtt": ["Researcher", "Arn"]}},
                                  "Action": "s3:GetObject", "Resource": "*"}]}}},
    "Alerts": {"Type": "AWS::SNS::TopicPolicy", "Properties": {
        "Topics": ["arn:aws:sns:us-east-1:111122223333:alerts"], "PolicyDocument": {"Statement": [{
            "Sid": "publish", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/researcher"},
            "Action": "sns:Publish", "Resource": "*"}]}}},
    "Samples": {"Type": "AWS::DynamoDB::Table", "DeletionPolicy": "Retain", "Properties": {
        "TableName": "samples", "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}], "BillingMode": "PAY_PER_REQUEST"}},
    "Images": {"Type": "AWS::ECR::Repository", "DeletionPolicy": "RetainExceptOnCreate", "Properties": {
        "RepositoryName": {"Fn::Sub": "images-${AWS::StackName}"}}},
    "Credentials": {"Type": "AWS::SecretsManager::Secret", "DeletionPolicy": "Retain", "Properties": {
        "Name": {"Fn::Sub": "db-${AWS::StackId}"}}},
    "KeyAlias": {"Type": "AWS::KMS::Alias", "DeletionPolicy": "Retain", "Properties": {
        "AliasName": "alias/phi", "TargetKeyId": {"Ref": "Key"}}},
    "Events": {"Type": "AWS::Kinesis::Stream", "DeletionPolicy": "Retain", "Properties": {
        "Name": "events", "ShardCount": 1}},
    "Database": {"Type": "AWS::RDS::DBInstance", "DeletionPolicy": "Snapshot", "Properties": {
        "DBInstanceIdentifier": "db", "DBInstanceClass": "db.t3.micro", "Engine": "postgres"}},
    "Cluster": {"Type": "AWS::RDS::DBCluster", "DeletionPolicy": "Retain", "Properties": {
        "DBClusterIdentifier": "cluster", "Engine": "aurora-postgresql"}},
    "ZoneA": {"Type": "AWS::EC2::Subnet", "Properties": {
        "VpcId": "vpc-1", "CidrBlock": "10.0.0.0/24", "AvailabilityZoneId": "use1-az1"}},
    "ZoneB": {"Type": "AWS::EC2::Subnet", "Properties": {
        "VpcId": "vpc-1", "CidrBlock": "10.0.1.0/24", "AvailabilityZone": "us-east-1c"}},
    "Runs": {"Type": "AWS::Omics::Configuration", "Properties": {"Name": "runs", "RunConfigurations": {
        "VpcConfig": {"SecurityGroupIds": ["sg-1"], "SubnetIds": [{"Ref": "ZoneA"}, {"Ref": "ZoneB"}]}}}},
    "Recorder": {"Type": "AWS::Config::DeliveryChannel", "Properties": {"S3BucketName": {"Ref": "Data"}}},
    "RegionLock": {"Type": "AWS::Organizations::Policy", "Properties": {
        "Name": "region-lock", "Type": "SERVICE_CONTROL_POLICY", "TargetIds": ["ou-ab12-cd34ef56"],
        "Content": {"Version": "2012-10-17", "Statement": [{
            "Effect": "Deny", "NotAction": ["iam:*"], "Resource": "*",
            "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["us-east-1"]}}}]}}},
    "Nested": {"Type": "AWS::CloudFormation::Stack", "Properties": {
        "TemplateURL": "https://s3.amazonaws.com/templates/nested.json", "Parameters": {"Key": {"Ref": "Key"}}}},
}
PARAMETERS = {"WithDefault": {"Type": "String", "Default": "true"}, "NoDefault": {"Type": "String"},
              "Listed": {"Type": "CommaDelimitedList", "Default": "a,b"}}
CONDITIONS = {"Undecided": {"Fn::Equals": [{"Ref": "NoDefault"}, "x"]},
              "Decided": {"Fn::Equals": [{"Ref": "WithDefault"}, "true"]}}


@functools.cache
def seeds() -> list[dict[str, Any]]:
    """The corpus templates and EXTRA_RESOURCES, read when a test first draws (not at collection: decoding
    them imports cfn-lint, 1.5 s of every worker's start even when -m "not slow" runs none of these tests)."""
    templates = [dict(load_template(path).template) for path in sorted(CORPUS.iterdir())]
    templates.append({"Resources": EXTRA_RESOURCES})
    return templates


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


def _replace(body: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    parent = body
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = new
    return body


scalars = st.one_of(st.none(), st.booleans(), st.integers(-2, 70000), st.sampled_from(
    ["", "*", "true", "True", "false", "Enabled", "0.0.0.0/0", "::/0", "aws:kms", "arn:aws:s3:::b/", "s3:*",
     "required", "Retain", "ALL", "Interface", "KMS", "phi", "1.2"]), st.text(max_size=8))


def _shapes(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.builds(lambda a, b: {"Fn::If": ["Undecided", a, b]}, inner, inner),
        st.builds(lambda a: {"Fn::If": ["Decided", a, {"Ref": "AWS::NoValue"}]}, inner),
        st.sampled_from([{"Ref": "WithDefault"}, {"Ref": "NoDefault"}, {"Ref": "Listed"}, {"Ref": "AWS::NoValue"},
                         {"Ref": "AWS::Region"}, {"Ref": "Key"}, {"Fn::GetAtt": ["Key", "Arn"]},
                         {"Fn::ImportValue": "Shared"}, {"Fn::Sub": "arn:${AWS::Partition}:s3:::${NoDefault}/"},
                         {"Fn::Sub": ["${X}", {"X": {"Ref": "WithDefault"}}]}, {"Fn::Sub": "${Key.Arn}"},
                         {"Fn::Join": ["", ["a", {"Ref": "NoDefault"}]]}, {"Fn::Select": [5, []]},
                         {"Fn::Unknown": [1, 2]}, {"Fn::GetAtt": "Key"}, {"Ref": ["not", "a", "name"]},
                         {"Fn::If": "malformed"}, {"Fn::Sub": 42}, {"Fn::FindInMap": ["M", "a", "b"]}]),
        st.builds(lambda a: [a], inner),
        st.builds(lambda a: {"Key": a}, inner),
        inner,
    )


values = st.recursive(scalars, _shapes, max_leaves=6)


@st.composite
def mutated_templates(draw: st.DrawFn) -> dict[str, Any]:
    template = copy.deepcopy(draw(st.sampled_from(seeds())))
    resources = template["Resources"]
    judged = sorted(lid for lid, body in resources.items() if body.get("Type") in JUDGED_TYPES)
    for _ in range(draw(st.integers(1, 3))):
        logical_id = draw(st.sampled_from(judged))
        body = resources[logical_id]
        paths = [p for p in _paths(body) if p and p[0] != "Type"]
        path = draw(st.sampled_from(paths)) if paths else ("Properties",)
        _replace(body, path, copy.deepcopy(draw(values)))
    template["Parameters"] = {**(template.get("Parameters") or {}), **PARAMETERS}
    template["Conditions"] = {**(template.get("Conditions") or {}), **CONDITIONS}
    return template


def test_the_seeds_hold_every_resource_type_the_pack_judges():
    seeded = {body.get("Type") for template in seeds() for body in template["Resources"].values()}
    assert seeded >= JUDGED_TYPES


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_templates())
def test_every_rule_returns_a_verdict_and_none_raises(template):
    resources = template["Resources"]
    index = TemplateIndex(resources)
    template_values = TemplateValues(template)
    for logical_id, body in resources.items():
        resource = Resource.from_template(logical_id, body, resources, index, template_values)
        for rule in OMICS_SECURE_PACK.rules:
            verdict = rule.evaluate(resource)  # not engine.judge: an exception here fails the test
            assert verdict.status in Status and verdict.status is not Status.ERROR
            assert isinstance(verdict.detail, str)
            if verdict.status in (Status.NON_COMPLIANT, Status.CANNOT_JUDGE):
                assert verdict.detail, f"{rule.id} on {logical_id} gave no detail"
