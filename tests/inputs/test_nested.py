"""Nested stacks are inputs like any other: in a cloud assembly, and in templates that name a local file."""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

from omics_secure.compliance import OMICS_SECURE_PACK, evaluate_stack
from omics_secure.inputs.assembly import read_assembly, stacks_for_template
from omics_secure.inputs.templates import TemplateError, load_template, load_templates


def nested_app(app: cdk.App) -> cdk.App:
    parent = cdk.Stack(app, "Parent")
    key = kms.Key(parent, "ParentKey", enable_key_rotation=True)
    data = cdk.NestedStack(parent, "Data")
    inner = cdk.NestedStack(data, "Inner")
    s3.Bucket(data, "Cohort", encryption=s3.BucketEncryption.KMS, encryption_key=key)
    kms.Key(inner, "InnerKey")
    app.synth()
    return app


def test_every_nested_template_of_an_assembly_is_a_stack_with_its_construct_paths(app):
    stacks = {stack.name: stack for stack in read_assembly(nested_app(app).outdir)}
    assert list(stacks) == ["Parent", "Parent/Data", "Parent/Data/Inner"]
    data, inner = stacks["Parent/Data"], stacks["Parent/Data/Inner"]
    assert data.nested_in == "Parent" and inner.nested_in == "Parent/Data"
    cohort = next(logical_id for logical_id in data.resources if logical_id.startswith("Cohort"))
    assert data.construct_paths[cohort] == "Parent/Data/Cohort/Resource"
    assert list(inner.construct_paths.values()) == ["Parent/Data/Inner/InnerKey/Resource"]
    resource = stacks["Parent"].resources[data.nested_resource]
    assert resource["Type"] == "AWS::CloudFormation::Stack"
    # The nested stack's parameters are the parent's key, passed as a reference: known only at deployment.
    assert any("Fn::GetAtt" in json.dumps(value) for value in data.parameter_bindings.values())
    # Nothing of the parent's own resources is counted again in a nested stack, nor the reverse.
    assert not set(stacks["Parent"].construct_paths.values()) & set(data.construct_paths.values())


def test_findings_in_a_nested_stack_name_the_nested_construct(app):
    stacks = {stack.name: stack for stack in read_assembly(nested_app(app).outdir)}
    findings = {(f.construct_path, f.rule.id) for f in evaluate_stack(OMICS_SECURE_PACK, stacks["Parent/Data/Inner"])}
    assert ("Parent/Data/Inner/InnerKey/Resource", "KMSKeyRotationEnabled") in findings


def test_the_plugin_reads_nested_templates_beside_the_top_level_one(app):
    outdir = nested_app(app).outdir
    names = [stack.name for stack in stacks_for_template(f"{outdir}/Parent.template.json")]
    assert names == ["Parent", "Parent/Data", "Parent/Data/Inner"]


def test_a_nested_template_the_assembly_cannot_give_is_recorded_on_its_parent(app):
    outdir = nested_app(app).outdir
    nested_files = [path for path in __import__("pathlib").Path(outdir).glob("*.nested.template.json")]
    for path in nested_files:
        path.unlink()
    (parent,) = read_assembly(outdir)
    (reason,) = parent.unread_nested.values()
    assert "is missing" in reason
    findings = [f for f in evaluate_stack(OMICS_SECURE_PACK, parent) if f.rule.id == "NestedStackJudged"]
    assert findings and "its template was not read" in findings[0].message


PARENT = """
Parameters:
  Rotate: {Type: String, Default: "false"}
Resources:
  Data:
    Type: AWS::CloudFormation::Stack
    Properties:
      TemplateURL: @@URL@@
      Parameters: {Rotation: !Ref Rotate, Fixed: "true"}
"""
CHILD = """
Parameters:
  Rotation: {Type: String}
  Fixed: {Type: String}
Resources:
  Key:
    Type: AWS::KMS::Key
    Properties:
      EnableKeyRotation: !Ref Fixed
      KeyPolicy: {Statement: []}
"""


def test_a_template_follows_a_nested_template_beside_it(tmp_path):
    (tmp_path / "child.yaml").write_text(CHILD)
    (tmp_path / "parent.yaml").write_text(PARENT.replace("@@URL@@", "./child.yaml"))
    parent, child = load_templates([tmp_path / "parent.yaml"])
    assert child.name == f"{tmp_path / 'parent.yaml'}/Data" and child.nested_in == parent.name
    assert child.construct_path("Key") == f"{tmp_path / 'parent.yaml'}/Data/Key"
    # A value the parent passes for certain pins the nested parameter; one that varies does not.
    assert child.parameters == {"Fixed": "true"}
    assert not [f for f in evaluate_stack(OMICS_SECURE_PACK, child) if f.rule.id == "KMSKeyRotationEnabled"]


@pytest.mark.parametrize(("url", "reason"), [
    ("https://s3.amazonaws.com/bucket/child.yaml", "is not a local file"),
    ("../outside.yaml", "resolves outside"),
    ("missing.yaml", "does not exist"),
    ("!Sub 'https://${AWS::Region}.example/child.yaml'", "built at deploy time"),
])
def test_a_nested_template_that_cannot_be_read_is_recorded_not_followed(tmp_path, url, reason):
    (tmp_path / "outside.yaml").write_text(CHILD)
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "parent.yaml").write_text(PARENT.replace("@@URL@@", url))
    (parent,) = load_templates([templates / "parent.yaml"])
    assert reason in parent.unread_nested["Data"]
    finding = next(f for f in evaluate_stack(OMICS_SECURE_PACK, parent) if f.rule.id == "NestedStackJudged")
    assert finding.severity == "warning" and reason in finding.message


def test_a_template_that_nests_itself_stops(tmp_path):
    (tmp_path / "loop.yaml").write_text(PARENT.replace("@@URL@@", "./loop.yaml").replace("Rotation: !Ref Rotate, ", ""))
    stacks = load_templates([tmp_path / "loop.yaml"])
    assert len(stacks) == 17 and "past the 16 levels" in stacks[-1].unread_nested["Data"]


def test_a_nested_template_that_is_not_a_template_is_recorded(tmp_path):
    (tmp_path / "child.yaml").write_text("Description: no resources\n")
    (tmp_path / "parent.yaml").write_text(PARENT.replace("@@URL@@", "child.yaml"))
    (parent,) = load_templates([tmp_path / "parent.yaml"])
    assert "no Resources section" in parent.unread_nested["Data"]
    with pytest.raises(TemplateError, match="no Resources section"):
        load_template(tmp_path / "child.yaml")
