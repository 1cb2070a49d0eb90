"""Reading a cloud assembly without jsii: construct paths, acknowledgments, nested stages."""

from __future__ import annotations

import aws_cdk as cdk
import pytest

from omics_secure import PhiKey
from omics_secure.compliance import OMICS_SECURE_PACK, evaluate_assembly
from omics_secure.compliance.assembly import Acknowledgment, read_assembly


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
    with pytest.raises(FileNotFoundError, match="not a cloud assembly"):
        read_assembly(tmp_path)
