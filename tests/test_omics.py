"""HealthOmics constructs: every guarantee, every error, and a stack of all of them clean under every pack."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Annotations, Match, Template

from omics_secure import (
    AccessLogBucket,
    KeyService,
    OmicsSecureConfigError,
    PhiBucket,
    PhiKey,
    PhiReplicaBucket,
    PrivateWorkflow,
    ReferenceStore,
    RunGroup,
    SequenceStore,
    WorkflowDefinition,
    WorkflowEngine,
    WorkflowRunRole,
)
from tests.harness import ACCOUNT, REGION, REPLICA_REGION, make_app

PHI_TAG = {"omics-secure:data-classification": "phi"}
FOREIGN_KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"


@pytest.fixture
def workflow_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "workflow"
    directory.mkdir()
    (directory / "main.wdl").write_text("version 1.0\nworkflow w {}\n")
    return directory


def resource_of(stack: cdk.Stack, type_: str) -> dict[str, Any]:
    (body,) = Template.from_stack(stack).find_resources(type_).values()
    return body


def warnings(stack: cdk.Stack) -> list[str]:
    return [str(w.entry.data) for w in Annotations.from_stack(stack).find_warning("*", Match.any_value())]


def key_policy_sids(stack: cdk.Stack) -> set[str]:
    body = resource_of(stack, "AWS::KMS::Key")
    return {s.get("Sid", "") for s in body["Properties"]["KeyPolicy"]["Statement"]}


def policy_statements(stack: cdk.Stack) -> list[dict[str, Any]]:
    (policy,) = Template.from_stack(stack).find_resources("AWS::IAM::ManagedPolicy").values()
    return policy["Properties"]["PolicyDocument"]["Statement"]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# SequenceStore

def test_sequence_store_uses_the_key_logs_access_and_is_retained(stack):
    key = PhiKey(stack, "Key")
    logs = AccessLogBucket(stack, "Logs")
    store = SequenceStore(stack, "Reads", key=key, access_logs=logs)
    body = resource_of(stack, "AWS::Omics::SequenceStore")
    assert body["DeletionPolicy"] == "Retain" and body["UpdateReplacePolicy"] == "Retain"
    properties = body["Properties"]
    assert properties["SseConfig"] == {"Type": "KMS", "KeyArn": stack.resolve(key.key_arn)}
    assert properties["Name"] == "TestStack-Reads"
    assert properties["Tags"] == PHI_TAG
    assert "S3AccessPolicy" not in properties
    assert stack.resolve(store.access_log_location) == properties["AccessLogLocation"]
    assert json.dumps(properties["AccessLogLocation"]).endswith('"/omics/Reads/"]]}')
    assert store.store is store.node.default_child and store.key is key and store.access_logs is logs


def test_sequence_store_adds_the_healthomics_statements_to_a_phi_key(stack):
    key = PhiKey(stack, "Key")
    SequenceStore(stack, "Reads", key=key, access_logs=AccessLogBucket(stack, "Logs"))
    SequenceStore(stack, "More", key=key, access_logs=AccessLogBucket(stack, "Logs2"))  # idempotent
    assert key.services == (KeyService.HEALTHOMICS_STORAGE,)
    assert {"AllowHealthOmicsStorageUseViaService", "AllowHealthOmicsStorageCreateGrantViaService"} <= \
        key_policy_sids(stack)


def test_sequence_store_on_a_foreign_key_warns_with_the_statements_to_add(stack):
    key = kms.Key.from_key_arn(stack, "Foreign", FOREIGN_KEY_ARN)
    SequenceStore(stack, "Reads", key=key, access_logs=AccessLogBucket(stack, "Logs"))
    (warning,) = [w for w in warnings(stack) if "not a PhiKey" in w]
    assert "AllowHealthOmicsStorageUseViaService" in warning
    assert "AllowHealthOmicsStorageCreateGrantViaService" in warning
    assert resource_of(stack, "AWS::Omics::SequenceStore")["Properties"]["SseConfig"]["KeyArn"] == FOREIGN_KEY_ARN


def test_sequence_store_lets_s3_log_delivery_write_only_its_prefix_from_the_stores_source(stack):
    """Without a source condition any account's bucket could deliver logs into the PHI access-log prefix."""
    logs = AccessLogBucket(stack, "Logs")
    store = SequenceStore(stack, "Reads", key=PhiKey(stack, "Key"), access_logs=logs, access_log_prefix="seq/")
    (policy,) = Template.from_stack(stack).find_resources("AWS::S3::BucketPolicy").values()
    (statement,) = [s for s in policy["Properties"]["PolicyDocument"]["Statement"]
                    if s.get("Principal") == {"Service": "logging.s3.amazonaws.com"}
                    and s["Sid"].startswith("OmicsLogDelivery")]
    assert statement["Action"] == "s3:PutObject"
    assert statement["Resource"]["Fn::Join"][1][-1] == "/seq/*"
    store_id = stack.get_logical_id(store.store)
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Fn::Select": [4, {"Fn::Split": [
        ":", {"Fn::GetAtt": [store_id, "S3AccessPointArn"]}]}]}}}
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    assert not [s for s in statements if s.get("Principal") == {"Service": "logging.s3.amazonaws.com"}
                and "Condition" not in s], "every log-delivery statement names its source"


