"""A compliant environment created through the AWS APIs in moto, and the drift tests apply to it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import boto3

ACCOUNT = "123456789012"  # moto's default account
REGION = "us-east-1"
REPLICA_REGION = "us-west-2"
PHI_BUCKET = "omics-secure-verify-phi"
LOG_BUCKET = "omics-secure-verify-logs"
REPLICA_BUCKET = "omics-secure-verify-replica"
TRAIL_BUCKET = "omics-secure-verify-trail"
TRAIL = "omics-secure-verify-trail"


@dataclass(frozen=True)
class Environment:
    key_arn: str
    key_id: str
    replica_key_arn: str
    trail_arn: str
    vpc_id: str


def key_policy(account: str = ACCOUNT, region: str = REGION, *, scoped: bool = True) -> dict[str, object]:
    condition: dict[str, object] = {"StringEquals": {"kms:ViaService": f"omics.{region}.amazonaws.com",
                                                     "kms:CallerAccount": account}}
    if not scoped:
        condition = {"StringEquals": {"kms:ViaService": f"omics.{region}.amazonaws.com"}}
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "AccountAdministration", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
         "Action": "kms:*", "Resource": "*"},
        {"Sid": "AllowHealthOmicsStorageUseViaService", "Effect": "Allow",
         "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
         "Action": ["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey"], "Resource": "*",
         "Condition": condition},
    ]}


def bucket_policy(bucket: str, *, tls_deny: bool = True, minimum_tls: str = "1.2") -> dict[str, object]:
    resources = [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]
    statements: list[dict[str, object]] = [
        {"Sid": "DenyOldTls", "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "s3:*", "Resource": resources,
         "Condition": {"NumericLessThan": {"s3:TlsVersion": minimum_tls}}}]
    if tls_deny:
        statements.insert(0, {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": {"AWS": "*"},
                              "Action": "s3:*", "Resource": resources,
                              "Condition": {"Bool": {"aws:SecureTransport": "false"}}})
    return {"Version": "2012-10-17", "Statement": statements}


def _harden(s3: object, bucket: str, classification: str) -> None:
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})  # type: ignore[attr-defined]
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={  # type: ignore[attr-defined]
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    s3.put_bucket_ownership_controls(  # type: ignore[attr-defined]
        Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})
    policy = bucket_policy(bucket)
    if classification == "access-logs":
        policy["Statement"].append({  # type: ignore[attr-defined]
            "Sid": "S3ServerAccessLogsPolicy", "Effect": "Allow", "Principal": {"Service": "logging.s3.amazonaws.com"},
            "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{bucket}/*"})
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))  # type: ignore[attr-defined]
    s3.put_bucket_tagging(Bucket=bucket, Tagging={  # type: ignore[attr-defined]
        "TagSet": [{"Key": "omics-secure:data-classification", "Value": classification}]})


def build_environment() -> Environment:
    kms = boto3.client("kms", region_name=REGION)
    key = kms.create_key(Policy=json.dumps(key_policy()), Description="PHI data key")["KeyMetadata"]
    kms.enable_key_rotation(KeyId=key["KeyId"])
    replica_kms = boto3.client("kms", region_name=REPLICA_REGION)
    replica_key = replica_kms.create_key(Policy=json.dumps(key_policy(region=REPLICA_REGION)))["KeyMetadata"]

    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=LOG_BUCKET)
    _harden(s3, LOG_BUCKET, "access-logs")

    replica_s3 = boto3.client("s3", region_name=REPLICA_REGION)
    replica_s3.create_bucket(Bucket=REPLICA_BUCKET, CreateBucketConfiguration={"LocationConstraint": REPLICA_REGION})
    replica_s3.put_bucket_versioning(Bucket=REPLICA_BUCKET, VersioningConfiguration={"Status": "Enabled"})

    # No replication: moto 5 drops SourceSelectionCriteria from GetBucketReplication, so a compliant rule
    # cannot round-trip; the replication check is tested on recorded API responses (test_checks.py).
    s3.create_bucket(Bucket=PHI_BUCKET, ObjectLockEnabledForBucket=True)
    _harden(s3, PHI_BUCKET, "phi")
    s3.put_object_lock_configuration(Bucket=PHI_BUCKET, ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 30}}})
    s3.put_bucket_encryption(Bucket=PHI_BUCKET, ServerSideEncryptionConfiguration={"Rules": [{
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key["Arn"]},
        "BucketKeyEnabled": True}]})
    s3.put_bucket_logging(Bucket=PHI_BUCKET, BucketLoggingStatus={
        "LoggingEnabled": {"TargetBucket": LOG_BUCKET, "TargetPrefix": f"{PHI_BUCKET}/"}})

    s3.create_bucket(Bucket=TRAIL_BUCKET)
    cloudtrail = boto3.client("cloudtrail", region_name=REGION)
    trail = cloudtrail.create_trail(Name=TRAIL, S3BucketName=TRAIL_BUCKET, IsMultiRegionTrail=True,
                                    EnableLogFileValidation=True, KmsKeyId=key["Arn"],
                                    IncludeGlobalServiceEvents=True)
    cloudtrail.put_event_selectors(TrailName=TRAIL, EventSelectors=[{
        "ReadWriteType": "All", "IncludeManagementEvents": True,
        "DataResources": [{"Type": "AWS::S3::Object", "Values": [f"arn:aws:s3:::{PHI_BUCKET}/"]}]}])
    cloudtrail.start_logging(Name=TRAIL)

    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    ec2.create_flow_logs(ResourceIds=[vpc], ResourceType="VPC", TrafficType="ALL",
                         LogDestinationType="cloud-watch-logs", LogGroupName="/omics-secure/flow-logs",
                         DeliverLogsPermissionArn=f"arn:aws:iam::{ACCOUNT}:role/flow-logs")
    ec2.create_vpc_endpoint(VpcId=vpc, ServiceName=f"com.amazonaws.{REGION}.s3", VpcEndpointType="Gateway")
    return Environment(key_arn=key["Arn"], key_id=key["KeyId"], replica_key_arn=replica_key["Arn"],
                       trail_arn=trail["TrailARN"], vpc_id=vpc)


def outcomes(results: list[Any]) -> dict[tuple[str, str], str]:
    """(check id, resource name) -> 'compliant' / 'non-compliant' / 'not-applicable'."""
    return {(r.check.id, r.resource.name): r.verdict.status.value for r in results}


def failures(results: list[Any]) -> dict[tuple[str, str], str]:
    """(check id, resource name) -> the finding's detail, for failed checks only."""
    return {(r.check.id, r.resource.name): r.verdict.detail for r in results if r.failed}
