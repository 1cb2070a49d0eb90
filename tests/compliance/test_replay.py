"""cdk-nag's packs on templates through a generated app: parts, culprits, variants named, rule failures apart."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from omics_secure.compliance.replay import _culprits, _lower_booleans, parts_of, replay_packs
from omics_secure.inputs.templates import load_templates


def test_a_template_within_the_limit_is_one_part():
    template = {"Resources": {"B": {"Type": "AWS::S3::Bucket"}}}
    assert parts_of(template) == [template]


def test_a_large_template_is_cut_only_between_resources_that_name_no_one_another():
    resources = {**{f"B{i}": {"Type": "AWS::S3::Bucket"} for i in range(600)},
                 **{f"P{i}": {"Type": "AWS::S3::BucketPolicy", "Properties": {"Bucket": {"Ref": f"B{i}"}}}
                    for i in range(600)},
                 "Sub": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": {"Fn::Sub": "${B7.Arn}-topic"}}},
                 "After": {"Type": "AWS::SQS::Queue", "DependsOn": ["B9"]}}
    parts = parts_of({"Parameters": {"X": {"Type": "String"}}, "Resources": resources}, limit=500)
    assert [len(part["Resources"]) for part in parts] == [500, 500, 202]
    assert all(part["Parameters"] == {"X": {"Type": "String"}} for part in parts)
    together = {"B7": "Sub", "B9": "After", **{f"B{i}": f"P{i}" for i in range(600)}}
    for first, second in together.items():
        (holder,) = [part for part in parts if first in part["Resources"]]
        assert second in holder["Resources"], (first, second)


def test_a_group_larger_than_the_limit_stays_whole():
    resources = {f"Q{i}": {"Type": "AWS::SQS::Queue", "DependsOn": [f"Q{i - 1}"] if i else []} for i in range(30)}
    assert [len(part["Resources"]) for part in parts_of({"Resources": resources}, limit=10)] == [30]


@pytest.mark.parametrize(("message", "culprits"), [
    ("Input0Variant0/Template/Role [AWS::IAM::Role] is missing required property: assumeRolePolicyDocument",
     ["Role"]),
    ("Resource used in GetAtt expression with logical ID: 'self:custom' not found", ["UsesCustom"]),
    ("Element used in Ref expression with logical ID: 'Gone' not found", ["RefsGone", "SubsGone"]),
    ("Resolution error: Supplied properties not correct for \"CfnRoleProps\"", []),
])
def test_the_resources_a_refusal_is_about_are_named(message, culprits):
    template = {"Resources": {
        "Role": {"Type": "AWS::IAM::Role"},
        "UsesCustom": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": {"Fn::Join": ["", [
            {"Fn::GetAtt": ["self:custom", "settings.name"]}]]}}},
        "RefsGone": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": {"Ref": "Gone"}}},
        "SubsGone": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "${Gone}-q"}},
    }}
    assert _culprits(template, message) == culprits


def test_booleans_in_cloudformation_spellings_become_what_cfninclude_reads():
    assert _lower_booleans({"A": "True", "B": ["FALSE", "x"], "C": {"D": "true"}}) == {
        "A": "true", "B": ["false", "x"], "C": {"D": "true"}}


@pytest.mark.slow  # runs the generated app (aws-cdk-lib, cdk-nag) in a subprocess
def test_the_packs_name_the_deployments_a_finding_is_in_and_what_they_could_not_read(tmp_path):
    template = tmp_path / "t.yaml"
    template.write_text("""
Parameters:
  Env: {Type: String, Default: prod, AllowedValues: [prod, dev]}
  Cidr: {Type: String}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Resources:
  Data:
    Type: AWS::S3::Bucket
    Properties:
      VersioningConfiguration: {Status: !If [IsProd, Enabled, Suspended]}
  Group:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: from a parameter
      SecurityGroupIngress: [{IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: !Ref Cidr}]
  Broken:
    Type: AWS::SNS::Topic
    Properties: {TopicName: !GetAtt Nowhere.Name}
""")
    (result,) = replay_packs(load_templates([template]), ["HIPAA.Security"], tmp_path / "work")
    versioning = [f for f in result.open_findings if f.rule_id == "HIPAA.Security-S3BucketVersioningEnabled"]
    assert [f.description.split(":", 1)[0] for f in versioning] == ["when Env is dev"]
    (failure,) = [f for f in result.errors if f.rule_id == "HIPAA.Security-EC2RestrictedSSH"]
    assert "SecurityGroupIngress[0].CidrIp" in failure.description and failure.construct_path.endswith("/Group")
    (coverage,) = result.coverage
    assert not coverage.judged and "judged every resource but Broken" in coverage.note
    spec = json.loads((tmp_path / "work" / "replay-spec.json").read_text())
    assert len(spec["inputs"]) == 2  # Env's two values; Cidr, free and deciding nothing, keeps one variant
    assert Path(spec["inputs"][0]["template"]).is_file()
