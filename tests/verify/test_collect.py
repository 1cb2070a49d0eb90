"""verify against moto: a compliant environment created through the AWS APIs, then drift, one change each."""

from __future__ import annotations

import json

import boto3
import pytest

from omics_secure.verify import AwsReader, Selection
from tests.verify.environment import (
    LOG_BUCKET,
    PHI_BUCKET,
    REGION,
    REPLICA_BUCKET,
    TRAIL,
    Environment,
    bucket_policy,
    failures,
    outcomes,
)
from tests.verify.rules import verify


def everything(environment: Environment) -> Selection:
    return Selection(buckets=[PHI_BUCKET, LOG_BUCKET], keys=[environment.key_arn], trails=[TRAIL],
                     vpcs=[environment.vpc_id])


def test_the_compliant_environment_passes_every_check(reader: AwsReader, environment: Environment) -> None:
    results = verify(reader, everything(environment))
    assert failures(results) == {}
    status = outcomes(results)
    for check in ("S3BucketVersioning", "S3ObjectLockDefaultRetention", "S3KmsEncryption", "S3BucketKeyEnabled",
                  "S3PublicAccessBlock", "S3OwnershipEnforced", "S3TlsRequired", "S3MinimumTls",
                  "S3ServerAccessLogging"):
        assert status[(check, PHI_BUCKET)] == "compliant", check
    for check in ("KMSKeyUsable", "KMSKeyRotationEnabled", "KMSGrantServiceStatementScoped",
                  "KMSKeyPolicyNoOpenPrincipal"):
        assert status[(check, environment.key_arn)] == "compliant", check
    for check in ("CloudTrailLogging", "CloudTrailLogFileValidation", "CloudTrailKmsEncrypted",
                  "CloudTrailAllRegions", "CloudTrailPhiBucketDataEvents"):
        assert status[(check, environment.trail_arn)] == "compliant", check
    for check in ("VPCFlowLogsAllTraffic", "VPCNoInternetGateway", "VPCNoNatGateway", "VPCEndpointsPresent"):
        assert status[(check, environment.vpc_id)] == "compliant", check


def test_an_access_log_bucket_gets_the_baseline_checks_only(reader: AwsReader, environment: Environment) -> None:
    status = outcomes(verify(reader, Selection(buckets=[LOG_BUCKET])))
    assert status[("S3BucketVersioning", LOG_BUCKET)] == "compliant"
    assert status[("S3MinimumTls", LOG_BUCKET)] == "compliant"
    for check in ("S3ObjectLockDefaultRetention", "S3KmsEncryption", "S3ServerAccessLogging"):
        assert status[(check, LOG_BUCKET)] == "not-applicable"


def test_a_bucket_in_another_region_is_read_in_its_region(reader: AwsReader, environment: Environment) -> None:
    found = failures(verify(reader, Selection(buckets=[REPLICA_BUCKET])))
    assert ("S3BucketVersioning", REPLICA_BUCKET) not in found  # read from us-west-2, where it is enabled
    assert found[("S3KmsEncryption", REPLICA_BUCKET)]  # untagged, so judged as PHI: no SSE-KMS there


def test_versioning_suspended(reader: AwsReader, environment: Environment) -> None:
    boto3.client("s3", region_name=REGION).put_bucket_versioning(
        Bucket=LOG_BUCKET, VersioningConfiguration={"Status": "Suspended"})
    assert failures(verify(reader, everything(environment))) == {
        ("S3BucketVersioning", LOG_BUCKET): "versioning is Suspended"}


def test_a_policy_without_the_tls_deny(reader: AwsReader, environment: Environment) -> None:
    boto3.client("s3", region_name=REGION).put_bucket_policy(
        Bucket=PHI_BUCKET, Policy=json.dumps(bucket_policy(PHI_BUCKET, tls_deny=False)))
    assert failures(verify(reader, everything(environment))) == {
        ("S3TlsRequired", PHI_BUCKET): "no bucket-policy statement denies s3:* when aws:SecureTransport is false"}


