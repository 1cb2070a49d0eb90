"""Settings, validation and lifecycle shared by the storage constructs."""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

import aws_cdk as cdk
from aws_cdk import aws_s3 as s3
from constructs import Construct

from omics_secure._internal import environment
from omics_secure._internal.durations import optional_days
from omics_secure._internal.errors import ProblemCollector, is_unresolved
from omics_secure._internal.labels import check_phi
from omics_secure._internal.naming import PHI_NAME_FIX, phi_like_name

DEFAULT_OBJECT_LOCK_DAYS = 30
OBJECT_LOCK_DAYS_RANGE = (1, 36500)  # S3 accepts up to 100 years
DEFAULT_ABORT_UPLOADS_DAYS = 7
DEFAULT_NONCURRENT_TRANSITION_DAYS = 30
DEFAULT_NONCURRENT_EXPIRATION_DAYS = 365
DEFAULT_LOG_RETENTION_DAYS = 2192  # six years, the HIPAA documentation-retention period (164.316(b)(2)(i))
DEFAULT_LOG_NONCURRENT_EXPIRATION_DAYS = 30
# Defaults of props where None means "never", so the default itself cannot be None.
NONCURRENT_TRANSITION = cdk.Duration.days(DEFAULT_NONCURRENT_TRANSITION_DAYS)
NONCURRENT_EXPIRATION = cdk.Duration.days(DEFAULT_NONCURRENT_EXPIRATION_DAYS)
SERVER_ACCESS_LOGS_FLAG = "@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy"

READ_BUCKET_ACTIONS = ("s3:ListBucket", "s3:GetBucketLocation")
READ_OBJECT_ACTIONS = ("s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectTagging")
WRITE_BUCKET_ACTIONS = ("s3:ListBucketMultipartUploads",)
WRITE_OBJECT_ACTIONS = ("s3:PutObject", "s3:PutObjectTagging", "s3:AbortMultipartUpload",
                        "s3:ListMultipartUploadParts")
KEY_READ_ACTIONS = ("kms:Decrypt", "kms:DescribeKey")
# Multipart uploads decrypt the data key of earlier parts, so writing needs kms:Decrypt too.
KEY_WRITE_ACTIONS = ("kms:GenerateDataKey", "kms:Decrypt", "kms:DescribeKey")

REPLICATION_SOURCE_BUCKET_ACTIONS = ("s3:GetReplicationConfiguration", "s3:ListBucket")
REPLICATION_SOURCE_OBJECT_ACTIONS = (
    "s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging",
    "s3:GetObjectRetention", "s3:GetObjectLegalHold",
)
REPLICATION_DESTINATION_OBJECT_ACTIONS = ("s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags")
# Data access restricted to VPC endpoints; management calls (policy, configuration) stay reachable.
DATA_ACCESS_ACTIONS = ("s3:GetObject*", "s3:PutObject*", "s3:DeleteObject*", "s3:RestoreObject",
                       "s3:ListBucket*", "s3:ListMultipartUploadParts", "s3:AbortMultipartUpload")

BUCKET_NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
# "General purpose bucket naming rules" (S3 user guide,
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html): names must not start with
# these prefixes or end with these suffixes, which S3 reserves for access points, Object Lambda, Multi-Region
# Access Points, directory buckets and table buckets. CloudFormation's schema has no pattern for BucketName,
# so cfn-lint and the schema cannot refuse them; S3 does, at deploy time.
RESERVED_BUCKET_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
RESERVED_BUCKET_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


class Encryption(Enum):
    """Server-side encryption of a PHI bucket; both use the bucket's customer-managed KMS key."""

    SSE_KMS = "aws:kms"
    """SSE-KMS with S3 Bucket Keys: one KMS request per bucket key instead of per object."""
    DSSE_KMS = "aws:kms:dsse"
    """Dual-layer SSE-KMS, for data whose rules ask for two independent layers; no bucket keys."""


class ObjectLockMode(Enum):
    GOVERNANCE = "GOVERNANCE"
    """Users with s3:BypassGovernanceRetention can still delete or shorten retention."""
    COMPLIANCE = "COMPLIANCE"
    """Nobody, the root user included, can delete a locked version or shorten its retention."""


class TlsVersion(Enum):
    TLS_1_2 = 1.2
    TLS_1_3 = 1.3


@dataclass(frozen=True)
class RawDataTiering:
    """Move current versions of raw reads (FASTQ, BAM, CRAM) to cheaper storage.

    :param prefix: objects it applies to, e.g. ``"raw/"``. Default: the whole bucket.
    :param storage_class: INTELLIGENT_TIERING (default: S3 moves objects between tiers by access),
        GLACIER_INSTANT_RETRIEVAL, GLACIER or DEEP_ARCHIVE.
    :param transition_after: age at which objects move. Default: 0 days (at upload).
    :param archive_access_after: Intelligent-Tiering Archive Access tier after 90-730 days without
        access. Default: off (archived objects need a restore before they can be read).
    :param deep_archive_access_after: Deep Archive Access tier after 180-730 days. Default: off.
    """

    prefix: str = ""
    storage_class: s3.StorageClass = s3.StorageClass.INTELLIGENT_TIERING
    transition_after: cdk.Duration | None = None
    archive_access_after: cdk.Duration | None = None
    deep_archive_access_after: cdk.Duration | None = None


