"""PhiBucket, AccessLogBucket and PhiReplicaBucket: every guarantee, every error, and clean packs."""

from __future__ import annotations

import datetime
import json
import re
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Annotations, Match, Template

from omics_secure import (
    AccessLogBucket,
    Encryption,
    KeyService,
    ObjectLockMode,
    OmicsSecureConfigError,
    PhiBucket,
    PhiKey,
    PhiReplicaBucket,
    RawDataTiering,
    TlsVersion,
)
from tests.harness import ACCOUNT, ENV, REGION, REPLICA_REGION, check_compliance, make_app

PHI_TAG = {"Key": "omics-secure:data-classification", "Value": "phi"}
LOG_TAG = {"Key": "omics-secure:data-classification", "Value": "access-logs"}
REPLICA_ENV = cdk.Environment(account=ACCOUNT, region=REPLICA_REGION)
ALIAS = "alias/omics-secure/ReplicaStack/Replica"


def resources(stack: cdk.Stack, type_: str) -> dict[str, Any]:
    return Template.from_stack(stack).find_resources(type_)


def phi_bucket_resource(stack: cdk.Stack) -> dict[str, Any]:
    buckets = [body for body in resources(stack, "AWS::S3::Bucket").values()
               if PHI_TAG in body["Properties"].get("Tags", [])]
    assert len(buckets) == 1
    return buckets[0]


def policy_statements(stack: cdk.Stack, bucket_logical_prefix: str) -> list[dict[str, Any]]:
    policies = [body for logical_id, body in resources(stack, "AWS::S3::BucketPolicy").items()
                if logical_id.startswith(bucket_logical_prefix)]
    assert len(policies) == 1, f"expected one bucket policy for {bucket_logical_prefix}"
    return policies[0]["Properties"]["PolicyDocument"]["Statement"]


def by_sid(statements: list[dict[str, Any]], sid: str) -> dict[str, Any]:
    matching = [s for s in statements if s.get("Sid") == sid]
    assert len(matching) == 1, f"expected one statement {sid}"
    return matching[0]


def key_statement(stack: cdk.Stack, sid: str) -> dict[str, Any]:
    statements = [s for body in resources(stack, "AWS::KMS::Key").values()
                  for s in body["Properties"]["KeyPolicy"]["Statement"] if s.get("Sid") == sid]
    assert len(statements) == 1, f"expected one key-policy statement {sid}"
    return statements[0]


# cdk-nag reports a PHI bucket without a replica; every other pack finding must be gone.
UNREPLICATED = {"HIPAA.Security-S3BucketReplicationEnabled", "NIST.800.53.R5-S3BucketReplicationEnabled"}


def assert_clean_but_unreplicated(stack: cdk.Stack, bucket_path: str = "TestStack/Phi/Resource/Resource"):
    result = check_compliance(stack)
    assert not result.lint_errors, result.describe()
    assert {(f.rule_id, f.construct_path) for f in result.open_findings} == {
        (rule_id, bucket_path) for rule_id in UNREPLICATED}, result.describe()
    return result


def warnings(stack: cdk.Stack) -> list[str]:
    return [str(w.entry.data) for w in Annotations.from_stack(stack).find_warning("*", Match.any_value())]


# PhiBucket defaults

@pytest.mark.slow
def test_defaults_encrypt_lock_version_block_log_and_retain(stack):
    phi = PhiBucket(stack, "Phi")
    body = phi_bucket_resource(stack)
    assert body["DeletionPolicy"] == "Retain" and body["UpdateReplacePolicy"] == "Retain"
    Template.from_stack(stack).has_resource_properties("AWS::S3::Bucket", {
        "BucketEncryption": {"ServerSideEncryptionConfiguration": [{
            "BucketKeyEnabled": True,
            "ServerSideEncryptionByDefault": {
                "SSEAlgorithm": "aws:kms",
                "KMSMasterKeyID": {"Fn::GetAtt": [Match.string_like_regexp("^PhiKey"), "Arn"]}},
        }]},
        "VersioningConfiguration": {"Status": "Enabled"},
        "ObjectLockEnabled": True,
        "ObjectLockConfiguration": {"ObjectLockEnabled": "Enabled",
                                    "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 30}}},
        "PublicAccessBlockConfiguration": {"BlockPublicAcls": True, "BlockPublicPolicy": True,
                                           "IgnorePublicAcls": True, "RestrictPublicBuckets": True},
        "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
        "LoggingConfiguration": {"DestinationBucketName": {"Ref": Match.string_like_regexp("^PhiAccessLogs")},
                                 "LogFilePrefix": "Phi/"},
        "Tags": Match.array_with([PHI_TAG]),
    })
    assert isinstance(phi.key, PhiKey) and KeyService.S3 in phi.key.services
    key_statement(stack, "AllowS3UseViaService")
    assert isinstance(phi.access_logs, AccessLogBucket)
    assert_clean_but_unreplicated(stack)


def test_lifecycle_aborts_uploads_tiers_and_expires_noncurrent_but_never_current_versions(stack):
    PhiBucket(stack, "Phi")
    rules = phi_bucket_resource(stack)["Properties"]["LifecycleConfiguration"]["Rules"]
    assert {"Id": "AbortIncompleteMultipartUploads", "Status": "Enabled",
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}} in rules
    noncurrent = next(r for r in rules if r["Id"] == "NoncurrentVersions")
    assert noncurrent["NoncurrentVersionTransitions"] == [{"StorageClass": "GLACIER_IR", "TransitionInDays": 30}]
    assert noncurrent["NoncurrentVersionExpiration"] == {"NoncurrentDays": 365}
    assert not any("ExpirationInDays" in r or "ExpirationDate" in r for r in rules)