def test_a_policy_with_a_weak_tls_floor_and_a_deleted_policy(reader: AwsReader, environment: Environment) -> None:
    s3 = boto3.client("s3", region_name=REGION)
    s3.put_bucket_policy(Bucket=PHI_BUCKET, Policy=json.dumps(bucket_policy(PHI_BUCKET, minimum_tls="1.1")))
    s3.delete_bucket_policy(Bucket=LOG_BUCKET)
    found = failures(verify(reader, everything(environment)))
    assert found[("S3MinimumTls", PHI_BUCKET)] == "the bucket policy denies only TLS older than 1.1"
    assert set(found) == {("S3MinimumTls", PHI_BUCKET), ("S3TlsRequired", LOG_BUCKET), ("S3MinimumTls", LOG_BUCKET)}


def test_rotation_off(reader: AwsReader, environment: Environment) -> None:
    boto3.client("kms", region_name=REGION).disable_key_rotation(KeyId=environment.key_id)
    assert failures(verify(reader, everything(environment))) == {
        ("KMSKeyRotationEnabled", environment.key_arn): "automatic rotation is off"}


def test_a_key_scheduled_for_deletion(reader: AwsReader, environment: Environment) -> None:
    boto3.client("kms", region_name=REGION).schedule_key_deletion(KeyId=environment.key_id, PendingWindowInDays=7)
    found = failures(verify(reader, everything(environment)))
    assert found[("KMSKeyUsable", environment.key_arn)].startswith("the key is scheduled for deletion on")
    assert found[("S3KmsEncryption", PHI_BUCKET)] == f"the bucket's key {environment.key_arn} is PendingDeletion"


def test_trail_stopped(reader: AwsReader, environment: Environment) -> None:
    boto3.client("cloudtrail", region_name=REGION).stop_logging(Name=TRAIL)
    assert failures(verify(reader, everything(environment))) == {
        ("CloudTrailLogging", environment.trail_arn): "the trail is stopped (IsLogging is false)"}


def test_trail_without_validation_and_data_events(reader: AwsReader, environment: Environment) -> None:
    cloudtrail = boto3.client("cloudtrail", region_name=REGION)
    cloudtrail.update_trail(Name=TRAIL, EnableLogFileValidation=False, IsMultiRegionTrail=False)
    cloudtrail.put_event_selectors(TrailName=TRAIL, EventSelectors=[
        {"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True,
         "DataResources": [{"Type": "AWS::S3::Object", "Values": [f"arn:aws:s3:::{PHI_BUCKET}/"]}]}])
    found = failures(verify(reader, everything(environment)))
    assert found == {
        ("CloudTrailLogFileValidation", environment.trail_arn): "log file validation is off",
        ("CloudTrailAllRegions", environment.trail_arn): "the trail is not multi-region",
        ("CloudTrailPhiBucketDataEvents", environment.trail_arn):
            f"no event selector records read and write data events for every object of {PHI_BUCKET}",
    }


