"""The audit trail: CloudTrail with S3 data events for PHI buckets, its bucket, log group and role."""

from __future__ import annotations

import re
from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_cloudtrail as cloudtrail
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from omics_secure._internal.acknowledgments import acknowledge_by_design, nag_rendering
from omics_secure._internal.durations import whole_days
from omics_secure._internal.errors import ProblemCollector, is_unresolved
from omics_secure._internal.family import HasRole, grantee_of
from omics_secure._internal.grants import add_to_grantee_policy
from omics_secure._internal.naming import NAME_SUFFIX_FIX, PHI_NAME_FIX, is_valid_name_suffix, phi_like
from omics_secure._internal.props import checked_props
from omics_secure._internal.tags import AUDIT_LOGS, DATA_CLASSIFICATION_TAG
from omics_secure.audit._common import (
    check_same_region,
    child_alias,
    enable_key_services,
    is_bucket,
    nag_text,
    require_concrete_environment,
)
from omics_secure.keys import KeyLike, KeyService, PhiKey, key_of
from omics_secure.storage import AccessLogBucket, PhiReplicaBucket
from omics_secure.storage._common import TlsVersion
from omics_secure.storage._hardened import HardenedBucket

DEFAULT_LOG_FILE_RETENTION_DAYS = 2192  # six years, the HIPAA documentation-retention period
DEFAULT_TRAIL_OBJECT_LOCK_DAYS = 365
DEFAULT_LOG_GROUP_RETENTION = logs.RetentionDays.ONE_YEAR
MAX_DATA_RESOURCES = 250  # CloudTrail's limit of data resources across the basic event selectors of a trail
_TRAIL_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|[._-](?=[A-Za-z0-9])){2,127}$")
_IP_ADDRESS = re.compile(r"^\d+\.\d+\.\d+\.\d+$")

DataBucket = s3.IBucket | HardenedBucket
"""A bucket whose objects the trail logs: an ``s3.IBucket``, a :class:`PhiBucket` or a :class:`PhiReplicaBucket`."""


