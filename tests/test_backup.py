"""PhiBackupVault and PhiBackup: the locked CMK vault, the plan, the copy, restore testing, the role, the alerts."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Annotations, Match, Template

from omics_secure import AccessLogBucket, AlertTopic, OmicsSecureConfigError, PhiBucket, PhiKey
from omics_secure.backup import (
    S3_BACKUP_BUCKET_ACTIONS,
    S3_BACKUP_OBJECT_ACTIONS,
    PhiBackup,
    PhiBackupVault,
)
from tests.harness import ACCOUNT, REGION, REPLICA_REGION


@pytest.fixture
def west(app: cdk.App) -> cdk.Stack:
    return cdk.Stack(app, "West", env=cdk.Environment(account=ACCOUNT, region=REPLICA_REGION))


@pytest.fixture
def dr_vault(west: cdk.Stack) -> PhiBackupVault:
    return PhiBackupVault(west, "DrVault", min_retention=cdk.Duration.days(365))


def only(stack: cdk.Stack, type_: str) -> tuple[str, dict[str, Any]]:
    found = Template.from_stack(stack).find_resources(type_)
    assert len(found) == 1, f"expected one {type_}, found {len(found)}"
    return next(iter(found.items()))


def role_statements(stack: cdk.Stack) -> list[dict[str, Any]]:
    policies = Template.from_stack(stack).find_resources("AWS::IAM::ManagedPolicy")
    return [s for body in policies.values() for s in body["Properties"]["PolicyDocument"]["Statement"]]


def build(stack: cdk.Stack, dr_vault: PhiBackupVault | None, **props: Any) -> PhiBackup:
    bucket = PhiBucket(stack, "Data")
    return PhiBackup(stack, "Backup", buckets=[bucket], copy_to=dr_vault, **props)


# --- PhiBackupVault -------------------------------------------------------------------------------------

def test_vault_is_locked_in_compliance_mode_encrypted_with_a_phi_key_and_retained(stack):
    vault = PhiBackupVault(stack, "Vault")
    _, body = only(stack, "AWS::Backup::BackupVault")
    assert body["DeletionPolicy"] == "Retain" and body["UpdateReplacePolicy"] == "Retain"
    assert body["Properties"]["LockConfiguration"] == {"MinRetentionDays": 35, "MaxRetentionDays": 3650,
                                                       "ChangeableForDays": 3}
    key_id, _ = only(stack, "AWS::KMS::Key")
    assert body["Properties"]["EncryptionKeyArn"] == {"Fn::GetAtt": [key_id, "Arn"]}
    assert isinstance(vault.key, PhiKey)
    assert vault.vault_arn_literal == (f"arn:aws:backup:{REGION}:{ACCOUNT}:backup-vault:"
                                       f"{body['Properties']['BackupVaultName']}")


def test_vault_name_is_stable_and_suffixable(stack):
    first = PhiBackupVault(stack, "Vault")
    second = PhiBackupVault(stack, "Other", name_suffix="r2")
    assert first.vault_name.startswith("omics-secure-") and len(first.vault_name) == len("omics-secure-") + 8
    assert second.vault_name.endswith("-r2")
    assert PhiBackupVault(stack, "Named", vault_name="genomics-phi").vault_name == "genomics-phi"


@pytest.mark.parametrize(("props", "prop", "match"), [
    ({"min_retention": cdk.Duration.days(30), "max_retention": cdk.Duration.days(10)}, "max_retention",
     "at least the minimum"),
    ({"changeable_for": cdk.Duration.days(1)}, "changeable_for", "3 to 36500 days"),
    ({"min_retention": cdk.Duration.days(0)}, "min_retention", "1 to 36500 days"),
    ({"vault_name": "phi vault!"}, "vault_name", "2 to 50 letters"),
    ({"vault_name": "jane.doe@example.org"}, "vault_name", "looks like PHI"),
    ({"name_suffix": "UPPER"}, "name_suffix", "lower-case"),
])
def test_vault_errors(stack, props, prop, match):
    with pytest.raises(OmicsSecureConfigError, match=rf"{prop}=.*{match}"):
        PhiBackupVault(stack, "Vault", **props)


def test_vault_key_of_another_region_is_refused(stack, west):
    with pytest.raises(OmicsSecureConfigError, match=r"key=.*us-west-2.*vault's region"):
        PhiBackupVault(stack, "Vault", key=PhiKey(west, "WestKey"))


# --- PhiBackup: the plan ----------------------------------------------------------------------------------

def test_plan_has_continuous_backup_and_daily_snapshots_copied_to_the_replica_region(stack, dr_vault):
    plan = build(stack, dr_vault)
    _, body = only(stack, "AWS::Backup::BackupPlan")
    continuous, snapshot = body["Properties"]["BackupPlan"]["BackupPlanRule"]
    assert continuous["EnableContinuousBackup"] is True
    assert continuous["Lifecycle"] == {"DeleteAfterDays": 35}
    assert continuous["TargetBackupVault"] == plan.vault.vault_name
    assert "EnableContinuousBackup" not in snapshot
    assert snapshot["ScheduleExpression"] == "cron(0 5 ? * * *)"
    assert snapshot["Lifecycle"] == {"DeleteAfterDays": 365}
    assert snapshot["CopyActions"] == [{"DestinationBackupVaultArn": dr_vault.vault_arn_literal,
                                        "Lifecycle": {"DeleteAfterDays": 365}}]
    assert dr_vault.vault_arn_literal.startswith(f"arn:aws:backup:{REPLICA_REGION}:{ACCOUNT}:backup-vault:")


def test_selection_names_the_phi_buckets_and_the_scoped_role(stack, dr_vault):
    plan = build(stack, dr_vault)
    bucket_arn = stack.resolve(plan.buckets[0].bucket.bucket_arn)  # type: ignore[union-attr]
    role_id, role = only(stack, "AWS::IAM::Role")
    _, selection = only(stack, "AWS::Backup::BackupSelection")
    assert selection["Properties"]["BackupSelection"]["Resources"] == [bucket_arn]
    assert selection["Properties"]["BackupSelection"]["IamRoleArn"] == {"Fn::GetAtt": [role_id, "Arn"]}
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"] == [{
        "Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "backup.amazonaws.com"},
        "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}}}]
    assert "ManagedPolicyArns" not in role["Properties"] or all(
        "AWSBackup" not in str(arn) for arn in role["Properties"]["ManagedPolicyArns"])


def test_role_reads_only_the_selected_buckets_and_writes_only_restore_test_buckets(stack, dr_vault):
    plan = build(stack, dr_vault)
    statements = role_statements(stack)
    by_actions = {tuple(sorted(s["Action"])) if isinstance(s["Action"], list) else (s["Action"],): s
                  for s in statements}
    bucket_statement = by_actions[tuple(sorted(S3_BACKUP_BUCKET_ACTIONS))]
    assert bucket_statement["Resource"] == stack.resolve(plan.buckets[0].bucket.bucket_arn)  # type: ignore[union-attr]
    objects = by_actions[tuple(sorted(S3_BACKUP_OBJECT_ACTIONS))]
    assert "Fn::Join" in objects["Resource"]
    writes = [s for s in statements if "s3:PutObject" in s["Action"] or "s3:CreateBucket" in s["Action"]]
    assert {str(s["Resource"]) for s in writes} == {"arn:aws:s3:::awsbackup-restore-test-*",
                                                    "arn:aws:s3:::awsbackup-restore-test-*/*"}
    assert not any(s.get("Resource") == "*" and any(a.startswith("s3:") for a in s["Action"])
                   for s in statements)


def test_role_may_copy_into_the_copy_target_vault_only(stack, dr_vault):
    """A copy job runs as the plan's role and calls backup:CopyIntoBackupVault on the destination: without it
    every copy to the other region fails, while the backups themselves succeed."""
    build(stack, dr_vault)
    copies = [s for s in role_statements(stack) if "backup:CopyIntoBackupVault" in str(s["Action"])]
    assert copies == [{"Action": "backup:CopyIntoBackupVault", "Effect": "Allow",
                       "Resource": dr_vault.vault_arn_literal}]


def test_without_a_copy_target_the_role_copies_nowhere(stack):
    build(stack, None)
    assert not [s for s in role_statements(stack) if "backup:CopyIntoBackupVault" in str(s["Action"])]


def test_vault_keys_of_both_regions_let_only_the_backup_role_use_them_through_aws_backup(stack, west, dr_vault):
    plan = build(stack, dr_vault)
    for key_stack, region in ((stack, REGION), (west, REPLICA_REGION)):
        keys = Template.from_stack(key_stack).find_resources("AWS::KMS::Key")
        statements = [s for body in keys.values() for s in body["Properties"]["KeyPolicy"]["Statement"]
                      if str(s.get("Sid", "")).startswith("AllowAwsBackupRole")]
        assert len(statements) == 2, key_stack.node.id
        for statement in statements:
            assert statement["Principal"] == {"AWS": "*"}
            assert statement["Condition"]["ArnEquals"] == {"aws:PrincipalArn": plan.role_arn_literal}
            assert statement["Condition"]["StringEquals"] == {
                "kms:CallerAccount": ACCOUNT, "kms:ViaService": f"backup.{region}.amazonaws.com"}
        grants = next(s for s in statements if "kms:CreateGrant" in s["Action"])
        assert grants["Condition"]["Bool"] == {"kms:GrantIsForAWSResource": "true"}


def test_restore_testing_plan_and_selection_exercise_a_restore_under_the_buckets_key(stack, dr_vault):
    plan = build(stack, dr_vault, restore_validation_window=cdk.Duration.hours(12))
    vault_id, _ = only(stack, "AWS::Backup::BackupVault")
    _, testing = only(stack, "AWS::Backup::RestoreTestingPlan")
    assert testing["Properties"]["ScheduleExpression"] == "cron(0 7 ? * SUN *)"
    assert testing["Properties"]["RecoveryPointSelection"] == {
        "Algorithm": "LATEST_WITHIN_WINDOW", "IncludeVaults": [{"Fn::GetAtt": [vault_id, "BackupVaultArn"]}],
        "RecoveryPointTypes": ["CONTINUOUS", "SNAPSHOT"], "SelectionWindowDays": 7}
    _, selection = only(stack, "AWS::Backup::RestoreTestingSelection")
    properties = selection["Properties"]
    assert properties["ProtectedResourceType"] == "S3"
    assert properties["ValidationWindowHours"] == 12 == plan.restore_validation_window_hours
    assert properties["RestoreTestingPlanName"] == testing["Properties"]["RestoreTestingPlanName"]
    assert properties["RestoreMetadataOverrides"]["EncryptionType"] == "SSE-KMS"


def test_failed_backup_copy_and_restore_jobs_alert_the_topic(stack, dr_vault):
    alerts = AlertTopic(stack, "Alerts")
    build(stack, dr_vault, alerts=alerts)
    topic_id, _ = only(stack, "AWS::SNS::Topic")
    rules = Template.from_stack(stack).find_resources("AWS::Events::Rule")
    patterns = {body["Properties"]["EventPattern"]["detail-type"][0]: body for body in rules.values()}
    assert set(patterns) == {"Backup Job State Change", "Copy Job State Change", "Restore Job State Change"}
    assert patterns["Backup Job State Change"]["Properties"]["EventPattern"]["detail"] == {
        "state": ["FAILED", "ABORTED", "EXPIRED"]}
    assert patterns["Restore Job State Change"]["Properties"]["EventPattern"]["detail"] == {
        "status": ["FAILED", "ABORTED"]}
    for body in patterns.values():
        assert body["Properties"]["EventPattern"]["source"] == ["aws.backup"]
        assert body["Properties"]["Targets"] == [{"Arn": {"Ref": topic_id}, "Id": "Target0"}]


def test_no_copy_target_is_a_warning(stack):
    build(stack, None)
    Annotations.from_stack(stack).has_warning("*", Match.string_like_regexp("no disaster-recovery copy"))


def test_backup_with_copy_and_alerts_passes_every_pack_and_cfn_lint(app, stack, west, compliant):
    from omics_secure import PhiReplicaBucket

    replica = PhiReplicaBucket(west, "Replica")
    dr_vault = PhiBackupVault(west, "DrVault", min_retention=cdk.Duration.days(365))
    bucket = PhiBucket(stack, "Data", replica=replica)
    PhiBackup(stack, "Backup", buckets=[bucket], copy_to=dr_vault, alerts=AlertTopic(stack, "Alerts"))
    result = compliant(stack)
    acknowledged = {f.rule_id for f in result.acknowledged_findings}
    assert "AwsSolutions-IAM5[Resource::*]" in acknowledged
    assert "AwsSolutions-IAM5[Resource::arn:aws:s3:::awsbackup-restore-test-*]" in acknowledged
    assert not any(rule.startswith("AwsSolutions-IAM4") for rule in acknowledged)


# --- PhiBackup: bad input --------------------------------------------------------------------------------

def test_a_selection_without_a_phi_bucket_is_refused(stack, dr_vault):
    with pytest.raises(OmicsSecureConfigError, match=r"buckets=\[\]: select at least one PhiBucket"):
        PhiBackup(stack, "Empty", buckets=[], copy_to=dr_vault)
    with pytest.raises(OmicsSecureConfigError, match=r"buckets\[0\]=AccessLogBucket.*not an AccessLogBucket"):
        PhiBackup(stack, "Logs", buckets=[AccessLogBucket(stack, "Logs")], copy_to=dr_vault)
    plain = s3.Bucket.from_bucket_name(stack, "Plain", "plain-bucket")
    with pytest.raises(OmicsSecureConfigError, match="select at least one PhiBucket"):
        PhiBackup(stack, "Plain", buckets=[plain], copy_to=dr_vault)


def test_continuous_retention_is_limited_to_35_days(stack, dr_vault):
    with pytest.raises(OmicsSecureConfigError, match=r"continuous_retention='36 days': .*1 to 35 days"):
        build(stack, dr_vault, continuous_retention=cdk.Duration.days(36))


def test_a_copy_target_in_the_same_region_is_refused(stack):
    same = PhiBackupVault(stack, "SameRegion", min_retention=cdk.Duration.days(365))
    with pytest.raises(OmicsSecureConfigError, match=r"copy_to=.*in us-east-1 too"):
        build(stack, same)


def test_the_lock_must_contain_the_retentions_it_protects(stack, west):
    short_lock = PhiBackupVault(west, "ShortLock", min_retention=cdk.Duration.days(7))
    with pytest.raises(OmicsSecureConfigError, match=r"copy_to=.*lock minimum \(7 days\) is shorter than the "
                                                     r"retention of 365 days"):
        build(stack, short_lock)
    long_lock = PhiBackupVault(stack, "LongLock", min_retention=cdk.Duration.days(90))
    with pytest.raises(OmicsSecureConfigError, match=r"vault=.*lock minimum \(90 days\) is longer"):
        PhiBackup(stack, "Plan", buckets=[PhiBucket(stack, "Data2")], vault=long_lock)
    low_max = PhiBackupVault(stack, "LowMax", max_retention=cdk.Duration.days(100))
    with pytest.raises(OmicsSecureConfigError, match=r"vault=.*lock maximum \(100 days\)"):
        PhiBackup(stack, "Plan2", buckets=[PhiBucket(stack, "Data3")], vault=low_max)


def test_schedules_windows_and_alert_region_are_checked(stack, west, dr_vault):
    with pytest.raises(OmicsSecureConfigError) as raised:
        build(stack, dr_vault, snapshot_schedule="daily", restore_validation_window=cdk.Duration.hours(200),
              alerts=AlertTopic(west, "WestAlerts"))
    assert {p.prop for p in raised.value.problems} == {"snapshot_schedule", "restore_validation_window", "alerts"}
