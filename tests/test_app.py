"""The reference app: clean under every pack, and the logical ids of its stateful resources pinned."""

from __future__ import annotations

import json

import aws_cdk as cdk
from aws_cdk.assertions import Template

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
        "SequenceStore22A689F9": "AWS::Omics::SequenceStore",
        "ReferenceStoreAA6199A7": "AWS::Omics::ReferenceStore",
        "FhirDatastore09962219": "AWS::HealthLake::FHIRDatastore",
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


def test_only_log_and_replica_buckets_and_service_role_wildcards_carry_acknowledgments(app, compliant):
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
    # The HealthOmics run role and the HealthLake job role name object keys under one prefix of the PHI
    # bucket, references of one store and the HealthOmics log group: resource wildcards AWS requires.
    logs = "arn:aws:logs:us-east-1:111122223333:log-group:/aws/omics/WorkflowLog"
    expected_on_service_roles = {
        (f"AwsSolutions-IAM5[Resource::{resource}]", f"OmicsSecurePrimary/{role}/Policy/Resource")
        for role, resource in (
            ("WorkflowRunRole", "<PhiDataE2352BFC.Arn>/inputs/*"),
            ("WorkflowRunRole", "<PhiDataE2352BFC.Arn>/omics-runs/*"),
            ("WorkflowRunRole", "<ReferenceStoreAA6199A7.Arn>/reference/*"),
            ("WorkflowRunRole", f"{logs}:*"),
            ("WorkflowRunRole", f"{logs}:log-stream:*"),
            ("FhirJobRole", "<PhiDataE2352BFC.Arn>/healthlake/import/*"),
            ("FhirJobRole", "<PhiDataE2352BFC.Arn>/healthlake/output/*"),
        )
    }
    assert acknowledged == expected_on_log_buckets | expected_on_replica | expected_on_service_roles


def test_reference_app_has_the_health_services_on_the_data_key(app):
    build_reference_app(app)
    primary = app.node.find_child("OmicsSecurePrimary")
    assert isinstance(primary, cdk.Stack)
    template = Template.from_stack(primary)
    key = {"Fn::GetAtt": ["DataKey17AFBB84", "Arn"]}
    for type_ in ("AWS::Omics::SequenceStore", "AWS::Omics::ReferenceStore"):
        template.has_resource_properties(type_, {"SseConfig": {"Type": "KMS", "KeyArn": key}})
    template.has_resource_properties("AWS::HealthLake::FHIRDatastore", {"SseConfiguration": {
        "KmsEncryptionConfig": {"CmkType": "CUSTOMER_MANAGED_KMS_KEY", "KmsKeyId": key}}})
    template.resource_count_is("AWS::Omics::Workflow", 1)
    template.resource_count_is("AWS::Omics::RunGroup", 1)