class AuditTrail(Construct):
    """A CloudTrail trail for a PHI environment, secure by default (none of these can be turned off).

    - Multi-region, global service events included (IAM, STS and console sign-in are recorded in
      us-east-1), logging on, log-file integrity validation on (signed hourly digest files).
    - Management events, read and write (every KMS call HealthOmics and HealthLake make on your behalf).
    - S3 data events, read and write, for every bucket in ``data_buckets`` and :meth:`add_data_bucket`.
    - Log files SSE-KMS encrypted with the trail's key and delivered to a dedicated bucket: SSE-KMS with
      the same key and bucket keys, versioning, object lock (GOVERNANCE, 365 days), TLS 1.2+ only, no
      public access, no ACLs, server access logs, log files kept six years, retained on stack deletion
      (as are the trail and its log group). The bucket policy lets CloudTrail write only for this trail
      (``aws:SourceArn``). The bucket is not a :class:`PhiBucket`: CloudTrail writes its digest files
      with SSE-S3, which a PhiBucket refuses, and it is tagged
      ``omics-secure:data-classification=audit-logs``, not ``phi``.
    - Events also delivered to a KMS-encrypted CloudWatch Logs group (for alarms and queries), retained
      on stack deletion, through a role that may only create and write CloudTrail's own log streams.

    The trail's ARN is literal (``arn:<partition>:cloudtrail:<region>:<account>:trail/<name>``), so the
    stack needs a concrete account and region.
    """

    @checked_props
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        key: KeyLike | None = None,
        data_buckets: Sequence[DataBucket] = (),
        trail_name: str | None = None,
        name_suffix: str | None = None,
        access_logs: AccessLogBucket | None = None,
        log_group_retention: logs.RetentionDays = DEFAULT_LOG_GROUP_RETENTION,
        log_file_retention: cdk.Duration | None = None,
        object_lock_retention: cdk.Duration | None = None,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
    ) -> None:
        """
        :param key: encrypts log files, the log bucket and the log group. Default: a new :class:`PhiKey`
            child ``Key`` (a key of its own: reading the audit record is a separate duty from reading
            PHI). A PhiKey (or another kms.Key of this app) gets the CloudTrail, CloudWatch Logs and S3
            statements added; a key from outside the app gets a warning naming the statements its owner
            must add.
        :param data_buckets: buckets whose object reads and writes are logged (S3 data events). Default:
            none; add every PHI bucket (the OmicsSecure rule CloudTrailPhiBucketDataEvents checks it).
        :param trail_name: Default: ``omics-secure-<stack name>-<id>``. Names appear in every log record;
            a name that looks like PHI is refused.
        :param name_suffix: appended to the default trail name, and so to the log group's
            (``/omics-secure/cloudtrail/<trail name>``), 1-8 lower-case letters or digits. Both are retained
            with fixed names, so a redeploy after ``cdk destroy`` needs a new suffix (or ``cdk import``).
            Default: none.
        :param access_logs: where the log bucket's server access logs go. Default: a new
            :class:`AccessLogBucket` child ``AccessLogs``.
        :param log_group_retention: how long CloudWatch Logs keeps events; the log files in S3 are the
            long-term record. Default: one year. INFINITE is refused (cdk-nag's retention rules).
        :param log_file_retention: how long log files stay in the bucket, 1 to 36500 whole days, longer
            than ``object_lock_retention``. Default: 2192 days (six years, HIPAA 164.316(b)(2)(i)).
        :param object_lock_retention: GOVERNANCE retention of each log file, 1 to 36500 whole days.
            Default: 365 days.
        :param removal_policy: of the trail, its bucket and its log group. Default: RETAIN (deleting the
            stack leaves the trail logging and its record in place); DESTROY is allowed with a warning.
        """
        stack = cdk.Stack.of(scope)
        problems = ProblemCollector(f"AuditTrail '{id}'")
        require_concrete_environment(problems, stack, "a trail's ARN in its bucket policy")
        resolved_name = trail_name if trail_name is not None else _default_trail_name(stack, id, name_suffix)
        if name_suffix is not None and not is_valid_name_suffix(name_suffix):
            problems.add("name_suffix", name_suffix, NAME_SUFFIX_FIX)
        elif name_suffix is not None and trail_name is not None:
            problems.add("name_suffix", name_suffix,
                         "the suffix changes the default trail name only; with trail_name, change that name")
        if trail_name is not None and not is_unresolved(trail_name):
            if not isinstance(trail_name, str) or not _TRAIL_NAME.match(trail_name) or _IP_ADDRESS.match(trail_name):
                problems.add("trail_name", trail_name,
                             "use 3-128 letters, digits, '.', '_' or '-', starting and ending with a letter or "
                             "digit, no two punctuation marks in a row, not an IP address (CloudTrail naming rules)")
            elif kind := phi_like(trail_name):
                problems.add("trail_name", trail_name, f"it looks like PHI ({kind}); {PHI_NAME_FIX}")
        elif trail_name is not None:
            problems.add("trail_name", trail_name, "pass a literal name: the bucket policy names the trail's ARN")
        if key is not None:
            check_same_region(problems, stack, "key", key_of(key),
                              "CloudTrail, S3 and CloudWatch Logs encrypt only with a KMS key of their own region")
        if not isinstance(log_group_retention, logs.RetentionDays) or \
                log_group_retention is logs.RetentionDays.INFINITE:
            problems.add("log_group_retention", log_group_retention,
                         "pass a finite logs.RetentionDays, e.g. logs.RetentionDays.ONE_YEAR; the log files in S3 "
                         "are the long-term record")
        lock_days = whole_days(problems, "object_lock_retention", object_lock_retention,
                                DEFAULT_TRAIL_OBJECT_LOCK_DAYS)
        file_days = whole_days(problems, "log_file_retention", log_file_retention, DEFAULT_LOG_FILE_RETENTION_DAYS)
        if file_days <= lock_days:
            problems.add("log_file_retention", f"{file_days} days",
                         f"keep log files longer than their object-lock retention ({lock_days} days)")
        if removal_policy not in (cdk.RemovalPolicy.RETAIN, cdk.RemovalPolicy.DESTROY):
            problems.add("removal_policy", removal_policy, "use RETAIN (the default) or DESTROY")
        arns = [_data_resource_arn(problems, stack, bucket) for bucket in data_buckets]
        if len(set(arns)) > MAX_DATA_RESOURCES:
            problems.add("data_buckets", f"{len(set(arns))} buckets",
                         f"a trail logs data events for at most {MAX_DATA_RESOURCES} buckets by name; use "
                         "fewer buckets or a second trail")
        problems.raise_if_any()

        super().__init__(scope, id)
        self.trail_name = resolved_name
        self.trail_arn = (f"arn:{stack.partition}:cloudtrail:{stack.region}:{stack.account}:"
                          f"trail/{resolved_name}")
        if key is None:
            key = PhiKey(self, "Key", alias=child_alias(stack, id),
                         description="omics-secure: encrypts the audit trail and its log files")
        key = key_of(key)
        self.key: kms.IKey = key
        enable_key_services(self, key, (KeyService.CLOUDTRAIL, KeyService.CLOUDWATCH_LOGS, KeyService.S3))
        self.access_logs = access_logs or AccessLogBucket(self, "AccessLogs")
        self.bucket = self._log_bucket(key, lock_days, file_days, removal_policy)
        self.log_group_name = f"/omics-secure/cloudtrail/{resolved_name}"
        self.log_group = logs.LogGroup(self, "LogGroup", log_group_name=self.log_group_name, encryption_key=key,
                                       retention=log_group_retention, removal_policy=removal_policy)
        self.logs_role = self._logs_role(stack)
        self._data_resources: list[str] = []
        self.trail: cloudtrail.CfnTrail = cloudtrail.CfnTrail(
            self, "Resource",
            trail_name=resolved_name,
            is_logging=True,
            is_multi_region_trail=True,
            include_global_service_events=True,
            enable_log_file_validation=True,
            kms_key_id=key.key_arn,
            s3_bucket_name=self.bucket.bucket_name,
            cloud_watch_logs_log_group_arn=self.log_group.log_group_arn,
            cloud_watch_logs_role_arn=self.logs_role.role_arn,
            event_selectors=self._event_selectors(),
        )
        # Deleting the stack must not silently stop the audit record.
        self.trail.apply_removal_policy(removal_policy)
        if removal_policy is cdk.RemovalPolicy.RETAIN:
            acknowledge_by_design(self.trail, "OmicsSecure-RetainedResourceFixedName", _FIXED_TRAIL_NAME_REASON)
            acknowledge_by_design(self.log_group, "OmicsSecure-RetainedResourceFixedName",
                                  _FIXED_LOG_GROUP_NAME_REASON)
        # CloudTrail checks bucket policy, key policy and role when the trail is created.
        assert self.bucket.policy is not None
        self.trail.node.add_dependency(self.bucket.policy, self.logs_role, self._logs_policy)
        if isinstance(key, kms.Key):
            self.trail.node.add_dependency(key)
        for arn in arns:
            self._add_arn(arn)
        if removal_policy is cdk.RemovalPolicy.DESTROY:
            cdk.Annotations.of(self).add_warning_v2(
                "omics-secure:trail-destroy",
                "removal_policy=DESTROY: deleting the stack deletes the trail, its log group and (if empty) its "
                "bucket, and with them the audit record HIPAA asks you to keep for six years.")

    @checked_props
    def add_data_bucket(self, bucket: DataBucket) -> None:
        """Log object reads and writes (S3 data events) of ``bucket`` too; a bucket already added is skipped."""
        problems = ProblemCollector(f"AuditTrail '{self.node.id}'.add_data_bucket")
        arn = _data_resource_arn(problems, cdk.Stack.of(self), bucket, "bucket")
        if arn and arn not in self._data_resources and len(self._data_resources) >= MAX_DATA_RESOURCES:
            problems.add("bucket", bucket,
                         f"the trail already logs data events for {MAX_DATA_RESOURCES} buckets, CloudTrail's limit")
        problems.raise_if_any()
        self._add_arn(arn)

    @checked_props
    def grant_read(self, grantee: iam.IGrantable | HasRole) -> iam.Grant:
        """Let ``grantee`` (an auditor's or a SIEM's role) list and read the trail's log and digest files,
        decrypting them with the trail's key through S3 only. Nothing else: CloudTrail is the only writer,
        and object lock keeps every version."""
        stack = cdk.Stack.of(self)
        log_files = self.bucket.arn_for_objects(f"AWSLogs/{stack.account}/*")
        # A role of this app gets the grant in its OmicsSecureGrants managed policy, as PhiBucket grants do.
        grant, policy = add_to_grantee_policy(
            grantee_of(grantee),
            iam.PolicyStatement(actions=["s3:ListBucket", "s3:GetBucketLocation"], resources=[self.bucket.bucket_arn]),
            iam.PolicyStatement(actions=["s3:GetObject", "s3:GetObjectVersion"], resources=[log_files]),
            iam.PolicyStatement(actions=["kms:Decrypt"], resources=[self.key.key_arn], conditions={
                "StringEquals": {"kms:ViaService": f"s3.{stack.region}.amazonaws.com"}}))
        if policy is not None:
            acknowledge_by_design(policy, f"AwsSolutions-IAM5[Resource::{nag_rendering(stack.resolve(log_files))}]",
                                  "CloudTrail names log files AWSLogs/<account>/CloudTrail/<region>/<date>/<file>, "
                                  "unknown until delivered; this grant reads only this account's log and digest files "
                                  "of one trail bucket, with two read actions and no delete.")
        return grant

    @property
    def data_resources(self) -> tuple[str, ...]:
        """The ``AWS::S3::Object`` values of the data-event selector (bucket ARNs followed by ``/``)."""
        return tuple(self._data_resources)

    def _add_arn(self, arn: str) -> None:
        if arn not in self._data_resources:
            self._data_resources.append(arn)
            self.trail.event_selectors = self._event_selectors()  # type: ignore[assignment]

    def _event_selectors(self) -> list[cloudtrail.CfnTrail.EventSelectorProperty]:
        data = ([cloudtrail.CfnTrail.DataResourceProperty(type="AWS::S3::Object", values=list(self._data_resources))]
                if self._data_resources else None)
        return [cloudtrail.CfnTrail.EventSelectorProperty(
            include_management_events=True, read_write_type="All", data_resources=data)]

    def _log_bucket(self, key: kms.IKey, lock_days: int, file_days: int,
                    removal_policy: cdk.RemovalPolicy) -> s3.Bucket:
        stack = cdk.Stack.of(self)
        bucket = s3.Bucket(
            self, "Bucket",
            encryption=s3.BucketEncryption.KMS,
            encryption_key=key,
            bucket_key_enabled=True,
            enforce_ssl=True,
            minimum_tls_version=TlsVersion.TLS_1_2.value,
            versioned=True,
            object_lock_enabled=True,
            object_lock_default_retention=s3.ObjectLockRetention.governance(cdk.Duration.days(lock_days)),
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            server_access_logs_bucket=self.access_logs.bucket,
            server_access_logs_prefix=f"{self.node.id}/",
            # ExpiredObjectDeleteMarker "cannot be specified with ExpirationInDays, ExpirationDate, or
            # TagFilters" (S3 answers MalformedXML and the stack rolls back: aws-cdk issue 25824), so the
            # delete markers that expiring log files leave behind are removed by the noncurrent-version rule.
            # https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-s3-bucket-rule.html#cfn-s3-bucket-rule-expiredobjectdeletemarker
            lifecycle_rules=[
                s3.LifecycleRule(id="AbortIncompleteMultipartUploads",
                                 abort_incomplete_multipart_upload_after=cdk.Duration.days(1)),
                s3.LifecycleRule(id="ExpireLogFiles", expiration=cdk.Duration.days(file_days)),
                s3.LifecycleRule(id="NoncurrentLogFiles",
                                 noncurrent_version_expiration=cdk.Duration.days(lock_days),
                                 expired_object_delete_marker=True),
            ],
            removal_policy=removal_policy,
        )
        cdk.Tags.of(bucket).add(DATA_CLASSIFICATION_TAG, AUDIT_LOGS)
        trail = iam.ServicePrincipal("cloudtrail.amazonaws.com")
        this_trail = {"aws:SourceArn": self.trail_arn}
        bucket.add_to_resource_policy(iam.PolicyStatement(
            sid="AllowCloudTrailAclCheck", principals=[trail], actions=["s3:GetBucketAcl"],
            resources=[bucket.bucket_arn], conditions={"StringEquals": this_trail}))
        bucket.add_to_resource_policy(iam.PolicyStatement(
            sid="AllowCloudTrailWrite", principals=[trail], actions=["s3:PutObject"],
            resources=[bucket.arn_for_objects(f"AWSLogs/{stack.account}/*")],
            conditions={"StringEquals": {**this_trail, "s3:x-amz-acl": "bucket-owner-full-control"}}))
        for pack in ("HIPAA.Security", "NIST.800.53.R5"):
            acknowledge_by_design(bucket, f"{pack}-S3BucketReplicationEnabled",
                                  "Compensating controls, not an AWS constraint: log files here are versioned and "
                                  "object-locked, signed digest files (log file validation) prove none was changed or "
                                  "deleted, and every event is also delivered to the KMS-encrypted CloudWatch Logs "
                                  "group (kept a year by default). Replicate this bucket yourself if your contingency "
                                  "plan needs the audit record in a second region.")
        return bucket

    def _logs_role(self, stack: cdk.Stack) -> iam.Role:
        # AWS: "Confused deputy prevention is not applicable to the role policy for CloudWatch Logs monitoring.
        # The role policy doesn't support the use of aws:SourceArn and aws:SourceAccount." So the trust policy
        # names the service only, and the permissions are limited to CloudTrail's own log streams.
        role = iam.Role(self, "LogsRole", assumed_by=iam.ServicePrincipal("cloudtrail.amazonaws.com"),
                        description="omics-secure: CloudTrail delivers events to its log group")
        streams = (f"arn:{stack.partition}:logs:{stack.region}:{stack.account}:log-group:{self.log_group_name}"
                   f":log-stream:{stack.account}_CloudTrail_*")
        self._logs_policy = iam.ManagedPolicy(
            self, "LogsPolicy", roles=[role],
            description="omics-secure: create and write the trail's own log streams only",
            statements=[iam.PolicyStatement(actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                                            resources=[streams])])
        acknowledge_by_design(self._logs_policy, f"AwsSolutions-IAM5[Resource::{nag_text(stack.resolve(streams))}]",
                              "CloudTrail names the log streams it creates '<account>_CloudTrail_<region>' with a "
                              "numeric suffix, so AWS's documented CloudTrail role policy allows that stream-name "
                              "prefix with a trailing wildcard; the resource is one log group's CloudTrail streams, "
                              "nothing broader.")
        return role