def test_sequence_store_takes_name_description_tags_access_policy_and_destroy(stack):
    reader = iam.Role(stack, "Reader", assumed_by=iam.AccountRootPrincipal())
    document = iam.PolicyDocument(statements=[iam.PolicyStatement(
        principals=[reader], actions=["s3:GetObject"],
        resources=[f"arn:aws:s3:{REGION}:{ACCOUNT}:accesspoint/ap/object/*"])])
    store = SequenceStore(stack, "Reads", key=PhiKey(stack, "Key"), access_logs=AccessLogBucket(stack, "Logs"),
                          name="study-42-reads", description="Study 42 read sets", s3_access_policy=document,
                          tags={"project": "study-42"}, removal_policy=cdk.RemovalPolicy.DESTROY)
    body = resource_of(stack, "AWS::Omics::SequenceStore")
    assert body["DeletionPolicy"] == "Delete"
    assert body["Properties"]["Name"] == "study-42-reads"
    assert body["Properties"]["Description"] == "Study 42 read sets"
    assert body["Properties"]["Tags"] == {**PHI_TAG, "project": "study-42"}
    assert body["Properties"]["S3AccessPolicy"]["Statement"][0]["Action"] == "s3:GetObject"
    assert any("deletes this sequence store" in w for w in warnings(stack))
    assert store.store_arn and store.store_id


def test_sequence_store_errors_name_every_bad_prop(stack):
    open_policy = iam.PolicyDocument(statements=[iam.PolicyStatement(
        sid="Open", principals=[iam.AnyPrincipal()], actions=["s3:GetObject"], resources=["*"])])
    # Wrong types are reported first, all at once (no value check runs on a value of the wrong type) ...
    with pytest.raises(OmicsSecureConfigError) as error:
        SequenceStore(stack, "Reads", key="alias/aws/omics", access_logs="s3://logs",  # type: ignore[arg-type]
                      removal_policy="SNAPSHOT")  # type: ignore[arg-type]
    message = str(error.value)
    assert message.startswith("SequenceStore 'Reads': invalid props")
    for expected in ("key='alias/aws/omics'", "access_logs='s3://logs'", "removal_policy='SNAPSHOT'"):
        assert expected in message
    assert stack.node.try_find_child("Reads") is None, "nothing is created before validation passes"
    # ... then every bad value of the right type.
    key, logs = PhiKey(stack, "Key"), AccessLogBucket(stack, "Logs")
    with pytest.raises(OmicsSecureConfigError) as error:
        SequenceStore(stack, "Reads", key=key, access_logs=logs,
                      access_log_prefix="/logs", name="jane.doe@example.org", description="MRN 1234567",
                      s3_access_policy=open_policy, tags={"owner": "555-12-3456"},
                      removal_policy=cdk.RemovalPolicy.SNAPSHOT)
    message = str(error.value)
    for expected in ("access_log_prefix='/logs'",
                     "name='jane.doe@example.org': it looks like PHI (e-mail address)",
                     "description='MRN 1234567': it looks like PHI (medical record number)",
                     "s3_access_policy='Open'", "tags['owner']='555-12-3456'", "removal_policy="):
        assert expected in message
    assert stack.node.try_find_child("Reads") is None, "nothing is created before validation passes"


