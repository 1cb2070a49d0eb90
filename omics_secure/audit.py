"""Audit and monitoring: a CloudTrail trail with S3 data events for PHI buckets, and alerts that reach people.

- :class:`AuditTrail`: a multi-region trail with log-file validation, encrypted with a :class:`PhiKey`,
  delivered to a dedicated object-locked bucket and to an encrypted CloudWatch Logs group; management
  events and S3 data events (read and write) for the PHI buckets you name.
- :class:`AlertTopic`: a KMS-encrypted, TLS-only SNS topic that CloudWatch alarms and EventBridge rules of
  this account may publish to, with an optional e-mail subscription.
- :class:`KeyWatch`: an EventBridge rule that alerts when a KMS key is disabled, scheduled for deletion,
  has its policy replaced, or has a grant revoked or retired (the HealthOmics and HealthLake guides warn
  that revoking or retiring a service's grant cuts the service off from its data).
- :class:`AccountAlarms`: metric filters on the trail's log group and alarms in the spirit of the CIS AWS
  Foundations Benchmark: unauthorized API calls, root use, console sign-in without MFA, IAM policy
  changes and S3 bucket-policy changes.

The seeds ask for "API and user activity logging with AWS CloudTrail", for CloudTrail to "track the
requests that AWS HealthOmics sends to AWS KMS", and (dbGaP whitepaper) for CloudWatch alarms that send
"an email to security and compliance teams who audit the event".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from enum import Enum

import aws_cdk as cdk
import jsii
from aws_cdk import aws_cloudtrail as cloudtrail
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from omics_secure._internal.errors import ProblemCollector, is_unresolved
from omics_secure._internal.naming import PHI_NAME_FIX, phi_like
from omics_secure._internal.tags import AUDIT_LOGS, DATA_CLASSIFICATION_TAG
from omics_secure.compliance.acknowledge import acknowledge
from omics_secure.compliance.rules.audit import KMS_KEY_EVENT_NAMES
from omics_secure.keys import KeyService, PhiKey, key_policy_statements
from omics_secure.storage import AccessLogBucket, PhiReplicaBucket
from omics_secure.storage._common import TlsVersion
from omics_secure.storage._hardened import HardenedBucket

DEFAULT_LOG_FILE_RETENTION_DAYS = 2192  # six years, the HIPAA documentation-retention period
DEFAULT_TRAIL_OBJECT_LOCK_DAYS = 365
DEFAULT_LOG_GROUP_RETENTION = logs.RetentionDays.ONE_YEAR
MAX_DATA_RESOURCES = 250  # CloudTrail's limit of data resources across the basic event selectors of a trail
ALARM_NAMESPACE = "OmicsSecure/CloudTrail"
_TRAIL_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|[._-](?=[A-Za-z0-9])){2,127}$")
_IP_ADDRESS = re.compile(r"^\d+\.\d+\.\d+\.\d+$")
_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")

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

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        key: kms.IKey | None = None,
        data_buckets: Sequence[DataBucket] = (),
        trail_name: str | None = None,
        access_logs: AccessLogBucket | None = None,
        log_group_retention: logs.RetentionDays = DEFAULT_LOG_GROUP_RETENTION,
        log_file_retention: cdk.Duration | None = None,
        object_lock_retention: cdk.Duration | None = None,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
    ) -> None:
        """
        :param key: encrypts log files, the log bucket and the log group. Default: a new :class:`PhiKey`
            child ``Key`` (a key of its own: reading the audit record is a separate duty from reading
            PHI). A PhiKey gets the CloudTrail, CloudWatch Logs and S3 statements added; a key from
            outside the app gets a warning naming the statements its owner must add.
        :param data_buckets: buckets whose object reads and writes are logged (S3 data events). Default:
            none; add every PHI bucket (the OmicsSecure rule CloudTrailPhiBucketDataEvents checks it).
        :param trail_name: Default: ``omics-secure-<stack name>-<id>``. Names appear in every log record;
            a name that looks like PHI is refused.
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
        _require_concrete_environment(problems, stack, "a trail's ARN in its bucket policy")
        resolved_name = trail_name if trail_name is not None else _default_trail_name(stack, id)
        if trail_name is not None and not is_unresolved(trail_name):
            if not isinstance(trail_name, str) or not _TRAIL_NAME.match(trail_name) or _IP_ADDRESS.match(trail_name):
                problems.add("trail_name", trail_name,
                             "use 3-128 letters, digits, '.', '_' or '-', starting and ending with a letter or "
                             "digit, no two punctuation marks in a row, not an IP address (CloudTrail naming rules)")
            elif kind := phi_like(trail_name):
                problems.add("trail_name", trail_name, f"it looks like PHI ({kind}); {PHI_NAME_FIX}")
        elif trail_name is not None:
            problems.add("trail_name", trail_name, "pass a literal name: the bucket policy names the trail's ARN")
        if key is not None and not _is_key(key):
            problems.add("key", key, "pass a kms.IKey, ideally a PhiKey")
        elif key is not None:
            _check_same_region(problems, stack, "key", key)
        if not isinstance(log_group_retention, logs.RetentionDays) or \
                log_group_retention is logs.RetentionDays.INFINITE:
            problems.add("log_group_retention", log_group_retention,
                         "pass a finite logs.RetentionDays, e.g. logs.RetentionDays.ONE_YEAR; the log files in S3 "
                         "are the long-term record")
        lock_days = _whole_days(problems, "object_lock_retention", object_lock_retention,
                                DEFAULT_TRAIL_OBJECT_LOCK_DAYS)
        file_days = _whole_days(problems, "log_file_retention", log_file_retention, DEFAULT_LOG_FILE_RETENTION_DAYS)
        if file_days <= lock_days:
            problems.add("log_file_retention", f"{file_days} days",
                         f"keep log files longer than their object-lock retention ({lock_days} days)")
        if removal_policy not in (cdk.RemovalPolicy.RETAIN, cdk.RemovalPolicy.DESTROY):
            problems.add("removal_policy", removal_policy, "use RETAIN (the default) or DESTROY")
        arns = [_data_resource_arn(problems, stack, bucket) for bucket in data_buckets]
        if len(arns) > MAX_DATA_RESOURCES:
            problems.add("data_buckets", f"{len(arns)} buckets",
                         f"a trail logs data events for at most {MAX_DATA_RESOURCES} buckets by name; use "
                         "fewer buckets or a second trail")
        problems.raise_if_any()

        super().__init__(scope, id)
        self.trail_name = resolved_name
        self.trail_arn = (f"arn:{stack.partition}:cloudtrail:{stack.region}:{stack.account}:"
                          f"trail/{resolved_name}")
        if key is None:
            key = PhiKey(self, "Key", alias=_child_alias(stack, id),
                         description="omics-secure: encrypts the audit trail and its log files")
        self.key: kms.IKey = key
        _enable_key_services(self, key, (KeyService.CLOUDTRAIL, KeyService.CLOUDWATCH_LOGS, KeyService.S3))
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

    def add_data_bucket(self, bucket: DataBucket) -> None:
        """Log object reads and writes (S3 data events) of ``bucket`` too; a bucket already added is skipped."""
        problems = ProblemCollector(f"AuditTrail '{self.node.id}'.add_data_bucket")
        arn = _data_resource_arn(problems, cdk.Stack.of(self), bucket)
        if len(self._data_resources) >= MAX_DATA_RESOURCES:
            problems.add("bucket", _describe(bucket),
                         f"the trail already logs data events for {MAX_DATA_RESOURCES} buckets, CloudTrail's limit")
        problems.raise_if_any()
        self._add_arn(arn)

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
            lifecycle_rules=[
                s3.LifecycleRule(id="AbortIncompleteMultipartUploads",
                                 abort_incomplete_multipart_upload_after=cdk.Duration.days(1)),
                s3.LifecycleRule(id="ExpireLogFiles", expiration=cdk.Duration.days(file_days),
                                 noncurrent_version_expiration=cdk.Duration.days(lock_days),
                                 expired_object_delete_marker=False),
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
            acknowledge(bucket, f"{pack}-S3BucketReplicationEnabled",
                        "Compensating control for the audit record: the trail delivers every event to two "
                        "independent stores, this object-locked bucket and the KMS-encrypted CloudWatch Logs "
                        "group, and signed digest files (log file validation) prove that no log file was "
                        "changed or deleted. A multi-region trail already gathers every region's events here.")
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
        acknowledge(self._logs_policy, f"AwsSolutions-IAM5[Resource::{_nag_text(stack.resolve(streams))}]",
                    "CloudTrail names the log streams it creates '<account>_CloudTrail_<region>' with a numeric "
                    "suffix, so AWS's documented CloudTrail role policy allows that stream-name prefix with a "
                    "trailing wildcard; the resource is one log group's CloudTrail streams, nothing broader.")
        return role


class AlertTopic(Construct):
    """The SNS topic security alerts go to: KMS-encrypted, TLS-only, open to this account's alarms and rules.

    Defaults, and why: encrypted with a :class:`PhiKey` (alerts name keys, buckets and principals); a
    topic policy denying publish and subscribe without TLS; publishing allowed to CloudWatch alarms and
    EventBridge rules of this account and region only (``aws:SourceArn``); one e-mail subscription if
    ``email`` is given (the address must confirm the subscription before alerts arrive).
    """

    def __init__(self, scope: Construct, id: str, *, key: kms.IKey | None = None, email: str | None = None,
                 display_name: str = "omics-secure security alerts") -> None:
        """
        :param key: encrypts messages at rest. Default: a new :class:`PhiKey` child ``Key``. A PhiKey gets
            the SNS statements (CloudWatch and EventBridge publishers, SNS via-service use) added.
        :param email: an operator address to subscribe, e.g. a security team's list. Default: none (subscribe
            on-call tooling yourself). It is an operator's address, not PHI, and is validated as an e-mail
            address only.
        :param display_name: shown as the sender of e-mail alerts. Default: "omics-secure security alerts".
        """
        stack = cdk.Stack.of(scope)
        problems = ProblemCollector(f"AlertTopic '{id}'")
        _require_concrete_environment(problems, stack, "the publishers' aws:SourceArn conditions")
        if email is not None and not is_unresolved(email) and (not isinstance(email, str) or not _EMAIL.match(email)):
            problems.add("email", email, "pass one e-mail address, e.g. 'security-alerts@example.org'")
        if key is not None and not _is_key(key):
            problems.add("key", key, "pass a kms.IKey, ideally a PhiKey")
        elif key is not None:
            _check_same_region(problems, stack, "key", key)
        if not isinstance(display_name, str) or not 1 <= len(display_name) <= 100:
            problems.add("display_name", display_name, "use 1 to 100 characters")
        problems.raise_if_any()

        super().__init__(scope, id)
        if key is None:
            key = PhiKey(self, "Key", alias=_child_alias(stack, id),
                         description="omics-secure: encrypts security alerts")
        self.key: kms.IKey = key
        _enable_key_services(self, key, (KeyService.SNS,))
        self.topic = sns.Topic(self, "Resource", master_key=key, enforce_ssl=True, display_name=display_name)
        for sid, service, source in (
                ("AllowCloudWatchAlarmsPublish", "cloudwatch.amazonaws.com",
                 f"arn:{stack.partition}:cloudwatch:{stack.region}:{stack.account}:alarm:*"),
                ("AllowEventBridgeRulesPublish", "events.amazonaws.com",
                 f"arn:{stack.partition}:events:{stack.region}:{stack.account}:rule/*")):
            self.topic.add_to_resource_policy(iam.PolicyStatement(
                sid=sid, principals=[iam.ServicePrincipal(service)], actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions={"ArnLike": {"aws:SourceArn": source},
                            "StringEquals": {"aws:SourceAccount": stack.account}}))
        self.email = email
        if email is not None:
            self.topic.add_subscription(subscriptions.EmailSubscription(email))

    @property
    def topic_arn(self) -> str:
        return self.topic.topic_arn


@jsii.implements(events.IRuleTarget)
class _TopicTarget:
    """An EventBridge target that relies on the AlertTopic's own policy instead of adding an unscoped one."""

    def __init__(self, topic: sns.ITopic) -> None:
        self._topic = topic

    def bind(self, rule: events.IRule, id: str | None = None) -> events.RuleTargetConfig:
        return events.RuleTargetConfig(arn=self._topic.topic_arn)


class KeyWatch(Construct):
    """An EventBridge rule that alerts when a KMS key is disabled, scheduled for deletion, has its key
    policy replaced, or has a grant revoked or retired.

    It matches CloudTrail's record of those KMS API calls (management events reach EventBridge in the
    key's region with or without a trail) and sends the event to ``alerts``. The HealthOmics guide warns
    that revoking or retiring the grant a store depends on cuts the service off from its data at once;
    a deletion is recoverable only during the key's waiting period, so the alert must reach people then.
    """

    def __init__(self, scope: Construct, id: str, *, alerts: AlertTopic, keys: Sequence[kms.IKey] = ()) -> None:
        """
        :param alerts: where alerts go.
        :param keys: the keys to watch, in this stack's region (EventBridge sees KMS calls in the key's own
            region). Default: every KMS key of the account in this region, which also covers keys created
            later.
        """
        stack = cdk.Stack.of(scope)
        problems = ProblemCollector(f"KeyWatch '{id}'")
        if not isinstance(alerts, AlertTopic):
            problems.add("alerts", alerts, "pass an AlertTopic")
        for index, key in enumerate(keys):
            if not _is_key(key):
                problems.add(f"keys[{index}]", key, "pass kms.IKey objects (PhiKey, kms.Key.from_key_arn(...))")
            else:
                _check_same_region(problems, stack, f"keys[{index}]", key)
        problems.raise_if_any()

        super().__init__(scope, id)
        self.alerts = alerts
        self.keys = tuple(keys)
        detail: dict[str, object] = {"eventSource": ["kms.amazonaws.com"], "eventName": list(KMS_KEY_EVENT_NAMES)}
        if keys:
            detail["resources"] = {"ARN": [key.key_arn for key in keys]}
        self.rule = events.Rule(
            self, "Resource",
            description="omics-secure: a KMS key was disabled, scheduled for deletion, had its policy replaced, "
                        "or had a grant revoked or retired",
            event_pattern=events.EventPattern(source=["aws.kms"], detail_type=["AWS API Call via CloudTrail"],
                                              detail=detail),
            targets=[_TopicTarget(alerts.topic)],  # type: ignore[list-item]
        )


class AccountAlarm(Enum):
    """An account-level alarm on the trail's log group, after the CIS AWS Foundations Benchmark's monitoring
    controls. Each value is a CloudWatch Logs filter pattern over CloudTrail records."""

    UNAUTHORIZED_API_CALLS = (
        '{ (($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*")) '
        '&& ($.sourceIPAddress != "delivery.logs.amazonaws.com") && ($.eventName != "HeadBucket") }'
    )
    ROOT_USE = (
        '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS '
        '&& $.eventType != "AwsServiceEvent" }'
    )
    CONSOLE_SIGN_IN_WITHOUT_MFA = (
        '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") '
        '&& ($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }'
    )
    IAM_POLICY_CHANGES = (
        "{ ($.eventSource = iam.amazonaws.com) && (" + " || ".join(f"($.eventName = {name})" for name in (
            "PutGroupPolicy", "PutRolePolicy", "PutUserPolicy", "DeleteGroupPolicy", "DeleteRolePolicy",
            "DeleteUserPolicy", "CreatePolicy", "DeletePolicy", "CreatePolicyVersion", "DeletePolicyVersion",
            "SetDefaultPolicyVersion", "AttachRolePolicy", "DetachRolePolicy", "AttachUserPolicy",
            "DetachUserPolicy", "AttachGroupPolicy", "DetachGroupPolicy")) + ") }"
    )
    BUCKET_POLICY_CHANGES = (
        "{ ($.eventSource = s3.amazonaws.com) && (" + " || ".join(f"($.eventName = {name})" for name in (
            "PutBucketPolicy", "DeleteBucketPolicy", "PutBucketAcl", "PutBucketCors", "DeleteBucketCors",
            "PutBucketLifecycle", "DeleteBucketLifecycle", "PutBucketReplication", "DeleteBucketReplication",
            "PutBucketPublicAccessBlock", "DeleteBucketPublicAccessBlock")) + ") }"
    )


_ALARM_TEXT = {
    AccountAlarm.UNAUTHORIZED_API_CALLS: ("UnauthorizedApiCalls", "API calls refused as unauthorized or access denied"),
    AccountAlarm.ROOT_USE: ("RootUse", "the root user was used"),
    AccountAlarm.CONSOLE_SIGN_IN_WITHOUT_MFA: ("ConsoleSignInWithoutMfa",
                                              "an IAM user signed in to the console without MFA"),
    AccountAlarm.IAM_POLICY_CHANGES: ("IamPolicyChanges", "an IAM policy was created, changed, attached or detached"),
    AccountAlarm.BUCKET_POLICY_CHANGES: ("BucketPolicyChanges",
                                         "an S3 bucket policy, ACL, CORS, lifecycle, replication or public access "
                                         "block was changed"),
}


class AccountAlarms(Construct):
    """Metric filters on an :class:`AuditTrail`'s log group and one alarm per filter, sent to ``alerts``.

    Each alarm fires when its filter matches at least once in five minutes; missing data (no matching
    event) is not breaching. Metrics go to the ``OmicsSecure/CloudTrail`` namespace.
    """

    def __init__(self, scope: Construct, id: str, *, trail: AuditTrail, alerts: AlertTopic,
                 alarms: Sequence[AccountAlarm] = tuple(AccountAlarm)) -> None:
        """
        :param trail: the trail whose log group is filtered; a multi-region trail with global service events,
            so that console sign-ins and IAM changes (recorded in us-east-1) reach it.
        :param alerts: where alarms go.
        :param alarms: which alarms to create. Default: all of :class:`AccountAlarm`.
        """
        problems = ProblemCollector(f"AccountAlarms '{id}'")
        if not isinstance(trail, AuditTrail):
            problems.add("trail", trail, "pass an AuditTrail (its log group receives the events)")
        if not isinstance(alerts, AlertTopic):
            problems.add("alerts", alerts, "pass an AlertTopic")
        unknown = [a for a in alarms if not isinstance(a, AccountAlarm)]
        if unknown or not alarms:
            problems.add("alarms", list(alarms),
                         "pass one or more of " + ", ".join(f"AccountAlarm.{a.name}" for a in AccountAlarm))
        problems.raise_if_any()

        super().__init__(scope, id)
        self.alarms: dict[AccountAlarm, cloudwatch.Alarm] = {}
        action = cloudwatch_actions.SnsAction(alerts.topic)
        for alarm in dict.fromkeys(alarms):
            name, what = _ALARM_TEXT[alarm]
            metric_filter = logs.MetricFilter(
                self, f"{name}Filter", log_group=trail.log_group,
                filter_pattern=logs.FilterPattern.literal(alarm.value),
                metric_namespace=ALARM_NAMESPACE, metric_name=name, metric_value="1")
            cloudwatch_alarm = cloudwatch.Alarm(
                self, f"{name}Alarm",
                alarm_description=f"omics-secure: {what} (CIS AWS Foundations Benchmark, monitoring)",
                metric=metric_filter.metric(statistic="Sum", period=cdk.Duration.minutes(5)),
                threshold=1, evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            cloudwatch_alarm.add_alarm_action(action)
            self.alarms[alarm] = cloudwatch_alarm


def _enable_key_services(scope: Construct, key: kms.IKey, services: Sequence[KeyService]) -> None:
    """Add the key-policy statements ``services`` need to a key of this app; warn for a key from outside."""
    if isinstance(key, PhiKey):
        key.enable_services(*services)
        return
    stack = cdk.Stack.of(scope)
    if isinstance(key, kms.Key):
        for service in services:
            for statement in key_policy_statements(service, account=stack.account, region=stack.region,
                                                   partition=stack.partition):
                key.add_to_resource_policy(statement)
        return
    sids = [statement.sid or "" for service in services
            for statement in key_policy_statements(service, account=stack.account, region=stack.region,
                                                   partition=stack.partition)]
    cdk.Annotations.of(scope).add_warning_v2(
        "omics-secure:audit-key-policy",
        f"The key {key.key_arn} is not a PhiKey of this app: its owner must add the key-policy statements "
        f"{', '.join(sids)} (omics_secure.key_policy_statements renders them for "
        f"{', '.join(s.name for s in services)}), or delivery fails.")


def _require_concrete_environment(problems: ProblemCollector, stack: cdk.Stack, needs: str) -> None:
    missing = [name for name, v in (("account", stack.account), ("region", stack.region)) if is_unresolved(v)]
    if missing:
        problems.add("env", f"stack '{stack.node.id}'",
                     f"{needs} names the {' and '.join(missing)}; create the stack with "
                     "env=cdk.Environment(account='111122223333', region='us-east-1')")


def _check_same_region(problems: ProblemCollector, stack: cdk.Stack, prop: str, key: kms.IKey) -> None:
    key_region = cdk.Stack.of(key).region if isinstance(key, Construct) else None
    if isinstance(key, kms.Key) and key_region and not is_unresolved(key_region) \
            and not is_unresolved(stack.region) and key_region != stack.region:
        problems.add(prop, key.node.path,
                     f"the key is in {key_region}, this stack in {stack.region}; use a key of this region")


def _whole_days(problems: ProblemCollector, prop: str, value: cdk.Duration | None, default: int) -> int:
    if value is None:
        return default
    if not isinstance(value, cdk.Duration):
        problems.add(prop, value, f"pass a cdk.Duration, e.g. cdk.Duration.days({default})")
        return default
    try:
        days = int(value.to_days())
    except Exception:  # jsii raises a plain Error for a duration that is not a whole number of days
        problems.add(prop, value.to_human_string(), f"use a whole number of days, e.g. cdk.Duration.days({default})")
        return default
    if not 1 <= days <= 36500:
        problems.add(prop, f"{days} days", f"must be 1 to 36500 days; e.g. cdk.Duration.days({default})")
    return days


def _is_key(value: object) -> bool:
    # jsii interfaces (kms.IKey, s3.IBucket) are not runtime-checkable protocols, and imported keys are proxies.
    return not isinstance(value, str | bytes) and hasattr(value, "key_arn")


def _is_bucket(value: object) -> bool:
    return not isinstance(value, str | bytes) and hasattr(value, "bucket_arn")


def _describe(bucket: object) -> str:
    return bucket.node.path if isinstance(bucket, Construct) else repr(bucket)


def _data_resource_arn(problems: ProblemCollector, stack: cdk.Stack, bucket: object) -> str:
    """The S3 data-event value for ``bucket`` (its ARN and a slash), or records why it cannot be logged."""
    if isinstance(bucket, PhiReplicaBucket):
        return f"{bucket.bucket_arn_literal}/"
    target = bucket.bucket if isinstance(bucket, HardenedBucket) else bucket
    if not _is_bucket(target):
        problems.add("data_buckets", bucket, "pass s3.IBucket objects, PhiBucket or PhiReplicaBucket")
        return ""
    owner = cdk.Stack.of(target)  # type: ignore[arg-type]
    if owner is not stack and not is_unresolved(owner.region) and not is_unresolved(stack.region) \
            and owner.region != stack.region:
        problems.add("data_buckets", _describe(bucket),
                     f"the bucket's stack is in {owner.region}, the trail's in {stack.region}, and CDK cannot "
                     "reference across regions; pass a PhiReplicaBucket or s3.Bucket.from_bucket_name(...) "
                     "created in the trail's stack (a multi-region trail logs buckets of every region)")
        return ""
    return f"{target.bucket_arn}/"  # type: ignore[attr-defined]


def _nag_text(value: object) -> str:
    """A resolved value as cdk-nag prints it in granular finding ids: Ref as <Name>, Fn::Join joined."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Ref" in value:
        return f"<{value['Ref']}>"
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(_nag_text(part) for part in parts)
    return str(value)


def _child_alias(stack: cdk.Stack, id: str) -> str:
    """A key alias unique to this construct: PhiKey's default alias would repeat for every child named Key."""
    stack_name = stack.stack_name if not is_unresolved(stack.stack_name) else stack.node.id
    return "alias/omics-secure/" + re.sub(r"[^a-zA-Z0-9/_-]", "-", f"{stack_name}/{id}")


def _default_trail_name(stack: cdk.Stack, id: str) -> str:
    stack_name = stack.stack_name if not is_unresolved(stack.stack_name) else stack.node.id
    name = re.sub(r"[^A-Za-z0-9]+", "-", f"omics-secure-{stack_name}-{id}").strip("-")
    return name[:128].rstrip("-")
