"""A stack synthesized from the project's constructs, deployed into moto's CloudFormation, then verified.

The reference primary template does not deploy in moto 5: its CloudFormation has no HealthOmics
resources ("Fn::GetAtt references undefined resource ReferenceStore..."). So this stack holds the data
path the reference stack starts with: a PhiKey, an AccessLogBucket and a PhiBucket. moto's CloudFormation
applies only part of an AWS::S3::Bucket (encryption without the bucket key, and tags) and no
AWS::S3::BucketPolicy; verify must report exactly those gaps, which the template does not have, so it
reads the live state.
"""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
import boto3
import pytest

from omics_secure import AccessLogBucket, KeyService, PhiBucket, PhiKey
from omics_secure.compliance.model import Status
from omics_secure.verify import AwsReader, Selection
from tests.harness import make_app
from tests.verify.environment import ACCOUNT, REGION
from tests.verify.rules import verify

STACK = "VerifiedData"
# moto repeats its warning whenever it re-reads the template; deploy() asserts it once.
pytestmark = pytest.mark.filterwarnings("ignore:Tried to parse AWS..S3..BucketPolicy:UserWarning")


def synthesized_template(outdir: Path) -> dict[str, object]:
    app = make_app(outdir)
    stack = cdk.Stack(app, STACK, env=cdk.Environment(account=ACCOUNT, region=REGION))
    key = PhiKey(stack, "DataKey", services=[KeyService.HEALTHOMICS_STORAGE, KeyService.S3])
    PhiBucket(stack, "PhiData", key=key, access_logs=AccessLogBucket(stack, "AccessLogs"))
    template: dict[str, object] = app.synth().get_stack_by_name(STACK).template
    return template


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    return synthesized_template(tmp_path_factory.mktemp("verify-stack"))


def deploy(template: dict[str, object]) -> None:
    # What `cdk bootstrap` leaves in the account: the template's BootstrapVersion parameter reads it.
    boto3.client("ssm", region_name=REGION).put_parameter(
        Name="/cdk-bootstrap/hnb659fds/version", Value="30", Type="String", Overwrite=True)
    cloudformation = boto3.client("cloudformation", region_name=REGION)
    with pytest.warns(UserWarning, match="AWS::S3::BucketPolicy but it's not supported"):  # moto says so itself
        cloudformation.create_stack(StackName=STACK, TemplateBody=json.dumps(template),
                                    Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"])
    status = cloudformation.describe_stacks(StackName=STACK)["Stacks"][0]["StackStatus"]
    assert status == "CREATE_COMPLETE", status
    # moto 5 keeps a KeyPolicy deployed through CloudFormation as the resolved dict, which its own
    # GetKeyPolicy cannot serialize; store the same resolved document as the JSON text KMS keeps.
    from moto.kms.models import kms_backends  # moto loads only for the tests that use it

    for key in kms_backends[ACCOUNT][REGION].keys.values():
        if isinstance(key.policy, dict):
            key.policy = json.dumps(key.policy)


def by_logical_id(results: list) -> dict[tuple[str, str], Status]:  # type: ignore[type-arg]
    return {(r.resource.logical_id, r.check.id): r.verdict.status for r in results}


def test_the_template_itself_asks_for_what_moto_leaves_out(template: dict[str, object]) -> None:
    resources = template["Resources"]
    assert isinstance(resources, dict)
    bucket = next(body["Properties"] for logical_id, body in resources.items()
                  if body["Type"] == "AWS::S3::Bucket" and logical_id.startswith("PhiData"))
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    assert bucket["ObjectLockConfiguration"]["Rule"]["DefaultRetention"]["Mode"] == "GOVERNANCE"
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["BucketKeyEnabled"] is True
    assert bucket["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    assert any(body["Type"] == "AWS::S3::BucketPolicy" for body in resources.values())


def test_verify_reports_the_controls_moto_did_not_apply(template: dict[str, object], reader: AwsReader) -> None:
    deploy(template)
    results = verify(reader, Selection(stacks=[STACK]))
    status = by_logical_id(results)
    phi = next(r.resource.logical_id for r in results if r.resource.logical_id
               and r.resource.logical_id.startswith("PhiData") and r.resource.kind == "S3Bucket")
    logs = next(r.resource.logical_id for r in results if r.resource.logical_id
                and r.resource.logical_id.startswith("AccessLogs") and r.resource.kind == "S3Bucket")
    key = next(r.resource.logical_id for r in results if r.resource.kind == "KMSKey")
    assert {r.resource.stack for r in results} == {STACK}
    key_resource = next(r.resource for r in results if r.resource.kind == "KMSKey")
    assert {"omics", "s3"} <= set(key_resource.expected["via_services"])  # read from the template

    # Applied by moto, so they pass: the key (rotation, policy with the grant-ready statements), the
    # bucket's SSE-KMS under the template's key, and the tags that tell a PHI bucket from a log bucket.
    for check in ("KMSKeyUsable", "KMSKeyRotationEnabled", "KMSGrantServiceStatementScoped",
                  "KMSGrantStatementsPresent", "KMSKeyPolicyNoOpenPrincipal"):
        assert status[(key, check)] is Status.COMPLIANT, check
    assert status[(phi, "S3KmsEncryption")] is Status.COMPLIANT
    assert status[(logs, "S3KmsEncryption")] is Status.NOT_APPLICABLE

    # In the template, not applied by moto: reported from the live state.
    for check in ("S3BucketVersioning", "S3ObjectLockDefaultRetention", "S3BucketKeyEnabled", "S3PublicAccessBlock",
                  "S3OwnershipEnforced", "S3TlsRequired", "S3MinimumTls", "S3ServerAccessLogging"):
        assert status[(phi, check)] is Status.NON_COMPLIANT, check
    for check in ("S3BucketVersioning", "S3PublicAccessBlock", "S3OwnershipEnforced", "S3TlsRequired"):
        assert status[(logs, check)] is Status.NON_COMPLIANT, check


def test_a_key_swapped_outside_the_stack_is_reported(template: dict[str, object], reader: AwsReader) -> None:
    deploy(template)
    other = boto3.client("kms", region_name=REGION).create_key()["KeyMetadata"]
    bucket = next(r["PhysicalResourceId"] for r in boto3.client("cloudformation", region_name=REGION)
                  .list_stack_resources(StackName=STACK)["StackResourceSummaries"]
                  if r["LogicalResourceId"].startswith("PhiData") and r["ResourceType"] == "AWS::S3::Bucket")
    boto3.client("s3", region_name=REGION).put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": other["Arn"]},
                   "BucketKeyEnabled": True}]})
    found = {r.check.id: r.verdict.detail for r in verify(reader, Selection(stacks=[STACK]))
             if r.failed and r.resource.name == bucket}
    assert found["S3KmsEncryption"].startswith(f"default encryption uses key {other['KeyId']}, not ")
    assert "S3BucketKeyEnabled" not in found