@pytest.mark.parametrize("prefix, fix", [
    ("no-slash", "ending in '/'"),
    ("x" * 801 + "/", "ending in '/'"),
    ("", "use 1 to 800 characters"),
])
def test_sequence_store_access_log_prefix_errors(stack, prefix, fix):
    with pytest.raises(OmicsSecureConfigError, match=r"access_log_prefix=.*" + fix):
        SequenceStore(stack, "Reads", key=PhiKey(stack, "Key"), access_logs=AccessLogBucket(stack, "Logs"),
                      access_log_prefix=prefix)


def test_construct_set_tag_is_refused(stack):
    with pytest.raises(OmicsSecureConfigError, match=r"this tag is set by the construct"):
        ReferenceStore(stack, "Refs", key=PhiKey(stack, "Key"), tags={"omics-secure:data-classification": "none"})


# ReferenceStore

def test_reference_store_uses_the_key_and_is_retained(stack):
    key = PhiKey(stack, "Key")
    store = ReferenceStore(stack, "Refs", key=key, tags={"genome": "GRCh38"})
    body = resource_of(stack, "AWS::Omics::ReferenceStore")
    assert body["DeletionPolicy"] == "Retain"
    assert body["Properties"] == {"Name": "TestStack-Refs", "SseConfig": {"Type": "KMS", "KeyArn": stack.resolve(
        key.key_arn)}, "Tags": {**PHI_TAG, "genome": "GRCh38"}}
    assert key.services == (KeyService.HEALTHOMICS_STORAGE,)
    assert store.store is store.node.default_child and store.store_arn and store.store_id


def test_reference_store_errors(stack):
    with pytest.raises(OmicsSecureConfigError) as error:
        ReferenceStore(stack, "Refs", key=None, name="x" * 128,  # type: ignore[arg-type]
                       removal_policy=cdk.RemovalPolicy.SNAPSHOT)
    message = str(error.value)
    assert "key=None: pass a kms.IKey" in message
    with pytest.raises(OmicsSecureConfigError) as error:
        ReferenceStore(stack, "Refs", key=PhiKey(stack, "Key"), name="x" * 128,
                       removal_policy=cdk.RemovalPolicy.SNAPSHOT)
    message = str(error.value)
    assert "use 1 to 127 characters" in message
    assert "removal_policy=" in message


# PrivateWorkflow

def test_workflow_from_asset_names_the_asset_and_its_owner(stack, workflow_dir):
    workflow = PrivateWorkflow(stack, "Wf", definition=WorkflowDefinition.from_asset(str(workflow_dir)),
                               engine=WorkflowEngine.WDL, main="main.wdl",
                               parameters={"reads": "Input reads", "threads?": "Threads"})
    properties = resource_of(stack, "AWS::Omics::Workflow")["Properties"]
    assert properties["Engine"] == "WDL" and properties["Main"] == "main.wdl"
    assert properties["WorkflowBucketOwnerId"] == ACCOUNT
    assert properties["DefinitionUri"].startswith(f"s3://cdk-hnb659fds-assets-{ACCOUNT}-{REGION}/")
    assert properties["DefinitionUri"].endswith(".zip")
    assert properties["ParameterTemplate"] == {"reads": {"Description": "Input reads", "Optional": False},
                                               "threads": {"Description": "Threads", "Optional": True}}
    assert "Accelerators" not in properties
    assert workflow.workflow is workflow.node.default_child and workflow.workflow_arn and workflow.workflow_id


