"""Live checks as pure functions over recorded API responses: the cases moto cannot produce."""

from __future__ import annotations

from typing import Any

import pytest

from omics_secure.compliance.controls import CONTROL_IDS
from omics_secure.compliance.model import Status
from omics_secure.verify.checks import KINDS, LiveResource
from tests.verify.rules import CHECKS


def judge(check_id: str, kind: str, state: dict[str, Any], **expected: Any) -> tuple[Status, str]:
    check = next(c for c in CHECKS if c.id == check_id)
    verdict = check.evaluate(LiveResource(kind, "resource", state, expected))
    return verdict.status, verdict.detail


def replication(**rule: Any) -> dict[str, Any]:
    return {"replication": {"Role": "arn:aws:iam::111122223333:role/r", "Rules": [{"ID": "ToReplica",
                                                                                   "Status": "Enabled", **rule}]}}


KMS_OBJECTS = {"SseKmsEncryptedObjects": {"Status": "Enabled"}}
REPLICA_KEY = {"Bucket": "arn:aws:s3:::replica", "EncryptionConfiguration": {"ReplicaKmsKeyID": "arn:aws:kms:k"}}


def test_every_check_cites_catalogued_controls_and_a_known_kind() -> None:
    ids = [c.id for c in CHECKS]
    assert len(ids) == len(set(ids))
    for check in CHECKS:
        assert check.kind in KINDS
        controls = check.controls
        assert controls.hipaa and controls.nist_800_53_r5, check.id
        for framework, values in (("HIPAA Security Rule", controls.hipaa), ("NIST 800-53 r5", controls.nist_800_53_r5),
                                  ("NIST 800-171 r2", controls.nist_800_171_r2),
                                  ("dbGaP (genomic data whitepaper)", controls.dbgap)):
            assert set(values) <= CONTROL_IDS[framework], (check.id, set(values) - CONTROL_IDS[framework])


@pytest.mark.parametrize(("state", "expected", "status", "detail"), [
    (replication(SourceSelectionCriteria=KMS_OBJECTS, Destination=REPLICA_KEY), {}, Status.COMPLIANT, ""),
    (replication(Destination=REPLICA_KEY), {}, Status.NON_COMPLIANT,
     "ToReplica does not select SSE-KMS encrypted objects (they are silently skipped)"),
    (replication(SourceSelectionCriteria=KMS_OBJECTS, Destination={"Bucket": "arn:aws:s3:::replica"}), {},
     Status.NON_COMPLIANT, "ToReplica names no ReplicaKmsKeyID for the destination"),
    ({"replication": {"Rules": [{"ID": "Off", "Status": "Disabled"}]}}, {}, Status.NON_COMPLIANT,
     "no replication rule is enabled"),
    ({}, {"replication": True}, Status.NON_COMPLIANT, "the template configures replication; the bucket has none"),
    ({}, {}, Status.NOT_APPLICABLE, ""),
])
def test_replication(state: dict[str, Any], expected: dict[str, Any], status: Status, detail: str) -> None:
    assert judge("S3ReplicationKmsEncryptedObjects", "S3Bucket", state, **expected) == (status, detail)


def encryption(algorithm: str, key: str | None = None, *, bucket_key: bool = True,
               metadata: dict[str, Any] | None = None) -> dict[str, Any]:
    default = {"SSEAlgorithm": algorithm, **({"KMSMasterKeyID": key} if key else {})}
    return {"encryption": [{"ApplyServerSideEncryptionByDefault": default, "BucketKeyEnabled": bucket_key}],
            "encryption_keys": {key: metadata} if key and metadata else {}}


CUSTOMER = {"KeyId": "1111", "KeyManager": "CUSTOMER", "KeyState": "Enabled"}


def test_dsse_kms_is_accepted_and_has_no_bucket_key_check() -> None:
    state = encryption("aws:kms:dsse", "arn:aws:kms:us-east-1:111122223333:key/1111", bucket_key=False,
                       metadata=CUSTOMER)
    assert judge("S3KmsEncryption", "S3Bucket", state, key_id="1111") == (Status.COMPLIANT, "")
    assert judge("S3BucketKeyEnabled", "S3Bucket", state)[0] is Status.NOT_APPLICABLE


def test_the_aws_managed_key_and_a_missing_key_id_fail() -> None:
    managed = encryption("aws:kms", "arn:aws:kms:us-east-1:111122223333:key/2222",
                         metadata={"KeyId": "2222", "KeyManager": "AWS", "KeyState": "Enabled"})
    assert judge("S3KmsEncryption", "S3Bucket", managed) == (
        Status.NON_COMPLIANT, "arn:aws:kms:us-east-1:111122223333:key/2222 is an AWS managed key, "
                              "not a customer-managed key")
    assert judge("S3KmsEncryption", "S3Bucket", encryption("aws:kms")) == (
        Status.NON_COMPLIANT, "aws:kms without a KMS key uses the AWS managed key aws/s3")
    assert judge("S3KmsEncryption", "S3Bucket", {}) == (Status.NON_COMPLIANT, "no default encryption configuration")


def test_a_bucket_classified_access_logs_in_the_template_is_not_judged_as_phi_whatever_its_live_tag() -> None:
    assert judge("S3ObjectLockDefaultRetention", "S3Bucket", {"classification": "phi"},
                 classification="access-logs")[0] is Status.NOT_APPLICABLE
    assert judge("S3ObjectLockDefaultRetention", "S3Bucket", {})[0] is Status.NON_COMPLIANT  # untagged: PHI


def test_key_policy_statements_lost_since_the_template() -> None:
    scope = {"kms:ViaService": "s3.us-east-1.amazonaws.com", "kms:CallerAccount": "111122223333"}
    policy = {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                             "Action": "kms:Decrypt", "Resource": "*", "Condition": {"StringEquals": scope}}]}
    assert judge("KMSGrantStatementsPresent", "KMSKey", {"policy": policy}, via_services=["healthlake", "s3"]) == (
        Status.NON_COMPLIANT, "the live key policy lost the statements for healthlake")
    assert judge("KMSGrantStatementsPresent", "KMSKey", {"policy": policy}, via_services=["s3"])[0] is Status.COMPLIANT


def test_the_compliance_rule_judges_an_unscoped_live_grant_statement() -> None:
    policy = {"Statement": [{"Sid": "AllowHealthOmics", "Effect": "Allow", "Principal": {"AWS": "*"},
                             "Action": ["kms:CreateGrant"], "Resource": "*",
                             "Condition": {"StringEquals": {"kms:ViaService": "omics.us-east-1.amazonaws.com"}}}]}
    status, detail = judge("KMSGrantServiceStatementScoped", "KMSKey", {"policy": policy})
    assert status is Status.NON_COMPLIANT
    assert detail == ("AllowHealthOmics (omics) lacks kms:CallerAccount; AllowHealthOmics (omics) allows "
                      "kms:CreateGrant without kms:GrantIsForAWSResource")


def test_global_service_events_off_and_disabled_key() -> None:
    trail = {"trail": {"IsMultiRegionTrail": True, "IncludeGlobalServiceEvents": False}}
    assert judge("CloudTrailAllRegions", "CloudTrail", trail) == (
        Status.NON_COMPLIANT, "global service events (IAM, STS, console sign-in) are not recorded")
    disabled = {"metadata": {"KeyState": "Disabled", "Enabled": False, "KeyManager": "CUSTOMER"}}
    assert judge("KMSKeyUsable", "KMSKey", disabled) == (Status.NON_COMPLIANT, "the key is Disabled")