TIERING_CLASSES = ("INTELLIGENT_TIERING", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE")

def lifecycle_rules(days: Mapping[str, int | None], end_date: datetime.date | None,
                    tiering: RawDataTiering | None) -> list[s3.LifecycleRule]:
    rules = [s3.LifecycleRule(id="AbortIncompleteMultipartUploads",
                              abort_incomplete_multipart_upload_after=cdk.Duration.days(days["abort"] or 1))]
    transition, expiration = days["noncurrent_transition"], days["noncurrent_expiration"]
    if transition is not None or expiration is not None:
        rules.append(s3.LifecycleRule(
            id="NoncurrentVersions",
            noncurrent_version_transitions=[] if transition is None else [s3.NoncurrentVersionTransition(
                storage_class=s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
                transition_after=cdk.Duration.days(transition))],
            noncurrent_version_expiration=None if expiration is None else cdk.Duration.days(expiration),
            expired_object_delete_marker=True,
        ))
    if days["current_expiration"] is not None:
        rules.append(s3.LifecycleRule(id="ExpireCurrentVersions",
                                      expiration=cdk.Duration.days(days["current_expiration"])))
    if end_date is not None:
        rules.append(s3.LifecycleRule(
            id="DataUseEndDate",
            expiration_date=datetime.datetime(end_date.year, end_date.month, end_date.day, tzinfo=datetime.UTC)))
    if tiering is not None:
        rules.append(s3.LifecycleRule(
            id="RawDataTiering", prefix=tiering.prefix or None,
            transitions=[s3.Transition(storage_class=tiering.storage_class,
                                       transition_after=tiering.transition_after or cdk.Duration.days(0))]))
    return rules


def intelligent_tiering(tiering: RawDataTiering | None) -> list[s3.IntelligentTieringConfiguration] | None:
    if tiering is None or not (tiering.archive_access_after or tiering.deep_archive_access_after):
        return None
    return [s3.IntelligentTieringConfiguration(
        name="RawDataArchive", prefix=tiering.prefix or None,
        archive_access_tier_time=tiering.archive_access_after,
        deep_archive_access_tier_time=tiering.deep_archive_access_after)]


def check_tiering(problems: ProblemCollector, tiering: RawDataTiering | None) -> None:
    if tiering is None:
        return
    if not isinstance(tiering, RawDataTiering):
        problems.add("tiering", tiering, "pass RawDataTiering(prefix='raw/', ...)")
        return
    if "*" in tiering.prefix or len(tiering.prefix) > 1024:
        problems.add("tiering.prefix", tiering.prefix, "use a key prefix of up to 1024 characters without "
                                                       "wildcards (lifecycle prefixes match literally), e.g. 'raw/'")
    check_phi(problems, "tiering.prefix", tiering.prefix)
    storage_class = tiering.storage_class.value if isinstance(tiering.storage_class, s3.StorageClass) else None
    if storage_class not in TIERING_CLASSES:
        problems.add("tiering.storage_class", storage_class,
                     "use INTELLIGENT_TIERING, GLACIER_INSTANT_RETRIEVAL, GLACIER or DEEP_ARCHIVE")
    optional_days(problems, "tiering.transition_after", tiering.transition_after, 0, (0, 36500))
    archive = optional_days(problems, "tiering.archive_access_after", tiering.archive_access_after, 90, (90, 730))
    deep = optional_days(problems, "tiering.deep_archive_access_after", tiering.deep_archive_access_after, 180,
                         (180, 730))
    if (archive is not None or deep is not None) and storage_class != "INTELLIGENT_TIERING":
        problems.add("tiering.storage_class", storage_class,
                     "archive access tiers apply to INTELLIGENT_TIERING only; use that storage class")
    if archive is not None and deep is not None and deep <= archive:
        problems.add("tiering.deep_archive_access_after", f"{deep} days",
                     f"must be longer than archive_access_after ({archive} days)")




def check_bucket_name(problems: ProblemCollector, name: str | None) -> None:
    if name is None or is_unresolved(name):
        return
    kind = phi_like_name(name)
    if kind is not None:
        problems.add("bucket_name", name, f"it looks like PHI ({kind}); {PHI_NAME_FIX}")
    if not BUCKET_NAME_PATTERN.match(name) or ".." in name or re.fullmatch(r"\d+\.\d+\.\d+\.\d+", name):
        problems.add("bucket_name", name,
                     "use 3-63 lower-case letters, digits, '-' and '.', starting and ending with a letter or "
                     "digit, no '..', not an IP address (S3 bucket naming rules), e.g. 'genomics-phi-study42'")
    reserved = [affix for affix in RESERVED_BUCKET_PREFIXES if name.startswith(affix)] + [
        affix for affix in RESERVED_BUCKET_SUFFIXES if name.endswith(affix)]
    if reserved:
        problems.add("bucket_name", name,
                     f"S3 reserves names with {reserved[0]!r} (reserved prefixes: "
                     f"{', '.join(RESERVED_BUCKET_PREFIXES)}; suffixes: {', '.join(RESERVED_BUCKET_SUFFIXES)}); "
                     "choose another name (S3 bucket naming rules)")


def check_removal_policy(problems: ProblemCollector, removal_policy: cdk.RemovalPolicy) -> None:
    if removal_policy not in (cdk.RemovalPolicy.RETAIN, cdk.RemovalPolicy.DESTROY):
        problems.add("removal_policy", removal_policy, "buckets support RETAIN (the default) or DESTROY")


def warn_if_destroy(scope: Construct, removal_policy: cdk.RemovalPolicy) -> None:
    if removal_policy is cdk.RemovalPolicy.DESTROY:
        cdk.Annotations.of(scope).add_warning_v2(
            "omics-secure:bucket-destroy",
            "removal_policy=DESTROY: deleting the stack deletes this bucket if it is empty (CloudFormation fails "
            "on a non-empty bucket). Use it only for disposable environments.")


def require_concrete_environment(problems: ProblemCollector, stack: cdk.Stack) -> None:
    environment.require_concrete_environment(
        problems, stack, "env", f"stack '{stack.node.id}'", "cross-region replication (its ARNs are literal)")


partition_of = environment.partition_of
