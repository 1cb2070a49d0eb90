"""Reading a cloud assembly without jsii: construct paths, acknowledgments, nested stages."""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest

from omics_secure import PhiKey
from omics_secure.compliance import OMICS_SECURE_PACK, evaluate_assembly
from omics_secure.inputs.assembly import Acknowledgment, Annotation, AssemblyError, missing_context, read_assembly


@pytest.mark.parametrize(("written", "rule_id", "recorded"), [
    ("OmicsSecure::OmicsSecure-KMSKeyRetained", "OmicsSecure-KMSKeyRetained", True),
    ("OmicsSecure-KMSKeyRetained", "OmicsSecure-KMSKeyRetained", False),
    ("AwsSolutions-IAM5[Action::s3:*]", "AwsSolutions-IAM5[Action::s3:*]", False),
    ("AwsSolutions::AwsSolutions-IAM5[Action::s3:*]", "AwsSolutions-IAM5[Action::s3:*]", True),
])
def test_acknowledgment_ids(written, rule_id, recorded):
    acknowledgment = Acknowledgment(written, "reason", "S/B")
    assert (acknowledgment.rule_id, acknowledgment.is_recorded) == (rule_id, recorded)


def test_evaluate_assembly_maps_logical_ids_to_paths_and_inherits_acknowledgments(app):
    stage = cdk.Stage(app, "Prod")
    stack = cdk.Stack(stage, "Data")
    first = PhiKey(stack, "First", removal_policy=cdk.RemovalPolicy.DESTROY)
    PhiKey(stack, "Second", removal_policy=cdk.RemovalPolicy.DESTROY)
    cdk.Validations.of(first).acknowledge(cdk.Acknowledgment(
        id="OmicsSecure::OmicsSecure-KMSKeyRetained", reason="scratch key for a disposable stage"))
    app.synth()

    (data,) = read_assembly(app.outdir)
    assert data.name == "Prod/Data"
    findings = evaluate_assembly(OMICS_SECURE_PACK, app.outdir)
    by_path = {f.construct_path: f for f in findings}
    assert set(by_path) == {"Prod/Data/First/Resource", "Prod/Data/Second/Resource"}
    assert by_path["Prod/Data/First/Resource"].acknowledgment.reason == "scratch key for a disposable stage"
    assert by_path["Prod/Data/Second/Resource"].acknowledgment is None
    assert by_path["Prod/Data/Second/Resource"].message == (
        "The KMS key is not retained when its stack is deleted. (DeletionPolicy is Delete)")


def test_a_directory_without_a_manifest_is_not_an_assembly(tmp_path):
    with pytest.raises(AssemblyError, match="not a cloud assembly"):
        read_assembly(tmp_path)


def write_assembly(directory, *, manifest=None, metadata=None, template='{"Resources": {}}'):
    stack = {"type": "aws:cloudformation:stack", "properties": {"templateFile": "S.template.json"},
             "metadata": metadata or {}}
    (directory / "manifest.json").write_text(manifest if manifest is not None
                                             else json.dumps({"artifacts": {"S": stack}}))
    if template is not None:
        (directory / "S.template.json").write_text(template)


def test_annotations_and_creation_stacks_are_read_per_construct_path(tmp_path):
    write_assembly(tmp_path, metadata={
        "/S/Key": [{"type": "aws:cdk:warning", "data": "ends soon [ack: x]"},
                   {"type": "aws:cdk:error", "data": "no steward"},
                   {"type": "aws:cdk:info", "data": {"structured": True}},
                   {"type": "aws:cdk:creationStack", "data": ["...aws-cdk-lib...", "<module> (/src/app.py:9)"]}],
    })
    [stack] = read_assembly(tmp_path)
    assert stack.annotations == (Annotation("warning", "S/Key", "ends soon [ack: x]"),
                                 Annotation("error", "S/Key", "no steward"),
                                 Annotation("info", "S/Key", '{"structured": true}'))
    assert stack.creation_stacks == {"S/Key": ("...aws-cdk-lib...", "<module> (/src/app.py:9)")}


@pytest.mark.parametrize(("parts", "message"), [
    ({"manifest": "{"}, "manifest.json is not valid JSON (Expecting property name"),
    ({"manifest": "[]"}, "manifest.json does not hold a JSON object"),
    ({"manifest": '{"artifacts": ["S"]}'}, "'artifacts' is not an object"),
    ({"manifest": '{"artifacts": {"S": {"type": "aws:cloudformation:stack"}}}'}, "stack 'S' names no templateFile"),
    ({"template": None}, "S.template.json is missing"),
    ({"template": "Resources: {}"}, "S.template.json is not valid JSON"),
    ({"metadata": {"/S": "not a list"}, "template": "\xff"}, "S.template.json is not valid JSON"),
])
def test_a_malformed_part_is_an_assembly_error_naming_the_file(tmp_path_factory, parts, message):
    broken = tmp_path_factory.mktemp("broken")  # outside tmp_path, which the suite cfn-lints after each test
    write_assembly(broken, **parts)
    with pytest.raises(AssemblyError, match=message.replace("(", r"\(").replace("[", r"\[")):
        read_assembly(broken)


def test_missing_context_lists_the_lookups_the_app_could_not_make(tmp_path):
    write_assembly(tmp_path, manifest=json.dumps({"artifacts": {}, "missing": [
        {"key": "vpc-provider:account=1:filter.vpc-id=vpc-1:region=us-east-1", "provider": "vpc-provider"}]}))
    [lookup] = missing_context(tmp_path)
    assert (lookup.key, lookup.provider) == ("vpc-provider:account=1:filter.vpc-id=vpc-1:region=us-east-1",
                                             "vpc-provider")
    assert lookup.placeholders == []


def test_a_missing_lookup_names_its_placeholder_strings(tmp_path):
    write_assembly(tmp_path, manifest=json.dumps({"artifacts": {}, "missing": [
        {"key": "availability-zones:account=1:region=eu-west-1", "provider": "availability-zones",
         "props": {"dummyValue": ["dummy1a", "dummy1b"], "region": "eu-west-1"}},
        {"key": "vpc-provider:x", "provider": "vpc-provider", "props": {"dummyValue": {"vpcId": "vpc-12345",
                                                                                     "subnets": [{"id": "s-1"}]}}}]}))
    assert [lookup.placeholders for lookup in missing_context(tmp_path)] == [["dummy1a", "dummy1b"],
                                                                             ["vpc-12345", "s-1"]]