def test_bucket_policy_denies_plain_http_old_tls_and_other_encryption(stack):
    phi = PhiBucket(stack, "Phi")
    statements = policy_statements(stack, "PhiPolicy")
    everyone = {"AWS": "*"}
    assert any(s["Effect"] == "Deny" and s["Principal"] == everyone and s["Action"] == "s3:*"
               and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in statements)
    assert any(s["Effect"] == "Deny" and s["Principal"] == everyone and s["Action"] == "s3:*"
               and s["Condition"] == {"NumericLessThan": {"s3:TlsVersion": 1.2}} for s in statements)
    other_algorithm = by_sid(statements, "DenyUploadsWithOtherEncryption")
    assert other_algorithm["Effect"] == "Deny" and other_algorithm["Action"] == "s3:PutObject"
    assert other_algorithm["Condition"] == {
        "StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"},
        "Null": {"s3:x-amz-server-side-encryption": "false"}}
    other_key = by_sid(statements, "DenyUploadsWithOtherKmsKey")
    assert other_key["Condition"] == {
        "StringNotEquals": {"s3:x-amz-server-side-encryption-aws-kms-key-id": stack.resolve(phi.key.key_arn)},
        "Null": {"s3:x-amz-server-side-encryption-aws-kms-key-id": "false"}}
    sse_c = by_sid(statements, "DenyUploadsWithCustomerProvidedKeys")
    assert sse_c["Condition"] == {"Null": {"s3:x-amz-server-side-encryption-customer-algorithm": "false"}}


def test_tls_1_3_can_be_required(stack):
    PhiBucket(stack, "Phi", minimum_tls_version=TlsVersion.TLS_1_3)
    statements = policy_statements(stack, "PhiPolicy")
    assert any(s.get("Condition") == {"NumericLessThan": {"s3:TlsVersion": 1.3}} for s in statements)
    assert not any(s.get("Condition") == {"NumericLessThan": {"s3:TlsVersion": 1.2}} for s in statements)


def test_given_phi_key_gets_its_s3_statements_and_no_new_key_is_made(stack):
    key = PhiKey(stack, "DataKey")
    phi = PhiBucket(stack, "Phi", key=key)
    assert phi.key is key
    Template.from_stack(stack).resource_count_is("AWS::KMS::Key", 1)
    key_statement(stack, "AllowS3UseViaService")