def test_workflow_from_bucket_with_gpus(stack):
    bucket = s3.Bucket.from_bucket_name(stack, "Defs", "genomics-workflow-defs")
    PrivateWorkflow(stack, "Wf", definition=WorkflowDefinition.from_bucket(bucket, "wf/main.zip"), gpu=True,
                    tags={"pipeline": "germline"})
    properties = resource_of(stack, "AWS::Omics::Workflow")["Properties"]
    assert properties["DefinitionUri"] == "s3://genomics-workflow-defs/wf/main.zip"
    assert properties["WorkflowBucketOwnerId"] == ACCOUNT
    assert properties["Accelerators"] == "GPU"
    assert properties["Tags"] == {"pipeline": "germline"}


def test_workflow_errors(stack, tmp_path, workflow_dir):
    bucket = s3.Bucket.from_bucket_name(stack, "Defs", "genomics-workflow-defs")
    with pytest.raises(OmicsSecureConfigError, match=r"definition='.*missing'.*existing directory"):
        PrivateWorkflow(stack, "A", definition=WorkflowDefinition.from_asset(str(tmp_path / "missing")))
    with pytest.raises(OmicsSecureConfigError, match=r"definition='': pass WorkflowDefinition.from_bucket"):
        PrivateWorkflow(stack, "B", definition=WorkflowDefinition.from_bucket(bucket, ""))
    with pytest.raises(OmicsSecureConfigError) as error:
        PrivateWorkflow(stack, "C", definition="s3://x/y.zip", engine="wdl")  # type: ignore[arg-type]
    message = str(error.value)
    for expected in ("definition='s3://x/y.zip': pass a WorkflowDefinition", "engine='wdl': pass a member of"):
        assert expected in message
    with pytest.raises(OmicsSecureConfigError) as error:
        PrivateWorkflow(stack, "C", definition=WorkflowDefinition.from_asset(str(workflow_dir)),
                        name="call 555-123-4567", parameters={"sample": "patient jane@example.org"})
    message = str(error.value)
    for expected in ("it looks like PHI (phone number)",
                     "parameters['sample']='patient jane@example.org': it looks like PHI (e-mail address)"):
        assert expected in message


def test_a_definition_that_leads_outside_its_directory_is_refused(stack, tmp_path, workflow_dir):
    (tmp_path / "secret.txt").write_text("not part of the workflow")
    linked = tmp_path / "linked"
    linked.mkdir()
    (linked / "main.wdl").write_text("version 1.0\nworkflow w {}\n")
    (linked / "tasks").symlink_to(tmp_path)
    with pytest.raises(OmicsSecureConfigError, match=r"definition='.*linked': tasks is a symbolic link to .*, "
                                                     r"outside the directory"):
        PrivateWorkflow(stack, "A", definition=WorkflowDefinition.from_asset(str(linked)))
    os.mkfifo(workflow_dir / "pipe")
    with pytest.raises(OmicsSecureConfigError, match=r"pipe is a FIFO"):
        PrivateWorkflow(stack, "B", definition=WorkflowDefinition.from_asset(str(workflow_dir)))
    (workflow_dir / "pipe").unlink()
    (tmp_path / "device.zip").symlink_to("/dev/zero")
    with pytest.raises(OmicsSecureConfigError, match=r"takes a directory or a \.zip file"):
        PrivateWorkflow(stack, "C", definition=WorkflowDefinition.from_asset(str(tmp_path / "device.zip")))
    for main, fix in (("../secret.txt", "without '..'"), ("/etc/passwd", "without '..' or a leading '/'"),
                      ("missing.wdl", "does not exist"), ("sub/../main.wdl", "without '..'")):
        with pytest.raises(OmicsSecureConfigError, match=rf"main='{re.escape(main)}': .*{re.escape(fix)}"):
            PrivateWorkflow(stack, "D", definition=WorkflowDefinition.from_asset(str(workflow_dir)), main=main)
    PrivateWorkflow(stack, "E", definition=WorkflowDefinition.from_asset(str(workflow_dir)), main="main.wdl")