def test_advanced_event_selectors_cover_the_phi_bucket(reader: AwsReader, environment: Environment) -> None:
    boto3.client("cloudtrail", region_name=REGION).put_event_selectors(TrailName=TRAIL, AdvancedEventSelectors=[
        {"Name": "PHI objects", "FieldSelectors": [
            {"Field": "eventCategory", "Equals": ["Data"]},
            {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
            {"Field": "resources.ARN", "StartsWith": [f"arn:aws:s3:::{PHI_BUCKET}/"]}]}])
    status = outcomes(verify(reader, everything(environment)))
    assert status[("CloudTrailPhiBucketDataEvents", environment.trail_arn)] == "compliant"


def test_bucket_drift_in_encryption_public_access_ownership_lock_and_logging(
        reader: AwsReader, environment: Environment) -> None:
    s3 = boto3.client("s3", region_name=REGION)
    s3.put_bucket_encryption(Bucket=PHI_BUCKET, ServerSideEncryptionConfiguration={"Rules": [{
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    s3.put_public_access_block(Bucket=PHI_BUCKET, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": False, "RestrictPublicBuckets": False})
    s3.put_bucket_ownership_controls(Bucket=PHI_BUCKET,
                                     OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]})
    s3.put_object_lock_configuration(Bucket=PHI_BUCKET, ObjectLockConfiguration={"ObjectLockEnabled": "Enabled"})
    s3.put_bucket_logging(Bucket=PHI_BUCKET, BucketLoggingStatus={})
    found = failures(verify(reader, Selection(buckets=[PHI_BUCKET])))
    assert found == {
        ("S3KmsEncryption", PHI_BUCKET): "default encryption is AES256, not SSE-KMS or DSSE-KMS",
        ("S3PublicAccessBlock", PHI_BUCKET): "BlockPublicPolicy, RestrictPublicBuckets not true",
        ("S3OwnershipEnforced", PHI_BUCKET): "object ownership is ObjectWriter, not BucketOwnerEnforced",
        ("S3ObjectLockDefaultRetention", PHI_BUCKET):
            "object lock has no default retention mode (GOVERNANCE or COMPLIANCE)",
        ("S3ServerAccessLogging", PHI_BUCKET): "server access logging is off",
    }


def test_bucket_key_off(reader: AwsReader, environment: Environment) -> None:
    boto3.client("s3", region_name=REGION).put_bucket_encryption(
        Bucket=PHI_BUCKET, ServerSideEncryptionConfiguration={"Rules": [{"ApplyServerSideEncryptionByDefault": {
            "SSEAlgorithm": "aws:kms", "KMSMasterKeyID": environment.key_arn}, "BucketKeyEnabled": False}]})
    assert failures(verify(reader, Selection(buckets=[PHI_BUCKET]))) == {
        ("S3BucketKeyEnabled", PHI_BUCKET): "SSE-KMS default encryption without BucketKeyEnabled"}


def test_vpc_drift_gateways_and_flow_logs(reader: AwsReader, environment: Environment) -> None:
    ec2 = boto3.client("ec2", region_name=REGION)
    gateway = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=gateway, VpcId=environment.vpc_id)
    subnet = ec2.create_subnet(VpcId=environment.vpc_id, CidrBlock="10.20.1.0/24")["Subnet"]["SubnetId"]
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=subnet, AllocationId=allocation)["NatGateway"]["NatGatewayId"]
    flow_logs = ec2.describe_flow_logs()["FlowLogs"]
    ec2.delete_flow_logs(FlowLogIds=[f["FlowLogId"] for f in flow_logs])
    ec2.create_flow_logs(ResourceIds=[environment.vpc_id], ResourceType="VPC", TrafficType="REJECT",
                         LogDestinationType="cloud-watch-logs", LogGroupName="/omics-secure/rejected",
                         DeliverLogsPermissionArn="arn:aws:iam::123456789012:role/flow-logs")
    endpoints = [e["VpcEndpointId"] for e in ec2.describe_vpc_endpoints()["VpcEndpoints"]]
    ec2.delete_vpc_endpoints(VpcEndpointIds=endpoints)
    found = failures(verify(reader, Selection(vpcs=[environment.vpc_id])))
    vpc = environment.vpc_id
    assert found == {
        ("VPCFlowLogsAllTraffic", vpc): "flow logs record only REJECT traffic",
        ("VPCNoInternetGateway", vpc): f"internet gateway attached: {gateway}",
        ("VPCNoNatGateway", vpc): f"NAT gateway present: {nat}",
        ("VPCEndpointsPresent", vpc): "the VPC has no endpoints: AWS services are unreachable without an internet path",
    }


def test_a_deleted_bucket_fails_every_check_as_missing(reader: AwsReader, environment: Environment) -> None:
    results = verify(reader, Selection(buckets=["omics-secure-verify-gone"]))
    assert results and all(r.failed and r.verdict.detail == "the resource does not exist" for r in results)


@pytest.mark.parametrize("flag", ["keys", "trails", "vpcs"])
def test_other_missing_resources_are_findings_not_crashes(reader: AwsReader, environment: Environment,
                                                          flag: str) -> None:
    name = {"keys": "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000",
            "trails": "no-such-trail", "vpcs": "vpc-00000000000000000"}[flag]
    results = verify(reader, Selection(**{flag: [name]}))
    assert results and all(r.failed for r in results)
