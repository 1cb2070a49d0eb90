"""Each S3 rule on a compliant and a non-compliant bucket, as the template states it."""

from __future__ import annotations

from typing import Any

import pytest

from omics_secure.compliance.model import Resource, Status
from omics_secure.compliance.packs import OMICS_SECURE_PACK
from omics_secure.compliance.rules.s3 import (
    BUCKET_KEY_ENABLED,
    BUCKET_POLICY_MINIMUM_TLS,
    NO_PHI_IN_NAMES_OR_TAGS,
    PHI_BUCKET_KMS_ENCRYPTED,
    PHI_BUCKET_OBJECT_LOCK,
    REPLICATION_KMS_OBJECTS,
    S3_RULES,
    is_phi_bucket,
)

PHI_TAG = {"Key": "omics-secure:data-classification", "Value": "phi"}
KEY_ARN = {"Fn::GetAtt": ["Key", "Arn"]}
LOCKED = {
    "ObjectLockEnabled": True,
    "ObjectLockConfiguration": {"ObjectLockEnabled": "Enabled",
                                "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 30}}},
}


def bucket(properties: dict[str, Any], *, phi: bool = True,
           template: dict[str, Any] | None = None) -> Resource:
    properties = dict(properties)
    if phi:
        properties["Tags"] = [*properties.get("Tags", []), PHI_TAG]
    return Resource(logical_id="Bucket", type="AWS::S3::Bucket", properties=properties,
                    template_resources=template or {})


def encryption(algorithm: str, key: Any = KEY_ARN, bucket_key: bool | None = None) -> dict[str, Any]:
    default: dict[str, Any] = {"SSEAlgorithm": algorithm}
    if key is not None:
        default["KMSMasterKeyID"] = key
    rule: dict[str, Any] = {"ServerSideEncryptionByDefault": default}
    if bucket_key is not None:
        rule["BucketKeyEnabled"] = bucket_key
    return {"BucketEncryption": {"ServerSideEncryptionConfiguration": [rule]}}


def status(rule, resource: Resource) -> Status:
    return rule.evaluate(resource).status


def test_every_s3_rule_is_in_the_pack_and_ignores_other_types():
    assert set(S3_RULES) <= set(OMICS_SECURE_PACK.rules)
    key = Resource(logical_id="K", type="AWS::KMS::Key", properties={"Tags": [PHI_TAG]})
    for rule in S3_RULES:
        assert rule.evaluate(key).status is Status.NOT_APPLICABLE
        assert rule.controls.hipaa and rule.controls.nist_800_53_r5 and rule.controls.nist_800_171_r2
        assert rule.controls.dbgap


def test_phi_bucket_is_recognised_by_its_tag():
    assert is_phi_bucket(bucket({}))
    assert not is_phi_bucket(bucket({}, phi=False))
    assert not is_phi_bucket(bucket({"Tags": [{"Key": "omics-secure:data-classification", "Value": "access-logs"}]},
                                    phi=False))


# S3PhiBucketObjectLock

def test_object_lock_compliant_with_governance_or_compliance_retention():
    assert status(PHI_BUCKET_OBJECT_LOCK, bucket(LOCKED)) is Status.COMPLIANT
    years = {**LOCKED, "ObjectLockConfiguration": {
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Years": 6}}}}
    assert status(PHI_BUCKET_OBJECT_LOCK, bucket(years)) is Status.COMPLIANT


@pytest.mark.parametrize("properties, detail", [
    ({}, "not enabled"),
    ({"ObjectLockEnabled": True}, "not enabled"),
    ({"ObjectLockEnabled": True, "ObjectLockConfiguration": {"ObjectLockEnabled": "Enabled"}}, "no default retention"),
    ({"ObjectLockEnabled": True, "ObjectLockConfiguration": {
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE"}}}}, "no Days or Years"),
])
def test_object_lock_non_compliant(properties, detail):
    verdict = PHI_BUCKET_OBJECT_LOCK.evaluate(bucket(properties))
    assert verdict.status is Status.NON_COMPLIANT
    assert detail in verdict.detail


def test_object_lock_not_applicable_to_buckets_without_the_phi_tag():
    assert status(PHI_BUCKET_OBJECT_LOCK, bucket({}, phi=False)) is Status.NOT_APPLICABLE


# S3BucketKeyEnabled

def test_bucket_key_compliant_when_enabled_with_sse_kms():
    assert status(BUCKET_KEY_ENABLED, bucket(encryption("aws:kms", bucket_key=True))) is Status.COMPLIANT


def test_bucket_key_non_compliant_when_missing_or_false_with_sse_kms():
    assert status(BUCKET_KEY_ENABLED, bucket(encryption("aws:kms"))) is Status.NON_COMPLIANT
    assert status(BUCKET_KEY_ENABLED, bucket(encryption("aws:kms", bucket_key=False))) is Status.NON_COMPLIANT


def test_bucket_key_not_applicable_to_dsse_sse_s3_or_unencrypted_buckets():
    assert status(BUCKET_KEY_ENABLED, bucket(encryption("aws:kms:dsse"))) is Status.NOT_APPLICABLE
    assert status(BUCKET_KEY_ENABLED, bucket(encryption("AES256", key=None))) is Status.NOT_APPLICABLE
    assert status(BUCKET_KEY_ENABLED, bucket({})) is Status.NOT_APPLICABLE


# S3BucketPolicyMinimumTls

def policy_for(bucket_ref: Any, *statements: dict[str, Any]) -> dict[str, Any]:
    return {"Policy": {"Type": "AWS::S3::BucketPolicy", "Properties": {
        "Bucket": bucket_ref, "PolicyDocument": {"Version": "2012-10-17", "Statement": list(statements)}}}}


def deny_tls_below(version: Any, action: Any = "s3:*", principal: Any = None) -> dict[str, Any]:
    return {"Effect": "Deny", "Principal": principal or {"AWS": "*"}, "Action": action,
            "Resource": "*", "Condition": {"NumericLessThan": {"s3:TlsVersion": version}}}


@pytest.mark.parametrize("version", [1.2, 1.3, "1.2"])
def test_minimum_tls_compliant_with_a_floor_of_1_2_or_more(version):
    template = policy_for({"Ref": "Bucket"}, deny_tls_below(version))
    assert status(BUCKET_POLICY_MINIMUM_TLS, bucket({}, template=template)) is Status.COMPLIANT


def test_minimum_tls_finds_the_policy_by_literal_bucket_name_too():
    template = policy_for("genomics-raw", deny_tls_below(1.2, action="*", principal="*"))
    resource = bucket({"BucketName": "genomics-raw"}, template=template)
    assert status(BUCKET_POLICY_MINIMUM_TLS, resource) is Status.COMPLIANT


@pytest.mark.parametrize("template, detail", [
    ({}, "no bucket-policy statement"),
    (policy_for({"Ref": "Bucket"}, {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "s3:*",
                                    "Condition": {"Bool": {"aws:SecureTransport": "false"}}}),
     "no bucket-policy statement"),
    (policy_for({"Ref": "Bucket"}, deny_tls_below(1.0)), "older than 1.0"),
    (policy_for({"Ref": "Bucket"}, deny_tls_below(1.2, action="s3:GetObject")), "no bucket-policy statement"),
    (policy_for({"Ref": "Bucket"}, deny_tls_below(1.2, principal={"AWS": "arn:aws:iam::1:root"})),
     "no bucket-policy statement"),
    (policy_for({"Ref": "OtherBucket"}, deny_tls_below(1.2)), "no bucket-policy statement"),
])
def test_minimum_tls_non_compliant(template, detail):
    verdict = BUCKET_POLICY_MINIMUM_TLS.evaluate(bucket({}, template=template))
    assert verdict.status is Status.NON_COMPLIANT
    assert detail in verdict.detail


# S3PhiBucketKmsEncrypted

@pytest.mark.parametrize("algorithm", ["aws:kms", "aws:kms:dsse"])
def test_phi_bucket_kms_compliant_with_sse_kms_or_dsse_kms(algorithm):
    assert status(PHI_BUCKET_KMS_ENCRYPTED, bucket(encryption(algorithm))) is Status.COMPLIANT


@pytest.mark.parametrize("properties, detail", [
    ({}, "no default encryption"),
    (encryption("AES256", key=None), "AES256, not SSE-KMS"),
    (encryption("aws:kms", key=None), "AWS managed key aws/s3"),
])
def test_phi_bucket_kms_non_compliant(properties, detail):
    verdict = PHI_BUCKET_KMS_ENCRYPTED.evaluate(bucket(properties))
    assert verdict.status is Status.NON_COMPLIANT
    assert detail in verdict.detail


def test_phi_bucket_kms_not_applicable_without_the_phi_tag():
    assert status(PHI_BUCKET_KMS_ENCRYPTED, bucket(encryption("AES256", key=None), phi=False)) is Status.NOT_APPLICABLE


# S3ReplicationKmsEncryptedObjects

def replication(**rule_overrides: Any) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "Id": "ToReplica", "Status": "Enabled", "Priority": 1, "Filter": {"Prefix": ""},
        "SourceSelectionCriteria": {"SseKmsEncryptedObjects": {"Status": "Enabled"}},
        "Destination": {"Bucket": "arn:aws:s3:::replica",
                        "EncryptionConfiguration": {"ReplicaKmsKeyID": "arn:aws:kms:us-west-2:1:alias/r"}},
    }
    rule.update(rule_overrides)
    return {"ReplicationConfiguration": {"Role": "arn:aws:iam::1:role/r", "Rules": [rule]}}


def test_replication_compliant_when_kms_objects_are_selected_and_a_replica_key_named():
    resource = bucket({**encryption("aws:kms", bucket_key=True), **replication()})
    assert status(REPLICATION_KMS_OBJECTS, resource) is Status.COMPLIANT


def test_replication_non_compliant_without_kms_selection_or_replica_key():
    skipped = bucket({**encryption("aws:kms"), **replication(SourceSelectionCriteria={})})
    verdict = REPLICATION_KMS_OBJECTS.evaluate(skipped)
    assert verdict.status is Status.NON_COMPLIANT and "ToReplica does not select SSE-KMS" in verdict.detail
    no_key = bucket({**encryption("aws:kms:dsse"), **replication(Destination={"Bucket": "arn:aws:s3:::replica"})})
    verdict = REPLICATION_KMS_OBJECTS.evaluate(no_key)
    assert verdict.status is Status.NON_COMPLIANT and "names no ReplicaKmsKeyID" in verdict.detail


def test_replication_ignores_disabled_rules_and_unreplicated_or_sse_s3_buckets():
    disabled = bucket({**encryption("aws:kms"), **replication(Status="Disabled", SourceSelectionCriteria={})})
    assert status(REPLICATION_KMS_OBJECTS, disabled) is Status.COMPLIANT
    assert status(REPLICATION_KMS_OBJECTS, bucket(encryption("aws:kms"))) is Status.NOT_APPLICABLE
    sse_s3 = bucket({**encryption("AES256", key=None), **replication(SourceSelectionCriteria={})})
    assert status(REPLICATION_KMS_OBJECTS, sse_s3) is Status.NOT_APPLICABLE


# S3NoPhiInNamesOrTags

def test_no_phi_compliant_with_opaque_names_and_tags():
    resource = bucket({"BucketName": "study42-raw-111122223333-us-east-1",
                       "Tags": [{"Key": "project", "Value": "TOPMed-2024-07"}]})
    assert status(NO_PHI_IN_NAMES_OR_TAGS, resource) is Status.COMPLIANT
    # Account ids and the hashes CDK and omics-secure generate are not identifiers of a person; numbers in tag
    # values (cost centres, ticket numbers) are judged as free text.
    for name in ("access-logs-111122223333-us-east-1", "primarystackphidatabucket8390817712ab34cd56ef",
                 "omics-secure-replica-92852749-111122223333-us-west-2"):
        assert status(NO_PHI_IN_NAMES_OR_TAGS, bucket({"BucketName": name})) is Status.COMPLIANT, name
    assert status(NO_PHI_IN_NAMES_OR_TAGS, bucket({"Tags": [{"Key": "cost-centre", "Value": "12345678"}]})) \
        is Status.COMPLIANT
    assert status(NO_PHI_IN_NAMES_OR_TAGS, bucket({}, phi=False)) is Status.COMPLIANT


@pytest.mark.parametrize("properties, detail", [
    ({"BucketName": "results-123-45-6789"}, "BucketName looks like PHI (social security number)"),
    ({"BucketName": {"Fn::Join": ["-", ["mrn00123456", {"Ref": "AWS::Region"}]]}},
     "BucketName looks like PHI (medical record number)"),
    ({"Tags": [{"Key": "owner", "Value": "jane.doe@example.org"}]},
     "tag value of 'owner' looks like PHI (e-mail address)"),
    ({"Tags": [{"Key": "patient 555-867-5309", "Value": "x"}]},
     "tag key of 'patient 555-867-5309' looks like PHI (phone number)"),
    ({"BucketName": "patient-12345678-wgs"}, "BucketName looks like PHI (patient or subject identifier)"),
    ({"BucketName": "data-123456789"}, "BucketName looks like PHI (social security number)"),
    ({"BucketName": {"Fn::Sub": "cohort-20240715-${AWS::Region}"}}, "BucketName looks like PHI (long number"),
])
def test_no_phi_non_compliant(properties, detail):
    verdict = NO_PHI_IN_NAMES_OR_TAGS.evaluate(bucket(properties, phi=False))
    assert verdict.status is Status.NON_COMPLIANT
    assert detail in verdict.detail


ARN = {"Fn::GetAtt": ["Bucket", "Arn"]}
OBJECTS = {"Fn::Join": ["", [ARN, "/*"]]}


def tls_deny(resource: Any, **condition: Any) -> dict[str, Any]:
    return {"Sid": "TlsFloor", "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "s3:*", "Resource": resource,
            "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}, **condition}}


# Issue 26/27: the policy evaluator decides whether every object action is refused over old TLS.
@pytest.mark.parametrize(("statements", "status", "detail"), [
    ([tls_deny([ARN, OBJECTS])], Status.COMPLIANT, ""),
    ([tls_deny({"Fn::Sub": "${Bucket.Arn}*"})], Status.COMPLIANT, ""),
    ([tls_deny(ARN)], Status.NON_COMPLIANT,
     "TlsFloor denies TLS older than 1.2 on the bucket ARN only, not on its objects"),
    ([{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": [ARN, OBJECTS],
       "Condition": {"Bool": {"aws:SecureTransport": "false"}}}], Status.NON_COMPLIANT,
     "denies aws:SecureTransport=false, but not TLS older than 1.2"),
    ([tls_deny([ARN, OBJECTS], StringEquals={"aws:SourceVpce": "vpce-1"})], Status.NON_COMPLIANT,
     "no bucket-policy statement denies requests that use TLS older than 1.2 for every object"),
    ([tls_deny([ARN, {"Fn::Join": ["", [ARN, "/raw/*"]]}])], Status.NON_COMPLIANT, "not denied"),
])
def test_minimum_tls_covers_every_object(statements, status, detail):
    verdict = BUCKET_POLICY_MINIMUM_TLS.evaluate(bucket({}, template=policy_for({"Ref": "Bucket"}, *statements)))
    assert verdict.status is status, verdict.detail
    assert detail in verdict.detail
