"""What a PHI bucket and its replica share."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import ClassVar

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from omics_secure._internal.acknowledgments import acknowledge_by_design, nag_rendering
from omics_secure._internal.durations import optional_days, whole_days
from omics_secure._internal.errors import ProblemCollector
from omics_secure._internal.family import HasRole, grantee_of, unwrap
from omics_secure._internal.grants import add_to_grantee_policy
from omics_secure._internal.labels import check_object_pattern, check_tags
from omics_secure._internal.props import checked_props
from omics_secure._internal.tags import DATA_CLASSIFICATION_TAG, PHI
from omics_secure.keys import KeyService, PhiKey
from omics_secure.storage._common import (
    DEFAULT_ABORT_UPLOADS_DAYS,
    DEFAULT_NONCURRENT_EXPIRATION_DAYS,
    DEFAULT_NONCURRENT_TRANSITION_DAYS,
    DEFAULT_OBJECT_LOCK_DAYS,
    KEY_READ_ACTIONS,
    KEY_WRITE_ACTIONS,
    OBJECT_LOCK_DAYS_RANGE,
    READ_BUCKET_ACTIONS,
    READ_OBJECT_ACTIONS,
    WRITE_BUCKET_ACTIONS,
    WRITE_OBJECT_ACTIONS,
    Encryption,
    ObjectLockMode,
    RawDataTiering,
    TlsVersion,
    check_bucket_name,
    check_removal_policy,
    intelligent_tiering,
    lifecycle_rules,
    warn_if_destroy,
)
from omics_secure.storage.access_logs import AccessLogBucket


class HardenedBucket(Construct):
    """What a PHI bucket and its replica share: key, encryption, lock, TLS, logging, lifecycle, policy."""

    described_as: ClassVar[str] = "a PhiBucket or PhiReplicaBucket"
    bucket: s3.Bucket
    key: kms.IKey
    encryption: Encryption
    data_use_end_date: datetime.date | None

    def _validate_common(
        self, problems: ProblemCollector, *, bucket_name: str | None, encryption: Encryption,
        object_lock_mode: ObjectLockMode, object_lock_retention: cdk.Duration | None,
        minimum_tls_version: TlsVersion, abort_incomplete_uploads_after: cdk.Duration | None,
        noncurrent_transition_after: cdk.Duration | None, noncurrent_expiration_after: cdk.Duration | None,
        current_version_expiration: cdk.Duration | None, data_use_end_date: datetime.date | None,
        tags: Mapping[str, str] | None, removal_policy: cdk.RemovalPolicy,
    ) -> dict[str, int | None]:
        check_bucket_name(problems, bucket_name)
        problems.require(isinstance(encryption, Encryption), "encryption", encryption,
                         "use Encryption.SSE_KMS (default) or Encryption.DSSE_KMS; SSE-S3 is not allowed for PHI")
        problems.require(isinstance(object_lock_mode, ObjectLockMode), "object_lock_mode", object_lock_mode,
                         "use ObjectLockMode.GOVERNANCE (default) or ObjectLockMode.COMPLIANCE")
        problems.require(isinstance(minimum_tls_version, TlsVersion), "minimum_tls_version", minimum_tls_version,
                         "use TlsVersion.TLS_1_2 (default) or TlsVersion.TLS_1_3; older TLS is never allowed")
        days = {
            "lock": whole_days(problems, "object_lock_retention", object_lock_retention,
                               DEFAULT_OBJECT_LOCK_DAYS, OBJECT_LOCK_DAYS_RANGE),
            "abort": whole_days(problems, "abort_incomplete_uploads_after", abort_incomplete_uploads_after,
                                DEFAULT_ABORT_UPLOADS_DAYS, (1, 36500)),
            "noncurrent_transition": optional_days(problems, "noncurrent_transition_after",
                                                   noncurrent_transition_after, DEFAULT_NONCURRENT_TRANSITION_DAYS),
            "noncurrent_expiration": optional_days(problems, "noncurrent_expiration_after",
                                                   noncurrent_expiration_after, DEFAULT_NONCURRENT_EXPIRATION_DAYS),
            "current_expiration": optional_days(problems, "current_version_expiration",
                                                current_version_expiration, 3650),
        }
        transition, expiration = days["noncurrent_transition"], days["noncurrent_expiration"]
        if transition is not None and expiration is not None and expiration <= transition:
            problems.add("noncurrent_expiration_after", f"{expiration} days",
                         f"expire noncurrent versions after they are transitioned ({transition} days), "
                         "or pass noncurrent_transition_after=None")
        if data_use_end_date is not None and (
                not isinstance(data_use_end_date, datetime.date) or isinstance(data_use_end_date, datetime.datetime)):
            problems.add("data_use_end_date", data_use_end_date,
                         "pass a datetime.date, e.g. datetime.date(2030, 6, 30); S3 expires data at midnight UTC")
        check_tags(problems, tags)
        check_removal_policy(problems, removal_policy)
        return days

    def _build(
        self, *, bucket_name: str | None, key: kms.IKey, encryption: Encryption,
        object_lock_mode: ObjectLockMode, minimum_tls_version: TlsVersion, days: Mapping[str, int | None],
        access_logs: AccessLogBucket, access_log_prefix: str, data_use_end_date: datetime.date | None,
        tiering: RawDataTiering | None, tags: Mapping[str, str] | None, removal_policy: cdk.RemovalPolicy,
    ) -> None:
        self.key = key
        self.encryption = encryption
        self.data_use_end_date = data_use_end_date
        lock_days = cdk.Duration.days(days["lock"] or DEFAULT_OBJECT_LOCK_DAYS)
        lock = (s3.ObjectLockRetention.compliance(lock_days) if object_lock_mode is ObjectLockMode.COMPLIANCE
                else s3.ObjectLockRetention.governance(lock_days))
        self.bucket = s3.Bucket(
            self, "Resource",
            bucket_name=bucket_name,
            encryption=(s3.BucketEncryption.DSSE if encryption is Encryption.DSSE_KMS else s3.BucketEncryption.KMS),
            encryption_key=key,
            # S3 Bucket Keys are not supported with DSSE-KMS.
            bucket_key_enabled=encryption is Encryption.SSE_KMS,
            enforce_ssl=True,
            minimum_tls_version=minimum_tls_version.value,
            versioned=True,
            object_lock_enabled=True,
            object_lock_default_retention=lock,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            server_access_logs_bucket=access_logs.bucket,
            server_access_logs_prefix=access_log_prefix,
            lifecycle_rules=lifecycle_rules(days, data_use_end_date, tiering),
            intelligent_tiering_configurations=intelligent_tiering(tiering),
            removal_policy=removal_policy,
        )
        cdk.Tags.of(self.bucket).add(DATA_CLASSIFICATION_TAG, PHI)
        for tag_key, tag_value in (tags or {}).items():
            cdk.Tags.of(self).add(tag_key, tag_value)
        self._deny_other_encryption()
        warn_if_destroy(self, removal_policy)
        if object_lock_mode is ObjectLockMode.COMPLIANCE:
            cdk.Annotations.of(self).add_warning_v2(
                "omics-secure:object-lock-compliance",
                f"Object lock in COMPLIANCE mode is irreversible: for {lock_days.to_days():.0f} days after each "
                "write nobody, the root user included, can delete that version or shorten its retention, and "
                "the bucket cannot be deleted while it holds locked versions.")
        if data_use_end_date is not None:
            self._check_end_date(data_use_end_date, lock_days)

    def _deny_other_encryption(self) -> None:
        objects = self.bucket.arn_for_objects("*")
        deny = [
            ("DenyUploadsWithOtherEncryption", {
                "StringNotEquals": {"s3:x-amz-server-side-encryption": self.encryption.value},
                "Null": {"s3:x-amz-server-side-encryption": "false"}}),
            ("DenyUploadsWithOtherKmsKey", {
                "StringNotEquals": {"s3:x-amz-server-side-encryption-aws-kms-key-id": self.key.key_arn},
                "Null": {"s3:x-amz-server-side-encryption-aws-kms-key-id": "false"}}),
            ("DenyUploadsWithCustomerProvidedKeys", {
                "Null": {"s3:x-amz-server-side-encryption-customer-algorithm": "false"}}),
        ]
        for sid, conditions in deny:
            self.bucket.add_to_resource_policy(iam.PolicyStatement(
                sid=sid, effect=iam.Effect.DENY, principals=[iam.AnyPrincipal()], actions=["s3:PutObject"],
                resources=[objects], conditions=conditions))

    def _check_end_date(self, end: datetime.date, lock: cdk.Duration) -> None:
        today = datetime.datetime.now(datetime.UTC).date()
        lock_days = int(lock.to_days())
        if end <= today:
            cdk.Annotations.of(self).add_warning_v2(
                "omics-secure:data-use-ended",
                f"data_use_end_date {end.isoformat()} has passed: S3 expires every current object in this bucket "
                "as soon as the lifecycle rule is deployed.")
        elif today + datetime.timedelta(days=lock_days) > end:
            cdk.Annotations.of(self).add_warning_v2(
                "omics-secure:object-lock-outlives-data-use",
                f"Object-lock retention ({lock_days} days) outlives data_use_end_date {end.isoformat()}: versions "
                "written from now on stay locked past the date your data-use agreement requires deletion. "
                "Shorten object_lock_retention or plan the close-out with GOVERNANCE bypass.")

    def _grant(self, grantee: iam.IGrantable | HasRole, bucket_actions: Sequence[str],
               object_actions: Sequence[str], key_actions: Sequence[str], objects_key_pattern: str,
               conditions: Mapping[str, Mapping[str, object]] | None = None) -> iam.Grant:
        problems = ProblemCollector(f"{type(self).__name__} '{self.node.id}'.grant")
        check_object_pattern(problems, "objects_key_pattern", objects_key_pattern)
        problems.raise_if_any()
        if isinstance(self.key, PhiKey):
            self.key.enable_services(KeyService.S3)
        stack = cdk.Stack.of(self)
        objects_arn = self.bucket.arn_for_objects(objects_key_pattern)
        granted = (
            iam.PolicyStatement(actions=list(bucket_actions), resources=[self.bucket.bucket_arn]),
            iam.PolicyStatement(actions=list(object_actions), resources=[objects_arn]),
            iam.PolicyStatement(actions=list(key_actions), resources=[self.key.key_arn],
                                conditions={"StringEquals": {"kms:ViaService": f"s3.{stack.region}.amazonaws.com"}}),
        )
        for statement in granted:
            for operator, block in (conditions or {}).items():
                statement.add_condition(operator, dict(block))  # merged with an existing operator's keys
        grant, policy = add_to_grantee_policy(grantee_of(grantee), *granted)
        if policy is not None and "*" in objects_key_pattern:
            acknowledge_by_design(
                policy, f"AwsSolutions-IAM5[Resource::{nag_rendering(stack.resolve(objects_arn))}]",
                "S3 object actions can be scoped to objects only by an ARN pattern; this grant names one PHI "
                f"bucket and the key pattern '{objects_key_pattern}', never s3:* or s3:Delete*, and the key "
                "only through S3.")
        return grant

    @checked_props
    def grant_read(self, grantee: iam.IGrantable | HasRole, objects_key_pattern: str = "*", *,
                   conditions: Mapping[str, Mapping[str, object]] | None = None) -> iam.Grant:
        """Let ``grantee`` list the bucket and read objects matching ``objects_key_pattern``, and decrypt
        them with the key (through S3 only). Actions are named one by one, never ``s3:Get*``. A role of
        this app gets the grant in its ``OmicsSecureGrants`` managed policy, not an inline one.
        ``conditions`` (default none) are added to every statement of the grant, e.g. an expiry."""
        return self._grant(grantee, READ_BUCKET_ACTIONS, READ_OBJECT_ACTIONS, KEY_READ_ACTIONS,
                           objects_key_pattern, conditions)

    @checked_props
    def grant_write(self, grantee: iam.IGrantable | HasRole, objects_key_pattern: str = "*", *,
                    conditions: Mapping[str, Mapping[str, object]] | None = None) -> iam.Grant:
        """Let ``grantee`` upload objects (multipart included) and encrypt them with the key (through S3
        only). Deleting is not included: with versioning and object lock a PHI bucket keeps history."""
        return self._grant(grantee, WRITE_BUCKET_ACTIONS, WRITE_OBJECT_ACTIONS, KEY_WRITE_ACTIONS,
                           objects_key_pattern, conditions)

    @checked_props
    def grant_read_write(self, grantee: iam.IGrantable | HasRole, objects_key_pattern: str = "*", *,
                         conditions: Mapping[str, Mapping[str, object]] | None = None) -> iam.Grant:
        """:meth:`grant_read` and :meth:`grant_write` together."""
        return self._grant(grantee, (*READ_BUCKET_ACTIONS, *WRITE_BUCKET_ACTIONS),
                           (*READ_OBJECT_ACTIONS, *WRITE_OBJECT_ACTIONS),
                           tuple(dict.fromkeys((*KEY_WRITE_ACTIONS, *KEY_READ_ACTIONS))), objects_key_pattern,
                           conditions)




BucketLike = s3.IBucket | HardenedBucket | AccessLogBucket
"""A bucket prop: any ``s3.IBucket``, a :class:`PhiBucket`, :class:`PhiReplicaBucket` or :class:`AccessLogBucket`."""


def bucket_of(bucket: BucketLike) -> s3.IBucket:
    """The ``s3.IBucket`` of a bucket prop."""
    unwrapped: s3.IBucket = unwrap(bucket, "bucket")
    return unwrapped


def bucket_key_of(bucket: BucketLike) -> kms.IKey | None:
    """The key that encrypts ``bucket``, when it is known (a PhiBucket's key, a bucket's encryption_key)."""
    if isinstance(bucket, HardenedBucket):
        return bucket.key
    return bucket_of(bucket).encryption_key