@pytest.mark.slow
def test_dsse_kms_has_no_bucket_key_and_is_accepted_by_the_project_rules(stack):
    PhiBucket(stack, "Phi", encryption=Encryption.DSSE_KMS)
    encryption = phi_bucket_resource(stack)["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms:dsse"
    assert encryption.get("BucketKeyEnabled") in (None, False)
    deny = by_sid(policy_statements(stack, "PhiPolicy"), "DenyUploadsWithOtherEncryption")
    assert deny["Condition"]["StringNotEquals"] == {"s3:x-amz-server-side-encryption": "aws:kms:dsse"}
    acknowledged = {(f.rule_id, f.construct_path) for f in assert_clean_but_unreplicated(stack).acknowledged_findings
                    if f.construct_path.startswith("TestStack/Phi/Resource")}
    assert acknowledged == {("HIPAA.Security-S3DefaultEncryptionKMS", "TestStack/Phi/Resource/Resource"),
                            ("NIST.800.53.R5-S3DefaultEncryptionKMS", "TestStack/Phi/Resource/Resource")}


def test_compliance_mode_is_set_only_when_asked_and_warns(stack):
    PhiBucket(stack, "Phi", object_lock_mode=ObjectLockMode.COMPLIANCE, object_lock_retention=cdk.Duration.days(2192))
    retention = phi_bucket_resource(stack)["Properties"]["ObjectLockConfiguration"]["Rule"]["DefaultRetention"]
    assert retention == {"Mode": "COMPLIANCE", "Days": 2192}
    assert any("COMPLIANCE mode is irreversible" in w for w in warnings(stack))


def test_governance_mode_does_not_warn(stack):
    PhiBucket(stack, "Phi")
    assert not any("irreversible" in w for w in warnings(stack))


def test_lifecycle_options_current_expiration_no_noncurrent_and_raw_data_tiering(stack):
    PhiBucket(stack, "Phi", current_version_expiration=cdk.Duration.days(3650), noncurrent_transition_after=None,
              noncurrent_expiration_after=cdk.Duration.days(90), abort_incomplete_uploads_after=cdk.Duration.days(2),
              tiering=RawDataTiering(prefix="raw/", archive_access_after=cdk.Duration.days(90),
                                     deep_archive_access_after=cdk.Duration.days(180)))
    properties = phi_bucket_resource(stack)["Properties"]
    rules = {r["Id"]: r for r in properties["LifecycleConfiguration"]["Rules"]}
    assert rules["AbortIncompleteMultipartUploads"]["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 2}
    assert rules["ExpireCurrentVersions"]["ExpirationInDays"] == 3650
    assert "NoncurrentVersionTransitions" not in rules["NoncurrentVersions"]
    assert rules["NoncurrentVersions"]["NoncurrentVersionExpiration"] == {"NoncurrentDays": 90}
    assert rules["RawDataTiering"]["Prefix"] == "raw/"
    assert rules["RawDataTiering"]["Transitions"] == [{"StorageClass": "INTELLIGENT_TIERING", "TransitionInDays": 0}]
    assert properties["IntelligentTieringConfigurations"] == [{
        "Id": "RawDataArchive", "Prefix": "raw/", "Status": "Enabled",
        "Tierings": [{"AccessTier": "ARCHIVE_ACCESS", "Days": 90}, {"AccessTier": "DEEP_ARCHIVE_ACCESS", "Days": 180}],
    }]


def test_archive_class_tiering_without_intelligent_tiering(stack):
    PhiBucket(stack, "Phi", tiering=RawDataTiering(prefix="raw/", storage_class=s3.StorageClass.DEEP_ARCHIVE,
                                                   transition_after=cdk.Duration.days(30)))
    properties = phi_bucket_resource(stack)["Properties"]
    rule = next(r for r in properties["LifecycleConfiguration"]["Rules"] if r["Id"] == "RawDataTiering")
    assert rule["Transitions"] == [{"StorageClass": "DEEP_ARCHIVE", "TransitionInDays": 30}]
    assert "IntelligentTieringConfigurations" not in properties


def test_data_use_end_date_expires_current_versions_at_midnight_utc(stack):
    PhiBucket(stack, "Phi", data_use_end_date=datetime.date(2099, 6, 30))
    rules = phi_bucket_resource(stack)["Properties"]["LifecycleConfiguration"]["Rules"]
    end = next(r for r in rules if r["Id"] == "DataUseEndDate")
    assert end["ExpirationDate"].startswith("2099-06-30T00:00:00")
    assert not any("outlives" in w or "has passed" in w for w in warnings(stack))


def test_warning_when_object_lock_outlives_the_data_use_end_date(stack):
    soon = datetime.datetime.now(datetime.UTC).date() + datetime.timedelta(days=10)
    PhiBucket(stack, "Phi", data_use_end_date=soon)  # default retention 30 days > 10 days
    assert any("Object-lock retention (30 days) outlives data_use_end_date" in w for w in warnings(stack))


def test_warning_when_the_data_use_end_date_has_passed(stack):
    PhiBucket(stack, "Phi", data_use_end_date=datetime.date(2001, 1, 1))
    assert any("data_use_end_date 2001-01-01 has passed" in w for w in warnings(stack))


@pytest.mark.slow
def test_vpc_endpoint_restriction_exempts_only_named_break_glass_roles(stack):
    endpoint = ec2.GatewayVpcEndpoint.from_gateway_vpc_endpoint_id(stack, "S3Endpoint", "vpce-0123456789abcdef0")
    break_glass = iam.Role.from_role_arn(stack, "BreakGlass", f"arn:aws:iam::{ACCOUNT}:role/incident-response")
    PhiBucket(stack, "Phi", vpc_endpoints=[endpoint], break_glass_roles=[break_glass])
    deny = by_sid(policy_statements(stack, "PhiPolicy"), "DenyDataAccessOutsideVpcEndpoints")
    assert deny["Effect"] == "Deny" and deny["Principal"] == {"AWS": "*"}
    assert "s3:GetObject*" in deny["Action"] and "s3:PutObject*" in deny["Action"]
    assert "s3:PutBucketPolicy" not in deny["Action"]
    assert deny["Condition"] == {
        "StringNotEquals": {"aws:SourceVpce": ["vpce-0123456789abcdef0"]},
        "ArnNotLike": {"aws:PrincipalArn": [f"arn:aws:iam::{ACCOUNT}:role/incident-response"]},
    }
    assert_clean_but_unreplicated(stack)


def test_no_vpc_endpoint_restriction_by_default(stack):
    PhiBucket(stack, "Phi")
    assert not any(s.get("Sid") == "DenyDataAccessOutsideVpcEndpoints" for s in policy_statements(stack, "PhiPolicy"))


def test_tags_are_applied_and_classification_tag_is_reserved(stack):
    PhiBucket(stack, "Phi", tags={"project": "study42"})
    assert {"Key": "project", "Value": "study42"} in phi_bucket_resource(stack)["Properties"]["Tags"]


def test_destroy_removal_policy_is_allowed_with_a_warning(stack):
    PhiBucket(stack, "Phi", removal_policy=cdk.RemovalPolicy.DESTROY)
    assert phi_bucket_resource(stack)["DeletionPolicy"] == "Delete"
    assert any("removal_policy=DESTROY" in w for w in warnings(stack))


# grants

def role_policy_statements(stack: cdk.Stack) -> list[dict[str, Any]]:
    assert resources(stack, "AWS::IAM::Policy") == {}, "grants must not create inline policies"
    (policy,) = resources(stack, "AWS::IAM::ManagedPolicy").values()
    return policy["Properties"]["PolicyDocument"]["Statement"]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@pytest.mark.parametrize("method, s3_actions, kms_actions", [
    ("grant_read", {"s3:ListBucket", "s3:GetBucketLocation", "s3:GetObject", "s3:GetObjectVersion",
                    "s3:GetObjectTagging"}, {"kms:Decrypt", "kms:DescribeKey"}),
    ("grant_write", {"s3:ListBucketMultipartUploads", "s3:PutObject", "s3:PutObjectTagging",
                     "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"},
     {"kms:GenerateDataKey", "kms:Decrypt", "kms:DescribeKey"}),
    ("grant_read_write", {"s3:ListBucket", "s3:GetBucketLocation", "s3:GetObject", "s3:GetObjectVersion",
                          "s3:GetObjectTagging", "s3:ListBucketMultipartUploads", "s3:PutObject",
                          "s3:PutObjectTagging", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"},
     {"kms:GenerateDataKey", "kms:Decrypt", "kms:DescribeKey"}),
])
def test_grants_name_every_action_on_bucket_and_key_together(stack, method, s3_actions, kms_actions):
    phi = PhiBucket(stack, "Phi")
    role = iam.Role(stack, "Pipeline", assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"))
    getattr(phi, method)(role)
    statements = role_policy_statements(stack)
    actions = {a for s in statements for a in as_list(s["Action"])}
    assert actions == s3_actions | kms_actions
    assert not any("*" in a for a in actions)
    (kms_statement,) = [s for s in statements if any(a.startswith("kms:") for a in as_list(s["Action"]))]
    assert kms_statement["Resource"] == stack.resolve(phi.key.key_arn)
    assert kms_statement["Condition"] == {"StringEquals": {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}}


@pytest.mark.slow
def test_grants_leave_no_wildcard_action_finding(stack):
    phi = PhiBucket(stack, "Phi")
    role = iam.Role(stack, "Pipeline", assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"))
    phi.grant_read_write(role, "runs/*")
    result = check_compliance(stack)
    assert [f for f in result.open_findings if f.rule_id not in UNREPLICATED] == []
    # The object-ARN pattern is the one wildcard S3 forces; the grant acknowledges it with its reason.
    (acknowledged,) = [f for f in result.acknowledged_findings if f.rule_id.startswith("AwsSolutions-IAM5")]
    assert acknowledged.rule_id == (
        f"AwsSolutions-IAM5[Resource::<{stack.get_logical_id(phi.bucket.node.default_child)}.Arn>/runs/*]")
    assert acknowledged.construct_path == "TestStack/Pipeline/OmicsSecureGrants/Resource"
    assert "key pattern 'runs/*'" in acknowledged.reason


# AccessLogBucket

@pytest.mark.slow
def test_access_log_bucket_is_sse_s3_versioned_tls_only_with_lifecycle(stack):
    logs = AccessLogBucket(stack, "Logs")
    PhiBucket(stack, "Phi", access_logs=logs)
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::S3::Bucket", 2)
    template.has_resource("AWS::S3::Bucket", {
        "DeletionPolicy": "Retain",
        "Properties": Match.object_like({
            "BucketEncryption": {"ServerSideEncryptionConfiguration": [
                {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]},
            "VersioningConfiguration": {"Status": "Enabled"},
            "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
            "PublicAccessBlockConfiguration": Match.object_like({"BlockPublicAcls": True}),
            "LifecycleConfiguration": {"Rules": Match.array_with([
                Match.object_like({"Id": "ExpireLogs", "ExpirationInDays": 2192}),
                Match.object_like({"Id": "ExpireNoncurrentVersions",
                                   "NoncurrentVersionExpiration": {"NoncurrentDays": 30}}),
            ])},
            "Tags": [LOG_TAG],
        }),
    })
    statements = policy_statements(stack, "LogsPolicy")
    assert any(s.get("Condition") == {"NumericLessThan": {"s3:TlsVersion": 1.2}} for s in statements)
    assert "ObjectLockEnabled" not in resources(stack, "AWS::S3::Bucket")[stack.get_logical_id(
        logs.bucket.node.default_child)]["Properties"]  # type: ignore[arg-type]
    acknowledged = [f for f in assert_clean_but_unreplicated(stack).acknowledged_findings
                    if f.construct_path.startswith("TestStack/Logs")]
    assert {f.rule_id for f in acknowledged} == {
        "HIPAA.Security-S3DefaultEncryptionKMS", "NIST.800.53.R5-S3DefaultEncryptionKMS",
        "HIPAA.Security-S3BucketReplicationEnabled", "NIST.800.53.R5-S3BucketReplicationEnabled"}
    assert all(f.construct_path == "TestStack/Logs/Resource/Resource" for f in acknowledged)
    assert all("server access logging destination buckets" in (f.reason or "")
               for f in acknowledged if f.rule_id.endswith("S3DefaultEncryptionKMS"))


def test_access_log_bucket_retention_is_configurable(stack):
    AccessLogBucket(stack, "Logs", retention=cdk.Duration.days(400))
    Template.from_stack(stack).has_resource_properties("AWS::S3::Bucket", {
        "LifecycleConfiguration": {"Rules": Match.array_with([
            Match.object_like({"Id": "ExpireLogs", "ExpirationInDays": 400})])}})


def test_access_log_bucket_works_without_the_feature_flag_in_context(tmp_path):
    app = cdk.App(outdir=str(tmp_path), builtin_cloud_formation_validation=False)  # no cdk.json context at all
    stack = cdk.Stack(app, "Bare", env=ENV)
    PhiBucket(stack, "Phi")
    statements = policy_statements(stack, "PhiAccessLogsPolicy")
    assert any(s.get("Principal") == {"Service": "logging.s3.amazonaws.com"} for s in statements)


@pytest.mark.parametrize("kwargs, match", [
    ({"bucket_name": "logs-for-jane.doe@example.org"}, r"bucket_name=.*looks like PHI \(e-mail address\)"),
    ({"bucket_name": "Logs_Bucket"}, r"bucket_name='Logs_Bucket': use 3-63 lower-case letters"),
    ({"retention": cdk.Duration.days(0)}, r"retention='0 days': must be 1 to 36500 days"),
    ({"removal_policy": cdk.RemovalPolicy.SNAPSHOT}, r"removal_policy=.*RETAIN \(the default\) or DESTROY"),
])
def test_access_log_bucket_errors(stack, kwargs, match):
    with pytest.raises(OmicsSecureConfigError, match=match):
        AccessLogBucket(stack, "Logs", **kwargs)


# PhiBucket errors

@pytest.mark.parametrize("kwargs, match", [
    ({"bucket_name": "jane.doe@example.org"}, r"bucket_name=.*looks like PHI \(e-mail address\)"),
    ({"bucket_name": "study-123-45-6789"}, r"looks like PHI \(social security number\)"),
    ({"bucket_name": "xn--study"}, r"S3 bucket naming rules"),
    ({"bucket_name": "a..b"}, r"S3 bucket naming rules"),
    ({"bucket_name": "192.168.1.1"}, r"S3 bucket naming rules"),
    ({"tags": {"owner": "555-867-5309"}}, r"tags\['owner'\]=.*looks like PHI \(phone number\)"),
    ({"tags": {"MRN 0012345": "x"}}, r"looks like PHI \(medical record number\)"),
    ({"tags": {"omics-secure:data-classification": "public"}}, r"this tag is set by the construct"),
    ({"encryption": "AES256"}, r"encryption='AES256': pass a member of Encryption \(Encryption.SSE_KMS, "
                               r"Encryption.DSSE_KMS\)"),
    ({"object_lock_mode": "GOVERNANCE"}, r"object_lock_mode='GOVERNANCE': pass ObjectLockMode.GOVERNANCE, not the "
                                         r"string"),
    ({"minimum_tls_version": 1.0}, r"minimum_tls_version=1.0: pass a member of TlsVersion \(TlsVersion.TLS_1_2, "
                                   r"TlsVersion.TLS_1_3\)"),
    ({"object_lock_retention": cdk.Duration.days(0)}, r"object_lock_retention='0 days': must be 1 to 36500"),
    ({"object_lock_retention": cdk.Duration.days(36501)}, r"object_lock_retention='36501 days'"),
    ({"object_lock_retention": cdk.Duration.hours(36)}, r"object_lock_retention='1 day 12 hours'.*whole number"),
    ({"object_lock_retention": 30}, r"object_lock_retention=30: pass a cdk.Duration"),
    ({"abort_incomplete_uploads_after": cdk.Duration.days(0)}, r"abort_incomplete_uploads_after='0 days'"),
    ({"noncurrent_expiration_after": cdk.Duration.days(30)},
     r"noncurrent_expiration_after='30 days': expire noncurrent versions after they are transitioned"),
    ({"current_version_expiration": cdk.Duration.days(0)}, r"current_version_expiration='0 days'"),
    ({"data_use_end_date": "2030-06-30"}, r"data_use_end_date='2030-06-30': pass a datetime.date"),
    ({"data_use_end_date": datetime.datetime(2030, 6, 30)}, r"data_use_end_date=.*pass a datetime.date"),
    ({"removal_policy": cdk.RemovalPolicy.SNAPSHOT}, r"removal_policy=.*RETAIN \(the default\) or DESTROY"),
    ({"tiering": "raw/"}, r"tiering='raw/': pass a RawDataTiering"),
    ({"tiering": RawDataTiering(storage_class=s3.StorageClass.INFREQUENT_ACCESS)},
     r"tiering.storage_class='STANDARD_IA': use INTELLIGENT_TIERING"),
    ({"tiering": RawDataTiering(storage_class=s3.StorageClass.GLACIER, archive_access_after=cdk.Duration.days(90))},
     r"archive access tiers apply to INTELLIGENT_TIERING only"),
    ({"tiering": RawDataTiering(archive_access_after=cdk.Duration.days(30))},
     r"tiering.archive_access_after='30 days': must be 90 to 730"),
    ({"tiering": RawDataTiering(archive_access_after=cdk.Duration.days(200),
                                deep_archive_access_after=cdk.Duration.days(180))},
     r"tiering.deep_archive_access_after='180 days': must be longer than archive_access_after"),
    ({"replication_time_control": True}, r"replication_time_control=True: pass replica=PhiReplicaBucket"),
    ({"replica": "arn:aws:s3:::replica"}, r"replica='arn:aws:s3:::replica': pass a PhiReplicaBucket"),
])
def test_phi_bucket_errors(stack, kwargs, match):
    with pytest.raises(OmicsSecureConfigError, match=match):
        PhiBucket(stack, "Phi", **kwargs)


def test_break_glass_roles_need_vpc_endpoints(stack):
    role = iam.Role.from_role_arn(stack, "BreakGlass", f"arn:aws:iam::{ACCOUNT}:role/incident-response")
    with pytest.raises(OmicsSecureConfigError, match=r"break_glass_roles=.*pass vpc_endpoints too"):
        PhiBucket(stack, "Phi", break_glass_roles=[role])


def test_access_logs_must_be_in_the_same_stack(app, stack):
    other = cdk.Stack(app, "Other", env=ENV)
    with pytest.raises(OmicsSecureConfigError, match=r"access_logs=AccessLogBucket at Other/Logs: use an "
                                                     r"AccessLogBucket in the same"):
        PhiBucket(stack, "Phi", access_logs=AccessLogBucket(other, "Logs"))


def test_every_problem_is_reported_at_once_before_any_resource_is_created(stack):
    with pytest.raises(OmicsSecureConfigError) as error:
        PhiBucket(stack, "Phi", bucket_name="jane.doe@example.org", object_lock_retention=cdk.Duration.days(0),
                  tags={"owner": "123-45-6789"})
    assert [p.prop for p in error.value.problems] == ["bucket_name", "bucket_name", "object_lock_retention",
                                                      "tags['owner']"]
    assert stack.node.try_find_child("Phi") is None


def test_unresolved_tokens_are_not_validated(stack):
    name = cdk.CfnParameter(stack, "Name").value_as_string
    PhiBucket(stack, "Phi", bucket_name=name, tags={"owner": cdk.Aws.ACCOUNT_ID})
    assert phi_bucket_resource(stack)["Properties"]["BucketName"] == {"Ref": "Name"}


# Cross-region replication

@pytest.fixture
def replication_app(tmp_path: Path) -> tuple[cdk.App, cdk.Stack, cdk.Stack]:
    app = make_app(tmp_path / "cdk.out")
    replica_stack = cdk.Stack(app, "ReplicaStack", env=REPLICA_ENV)
    primary_stack = cdk.Stack(app, "PrimaryStack", env=ENV)
    return app, primary_stack, replica_stack


def test_replication_into_the_replica_region_with_kms_objects_and_delete_markers(replication_app, compliant):
    app, primary_stack, replica_stack = replication_app
    replica = PhiReplicaBucket(replica_stack, "Replica")
    PhiBucket(primary_stack, "Phi", replica=replica)
    configuration = phi_bucket_resource(primary_stack)["Properties"]["ReplicationConfiguration"]
    role_name = replica.replication_role_arn.rsplit("/", 1)[1]
    assert re.fullmatch(rf"omics-secure-replication-[0-9a-f]{{8}}-{REPLICA_REGION}", role_name)
    assert replica.replication_role_arn == f"arn:aws:iam::{ACCOUNT}:role/{role_name}"
    assert re.fullmatch(rf"omics-secure-replica-[0-9a-f]{{8}}-{ACCOUNT}-{REPLICA_REGION}", replica.bucket_name)
    assert configuration == {
        "Role": replica.replication_role_arn,
        "Rules": [{
            "Id": "ReplicateToReplica", "Status": "Enabled", "Priority": 1, "Filter": {"Prefix": ""},
            "DeleteMarkerReplication": {"Status": "Enabled"},
            "SourceSelectionCriteria": {"SseKmsEncryptedObjects": {"Status": "Enabled"}},
            "Destination": {
                "Bucket": f"arn:aws:s3:::{replica.bucket_name}",
                "EncryptionConfiguration": {"ReplicaKmsKeyID": f"arn:aws:kms:{REPLICA_REGION}:{ACCOUNT}:{ALIAS}"},
            },
        }],
    }
    # the literals the primary uses are what the replica stack creates
    replica_template = Template.from_stack(replica_stack)
    replica_template.has_resource_properties("AWS::S3::Bucket", {"BucketName": replica.bucket_name,
                                                                 "Tags": Match.array_with([PHI_TAG])})
    replica_template.has_resource_properties("AWS::KMS::Alias", {"AliasName": ALIAS})
    replica_template.has_resource_properties("AWS::IAM::Role", {
        "RoleName": role_name,
        "AssumeRolePolicyDocument": {"Statement": [Match.object_like({
            "Principal": {"Service": "s3.amazonaws.com"},
            "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}}})]},
    })
    assert replica_stack in primary_stack.dependencies
    result = compliant(app)
    replica_acknowledgments = {f.rule_id for f in result.acknowledged_findings
                               if f.construct_path == "ReplicaStack/Replica/Resource/Resource"}
    # Not replicated further, and named at synthesis because the source's stack is in another region.
    assert replica_acknowledgments == {"HIPAA.Security-S3BucketReplicationEnabled",
                                       "NIST.800.53.R5-S3BucketReplicationEnabled",
                                       "OmicsSecure-RetainedResourceFixedName"}


def test_replication_role_reads_through_the_source_policies_and_writes_through_its_own_grants(replication_app):
    _, primary_stack, replica_stack = replication_app
    replica = PhiReplicaBucket(replica_stack, "Replica")
    PhiBucket(primary_stack, "Phi", replica=replica)
    Template.from_stack(primary_stack).resource_count_is("AWS::IAM::ManagedPolicy", 0)
    for stack in (primary_stack, replica_stack):
        Template.from_stack(stack).resource_count_is("AWS::IAM::Policy", 0)
    role = {"AWS": replica.replication_role_arn}
    source = policy_statements(primary_stack, "PhiPolicy")
    read_bucket = by_sid(source, "AllowReplicationReadBucket")
    assert read_bucket["Principal"] == role
    assert set(read_bucket["Action"]) == {"s3:GetReplicationConfiguration", "s3:ListBucket"}
    read_objects = by_sid(source, "AllowReplicationReadObjects")
    assert read_objects["Principal"] == role
    assert set(read_objects["Action"]) == {"s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl",
                                           "s3:GetObjectVersionTagging", "s3:GetObjectRetention",
                                           "s3:GetObjectLegalHold"}
    decrypt = key_statement(primary_stack, "AllowReplicationDecryptViaS3")
    assert decrypt["Principal"] == role and decrypt["Action"] == "kms:Decrypt"
    assert decrypt["Condition"] == {"StringEquals": {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}}
    # The role is created in the replica stack itself: its policies name the account narrowed to the role.
    account = {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
    only_the_role = {"ArnEquals": {"aws:PrincipalArn": replica.replication_role_arn}}
    write = by_sid(policy_statements(replica_stack, "ReplicaPolicy"), "AllowReplicationIntoReplica")
    assert write["Principal"] == account and write["Condition"] == only_the_role
    assert set(write["Action"]) == {"s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"}
    encrypt = key_statement(replica_stack, "AllowReplicationEncryptViaS3")
    assert encrypt["Principal"] == account
    assert set(encrypt["Action"]) == {"kms:Encrypt", "kms:GenerateDataKey", "kms:Decrypt"}
    assert encrypt["Condition"] == {**only_the_role,
                                    "StringEquals": {"kms:ViaService": f"s3.{REPLICA_REGION}.amazonaws.com"}}
    (grants,) = resources(replica_stack, "AWS::IAM::ManagedPolicy").values()
    role_id = replica_stack.get_logical_id(replica.replication_role.node.default_child)  # type: ignore[arg-type]
    key_id = replica_stack.get_logical_id(replica.key.node.default_child)  # type: ignore[union-attr, arg-type]
    bucket_id = replica_stack.get_logical_id(replica.bucket.node.default_child)  # type: ignore[arg-type]
    assert grants["Properties"]["Roles"] == [{"Ref": role_id}]
    assert grants["Properties"]["PolicyDocument"]["Statement"] == [
        {"Action": ["s3:ReplicateDelete", "s3:ReplicateObject", "s3:ReplicateTags"], "Effect": "Allow",
         "Resource": {"Fn::Join": ["", [{"Fn::GetAtt": [bucket_id, "Arn"]}, "/*"]]}},
        {"Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"], "Effect": "Allow",
         "Condition": {"StringEquals": {"kms:ViaService": f"s3.{REPLICA_REGION}.amazonaws.com"}},
         "Resource": {"Fn::GetAtt": [key_id, "Arn"]}},
    ]


def test_no_replica_policy_names_the_role_created_in_the_same_stack(replication_app):
    """KMS refuses a key policy naming a principal it cannot see yet, and the role is minutes old."""
    _, primary_stack, replica_stack = replication_app
    replica = PhiReplicaBucket(replica_stack, "Replica")
    PhiBucket(primary_stack, "Phi", replica=replica)
    role_id = replica_stack.get_logical_id(replica.replication_role.node.default_child)  # type: ignore[arg-type]
    template = Template.from_stack(replica_stack).to_json()
    policies = [body["Properties"]["KeyPolicy"] for body in template["Resources"].values()
                if body["Type"] == "AWS::KMS::Key"]
    policies += [body["Properties"]["PolicyDocument"] for body in template["Resources"].values()
                 if body["Type"] == "AWS::S3::BucketPolicy"]
    principals = [statement.get("Principal") for policy in policies for statement in policy["Statement"]]
    assert principals and role_id not in json.dumps(principals)


def test_replica_is_hardened_like_the_source(replication_app):
    _, primary_stack, replica_stack = replication_app
    cdk.CfnWaitConditionHandle(primary_stack, "Placeholder")  # CloudFormation refuses a template with no resources
    PhiReplicaBucket(replica_stack, "Replica", data_use_end_date=datetime.date(2099, 1, 31))
    body = phi_bucket_resource(replica_stack)
    properties = body["Properties"]
    assert body["DeletionPolicy"] == "Retain"
    assert properties["VersioningConfiguration"] == {"Status": "Enabled"}
    assert properties["ObjectLockConfiguration"]["Rule"]["DefaultRetention"] == {"Mode": "GOVERNANCE", "Days": 30}
    assert properties["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["BucketKeyEnabled"] is True
    assert properties["LoggingConfiguration"]["LogFilePrefix"] == "Replica/"
    rules = properties["LifecycleConfiguration"]["Rules"]
    assert any(r.get("ExpirationDate", "").startswith("2099-01-31") for r in rules)
    statements = policy_statements(replica_stack, "ReplicaPolicy")
    assert any(s.get("Condition") == {"NumericLessThan": {"s3:TlsVersion": 1.2}} for s in statements)
    by_sid(statements, "DenyUploadsWithOtherKmsKey")


def test_replication_time_control_is_optional(replication_app):
    _, primary_stack, replica_stack = replication_app
    replica = PhiReplicaBucket(replica_stack, "Replica")
    PhiBucket(primary_stack, "Phi", replica=replica, replication_time_control=True)
    destination = phi_bucket_resource(primary_stack)["Properties"]["ReplicationConfiguration"]["Rules"][0][
        "Destination"]
    assert destination["ReplicationTime"] == {"Status": "Enabled", "Time": {"Minutes": 15}}
    assert destination["Metrics"] == {"Status": "Enabled", "EventThreshold": {"Minutes": 15}}


def test_replication_time_control_is_off_by_default(replication_app):
    _, primary_stack, replica_stack = replication_app
    PhiBucket(primary_stack, "Phi", replica=PhiReplicaBucket(replica_stack, "Replica"))
    destination = phi_bucket_resource(primary_stack)["Properties"]["ReplicationConfiguration"]["Rules"][0][
        "Destination"]
    assert "ReplicationTime" not in destination and "Metrics" not in destination


def test_replication_role_is_exempt_from_the_vpc_endpoint_restriction(replication_app):
    _, primary_stack, replica_stack = replication_app
    replica = PhiReplicaBucket(replica_stack, "Replica")
    endpoint = ec2.GatewayVpcEndpoint.from_gateway_vpc_endpoint_id(primary_stack, "S3Endpoint", "vpce-0a1b2c3d")
    PhiBucket(primary_stack, "Phi", replica=replica, vpc_endpoints=[endpoint])
    deny = by_sid(policy_statements(primary_stack, "PhiPolicy"), "DenyDataAccessOutsideVpcEndpoints")
    assert deny["Condition"]["ArnNotLike"] == {"aws:PrincipalArn": [replica.replication_role_arn]}


def test_warning_when_source_and_replica_end_dates_differ(replication_app):
    _, primary_stack, replica_stack = replication_app
    replica = PhiReplicaBucket(replica_stack, "Replica")
    PhiBucket(primary_stack, "Phi", replica=replica, data_use_end_date=datetime.date(2099, 6, 30))
    assert any("S3 does not replicate lifecycle deletions" in w for w in warnings(primary_stack))


def test_warning_when_an_imported_key_cannot_take_the_replication_statement(replication_app):
    _, primary_stack, replica_stack = replication_app
    replica = PhiReplicaBucket(replica_stack, "Replica")
    key = kms.Key.from_key_arn(primary_stack, "Imported",
                               f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab")
    PhiBucket(primary_stack, "Phi", key=key, replica=replica)
    assert any(f"allow {replica.replication_role_arn} kms:Decrypt" in w for w in warnings(primary_stack))


def test_replica_in_the_same_region_is_refused(app, stack):
    replica = PhiReplicaBucket(cdk.Stack(app, "SameRegion", env=ENV), "Replica")
    with pytest.raises(OmicsSecureConfigError, match=r"replica=PhiReplicaBucket at SameRegion/Replica: the replica "
                                                     r"is in us-east-1 too"):
        PhiBucket(stack, "Phi", replica=replica)


def test_replica_in_another_account_is_refused(app, stack):
    other_account = cdk.Environment(account="444455556666", region=REPLICA_REGION)
    replica = PhiReplicaBucket(cdk.Stack(app, "OtherAccount", env=other_account), "Replica")
    with pytest.raises(OmicsSecureConfigError, match=r"cross-account replication is not supported"):
        PhiBucket(stack, "Phi", replica=replica)


def test_replica_needs_a_concrete_environment_and_a_literal_name(app):
    with pytest.raises(OmicsSecureConfigError, match=r"env=\"stack 'Agnostic'\": the account and region must be "
                                                     r"literal for cross-region replication"):
        PhiReplicaBucket(cdk.Stack(app, "Agnostic"), "Replica")
    stack = cdk.Stack(app, "Replica", env=REPLICA_ENV)
    with pytest.raises(OmicsSecureConfigError, match=r"bucket_name=.*pass a literal string"):
        PhiReplicaBucket(stack, "Replica", bucket_name=cdk.CfnParameter(stack, "Name").value_as_string)


def test_name_suffix_renames_the_retained_replica_bucket_and_its_role_only(app):
    plain = PhiReplicaBucket(cdk.Stack(app, "Plain", env=REPLICA_ENV), "Replica")
    suffixed = PhiReplicaBucket(cdk.Stack(app, "Suffixed", env=REPLICA_ENV), "Replica", name_suffix="r2")
    digest = plain.bucket_name.split("-")[3]
    assert re.fullmatch(rf"omics-secure-replica-[0-9a-f]{{8}}-{ACCOUNT}-{REPLICA_REGION}", plain.bucket_name)
    assert re.fullmatch(rf"omics-secure-replica-[0-9a-f]{{8}}-r2-{ACCOUNT}-{REPLICA_REGION}", suffixed.bucket_name)
    assert suffixed.replication_role_arn.endswith(f"-r2-{REPLICA_REGION}")
    assert digest != suffixed.bucket_name.split("-")[3]  # different construct paths, different digests
    Template.from_stack(cdk.Stack.of(suffixed)).has_resource_properties(
        "AWS::S3::Bucket", {"BucketName": suffixed.bucket_name})


@pytest.mark.parametrize("kwargs, match", [
    ({"name_suffix": "R2"}, r"name_suffix='R2': use 1-8 lower-case letters or digits"),
    ({"name_suffix": "redeploy-2"}, r"name_suffix='redeploy-2': use 1-8 lower-case letters or digits"),
    ({"name_suffix": ""}, r"name_suffix='': use 1-8"),
    ({"name_suffix": "r2", "bucket_name": "genomics-replica"},
     r"name_suffix='r2': the suffix changes the default bucket name only"),
])
def test_name_suffix_errors(app, kwargs, match):
    with pytest.raises(OmicsSecureConfigError, match=match):
        PhiReplicaBucket(cdk.Stack(app, "Replica", env=REPLICA_ENV), "Replica", **kwargs)


def test_name_suffix_that_would_overflow_the_bucket_name_is_refused(app):
    stack = cdk.Stack(app, "Sydney", env=cdk.Environment(account=ACCOUNT, region="ap-southeast-2"))
    with pytest.raises(OmicsSecureConfigError, match=r"name_suffix='redeploy': the bucket name omics-secure-replica-"
                                                     r".* would pass S3's 63 characters"):
        PhiReplicaBucket(stack, "Replica", name_suffix="redeploy")
    assert stack.node.try_find_child("Replica") is None


def test_replica_rejects_phi_like_names_and_bad_lifecycle(app):
    stack = cdk.Stack(app, "Replica", env=REPLICA_ENV)
    with pytest.raises(OmicsSecureConfigError, match=r"bucket_name='replica-jane.doe@example.org'.*e-mail"):
        PhiReplicaBucket(stack, "Replica", bucket_name="replica-jane.doe@example.org")
    with pytest.raises(OmicsSecureConfigError, match=r"object_lock_retention='0 days'"):
        PhiReplicaBucket(stack, "Replica", object_lock_retention=cdk.Duration.days(0))


@pytest.mark.slow
def test_project_rules_catch_escape_hatch_weakening(stack):
    phi = PhiBucket(stack, "Phi")
    cfn = phi.bucket.node.default_child
    assert isinstance(cfn, s3.CfnBucket)
    cfn.add_property_deletion_override("ObjectLockConfiguration")
    cfn.add_property_override("BucketEncryption.ServerSideEncryptionConfiguration.0.BucketKeyEnabled", False)
    cfn.add_property_override("Tags", [PHI_TAG, {"Key": "contact", "Value": "jane.doe@example.org"}])
    phi.bucket.policy.document.add_statements(iam.PolicyStatement(  # type: ignore[union-attr]
        effect=iam.Effect.DENY, principals=[iam.AnyPrincipal()], actions=["s3:GetObject"],
        resources=[phi.bucket.arn_for_objects("*")], conditions={"NumericLessThan": {"s3:TlsVersion": 1.0}}))
    opened = check_compliance(stack).open_rule_ids()
    assert {"OmicsSecure-S3PhiBucketObjectLock", "OmicsSecure-S3BucketKeyEnabled",
            "OmicsSecure-S3NoPhiInNamesOrTags"} <= opened
    # the TLS 1.2 statement is still there, so the extra weaker statement does not open the TLS rule
    assert "OmicsSecure-S3BucketPolicyMinimumTls" not in opened


@pytest.mark.parametrize("kwargs, match", [
    ({"key_alias": "genomics-replica"}, r"key_alias='genomics-replica': pass a literal alias"),
    ({"key_alias": "alias/aws/s3"}, r"key_alias='alias/aws/s3'"),
])
def test_replica_key_alias_is_checked_before_anything_is_created(app, kwargs, match):
    stack = cdk.Stack(app, "Replica", env=REPLICA_ENV)
    with pytest.raises(OmicsSecureConfigError, match=match):
        PhiReplicaBucket(stack, "Replica", **kwargs)
    assert stack.node.try_find_child("Replica") is None


def test_replica_custom_alias_is_what_the_source_names(replication_app):
    _, primary_stack, replica_stack = replication_app
    replica = PhiReplicaBucket(replica_stack, "Replica", key_alias="alias/genomics/phi-replica",
                               bucket_name="genomics-phi-replica-study42")
    PhiBucket(primary_stack, "Phi", replica=replica)
    Template.from_stack(replica_stack).has_resource_properties("AWS::KMS::Alias",
                                                               {"AliasName": "alias/genomics/phi-replica"})
    destination = phi_bucket_resource(primary_stack)["Properties"]["ReplicationConfiguration"]["Rules"][0][
        "Destination"]
    assert destination["Bucket"] == "arn:aws:s3:::genomics-phi-replica-study42"
    assert destination["EncryptionConfiguration"] == {
        "ReplicaKmsKeyID": f"arn:aws:kms:{REPLICA_REGION}:{ACCOUNT}:alias/genomics/phi-replica"}


def test_replica_access_logs_must_be_in_its_stack(app):
    stack = cdk.Stack(app, "Replica", env=REPLICA_ENV)
    other = cdk.Stack(app, "Other", env=REPLICA_ENV)
    with pytest.raises(OmicsSecureConfigError, match=r"access_logs=AccessLogBucket at Other/Logs"):
        PhiReplicaBucket(stack, "Replica", access_logs=AccessLogBucket(other, "Logs"))


def test_source_stack_needs_a_concrete_environment_to_replicate(app):
    replica = PhiReplicaBucket(cdk.Stack(app, "ReplicaStack", env=REPLICA_ENV), "Replica")
    agnostic = cdk.Stack(app, "Agnostic")
    with pytest.raises(OmicsSecureConfigError, match=r"env=\"stack 'Agnostic'\": the account and region must be "
                                                     r"literal for "
                                                     r"cross-region replication"):
        PhiBucket(agnostic, "Phi", replica=replica)
