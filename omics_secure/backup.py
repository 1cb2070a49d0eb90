"""Backups of PHI buckets under a separate authority, copied to a second region and restored on a schedule.

- :class:`PhiBackupVault`: an AWS Backup vault encrypted with a customer-managed :class:`PhiKey` and locked in
  compliance mode (minimum and maximum retention), so that no one, the root user included, can delete a
  recovery point or shorten its retention once the grace time has passed.
- :class:`PhiBackup`: a backup plan over the given PHI buckets (continuous backup for point-in-time restore
  plus daily snapshots kept longer), a copy of each snapshot to a vault in the replica region, a restore
  testing plan that restores the latest recovery point on a schedule, the scoped role AWS Backup uses, and
  alerts through an :class:`AlertTopic` when a backup, copy or restore job fails.

These answer the HIPAA Security Rule's data backup plan and disaster recovery plan (45 CFR
164.308(a)(7)(ii)(A) and (B)) and NIST SP 800-53 CP-9/CP-10 (with CP-6, the alternate storage site).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_backup as backup
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from omics_secure._internal.acknowledgments import acknowledge, nag_rendering
from omics_secure._internal.durations import whole_days
from omics_secure._internal.environment import check_region, known, partition_of, require_concrete_environment
from omics_secure._internal.errors import ProblemCollector, is_unresolved
from omics_secure._internal.grants import add_to_grantee_policy
from omics_secure._internal.labels import check_phi
from omics_secure._internal.naming import NAME_SUFFIX_FIX, is_valid_name_suffix
from omics_secure._internal.props import checked_props
from omics_secure.audit import AlertTopic
from omics_secure.keys import KeyLike, KeyService, PhiKey, key_of
from omics_secure.storage import PhiBucket, PhiReplicaBucket, bucket_key_of, bucket_of

# "The minimum retention period is 1 day. The maximum retention period is 35 days."
# https://docs.aws.amazon.com/aws-backup/latest/devguide/point-in-time-recovery-retention-period.html
CONTINUOUS_RETENTION_DAYS_RANGE = (1, 35)
DEFAULT_CONTINUOUS_RETENTION_DAYS = 35
DEFAULT_SNAPSHOT_RETENTION_DAYS = 365
DEFAULT_SNAPSHOT_SCHEDULE = "cron(0 5 ? * * *)"  # daily, 05:00 UTC
DEFAULT_RESTORE_TEST_SCHEDULE = "cron(0 7 ? * SUN *)"  # weekly, Sunday 07:00 UTC
# AWS::Backup::RestoreTestingSelection ValidationWindowHours: "Accepted values are integers from 0 to 168
# (the equivalent of seven days)"; a restore test's resources are deleted when the window ends.
VALIDATION_WINDOW_HOURS_RANGE = (1, 168)
DEFAULT_VALIDATION_WINDOW_HOURS = 24
DEFAULT_RESTORE_START_WINDOW_HOURS = 24
# "AWS Backup enforces a 72-hour cooling-off period before Vault Lock takes effect and becomes immutable.
# Therefore, you must set ChangeableForDays to 3 or greater."
# https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-backup-backupvault-lockconfigurationtype.html
CHANGEABLE_FOR_DAYS_RANGE = (3, 36500)
DEFAULT_CHANGEABLE_FOR_DAYS = 3
LOCK_RETENTION_DAYS_RANGE = (1, 36500)
DEFAULT_MIN_RETENTION_DAYS = DEFAULT_CONTINUOUS_RETENTION_DAYS
DEFAULT_MAX_RETENTION_DAYS = 3650
# AWS::Backup::BackupVault BackupVaultName: ^[a-zA-Z0-9\-\_]{2,50}$ (CloudFormation resource schema).
VAULT_NAME_MAX = 50
_VAULT_NAME = re.compile(r"[a-zA-Z0-9_-]{2,50}")
_SCHEDULE = re.compile(r"cron\([^()]+\)|rate\([^()]+\)")

# AWSBackupServiceRolePolicyForS3Backup, scoped to the selected buckets (the managed policy names every
# bucket and every KMS key): https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSBackupServiceRolePolicyForS3Backup.html
S3_BACKUP_BUCKET_ACTIONS = (
    "s3:GetInventoryConfiguration", "s3:PutInventoryConfiguration", "s3:ListBucketVersions", "s3:ListBucket",
    "s3:GetBucketVersioning", "s3:GetBucketNotification", "s3:PutBucketNotification", "s3:GetBucketLocation",
    "s3:GetBucketTagging", "s3:GetBucketAcl",
)
S3_BACKUP_OBJECT_ACTIONS = (
    "s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectAcl", "s3:GetObjectVersionAcl", "s3:GetObjectTagging",
    "s3:GetObjectVersionTagging",
)
# AWSBackupServiceRolePolicyForS3Restore, scoped to the scratch buckets restore tests create:
# https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSBackupServiceRolePolicyForS3Restore.html
S3_RESTORE_BUCKET_ACTIONS = (
    "s3:CreateBucket", "s3:ListBucketVersions", "s3:ListBucket", "s3:GetBucketVersioning", "s3:GetBucketLocation",
    "s3:PutBucketVersioning", "s3:PutBucketOwnershipControls", "s3:GetBucketOwnershipControls",
)
S3_RESTORE_OBJECT_ACTIONS = (
    "s3:GetObject", "s3:GetObjectVersion", "s3:DeleteObject", "s3:PutObjectVersionAcl", "s3:GetObjectVersionAcl",
    "s3:GetObjectTagging", "s3:PutObjectTagging", "s3:GetObjectAcl", "s3:PutObjectAcl",
    "s3:ListMultipartUploadParts", "s3:PutObject",
)
# Restore tests restore into new buckets that AWS Backup names and tags awsbackup-restore-test, and deletes
# when the validation window ends: https://docs.aws.amazon.com/aws-backup/latest/devguide/restore-testing.html
RESTORE_TEST_BUCKET_PREFIX = "awsbackup-restore-test"
# What a copy job needs on its destination vault (StartCopyJob's IamRoleArn "is used to copy the target
# recovery point", https://docs.aws.amazon.com/aws-backup/latest/devguide/API_StartCopyJob.html).
COPY_INTO_VAULT_ACTION = "backup:CopyIntoBackupVault"
# The vault key's use by AWS Backup on the role's behalf (the console's AWS Backup key policy, narrowed to
# kms:ViaService): https://docs.aws.amazon.com/aws-backup/latest/devguide/encryption.html
VAULT_KEY_ACTIONS = ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey", "kms:ReEncryptFrom",
                     "kms:ReEncryptTo")
VAULT_KEY_GRANT_ACTIONS = ("kms:CreateGrant", "kms:RetireGrant")
# AWS Backup job states that mean the job did not produce what it should have, per event type
# (https://docs.aws.amazon.com/aws-backup/latest/devguide/eventbridge.html).
FAILED_JOB_EVENTS = (
    ("BackupJobFailed", "Backup Job State Change", "state", ("FAILED", "ABORTED", "EXPIRED")),
    ("CopyJobFailed", "Copy Job State Change", "state", ("FAILED", "ABORTED")),
    ("RestoreJobFailed", "Restore Job State Change", "status", ("FAILED", "ABORTED")),
)


def _digest(scope: Construct, id: str) -> str:
    """Eight hex digits of the construct path: stable names that never change with the code."""
    return hashlib.sha256("/".join(p for p in (scope.node.path, id) if p).encode()).hexdigest()[:8]


class PhiBackupVault(Construct):
    """An AWS Backup vault for PHI: encrypted with a customer-managed key, locked in compliance mode, retained.

    Defaults, and why:

    - Encrypted with a :class:`PhiKey` (a new child ``Key`` unless ``key`` is given). "Amazon S3 backups are
      encrypted using a AWS KMS key associated with the backup vault"
      (https://docs.aws.amazon.com/aws-backup/latest/devguide/encryption.html), so the vault's key, not the
      bucket's, protects every S3 recovery point. The key policy lets the roles given to :meth:`allow_role`
      use it through AWS Backup only (kms:ViaService, kms:CallerAccount, grants for AWS resources only).
    - Vault Lock in compliance mode: ``LockConfiguration`` with MinRetentionDays (default 35), MaxRetentionDays
      (default 3650) and ChangeableForDays (default 3, the minimum). Until the lock date (``changeable_for``
      after deployment) the lock can still be changed or removed; "On and after the lock date, the Vault Lock
      becomes immutable and cannot be changed or deleted"
      (https://docs.aws.amazon.com/aws-backup/latest/devguide/vault-lock.html). After that no one, the root
      user and AWS included, can delete a recovery point before its retention ends, shorten its retention,
      or delete the vault while it holds recovery points: choose the retentions before the grace time ends.
      Jobs whose retention is shorter than the minimum or longer than the maximum fail; :class:`PhiBackup`
      refuses such plans at synthesis.
    - A deterministic name, ``omics-secure-<hash>[-<suffix>]`` (``vault_arn_literal``), so that a stack in
      another region can copy into it (CloudFormation cannot pass values between regions).
    - Retained on stack deletion (a locked vault with recovery points cannot be deleted anyway).
    """

    @checked_props
    def __init__(self, scope: Construct, id: str, *, key: KeyLike | None = None, vault_name: str | None = None,
                 name_suffix: str | None = None, min_retention: cdk.Duration | None = None,
                 max_retention: cdk.Duration | None = None, changeable_for: cdk.Duration | None = None) -> None:
        """
        :param key: encrypts the recovery points. Default: a new :class:`PhiKey` child ``Key``.
        :param vault_name: 2 to 50 letters, digits, '-' or '_'. Default: ``omics-secure-<hash>``.
        :param name_suffix: appended to the default name, 1-8 lower-case letters or digits. Default: none.
        :param min_retention: Vault Lock minimum retention. Default: 35 days (the longest continuous backup
            retention AWS Backup allows, so every recovery point is kept at least that long).
        :param max_retention: Vault Lock maximum retention. Default: 3650 days.
        :param changeable_for: the grace time before the lock becomes immutable, 3 days or more.
            Default: 3 days. There is no governance mode: a lock that can always be removed protects nothing.
        """
        stack = cdk.Stack.of(scope)
        problems = ProblemCollector(f"PhiBackupVault '{id}'")
        require_concrete_environment(problems, stack, "env", f"stack '{stack.node.id}'",
                                     "the vault's literal ARN and the key policy's kms:ViaService")
        min_days = whole_days(problems, "min_retention", min_retention, DEFAULT_MIN_RETENTION_DAYS,
                              LOCK_RETENTION_DAYS_RANGE, "the Vault Lock minimum retention")
        max_days = whole_days(problems, "max_retention", max_retention, DEFAULT_MAX_RETENTION_DAYS,
                              LOCK_RETENTION_DAYS_RANGE, "the Vault Lock maximum retention")
        changeable_days = whole_days(problems, "changeable_for", changeable_for, DEFAULT_CHANGEABLE_FOR_DAYS,
                                     CHANGEABLE_FOR_DAYS_RANGE,
                                     "the grace time before the lock is immutable (AWS Backup's 72-hour "
                                     "cooling-off period)")
        if max_days < min_days:
            problems.add("max_retention", f"{max_days} days",
                         f"the maximum retention must be at least the minimum ({min_days} days); raise "
                         "max_retention or lower min_retention")
        if vault_name is not None and (is_unresolved(vault_name) or not _VAULT_NAME.fullmatch(vault_name)):
            problems.add("vault_name", vault_name,
                         f"pass a literal of 2 to {VAULT_NAME_MAX} letters, digits, '-' or '_' (the copy source "
                         "in another region must know it), e.g. 'genomics-phi-backups'")
        check_phi(problems, "vault_name", vault_name)
        if name_suffix is not None and not is_valid_name_suffix(name_suffix):
            problems.add("name_suffix", name_suffix, NAME_SUFFIX_FIX)
        elif name_suffix is not None and vault_name is not None:
            problems.add("name_suffix", name_suffix,
                         "the suffix changes the default vault name only; with vault_name, change that name")
        if key is not None:
            check_region(problems, scope, "key", key_of(key), what="the key",
                         why="AWS Backup encrypts a vault only with a KMS key of the vault's region")
        problems.raise_if_any()

        super().__init__(scope, id)
        suffix = f"-{name_suffix}" if name_suffix is not None else ""
        self.vault_name = vault_name or f"omics-secure-{_digest(scope, id)}{suffix}"
        self.account = stack.account
        self.region = stack.region
        self.partition = partition_of(stack.region)
        self.vault_arn_literal = (f"arn:{self.partition}:backup:{self.region}:{self.account}:"
                                  f"backup-vault:{self.vault_name}")
        self.min_retention_days = min_days
        self.max_retention_days = max_days
        self.changeable_for_days = changeable_days
        if key is None:
            key = PhiKey(self, "Key", description="omics-secure: encrypts AWS Backup recovery points of PHI")
        self.key: kms.IKey = key_of(key)
        self._allowed_roles: list[str] = []
        self.vault = backup.CfnBackupVault(
            self, "Resource", backup_vault_name=self.vault_name, encryption_key_arn=self.key.key_arn,
            lock_configuration=backup.CfnBackupVault.LockConfigurationTypeProperty(
                min_retention_days=min_days, max_retention_days=max_days, changeable_for_days=changeable_days))
        self.vault.apply_removal_policy(cdk.RemovalPolicy.RETAIN)

    @property
    def vault_arn(self) -> str:
        return self.vault.attr_backup_vault_arn

    def allow_role(self, role_arn: str) -> None:
        """Let the role with the literal ``role_arn`` use the vault's key through AWS Backup in this region.

        The key policy names the role by ``aws:PrincipalArn`` under a ``*`` principal narrowed by
        kms:CallerAccount and kms:ViaService, because KMS refuses a key policy naming a principal that does
        not exist yet (the role of a copy source in another region is created after this stack). A key that
        is not a :class:`PhiKey` of this app gets a warning naming the statements its owner must add.
        """
        if role_arn in self._allowed_roles:
            return
        self._allowed_roles.append(role_arn)
        conditions: dict[str, dict[str, object]] = {
            "ArnEquals": {"aws:PrincipalArn": role_arn},
            "StringEquals": {"kms:CallerAccount": self.account,
                             "kms:ViaService": f"backup.{self.region}.amazonaws.com"}}
        index = len(self._allowed_roles)
        statements = [
            iam.PolicyStatement(sid=f"AllowAwsBackupRole{index}UseViaBackup", principals=[iam.AnyPrincipal()],
                                actions=list(VAULT_KEY_ACTIONS), resources=["*"], conditions=conditions),
            iam.PolicyStatement(sid=f"AllowAwsBackupRole{index}GrantsViaBackup", principals=[iam.AnyPrincipal()],
                                actions=list(VAULT_KEY_GRANT_ACTIONS), resources=["*"],
                                conditions={**conditions, "Bool": {"kms:GrantIsForAWSResource": "true"}}),
        ]
        if isinstance(self.key, kms.Key):
            for statement in statements:
                self.key.add_to_resource_policy(statement)
        else:
            cdk.Annotations.of(self).add_warning_v2(
                "omics-secure:backup-key-policy",
                f"The vault key {self.key.key_arn} is not a key of this app: its owner must let {role_arn} use it "
                f"through backup.{self.region}.amazonaws.com "
                f"({', '.join(VAULT_KEY_ACTIONS + VAULT_KEY_GRANT_ACTIONS)}), "
                "or backups and copies into this vault fail.")


class PhiBackup(Construct):
    """An AWS Backup plan over PHI buckets, with a copy to another region and a scheduled restore test.

    Defaults, and why:

    - Continuous backup (point-in-time restore) kept 35 days. "The minimum retention period is 1 day. The
      maximum retention period is 35 days"
      (https://docs.aws.amazon.com/aws-backup/latest/devguide/point-in-time-recovery-retention-period.html),
      so a longer ``continuous_retention`` is refused. Recovery point objective: minutes (the latest
      restorable time of a continuous backup) within the window.
    - Daily snapshots (05:00 UTC) kept 365 days, each copied to ``copy_to`` (a :class:`PhiBackupVault` in a
      stack of another region) and kept there ``copy_retention`` (default: the snapshot retention). A copy
      in the same region protects against nothing a region loses, so it is refused.
    - S3 backup needs versioning: AWS Backup lists S3 Versioning on the bucket as a prerequisite of S3 backups
      (https://docs.aws.amazon.com/aws-backup/latest/devguide/s3-backups.html); a :class:`PhiBucket` always
      has it, and other buckets get a warning.
    - A restore testing plan (weekly, Sunday 07:00 UTC) that restores the latest recovery point of each
      bucket into a new bucket AWS Backup creates, encrypted with the bucket's own key, and deletes it when
      the validation window (default 24 hours) ends. The window is the plan's recovery time objective:
      an objective, not a measurement (the restore job's duration is the measurement).
    - One IAM role for backups, copies and restore tests, trusted by backup.amazonaws.com from this account
      only, with the permissions of AWS's S3 backup and restore managed policies narrowed to the selected
      buckets, their keys, the restore tests' scratch buckets and AWS Backup's own EventBridge rules.
    - With ``alerts``: EventBridge rules sending failed (or aborted or expired) backup, copy and restore jobs
      of this account and region to the :class:`AlertTopic`, whose policy already lets this account's
      rules publish.

    The vault (``vault``, default a new :class:`PhiBackupVault` child ``Vault``) must lock retentions that
    contain every retention of the plan: a lock minimum above a retention fails those jobs, and a lock minimum
    below the shortest retention would let the plan be shortened under the lock; both are refused.
    """

    @checked_props
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        buckets: Sequence[PhiBucket | PhiReplicaBucket | s3.IBucket],
        vault: PhiBackupVault | None = None,
        copy_to: PhiBackupVault | None = None,
        alerts: AlertTopic | None = None,
        continuous_retention: cdk.Duration | None = None,
        snapshot_retention: cdk.Duration | None = None,
        snapshot_schedule: str = DEFAULT_SNAPSHOT_SCHEDULE,
        copy_retention: cdk.Duration | None = None,
        restore_test_schedule: str = DEFAULT_RESTORE_TEST_SCHEDULE,
        restore_validation_window: cdk.Duration | None = None,
    ) -> None:
        """
        :param buckets: the PHI buckets to back up, in this stack's region; at least one :class:`PhiBucket`
            (or :class:`PhiReplicaBucket`); an :class:`AccessLogBucket` holds no PHI and is refused.
        :param vault: where recovery points go. Default: a new :class:`PhiBackupVault` child ``Vault`` whose
            lock minimum is the continuous retention.
        :param copy_to: a vault in another region of the same partition that receives a copy of each
            snapshot. Default: none (a warning says the plan has no disaster-recovery copy).
        :param alerts: where failed-job alerts go, an :class:`AlertTopic` of this region. Default: none.
        :param continuous_retention: 1 to 35 days. Default: 35 days.
        :param snapshot_retention: Default: 365 days.
        :param snapshot_schedule: an AWS Backup ``cron(...)`` or ``rate(...)`` expression in UTC.
            Default: daily at 05:00 UTC.
        :param copy_retention: how long the copies are kept. Default: ``snapshot_retention``.
        :param restore_test_schedule: when restore tests start. Default: weekly, Sunday 07:00 UTC.
        :param restore_validation_window: 1 to 168 hours before a restore test's bucket is deleted.
            Default: 24 hours.
        """
        stack = cdk.Stack.of(scope)
        problems = ProblemCollector(f"PhiBackup '{id}'")
        require_concrete_environment(problems, stack, "env", f"stack '{stack.node.id}'",
                                     "the role's literal ARN and the vault key policies")
        continuous_days = whole_days(problems, "continuous_retention", continuous_retention,
                                     DEFAULT_CONTINUOUS_RETENTION_DAYS, CONTINUOUS_RETENTION_DAYS_RANGE,
                                     "AWS Backup's continuous (point-in-time) retention")
        snapshot_days = whole_days(problems, "snapshot_retention", snapshot_retention,
                                   DEFAULT_SNAPSHOT_RETENTION_DAYS, LOCK_RETENTION_DAYS_RANGE)
        copy_days = whole_days(problems, "copy_retention", copy_retention, snapshot_days, LOCK_RETENTION_DAYS_RANGE)
        window_hours = self._validation_hours(problems, restore_validation_window)
        for prop, expression in (("snapshot_schedule", snapshot_schedule),
                                 ("restore_test_schedule", restore_test_schedule)):
            if not is_unresolved(expression) and not _SCHEDULE.fullmatch(expression):
                problems.add(prop, expression, "use an AWS Backup schedule expression in UTC, e.g. "
                                               "'cron(0 5 ? * * *)' (daily at 05:00)")
        self._check_buckets(problems, stack, buckets)
        if vault is not None:
            self._check_vault(problems, stack, "vault", vault, (continuous_days, snapshot_days), same_region=True)
        if copy_to is not None:
            self._check_vault(problems, stack, "copy_to", copy_to, (copy_days,), same_region=False)
        if alerts is not None and known(cdk.Stack.of(alerts).region) not in (None, known(stack.region)):
            problems.add("alerts", alerts, f"AWS Backup sends job events to EventBridge in the job's region "
                                           f"({stack.region}); use an AlertTopic of that region")
        problems.raise_if_any()

        super().__init__(scope, id)
        self.buckets = tuple(buckets)
        self.continuous_retention_days = continuous_days
        self.snapshot_retention_days = snapshot_days
        self.copy_retention_days = copy_days if copy_to is not None else None
        self.snapshot_schedule = snapshot_schedule
        self.restore_validation_window_hours = window_hours
        self.vault = vault or PhiBackupVault(self, "Vault", min_retention=cdk.Duration.days(continuous_days),
                                             max_retention=cdk.Duration.days(max(snapshot_days,
                                                                                 DEFAULT_MAX_RETENTION_DAYS)))
        self.copy_to = copy_to
        digest = _digest(scope, id)
        role_name = f"omics-secure-backup-{digest}-{stack.region}"
        self.role_arn_literal = f"arn:{partition_of(stack.region)}:iam::{stack.account}:role/{role_name}"
        self.role = iam.Role(
            self, "Role", role_name=role_name,
            assumed_by=iam.ServicePrincipal("backup.amazonaws.com", conditions={
                "StringEquals": {"aws:SourceAccount": stack.account}}),
            description="omics-secure: AWS Backup backs up, copies and restore-tests the PHI buckets")
        self._grant_role(stack)
        self.vault.allow_role(self.role_arn_literal)
        if copy_to is not None:
            copy_to.allow_role(self.role_arn_literal)
        else:
            cdk.Annotations.of(self).add_warning_v2(
                "omics-secure:backup-no-copy",
                "No copy_to vault: the recovery points stay in one region, so the plan has no disaster-recovery "
                "copy (HIPAA 164.308(a)(7)(ii)(B)); pass a PhiBackupVault of another region.")
        self._add_plan(digest, continuous_days, snapshot_days, copy_days)
        self._add_restore_testing(digest, restore_test_schedule, window_hours)
        self.alert_rules: list[events.Rule] = self._add_alerts(alerts) if alerts is not None else []

    @staticmethod
    def _validation_hours(problems: ProblemCollector, window: cdk.Duration | None) -> int:
        if window is None:
            return DEFAULT_VALIDATION_WINDOW_HOURS
        if not isinstance(window, cdk.Duration):
            problems.add("restore_validation_window", window, "pass a cdk.Duration, e.g. cdk.Duration.hours(24)")
            return DEFAULT_VALIDATION_WINDOW_HOURS
        try:
            hours = int(window.to_hours())
        except Exception:  # jsii raises a plain Error for a duration that is not a whole number of hours
            problems.add("restore_validation_window", window.to_human_string(),
                         "use a whole number of hours, e.g. cdk.Duration.hours(24)")
            return DEFAULT_VALIDATION_WINDOW_HOURS
        low, high = VALIDATION_WINDOW_HOURS_RANGE
        if not low <= hours <= high:
            problems.add("restore_validation_window", f"{hours} hours",
                         f"AWS Backup keeps a restore test's resources {low} to {high} hours; "
                         "e.g. cdk.Duration.hours(24)")
        return hours

    @staticmethod
    def _check_buckets(problems: ProblemCollector, stack: cdk.Stack, buckets: Sequence[object]) -> None:
        phi = [b for b in buckets if isinstance(b, PhiBucket | PhiReplicaBucket)]
        if not phi:
            problems.add("buckets", list(buckets),
                         "select at least one PhiBucket: a backup plan of PHI that backs up no PHI bucket "
                         "evidences no data backup plan")
        for index, bucket in enumerate(buckets):
            region = known(cdk.Stack.of(bucket).region) if isinstance(bucket, Construct) else None
            if region and known(stack.region) and region != stack.region:
                problems.add(f"buckets[{index}]", bucket,
                             f"AWS Backup backs up resources of the plan's region only ({stack.region}); back "
                             f"up a bucket of {region} with a PhiBackup in a stack of that region")

    @staticmethod
    def _check_vault(problems: ProblemCollector, stack: cdk.Stack, prop: str, vault: PhiBackupVault,
                     retentions: tuple[int, ...], *, same_region: bool) -> None:
        region = known(vault.region)
        if same_region and region and region != stack.region:
            problems.add(prop, vault, f"the plan's own vault must be in its region ({stack.region}); "
                                      "pass the other region's vault as copy_to")
        if not same_region and region == stack.region:
            problems.add(prop, vault, f"the copy target is in {stack.region} too, so losing the region loses both "
                                      "copies; pass a PhiBackupVault of a stack in another region")
        if not same_region and region and partition_of(region) != partition_of(stack.region):
            problems.add(prop, vault, "AWS Backup copies across regions of one partition only")
        if not same_region and known(vault.account) not in (None, known(stack.account)):
            problems.add(prop, vault, "copy within this account (cross-account copies need an AWS Organizations "
                                      "vault policy this construct does not write)")
        shortest, longest = min(retentions), max(retentions)
        if vault.min_retention_days > shortest:
            problems.add(prop, vault, f"its lock minimum ({vault.min_retention_days} days) is longer than the "
                                      f"retention of {shortest} days, so AWS Backup fails those jobs; lower the "
                                      "vault's min_retention or raise the retention")
        elif vault.min_retention_days < shortest:
            problems.add(prop, vault, f"its lock minimum ({vault.min_retention_days} days) is shorter than the "
                                      f"retention of {shortest} days it must protect, so the plan could be "
                                      "shortened under the lock; set the vault's min_retention to "
                                      f"cdk.Duration.days({shortest})")
        if vault.max_retention_days < longest:
            problems.add(prop, vault, f"its lock maximum ({vault.max_retention_days} days) is shorter than the "
                                      f"retention of {longest} days, so AWS Backup fails those jobs; raise the "
                                      "vault's max_retention")

    def _grant_role(self, stack: cdk.Stack) -> None:
        """AWS's S3 backup and restore managed policies, narrowed to what this plan touches."""
        partition, region, account = stack.partition, stack.region, stack.account
        bucket_arns = [bucket_of(b).bucket_arn for b in self.buckets]
        object_arns = [bucket_of(b).arn_for_objects("*") for b in self.buckets]
        scratch = f"arn:{partition}:s3:::{RESTORE_TEST_BUCKET_PREFIX}-*"
        managed_rules = f"arn:{partition}:events:{region}:{account}:rule/AwsBackupManagedRule*"
        _, policy = add_to_grantee_policy(
            self.role,
            iam.PolicyStatement(actions=list(S3_BACKUP_BUCKET_ACTIONS), resources=bucket_arns),
            iam.PolicyStatement(actions=list(S3_BACKUP_OBJECT_ACTIONS), resources=object_arns),
            iam.PolicyStatement(actions=list(S3_RESTORE_BUCKET_ACTIONS), resources=[scratch]),
            iam.PolicyStatement(actions=list(S3_RESTORE_OBJECT_ACTIONS), resources=[f"{scratch}/*"]),
            iam.PolicyStatement(actions=["events:DeleteRule", "events:PutTargets", "events:DescribeRule",
                                         "events:EnableRule", "events:PutRule", "events:RemoveTargets",
                                         "events:ListTargetsByRule", "events:DisableRule"],
                                resources=[managed_rules]),
            iam.PolicyStatement(actions=["events:ListRules", "cloudwatch:GetMetricData"], resources=["*"]),
        )
        if self.copy_to is not None:
            # A plan's copy job runs as the selection's role and calls CopyIntoBackupVault on the destination
            # vault; AWS's AWSBackupServiceRolePolicyForBackup allows it on every vault, this on the copy target:
            # https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSBackupServiceRolePolicyForBackup.html
            add_to_grantee_policy(self.role, iam.PolicyStatement(
                actions=[COPY_INTO_VAULT_ACTION], resources=[self.copy_to.vault_arn_literal]))
        for bucket in self.buckets:
            key = bucket_key_of(bucket)  # type: ignore[arg-type]
            if isinstance(key, PhiKey):
                key.grant_via_service(self.role, KeyService.S3)
            elif key is not None:
                add_to_grantee_policy(self.role, iam.PolicyStatement(
                    actions=["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"], resources=[key.key_arn],
                    conditions={"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com",
                                                 "kms:CallerAccount": account}}))
            if not isinstance(bucket, PhiBucket | PhiReplicaBucket):
                cdk.Annotations.of(self).add_warning_v2(
                    "omics-secure:backup-versioning",
                    f"{bucket_of(bucket).node.path} is not a PhiBucket: AWS Backup backs up S3 only with "
                    "versioning on, and the role can read its objects only if its key policy allows it.")
        assert policy is not None
        render = stack.resolve
        for arn in object_arns:
            acknowledge(policy, f"AwsSolutions-IAM5[Resource::{nag_rendering(render(arn))}]",
                        "AWS Backup reads every object version of a selected bucket to back it up "
                        "(AWSBackupServiceRolePolicyForS3Backup), and S3 object actions are scoped to one bucket "
                        "only by an object ARN pattern; the actions are read-only.")
        for arn in (scratch, f"{scratch}/*"):
            acknowledge(policy, f"AwsSolutions-IAM5[Resource::{nag_rendering(render(arn))}]",
                        "Restore tests restore into new buckets AWS Backup names awsbackup-restore-test-* and "
                        "deletes after the validation window; the names are not known in advance, so the "
                        "restore permissions are scoped to that prefix only.")
        acknowledge(policy, f"AwsSolutions-IAM5[Resource::{nag_rendering(render(managed_rules))}]",
                    "AWS Backup creates the EventBridge rules of S3 continuous backup itself, named "
                    "AwsBackupManagedRule followed by a generated suffix; the resource is scoped to that prefix.")
        acknowledge(policy, "AwsSolutions-IAM5[Resource::*]",
                    "events:ListRules and cloudwatch:GetMetricData support no resource-level permissions (the "
                    "Service Authorization Reference lists no resource type for them); both are read-only.")

    def _add_plan(self, digest: str, continuous_days: int, snapshot_days: int, copy_days: int) -> None:
        copy_actions = [backup.CfnBackupPlan.CopyActionResourceTypeProperty(
            destination_backup_vault_arn=self.copy_to.vault_arn_literal,
            lifecycle=backup.CfnBackupPlan.LifecycleResourceTypeProperty(delete_after_days=copy_days),
        )] if self.copy_to is not None else None
        self.plan = backup.CfnBackupPlan(self, "Plan", backup_plan=backup.CfnBackupPlan.BackupPlanResourceTypeProperty(
            backup_plan_name=f"omics-secure-{digest}",
            backup_plan_rule=[
                backup.CfnBackupPlan.BackupRuleResourceTypeProperty(
                    rule_name="ContinuousPointInTime", target_backup_vault=self.vault.vault_name,
                    enable_continuous_backup=True, schedule_expression="cron(0 * ? * * *)",
                    lifecycle=backup.CfnBackupPlan.LifecycleResourceTypeProperty(
                        delete_after_days=continuous_days)),
                backup.CfnBackupPlan.BackupRuleResourceTypeProperty(
                    rule_name="DailySnapshot", target_backup_vault=self.vault.vault_name,
                    schedule_expression=self.snapshot_schedule,
                    lifecycle=backup.CfnBackupPlan.LifecycleResourceTypeProperty(delete_after_days=snapshot_days),
                    copy_actions=copy_actions),
            ]))
        self.plan.node.add_dependency(self.vault)
        self.selection = backup.CfnBackupSelection(
            self, "Selection", backup_plan_id=self.plan.attr_backup_plan_id,
            backup_selection=backup.CfnBackupSelection.BackupSelectionResourceTypeProperty(
                selection_name="PhiBuckets", iam_role_arn=self.role.role_arn,
                resources=[bucket_of(b).bucket_arn for b in self.buckets]))

    def _add_restore_testing(self, digest: str, schedule: str, window_hours: int) -> None:
        plan_name = f"omics_secure_{digest}"
        self.restore_testing_plan = backup.CfnRestoreTestingPlan(
            self, "RestoreTestingPlan", restore_testing_plan_name=plan_name, schedule_expression=schedule,
            start_window_hours=DEFAULT_RESTORE_START_WINDOW_HOURS,
            recovery_point_selection=backup.CfnRestoreTestingPlan.RestoreTestingRecoveryPointSelectionProperty(
                algorithm="LATEST_WITHIN_WINDOW", include_vaults=[self.vault.vault_arn],
                recovery_point_types=["CONTINUOUS", "SNAPSHOT"], selection_window_days=7))
        self.restore_testing_selections: list[backup.CfnRestoreTestingSelection] = []
        for index, bucket in enumerate(self.buckets):
            key = bucket_key_of(bucket)  # type: ignore[arg-type]
            overrides = {"EncryptionType": "SSE-KMS", "KMSKey": key.key_arn} if key is not None else None
            selection = backup.CfnRestoreTestingSelection(
                self, f"RestoreTestingSelection{index}", restore_testing_plan_name=plan_name,
                restore_testing_selection_name=f"bucket_{index}", protected_resource_type="S3",
                protected_resource_arns=[bucket_of(bucket).bucket_arn], iam_role_arn=self.role.role_arn,
                validation_window_hours=window_hours, restore_metadata_overrides=overrides)
            selection.node.add_dependency(self.restore_testing_plan)
            self.restore_testing_selections.append(selection)

    def _add_alerts(self, alerts: AlertTopic) -> list[events.Rule]:
        stack = cdk.Stack.of(self)
        rules = []
        for rule_id, detail_type, field, states in FAILED_JOB_EVENTS:
            rules.append(events.Rule(
                self, rule_id,
                description=f"omics-secure: an AWS Backup job ended {', '.join(states)} ({detail_type})",
                event_pattern=events.EventPattern(source=["aws.backup"], detail_type=[detail_type],
                                                  account=[stack.account], detail={field: list(states)}),
                targets=[alerts.event_target()],
            ))
        return rules