def _data_resource_arn(problems: ProblemCollector, stack: cdk.Stack, bucket: object,
                       prop: str = "data_buckets") -> str:
    """The S3 data-event value for ``bucket`` (its ARN and a slash), or records why it cannot be logged."""
    if isinstance(bucket, PhiReplicaBucket):
        return f"{bucket.bucket_arn_literal}/"
    target = bucket.bucket if isinstance(bucket, HardenedBucket) else bucket
    if not is_bucket(target):
        problems.add(prop, bucket, "pass s3.IBucket objects, PhiBucket or PhiReplicaBucket")
        return ""
    owner = cdk.Stack.of(target)  # type: ignore[arg-type]
    if owner is not stack and not is_unresolved(owner.region) and not is_unresolved(stack.region) \
            and owner.region != stack.region:
        problems.add(prop, bucket,
                     f"the bucket's stack is in {owner.region}, the trail's in {stack.region}, and CDK cannot "
                     "reference across regions; pass a PhiReplicaBucket or s3.Bucket.from_bucket_name(...) "
                     "created in the trail's stack (a multi-region trail logs buckets of every region)")
        return ""
    return f"{target.bucket_arn}/"  # type: ignore[attr-defined]


def _default_trail_name(stack: cdk.Stack, id: str, suffix: str | None = None) -> str:
    stack_name = stack.stack_name if not is_unresolved(stack.stack_name) else stack.node.id
    name = re.sub(r"[^A-Za-z0-9]+", "-", f"omics-secure-{stack_name}-{id}").strip("-")
    tail = f"-{suffix}" if isinstance(suffix, str) and is_valid_name_suffix(suffix) else ""
    return name[:128 - len(tail)].rstrip("-") + tail


# https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-s3-bucket-policy-for-cloudtrail.html
_FIXED_TRAIL_NAME_REASON = (
    "The log bucket's policy admits CloudTrail only for this trail, with the condition CloudTrail documents "
    "('aws:SourceArn': 'arn:aws:cloudtrail:region:myAccountID:trail/trailName'), and CloudTrail checks that policy "
    "when the trail is created, so the trail's name must be known before it exists. name_suffix gives a redeploy "
    "after cdk destroy a new name beside the retained trail.")
_FIXED_LOG_GROUP_NAME_REASON = (
    "A design choice the construct documents: the audit log group is named after its trail "
    "(/omics-secure/cloudtrail/<trail name>) so that auditors and log subscriptions find it by name, and it is "
    "retained so the audit record outlives the stack. name_suffix renames both for a redeploy after cdk destroy.")