# RunGroup

def test_run_group_caps_cpus_gpus_duration_and_runs_by_default(stack):
    group = RunGroup(stack, "Rg")
    properties = resource_of(stack, "AWS::Omics::RunGroup")["Properties"]
    assert properties == {"Name": "TestStack-Rg", "MaxCpus": 256, "MaxGpus": 4, "MaxDuration": 1440, "MaxRuns": 10}
    assert group.run_group is group.node.default_child and group.run_group_arn and group.run_group_id


def test_run_group_takes_other_caps(stack):
    RunGroup(stack, "Rg", max_cpus=64, max_gpus=1, max_duration=cdk.Duration.hours(6), max_runs=2,
             name="germline", tags={"team": "genomics"})
    properties = resource_of(stack, "AWS::Omics::RunGroup")["Properties"]
    assert properties == {"Name": "germline", "MaxCpus": 64, "MaxGpus": 1, "MaxDuration": 360, "MaxRuns": 2,
                          "Tags": {"team": "genomics"}}


def test_run_group_errors(stack):
    with pytest.raises(OmicsSecureConfigError) as error:
        RunGroup(stack, "Rg", max_gpus=None, max_runs=True)  # type: ignore[arg-type]
    message = str(error.value)
    assert "max_gpus=None: pass a whole number; None is not allowed" in message
    assert "max_runs=True: pass a whole number, not True or False" in message
    with pytest.raises(OmicsSecureConfigError) as error:
        RunGroup(stack, "Rg", max_cpus=0, max_gpus=100001, max_duration=cdk.Duration.days(100))
    message = str(error.value)
    for prop in ("max_cpus=0", "max_gpus=100001"):
        assert f"{prop}: use a whole number from 1 to 100000; every cap must be set" in message
    assert "max_duration='100 days': use 1 to 100000 minutes" in message
    with pytest.raises(OmicsSecureConfigError, match=r"max_duration=.*use whole minutes"):
        RunGroup(stack, "Rg2", max_duration=cdk.Duration.seconds(90))
    with pytest.raises(OmicsSecureConfigError, match=r"max_duration=24: pass a cdk.Duration"):
        RunGroup(stack, "Rg3", max_duration=24)  # type: ignore[arg-type]


# WorkflowRunRole

def test_run_role_trusts_healthomics_for_this_accounts_runs_only(stack):
    data = PhiBucket(stack, "Data")
    run_role = WorkflowRunRole(stack, "RunRole", inputs=[data])
    role = resource_of(stack, "AWS::IAM::Role")
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"] == [{
        "Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "omics.amazonaws.com"},
        "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT},
                      "ArnLike": {"aws:SourceArn": f"arn:aws:omics:{REGION}:{ACCOUNT}:run/*"}}}]
    assert "Policies" not in role["Properties"]
    Template.from_stack(stack).resource_count_is("AWS::IAM::Policy", 0)  # no inline policy
    assert run_role.node.find_child("Resource") is run_role.role and run_role.role_arn


