"""Image repositories, workflow registry maps, workflow versions and run caches: every guarantee, every error,
and a stack of all of them clean under every pack."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Template

from omics_secure import (
    AccessLogBucket,
    ImageRepository,
    OmicsSecureConfigError,
    PhiBucket,
    PhiKey,
    PhiReplicaBucket,
    PrivateWorkflow,
    RunCache,
    RunCacheBehavior,
    WorkflowDefinition,
    WorkflowRunRole,
    WorkflowVersion,
)
from tests.harness import ACCOUNT, REGION, REPLICA_REGION


@pytest.fixture
def workflow_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "workflow"
    directory.mkdir()
    (directory / "main.wdl").write_text("version 1.0\nworkflow w {}\n")
    return directory


def only(stack: cdk.Stack, type_: str) -> dict[str, Any]:
    (body,) = Template.from_stack(stack).find_resources(type_).values()
    return body


def statements_of(stack: cdk.Stack, type_: str = "AWS::IAM::ManagedPolicy") -> list[dict[str, Any]]:
    return [s for body in Template.from_stack(stack).find_resources(type_).values()
            for s in body["Properties"]["PolicyDocument"]["Statement"]]


def test_repository_is_encrypted_immutable_scanned_expiring_and_retained(stack):
    key = PhiKey(stack, "Key")
    repository = ImageRepository(stack, "Images", key=key, repository_name="genomics/bwa-mem2")
    body = only(stack, "AWS::ECR::Repository")
    properties = body["Properties"]
    assert properties["EncryptionConfiguration"] == {"EncryptionType": "KMS",
                                                     "KmsKey": stack.resolve(key.key_arn)}
    assert properties["ImageTagMutability"] == "IMMUTABLE"
    assert properties["ImageScanningConfiguration"] == {"ScanOnPush": True}
    assert properties["EmptyOnDelete"] is False
    assert body["DeletionPolicy"] == "Retain" and body["UpdateReplacePolicy"] == "Retain"
    (rule,) = json.loads(properties["LifecyclePolicy"]["LifecyclePolicyText"])["rules"]
    assert rule["selection"] == {"tagStatus": "untagged", "countType": "sinceImagePushed", "countNumber": 14,
                                 "countUnit": "days"}
    assert rule["action"] == {"type": "expire"}
    assert repository.repository is not None


def test_key_gets_ecr_statements_through_ecr_only(stack):
    key = PhiKey(stack, "Key")
    ImageRepository(stack, "Images", key=key)
    statements = {s.get("Sid"): s for s in only(stack, "AWS::KMS::Key")["Properties"]["KeyPolicy"]["Statement"]}
    use, grants = statements["AllowEcrUseViaService"], statements["AllowEcrCreateGrantViaService"]
    assert use["Condition"]["StringEquals"] == {"kms:ViaService": f"ecr.{REGION}.amazonaws.com",
                                                "kms:CallerAccount": ACCOUNT}
    assert grants["Action"] == "kms:CreateGrant"
    assert grants["Condition"]["Bool"] == {"kms:GrantIsForAWSResource": "true"}


def test_repository_policy_denies_other_accounts_and_lets_healthomics_pull_as_aws_documents(stack):
    ImageRepository(stack, "Images", key=PhiKey(stack, "Key"))
    policy = only(stack, "AWS::ECR::Repository")["Properties"]["RepositoryPolicyText"]["Statement"]
    deny, omics = policy
    assert deny == {"Sid": "DenyOtherAccounts", "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "ecr:*",
                    "Condition": {"StringNotEquals": {"aws:PrincipalAccount": ACCOUNT},
                                  "Bool": {"aws:PrincipalIsAWSService": "false"}}}
    assert omics["Principal"] == {"Service": "omics.amazonaws.com"}
    assert set(omics["Action"]) == {"ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer",
                                    "ecr:BatchCheckLayerAvailability"}
    # HealthOmics documents this statement without a condition and does not say it sends aws:SourceAccount
    # on pulls: a condition on a key the service never sends would fail every run.
    assert "Condition" not in omics and omics["Sid"] == "AllowHealthOmicsPull"


def test_healthomics_pull_can_be_left_out_but_the_deny_stays(stack):
    ImageRepository(stack, "Images", key=PhiKey(stack, "Key"), healthomics_pull=False, untagged_expiry_days=1)
    (deny,) = only(stack, "AWS::ECR::Repository")["Properties"]["RepositoryPolicyText"]["Statement"]
    assert deny["Effect"] == "Deny"


def test_run_role_pulls_only_from_the_given_repositories(stack):
    key = PhiKey(stack, "Key")
    tools = ImageRepository(stack, "Tools", key=key)
    ImageRepository(stack, "Other", key=key)
    WorkflowRunRole(stack, "RunRole", outputs=[PhiBucket(stack, "Out", key=key)], container_repositories=[tools])
    (pull,) = [s for s in statements_of(stack) if "ecr:BatchGetImage" in s["Action"]]
    assert pull["Resource"] == stack.resolve(tools.repository_arn)


def test_grant_pull_names_the_repository_and_the_token_on_star_only(stack, compliant):
    from aws_cdk import aws_iam as iam

    tools = ImageRepository(stack, "Tools", key=PhiKey(stack, "Key"))
    role = iam.Role(stack, "Tasks", assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"))
    tools.grant_pull(role)
    pull, token = statements_of(stack)
    assert set(pull["Action"]) == {"ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer",
                                   "ecr:BatchCheckLayerAvailability"}
    assert pull["Resource"] == stack.resolve(tools.repository_arn)
    assert token == {"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"}
    compliant(stack)


def test_workflow_registry_map_points_only_at_the_given_repositories(stack, workflow_dir):
    key = PhiKey(stack, "Key")
    tools = ImageRepository(stack, "Tools", key=key)
    definition = WorkflowDefinition.from_asset(str(workflow_dir))
    PrivateWorkflow(stack, "Wf", definition=definition, container_repositories=[tools],
                    image_mappings={"quay.io/biocontainers/bwa:0.7.17": f"{tools.repository_uri}:bwa-0.7.17",
                                    "samtools": f"{tools.repository_uri}@sha256:{'a' * 64}"})
    (first, second) = only(stack, "AWS::Omics::Workflow")["Properties"]["ContainerRegistryMap"]["ImageMappings"]
    assert first == {"SourceImage": "quay.io/biocontainers/bwa:0.7.17",
                     "DestinationImage": stack.resolve(f"{tools.repository_uri}:bwa-0.7.17")}
    assert second["SourceImage"] == "samtools"
    other = ImageRepository(stack, "Other", key=key)
    imported = ecr.Repository.from_repository_name(stack, "Imported", "genomics/tools")
    with pytest.raises(OmicsSecureConfigError) as error:
        PrivateWorkflow(stack, "Bad", definition=definition, container_repositories=[tools, imported],
                        image_mappings={"a": f"{other.repository_uri}:1", "b": "docker.io/library/ubuntu:22.04",
                                        "c": f"{tools.repository_uri}:"})
    message = str(error.value)
    for source in ("a", "b", "c"):
        assert f"image_mappings['{source}']=" in message
    assert "map images only to the repositories given in container_repositories" in message
    assert stack.node.try_find_child("Bad") is None


def test_workflow_without_a_map_has_no_registry_map(stack, workflow_dir):
    PrivateWorkflow(stack, "Wf", definition=WorkflowDefinition.from_asset(str(workflow_dir)))
    assert "ContainerRegistryMap" not in only(stack, "AWS::Omics::Workflow")["Properties"]


def test_workflow_version_names_its_workflow_and_inherits_its_repositories(stack, workflow_dir):
    tools = ImageRepository(stack, "Tools", key=PhiKey(stack, "Key"))
    definition = WorkflowDefinition.from_asset(str(workflow_dir))
    workflow = PrivateWorkflow(stack, "Wf", definition=definition, container_repositories=[tools])
    WorkflowVersion(stack, "V2", workflow=workflow, version_name="2.0.1", definition=definition, gpu=True,
                    parameters={"reads": "input FASTQ", "threads?": "optional"},
                    image_mappings={"bwa": f"{tools.repository_uri}:bwa-2"})
    properties = only(stack, "AWS::Omics::WorkflowVersion")["Properties"]
    assert properties["WorkflowId"] == stack.resolve(workflow.workflow_id)
    assert properties["VersionName"] == "2.0.1"
    assert properties["WorkflowBucketOwnerId"] == ACCOUNT
    assert properties["Accelerators"] == "GPU"
    assert properties["ParameterTemplate"] == {"reads": {"Description": "input FASTQ", "Optional": False},
                                               "threads": {"Description": "optional", "Optional": True}}
    assert properties["ContainerRegistryMap"]["ImageMappings"][0]["SourceImage"] == "bwa"
    with pytest.raises(OmicsSecureConfigError) as error:
        WorkflowVersion(stack, "Bad", workflow=workflow, version_name="-2", definition=definition,
                        description="call 555-123-4567", image_mappings={"bwa": "ghcr.io/x/bwa:1"})
    message = str(error.value)
    for expected in ("version_name='-2': use 1 to 64 letters", "description='call 555-123-4567': it looks like PHI",
                     "image_mappings['bwa']='ghcr.io/x/bwa:1'"):
        assert expected in message


def test_run_cache_is_a_prefix_of_a_phi_bucket_with_its_owner_pinned(stack):
    key = PhiKey(stack, "Key")
    data = PhiBucket(stack, "Data", key=key)
    role = WorkflowRunRole(stack, "RunRole", outputs=[data])
    cache = RunCache(stack, "Cache", bucket=data, prefix="cache/", run_roles=[role],
                     behavior=RunCacheBehavior.CACHE_ALWAYS)
    body = only(stack, "AWS::Omics::RunCache")
    properties = body["Properties"]
    assert properties["CacheS3Location"] == stack.resolve(f"s3://{data.bucket.bucket_name}/cache/")
    assert properties["CacheBucketOwnerId"] == ACCOUNT
    assert properties["CacheBehavior"] == "CACHE_ALWAYS"
    assert {"Key": "omics-secure:data-classification", "Value": "phi"} in properties["Tags"]
    assert body["DeletionPolicy"] == "Retain"
    objects = stack.resolve(data.bucket.arn_for_objects("cache/*"))
    cache_statements = [s for s in statements_of(stack) if s.get("Resource") == objects]
    actions = {a for s in cache_statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    assert "s3:GetObject" in actions and "s3:PutObject" in actions
    assert not any(a.startswith("s3:Delete") for a in actions)
    assert cache.cache_location.endswith("/cache/")


def test_run_cache_refuses_what_is_not_a_phi_bucket_prefix(stack, app):
    plain = s3.Bucket(stack, "Plain")
    with pytest.raises(OmicsSecureConfigError, match=r"bucket=.*Plain.*PhiBucket"):
        RunCache(stack, "Cache", bucket=plain)  # type: ignore[arg-type]
    data = PhiBucket(stack, "Data", key=PhiKey(stack, "Key"))
    with pytest.raises(OmicsSecureConfigError) as error:
        RunCache(stack, "Cache", bucket=data, prefix="", name="jane.doe@example.org")
    message = str(error.value)
    assert "prefix='': give the cache a prefix of its own" in message
    assert "name='jane.doe@example.org': it looks like PHI" in message
    with pytest.raises(OmicsSecureConfigError, match=r"prefix='/cache': use '' or a relative key prefix"):
        RunCache(stack, "Cache", bucket=data, prefix="/cache")
    far = cdk.Stack(app, "Far", env=cdk.Environment(account=ACCOUNT, region=REPLICA_REGION))
    with pytest.raises(OmicsSecureConfigError, match=rf"the bucket is in {REGION}, this stack in {REPLICA_REGION}"):
        RunCache(far, "Cache", bucket=data)


def test_repository_errors_name_the_prop_value_and_fix(stack):
    key = PhiKey(stack, "Key")
    with pytest.raises(OmicsSecureConfigError) as error:
        ImageRepository(stack, "Images", key=key, repository_name="Genomics/BWA", untagged_expiry_days=0,
                        tags={"owner": "123-45-6789"})
    message = str(error.value)
    for expected in ("repository_name='Genomics/BWA': use 2 to 256 lowercase letters",
                     "untagged_expiry_days=0: use a whole number of days from 1 to 3650",
                     "tags['owner']='123-45-6789': it looks like PHI"):
        assert expected in message
    for name in ("a", "tools/", "/tools", "tools//bwa", "tools..bwa", "x" * 257):
        with pytest.raises(OmicsSecureConfigError, match="repository_name="):
            ImageRepository(stack, "Images", key=key, repository_name=name)
    with pytest.raises(OmicsSecureConfigError, match=r"repository_name='mrn-12345678'"):
        ImageRepository(stack, "Images", key=key, repository_name="mrn-12345678")


def test_every_image_and_cache_construct_passes_every_pack(tmp_path, workflow_dir, compliant, app):
    replica_stack = cdk.Stack(app, "ReplicaStack", env=cdk.Environment(account=ACCOUNT, region=REPLICA_REGION))
    stack = cdk.Stack(app, "ImagesStack", env=cdk.Environment(account=ACCOUNT, region=REGION))
    key = PhiKey(stack, "Key")
    data = PhiBucket(stack, "Data", key=key, access_logs=AccessLogBucket(stack, "Logs"),
                     replica=PhiReplicaBucket(replica_stack, "Replica"))
    tools = ImageRepository(stack, "Tools", key=key)
    role = WorkflowRunRole(stack, "RunRole", inputs=[data], outputs=[data], container_repositories=[tools])
    definition = WorkflowDefinition.from_asset(str(workflow_dir))
    workflow = PrivateWorkflow(stack, "Wf", definition=definition, container_repositories=[tools],
                               image_mappings={"bwa": f"{tools.repository_uri}:bwa-1"})
    WorkflowVersion(stack, "V2", workflow=workflow, version_name="2", definition=definition)
    RunCache(stack, "Cache", bucket=data, run_roles=[role])
    compliant(app)
