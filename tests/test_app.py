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
        "AccessLogs247031D9": "AWS::S3::Bucket",
        "PhiDataE2352BFC": "AWS::S3::Bucket",
    },
    "OmicsSecureReplica": {
        "AccessLogs247031D9": "AWS::S3::Bucket",
        "PhiDataReplicaKeyCF5D8F0A": "AWS::KMS::Key",
        "PhiDataReplica7FD31539": "AWS::S3::Bucket",
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


def test_context_configures_replica_region(tmp_path):
    app = cdk.App(outdir=str(tmp_path), context={"omics-secure:replica-region": "eu-central-1"})  # no flags
    assert ReferenceConfig.from_context(app).replica_region == "eu-central-1"
    assert ReferenceConfig().replica_region == "us-west-2"
    build_reference_app(app)
    replica = app.node.find_child("OmicsSecureReplica")
    assert isinstance(replica, cdk.Stack) and replica.region == "eu-central-1"


def test_only_access_log_and_replica_buckets_carry_acknowledgments(app, compliant):
    build_reference_app(app)
    acknowledged = {(f.rule_id, f.construct_path) for f in compliant(app).acknowledged_findings}
    expected_on_log_buckets = {
        (f"{pack}-{rule}", f"{stack}/AccessLogs/Resource/Resource")
        for pack in ("HIPAA.Security", "NIST.800.53.R5")
        for rule in ("S3DefaultEncryptionKMS", "S3BucketReplicationEnabled")
        for stack in ("OmicsSecurePrimary", "OmicsSecureReplica")
    }
    # S3 refuses a replication rule whose destination does not exist yet, so the replica cannot be
    # replicated again by CloudFormation; that is the only acknowledgment outside the log buckets.
    expected_on_replica = {
        (f"{pack}-S3BucketReplicationEnabled", "OmicsSecureReplica/PhiDataReplica/Resource/Resource")
        for pack in ("HIPAA.Security", "NIST.800.53.R5")
    }
    assert acknowledged == expected_on_log_buckets | expected_on_replica