def test_run_role_reads_inputs_and_writes_outputs_through_their_keys_without_wildcard_actions(stack):
    key = PhiKey(stack, "Key")
    inputs = PhiBucket(stack, "Inputs", key=key)
    outputs = PhiBucket(stack, "Outputs", key=key)
    WorkflowRunRole(stack, "RunRole", inputs=[inputs], outputs=[outputs], input_prefix="fastq/")
    statements = policy_statements(stack)
    actions = {a for s in statements for a in as_list(s["Action"])}
    assert not [a for a in actions if "*" in a]
    assert "s3:DeleteObject" not in actions
    by_resource = {json.dumps(stack.resolve(s["Resource"]), sort_keys=True): s for s in statements}
    read = by_resource[json.dumps(stack.resolve(inputs.bucket.arn_for_objects("fastq/*")), sort_keys=True)]
    assert set(as_list(read["Action"])) == {"s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectTagging"}
    write = by_resource[json.dumps(stack.resolve(outputs.bucket.arn_for_objects("omics-runs/*")), sort_keys=True)]
    assert "s3:PutObject" in as_list(write["Action"])
    key_statements = [s for s in statements if any(a.startswith("kms:") for a in as_list(s["Action"]))]
    assert key_statements and all(s["Resource"] == stack.resolve(key.key_arn) for s in key_statements)
    assert all(s["Condition"] == {"StringEquals": {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}}
               for s in key_statements)
    logs = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/omics/WorkflowLog"
    assert {"Sid": "CreateWorkflowLogGroup", "Effect": "Allow", "Action": "logs:CreateLogGroup",
            "Resource": f"{logs}:*"} in statements
    (write_logs,) = [s for s in statements if s.get("Sid") == "WriteWorkflowLogs"]
    assert set(write_logs["Action"]) == {"logs:DescribeLogStreams", "logs:CreateLogStream", "logs:PutLogEvents"}
    assert write_logs["Resource"] == f"{logs}:log-stream:*"


def test_run_role_reads_reference_stores_through_healthomics_and_pulls_named_images(stack):
    key = PhiKey(stack, "Key")
    refs = ReferenceStore(stack, "Refs", key=key)
    repository = ecr.Repository.from_repository_name(stack, "Images", "genomics/tools")
    WorkflowRunRole(stack, "RunRole", outputs=[PhiBucket(stack, "Out", key=key)], reference_stores=[refs],
                    container_repositories=[repository])
    statements = policy_statements(stack)
    (reference,) = [s for s in statements if "omics:GetReference" in as_list(s["Action"])]
    assert reference["Action"] == ["omics:GetReference", "omics:GetReferenceMetadata"]
    assert reference["Resource"] == {"Fn::Join": ["", [{"Fn::GetAtt": ["Refs48288B5D", "Arn"]}, "/reference/*"]]}
    (store_key,) = [s for s in statements if s.get("Condition", {}).get("StringEquals", {}).get("kms:ViaService")
                    == f"omics.{REGION}.amazonaws.com"]
    assert store_key["Action"] == ["kms:Decrypt", "kms:DescribeKey"]
    assert store_key["Condition"]["StringEquals"]["kms:CallerAccount"] == ACCOUNT
    (pull,) = [s for s in statements if "ecr:BatchGetImage" in as_list(s["Action"])]
    assert pull["Resource"] == stack.resolve(repository.repository_arn)
    assert "ecr:GetAuthorizationToken" not in {a for s in statements for a in as_list(s["Action"])}


