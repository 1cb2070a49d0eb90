"""The declared operations are exactly the calls verify makes, all read-only; AWS configuration is honoured."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.stub import Stubber

from omics_secure.verify import OPERATIONS, AwsReader, Selection, VerifyError, required_actions
from omics_secure.verify.collect import APPROVAL_ACCESS_POINT, Target, collect
from tests.verify.environment import LOG_BUCKET, PHI_BUCKET, REGION, TRAIL, Environment
from tests.verify.rules import verify
from tests.verify.test_services import DATASTORE_ARN, REFERENCE_STORE_ARN, SEQUENCE_STORE_ARN, datastore, store

SMALL_TEMPLATE = {"Resources": {
    "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "in-a-stack"}},
    "Approval": {"Type": "AWS::IAM::Role", "Properties": {
        "AssumeRolePolicyDocument": {"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                    "Principal": {"AWS": "arn:aws:iam::123456789012:root"}}]},
        "Tags": [{"Key": "omics-secure:approval-id", "Value": "phs1"},
                 {"Key": "omics-secure:approval-ends", "Value": "2030-01-01"}]}},
}}


def test_verify_calls_exactly_the_declared_operations(reader: AwsReader, environment: Environment) -> None:
    boto3.client("cloudformation", region_name=REGION).create_stack(
        StackName="Small", TemplateBody=json.dumps(SMALL_TEMPLATE), Capabilities=["CAPABILITY_IAM"])
    omics, healthlake = Stubber(reader.client("omics")), Stubber(reader.client("healthlake"))
    omics.add_response("get_sequence_store", store(SEQUENCE_STORE_ARN, {"type": "KMS", "keyArn": environment.key_arn}))
    omics.add_response("get_reference_store", store(REFERENCE_STORE_ARN, {"type": "KMS"}))
    healthlake.add_response("describe_fhir_datastore", datastore({"CmkType": "AWS_OWNED_KMS_KEY"}))
    collect(reader, [Target(APPROVAL_ACCESS_POINT, "an-access-point", {"account": "123456789012"})])
    with omics, healthlake:
        verify(reader, Selection(stacks=["Small"], buckets=[PHI_BUCKET, LOG_BUCKET], keys=[environment.key_arn],
                                 trails=[TRAIL], vpcs=[environment.vpc_id], sequence_stores=[SEQUENCE_STORE_ARN],
                                 reference_stores=[REFERENCE_STORE_ARN], datastores=[DATASTORE_ARN]))
    assert reader.called == set(OPERATIONS)


def test_every_declared_action_is_read_only_and_named_in_iam_form() -> None:
    for (service, operation), action in OPERATIONS.items():
        prefix, name = action.split(":")
        assert name.startswith(("Get", "List", "Describe")), action
        assert prefix == {"s3control": "s3"}.get(service, service), action  # S3 Control is authorised as s3:
        assert operation.replace("_", "").startswith(("get", "list", "describe")), operation
    assert required_actions() == sorted(set(OPERATIONS.values()))
    assert "s3:GetEncryptionConfiguration" in required_actions()  # GetBucketEncryption's IAM action


def test_an_undeclared_call_is_refused(reader: AwsReader) -> None:
    with pytest.raises(AssertionError, match=r"verify may not call s3.delete_bucket"):
        reader.call("s3", "delete_bucket", Bucket="anything")


def test_access_denied_is_one_line_naming_the_iam_action(reader: AwsReader) -> None:
    s3 = Stubber(reader.client("s3"))
    s3.add_client_error("get_bucket_location", service_error_code="AccessDenied", service_message="Access Denied",
                        http_status_code=403)
    with s3, pytest.raises(VerifyError, match=r"^s3:GetBucketLocation failed: AccessDenied: Access Denied$"):
        verify(reader, Selection(buckets=["someone-elses"]))


def test_a_stack_that_does_not_exist_is_one_line(reader: AwsReader) -> None:
    with pytest.raises(VerifyError, match=r"cloudformation:ListStackResources failed: ValidationError: .*Nope"):
        verify(reader, Selection(stacks=["Nope"]))


def test_nothing_to_verify(reader: AwsReader) -> None:
    with pytest.raises(VerifyError, match="nothing to verify"):
        verify(reader, Selection())


def test_the_standard_configuration_reaches_the_clients(monkeypatch: pytest.MonkeyPatch) -> None:
    """boto3 reads AWS_ENDPOINT_URL (and per-service AWS_ENDPOINT_URL_<SERVICE>) itself: verify runs
    against a local emulator with no flag of its own."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://localhost:4566")
    monkeypatch.setenv("AWS_ENDPOINT_URL_KMS", "http://localhost:4599")
    reader = AwsReader(boto3.Session(region_name="eu-west-2"))
    assert reader.client("s3").meta.endpoint_url == "http://localhost:4566"
    assert reader.client("kms").meta.endpoint_url == "http://localhost:4599"
    assert reader.client("s3").meta.region_name == "eu-west-2"
    assert reader.client("s3", "us-west-2").meta.region_name == "us-west-2"
