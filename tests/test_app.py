"""The reference app: clean under every pack, and the logical ids of its stateful resources pinned."""

from __future__ import annotations

import json

import aws_cdk as cdk

from omics_secure.compliance.assembly import read_assembly
from omics_secure.stacks import build_reference_app
from omics_secure.stacks.reference import ReferenceConfig

# Renaming any of these replaces a deployed resource; for a key or a bucket that is data loss.
# Change this list only together with a migration note.
STATEFUL_TYPES = {
    "AWS::KMS::Key", "AWS::S3::Bucket", "AWS::Logs::LogGroup", "AWS::CloudTrail::Trail",
    "AWS::Omics::SequenceStore", "AWS::Omics::ReferenceStore", "AWS::Omics::VariantStore",
    "AWS::Omics::AnnotationStore", "AWS::HealthLake::FHIRDatastore",
}
PINNED_STATEFUL_LOGICAL_IDS = {
    "OmicsSecurePrimary": {
        "DataKey17AFBB84": "AWS::KMS::Key",
    },
}


def stateful_logical_ids(assembly_dir) -> dict[str, dict[str, str]]:
    return {
        stack.name: {
            logical_id: body["Type"]
            for logical_id, body in stack.resources.items()
            if body["Type"] in STATEFUL_TYPES
        }
        for stack in read_assembly(assembly_dir)
    }


def test_reference_app_passes_every_pack_and_cfn_lint(app, compliant):
    build_reference_app(app)
    compliant(app)


def test_stateful_logical_ids_are_pinned(app):
    build_reference_app(app)
    assembly = app.synth()
    assert stateful_logical_ids(assembly.directory) == PINNED_STATEFUL_LOGICAL_IDS, (
        "a stateful resource's logical id changed: deploying this replaces it. Current ids:\n"
        + json.dumps(stateful_logical_ids(assembly.directory), indent=2)
    )


def test_stateful_resources_are_retained(app):
    build_reference_app(app)
    for stack in read_assembly(app.synth().directory):
        for logical_id, body in stack.resources.items():
            if body["Type"] in STATEFUL_TYPES:
                assert body.get("DeletionPolicy") == "Retain", f"{stack.name}/{logical_id} is not retained"


def test_context_configures_account_and_region(tmp_path):
    app = cdk.App(outdir=str(tmp_path), context={"omics-secure:account": "444455556666",
                                                 "omics-secure:region": "eu-west-1"})
    assert ReferenceConfig.from_context(app) == ReferenceConfig(account="444455556666", region="eu-west-1")
    assert ReferenceConfig.from_context(cdk.App(outdir=str(tmp_path / "d"))) == ReferenceConfig()