def test_run_role_errors(stack, app):
    other = cdk.Stack(app, "Other", env=cdk.Environment(account=ACCOUNT, region=REGION))
    elsewhere = PhiBucket(other, "Elsewhere")
    plain = s3.Bucket(stack, "Plain")
    with pytest.raises(OmicsSecureConfigError) as error:
        WorkflowRunRole(stack, "RunRole", inputs=[plain], reference_stores=["refs"])  # type: ignore[list-item]
    message = str(error.value)
    for expected in ("inputs[0]=Bucket at TestStack/Plain: pass a PhiBucket", "reference_stores[0]='refs'"):
        assert expected in message
    with pytest.raises(OmicsSecureConfigError) as error:
        WorkflowRunRole(stack, "RunRole", inputs=[elsewhere], input_prefix="raw", output_prefix="runs/*",
                        role_name="jane@example.org")
    message = str(error.value)
    for expected in ("inputs=PhiBucket at Other/Elsewhere: use PHI buckets of the role's own stack",
                     "input_prefix='raw': use '' or a relative key prefix ending in '/'", "output_prefix='runs/*'",
                     "role_name='jane@example.org': it looks like PHI"):
        assert expected in message
    with pytest.raises(OmicsSecureConfigError, match=r"inputs=\[\]: a run role without inputs or outputs"):
        WorkflowRunRole(stack, "Empty")
    agnostic = cdk.Stack(app, "Agnostic")
    with pytest.raises(OmicsSecureConfigError, match=r"env=\"stack 'Agnostic'\": the account and region must be "
                                                     r"literal for the trust policy"):
        WorkflowRunRole(agnostic, "RunRole", outputs=[
            PhiBucket(agnostic, "Out", key=kms.Key.from_key_arn(agnostic, "K", FOREIGN_KEY_ARN))])


# Every HealthOmics construct together: cfn-lint and all four packs, with only reasoned acknowledgments.

def test_every_healthomics_construct_passes_every_pack(tmp_path, workflow_dir, compliant):
    app = make_app(tmp_path / "cdk.out")
    replica_stack = cdk.Stack(app, "ReplicaStack", env=cdk.Environment(account=ACCOUNT, region=REPLICA_REGION))
    stack = cdk.Stack(app, "OmicsStack", env=cdk.Environment(account=ACCOUNT, region=REGION))
    key = PhiKey(stack, "Key")
    logs = AccessLogBucket(stack, "Logs")
    data = PhiBucket(stack, "Data", key=key, access_logs=logs,
                     replica=PhiReplicaBucket(replica_stack, "Replica"))
    SequenceStore(stack, "Reads", key=key, access_logs=logs)
    refs = ReferenceStore(stack, "Refs", key=key)
    PrivateWorkflow(stack, "Wf", definition=WorkflowDefinition.from_asset(str(workflow_dir)))
    RunGroup(stack, "Rg")
    WorkflowRunRole(stack, "RunRole", inputs=[data], outputs=[data], input_prefix="in/", reference_stores=[refs],
                    container_repositories=[ecr.Repository.from_repository_name(stack, "Images", "tools")])
    result = compliant(app)
    role_acknowledgments = {f.rule_id for f in result.acknowledged_findings
                            if f.construct_path == "OmicsStack/RunRole/Policy/Resource"}
    logs_arn = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/omics/WorkflowLog"
    data_arn = f"<{stack.get_logical_id(data.bucket.node.default_child)}.Arn>"  # type: ignore[arg-type]
    assert role_acknowledgments == {
        f"AwsSolutions-IAM5[Resource::{data_arn}/in/*]", f"AwsSolutions-IAM5[Resource::{data_arn}/omics-runs/*]",
        f"AwsSolutions-IAM5[Resource::<{stack.get_logical_id(refs.store)}.Arn>/reference/*]",
        f"AwsSolutions-IAM5[Resource::{logs_arn}:*]", f"AwsSolutions-IAM5[Resource::{logs_arn}:log-stream:*]",
    }


def test_store_key_must_be_in_the_stores_region_and_a_phi_key_needs_an_environment(stack, app):
    other_region = f"arn:aws:kms:{REPLICA_REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    with pytest.raises(OmicsSecureConfigError, match=rf"the key is in {REPLICA_REGION}, this stack in {REGION}"):
        ReferenceStore(stack, "Refs", key=kms.Key.from_key_arn(stack, "Far", other_region))
    agnostic = cdk.Stack(app, "Agnostic")
    key = PhiKey(agnostic, "Key")
    with pytest.raises(OmicsSecureConfigError, match=r"key=PhiKey at Agnostic/Key: the service statements this adds"):
        ReferenceStore(agnostic, "Refs", key=key)
    assert agnostic.node.try_find_child("Refs") is None
