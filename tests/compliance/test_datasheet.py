"""The data-protection summary: every data store, key and role named; every control answered."""

from __future__ import annotations

import datetime as dt
import re
from datetime import UTC, datetime

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3

from omics_secure import (
    AccessLevel,
    AccountSecurityServices,
    ApprovedAccess,
    AuditTrail,
    CollaboratorAccess,
    ConfigRule,
    FhirDatastore,
    KeyService,
    PhiBucket,
    PhiKey,
    ReferenceStore,
    Researchers,
    WorkflowRunRole,
)
from omics_secure.cli import main
from omics_secure.compliance import OMICS_SECURE_PACK
from omics_secure.compliance.controls import CONTROLS
from omics_secure.compliance.datasheet import build_datasheet, controls_without_catalogue_entry
from omics_secure.reporting.summary import render_html, render_markdown
from tests.harness import ENV, make_app
from tests.reporting.rendering import shown, table_rows


@pytest.fixture
def assembly(app, stack):
    key = PhiKey(stack, "DataKey", services=[KeyService.S3, KeyService.CLOUDWATCH_LOGS])
    bucket = s3.Bucket(stack, "Reads", encryption=s3.BucketEncryption.KMS, encryption_key=key,
                       bucket_key_enabled=True, versioned=True, object_lock_enabled=True,
                       object_lock_default_retention=s3.ObjectLockRetention.governance(cdk.Duration.days(30)),
                       lifecycle_rules=[s3.LifecycleRule(expiration_date=datetime(2030, 6, 30, tzinfo=UTC))])
    role = iam.Role(stack, "AnalystRole", assumed_by=iam.AccountRootPrincipal())
    bucket.grant_read(role)
    logs.LogGroup(stack, "Pipeline", retention=logs.RetentionDays.ONE_YEAR, encryption_key=key)
    return app.synth().directory


def tables(sections):
    return {table.title + "@" + section.title: table for section in sections for table in section.tables}


def test_names_every_key_store_and_role_with_their_protection(assembly):
    found = tables(build_datasheet(assembly))
    (key,) = found["Keys@How it is encrypted"].rows
    assert key[:5] == ("alias/omics-secure/TestStack/DataKey", "us-east-1", "every 365 days", "30 days", "Retain")
    assert key[5] == "Amazon S3, CloudWatch Logs"
    assert "Reads bucket" in key[6] and "Pipeline log group" in key[6]
    (store,) = found["Data stores@How it is encrypted"].rows
    assert store == ("Reads", "aws:kms + bucket key", "alias/omics-secure/TestStack/DataKey")
    (role,) = found["Roles@Who can reach it, and from where"].rows
    assert role[:2] == ("AnalystRole", "any principal in account 111122223333")
    assert "Reads bucket" in role[2] and "alias/omics-secure/TestStack/DataKey" in role[2]
    (bucket,) = found["Buckets@How long it is kept"].rows
    assert bucket[:4] == ("Reads", "yes", "GOVERNANCE 30 days", "2030-06-30T00:00:00Z")
    (group,) = found["Log groups@What is logged and alerted"].rows
    assert group == ("Pipeline", "365", "yes")


def test_key_policy_principals_come_with_their_conditions_in_words(assembly):
    statements = found_rows = tables(build_datasheet(assembly))["Key policies@How it is encrypted"].rows
    assert all(row[0] == "alias/omics-secure/TestStack/DataKey" for row in found_rows)
    by_condition = {row[3]: row for row in statements}
    s3 = by_condition["only through Amazon S3 (kms:ViaService s3.us-east-1.amazonaws.com), "
                      "kms:CallerAccount 111122223333"]
    assert s3[1] == "any principal in account 111122223333" and "kms:Decrypt" in s3[2]
    admin = by_condition["always"]
    assert admin[1:] == ("any principal in account 111122223333", "all key actions (administration)", "always")
    assert not any(row[1] in ("*", "") for row in statements)


def test_every_control_points_at_evidence_or_the_user(assembly):
    (matrix,) = [t for s in build_datasheet(assembly) if s.title == "Control matrix" for t in s.tables]
    assert len(matrix.rows) == len(CONTROLS)
    for framework, control, _title, evidence, responsibility in matrix.rows:
        assert (evidence != "-") != (responsibility != "-"), f"{framework} {control}"
    by_control = {row[1]: row for row in matrix.rows}
    assert "OmicsSecure-KMSKeyRotationEnabled: 1 resource(s), all pass" in by_control["SC-12"][3]
    assert by_control["164.308(b)(1)"][4].startswith("sign the AWS Business Associate Addendum")
    # NIST 800-171 r3 beside r2: key management is 3.13.10 in r2 and 03.13.10 in r3, evidenced alike.
    assert by_control["03.13.10"][0] == "NIST 800-171 r3"
    assert by_control["03.13.10"][3] == by_control["3.13.10"][3] != "-"


def test_every_rule_maps_to_controls_in_the_catalogue():
    assert controls_without_catalogue_entry(OMICS_SECURE_PACK) == []


def test_markdown_and_html_render_every_section(assembly):
    sections = build_datasheet(assembly)
    markdown = render_markdown(sections)
    assert markdown.startswith("# Data-protection summary")
    assert "## Control matrix" in markdown and "**Keys**" in markdown
    page = render_html(sections)
    assert page.count("<h2>") == len(sections) and "<td>Reads</td>" in page


@pytest.mark.slow  # report runs every pack, as check does
def test_report_command_writes_html_and_exits_as_check_does(assembly, tmp_path, capsys):
    target = tmp_path / "summary.html"
    assert main(["report", "--assembly", assembly, "--format", "html", "--file", str(target)]) == 1
    assert target.read_text().startswith("<!DOCTYPE html>")
    assert main(["report", "--assembly", assembly, "--exit-zero"]) == 0
    out = capsys.readouterr().out
    assert "| alias/omics-secure/TestStack/DataKey | us-east-1 |" in table_rows(out)
    assert re.match(r"\*\*Result\\: FAIL - \d+ open findings \(unacknowledged", out.splitlines()[2])  # escaped


def test_the_verdict_comes_first_in_both_renderings(assembly):
    sections = build_datasheet(assembly)
    verdict = "Result: FAIL - 3 open findings (...)"
    markdown = render_markdown(sections, verdict=verdict).splitlines()
    assert markdown[:4] == ["# Data-protection summary", "", "**Result\\: FAIL - 3 open findings (\\.\\.\\.)**", ""]
    page = render_html(sections, verdict=verdict)
    assert page.index('<p class="verdict fail" role="status"><strong>Result: FAIL') < page.index('<nav class="toc"')
    assert '<p class="verdict" role="status">' in render_html(sections, verdict="Result: PASS - 0 open findings")


def test_health_stores_show_their_key_and_managed_policy_roles_their_reach(app, stack):
    key = PhiKey(stack, "DataKey")
    data = PhiBucket(stack, "Data", key=key)
    ReferenceStore(stack, "Refs", key=key)
    FhirDatastore(stack, "Fhir", key=key)
    WorkflowRunRole(stack, "RunRole", inputs=[data])
    found = tables(build_datasheet(app.synth().directory))
    stores = {row[0]: row[1:] for row in found["Data stores@How it is encrypted"].rows}
    assert stores["TestStack-Fhir"] == ("CUSTOMER_MANAGED_KMS_KEY", "alias/omics-secure/TestStack/DataKey")
    assert stores["TestStack-Refs"] == ("KMS", "alias/omics-secure/TestStack/DataKey")
    roles = {row[0]: row for row in found["Roles@Who can reach it, and from where"].rows}
    run_role = roles["RunRole"]
    # Who may assume it, with its trust policy's conditions in words (issue 27).
    assert run_role[1] == ("the HealthOmics service (omics.amazonaws.com), only for "
                           "arn:aws:omics:us-east-1:111122223333:run/* (aws:SourceArn), only on behalf of account "
                           "111122223333 (aws:SourceAccount)")
    assert "Data bucket" in run_role[2] and "alias/omics-secure/TestStack/DataKey" in run_role[2]
def test_logging_section_names_config_and_macie_or_says_there_are_none(assembly, tmp_path):
    (logging,) = [s for s in build_datasheet(assembly) if s.title == "What is logged and alerted"]
    assert logging.paragraphs[0].startswith("No AWS Config recorder or Amazon Macie session is in this app")
    other = make_app(tmp_path / "other")
    stack = cdk.Stack(other, "Audit", env=ENV)
    trail = AuditTrail(stack, "Trail")
    AccountSecurityServices(stack, "Account", trail=trail, config_recorder=True, macie=True,
                            config_rules=[ConfigRule.CLOUD_TRAIL_ENABLED])
    sections = build_datasheet(other.synth().directory)
    (logging,) = [s for s in sections if s.title == "What is logged and alerted"]
    assert logging.paragraphs == ()
    found = tables(sections)
    assert set(found["Account services@What is logged and alerted"].rows) == {
        ("Account/ConfigRecorder", "AWS Config recorder"),
        ("Account/RuleCloudTrailEnabled", "AWS Config rule"),
        ("Account/MacieSession", "Amazon Macie"),
    }
    (trail_row,) = found["Trails@What is logged and alerted"].rows
    assert trail_row[1:] == ("yes", "yes", "yes", "0")


def test_the_reference_report_names_every_key_bucket_store_datastore_and_trail(reference_app):
    from omics_secure.inputs.assembly import read_assembly

    assembly = reference_app.assembly_dir
    markdown = render_markdown(build_datasheet(assembly))
    named = {"AWS::KMS::Key", "AWS::S3::Bucket", "AWS::Omics::SequenceStore", "AWS::Omics::ReferenceStore",
             "AWS::HealthLake::FHIRDatastore", "AWS::CloudTrail::Trail"}
    expected = [stack.construct_path(logical_id) for stack in read_assembly(assembly)
                for logical_id, body in stack.resources.items() if body["Type"] in named]
    assert len(expected) >= 12
    rows = table_rows(markdown)
    missing = [path for path in expected if f"| {path} |" not in rows]
    assert missing == []
    (matrix,) = [t for s in build_datasheet(assembly) if s.title == "Control matrix" for t in s.tables]
    # Every control is evidenced or the user's; both only where the user keeps a duty the rules support
    # (a risk analysis that image scanning feeds, say).
    users = {(c.framework, c.id) for c in CONTROLS if c.user_responsibility}
    assert [row for row in matrix.rows if row[3] == "-" and row[4] == "-"] == []
    assert [row for row in matrix.rows if row[3] != "-" and row[4] != "-" and (row[0], row[1]) not in users] == []


def test_warning_rules_show_as_warnings_in_the_control_matrix(app, stack):
    logs.LogGroup(stack, "Named", log_group_name="/audit/fixed", retention=logs.RetentionDays.ONE_YEAR)
    (matrix,) = [t for s in build_datasheet(app.synth().directory) if s.title == "Control matrix" for t in s.tables]
    evidence = {row[1]: row[3] for row in matrix.rows}
    assert "OmicsSecure-RetainedResourceFixedName: 1 resource(s), 1 warning(s)" in evidence["CM-6"]


# Approved access

def test_lists_every_approval_with_who_scope_origin_regions_and_days_left(app, stack):
    today = dt.datetime.now(dt.UTC).date()
    ends = today + dt.timedelta(days=100)
    data = PhiBucket(stack, "Data", key=PhiKey(stack, "Key"))
    ApprovedAccess(stack, "Study42", approval_id="phs000123.v1.p1", ends=ends, buckets=[data], prefix="cohort-a/",
                   researchers=Researchers.account_principals([f"arn:aws:iam::{ENV.account}:role/Analyst"]),
                   access=AccessLevel.READ_WRITE_RESULTS)
    ApprovedAccess(stack, "Campus", approval_id="DAR-7", ends=ends, buckets=[data], prefix="cohort-b/",
                   researchers=Researchers.identity_center("GenomicsResearcher"))
    CollaboratorAccess(stack, "Partner", approval_id="phs000123.v1.p1", account="444455556666", bucket=data,
                       prefix="shared/", ends=ends)
    sections = build_datasheet(app.synth().directory)
    (section,) = [s for s in sections if s.title.startswith("Approved access")]
    assert "IAM Identity Center" in section.paragraphs[0] and "user's responsibility" in section.paragraphs[0]
    rows = {row[2]: row for row in section.tables[0].rows}
    study = rows["Study42"]
    assert study[0] == "phs000123.v1.p1" and study[1] == "researchers (role)"
    assert study[3] == f"arn:aws:iam::{ENV.account}:role/Analyst with MFA"
    assert "/cohort-a/* (read)" in study[4] and "/results/phs000123-v1-p1/* (read and write)" in study[4]
    assert study[5:] == ("any network (TLS required)", "us-east-1", ends.isoformat(), "100")
    assert rows["Campus"][3] == "IAM Identity Center permission set GenomicsResearcher"
    (partner,) = [row for row in section.tables[0].rows if row[1] == "collaborator account (access point)"]
    assert partner[1] == "collaborator account (access point)"
    assert partner[3] == "any principal in account 444455556666"
    assert partner[4].endswith("/shared/* (read)") and partner[5] == "internet, public access blocked"
    assert partner[7:] == (ends.isoformat(), "100")
    markdown = render_markdown(sections)
    assert "## Approved access" in markdown and "phs000123.v1.p1" in shown(markdown)


def test_an_app_without_approvals_says_so_and_still_names_the_users_responsibility(assembly):
    (section,) = [s for s in build_datasheet(assembly) if s.title.startswith("Approved access")]
    assert section.tables[0].rows == () and "IAM Identity Center" in section.paragraphs[0]


def test_the_reference_report_states_the_backup_plans_rpo_and_rto_and_cites_them_for_contingency(reference_app):
    sections = build_datasheet(reference_app.assembly_dir)
    (plan,) = tables(sections)["Backup plans@How it is recovered"].rows
    row = dict(zip(("plan", "region", "buckets", "rpo", "retention", "copied", "test", "rto", "lock"), plan,
                   strict=True))
    assert (row["plan"], row["region"], row["buckets"]) == ("Backup/Plan", "us-east-1", "PhiData")
    assert row["rpo"] == "minutes (continuous backup, point-in-time restore)"
    assert row["retention"] == "continuous 35 days; snapshots 365 days"
    assert row["copied"] == "us-west-2, kept 365 days, RPO one copy per cron(0 5 ? * * *)"
    assert row["test"] == "cron(0 7 ? * SUN *)"
    assert row["rto"].startswith("24 hours") and "not a measurement" in row["rto"]
    assert row["lock"] == "compliance mode, 35 days to 3650 days"
    matrix = {(r[0], r[1]): r[3] for r in tables(sections)["Controls@Control matrix"].rows}
    for control in ("164.308(a)(7)(ii)(A)", "164.308(a)(7)(ii)(B)"):
        assert "AWS Backup plan Backup/Plan: RPO minutes" in matrix[("HIPAA Security Rule",
                                                                                       control)]
        assert "RTO objective 24 hours" in matrix[("HIPAA Security Rule", control)]
    assert "AWS Backup plan" in matrix[("NIST 800-53 r5", "CP-9")]
    assert "AWS Backup plan" not in matrix[("NIST 800-53 r5", "AC-3")]


def test_an_app_without_a_backup_plan_says_so(assembly):
    section = next(s for s in build_datasheet(assembly) if s.title == "How it is recovered")
    assert section.tables[0].rows == ()
    assert "No AWS Backup plan is in this app" in section.paragraphs[0]


def test_the_access_section_comes_from_the_evaluator_with_conditions_in_words(app, stack):
    # Issue 27: an Identity Center approval is no longer "any principal in the account".
    ends = dt.date(2031, 1, 31)
    data = PhiBucket(stack, "Data", key=PhiKey(stack, "Key"))
    ApprovedAccess(stack, "Campus", approval_id="DAR-7", ends=ends, buckets=[data], prefix="cohort-b/",
                   researchers=Researchers.identity_center("GenomicsResearcher"))
    found = tables(build_datasheet(app.synth().directory))
    (campus,) = [row for row in found["Roles@Who can reach it, and from where"].rows if row[0] == "Campus"]
    assert "as IAM Identity Center permission set GenomicsResearcher" in campus[1]
    assert "until 2031-01-31" in campus[1]
    assert "Data bucket" in campus[2]
    grants = [row for row in found["Readers, writers and administrators@Who can reach it, and from where"].rows
              if row[0] == "Data" and row[2] == "Campus"]
    reads = [row for row in grants if row[1] == "reader"]
    assert reads and all("only on Data/cohort-b/*" in row[3] or "only on Data/results/" in row[3] for row in reads)
    assert all("until 2031-01-31" in row[3] and "only over TLS" in row[3] for row in reads)


def test_each_key_has_its_own_rotation_and_sse_s3_is_named_alike_wherever_it_comes_from(app, stack):
    from aws_cdk import aws_kms as kms

    rotating = PhiKey(stack, "DataKey", services=[KeyService.S3])
    still = kms.Key(stack, "PlainKey")  # rotation off
    s3.Bucket(stack, "Cohort", encryption=s3.BucketEncryption.KMS, encryption_key=rotating)
    s3.Bucket(stack, "Legacy", encryption=s3.BucketEncryption.KMS, encryption_key=still)
    s3.Bucket(stack, "Staged", encryption=s3.BucketEncryption.S3_MANAGED)  # AES256 named in the template
    s3.CfnBucket(stack, "Scratch")  # no BucketEncryption: S3 encrypts with SSE-S3 by default
    sections = build_datasheet(app.synth().directory)
    (summary,) = [s for s in sections if s.title == "Summary"]
    (encrypted,) = [b for b in summary.bullets if b.startswith("How encrypted")]
    assert encrypted == (
        "How encrypted: 2 of 4 data store(s) with customer-managed KMS keys (alias/omics-secure/TestStack/DataKey, "
        "key rotation every 365 days: Cohort; PlainKey key, key rotation OFF: Legacy); Staged, Scratch with SSE-S3 "
        "(S3-managed keys, AWS owned); no key policy of this app governs those keys.")
    stores = {row[0]: row[1:] for row in tables(sections)["Data stores@How it is encrypted"].rows}
    assert stores["Staged"] == ("SSE-S3 (AES256)", "AWS owned")
    assert stores["Scratch"] == ("SSE-S3 (S3 default)", "AWS owned")
    keys = {row[0]: row[2] for row in tables(sections)["Keys@How it is encrypted"].rows}
    assert keys == {"alias/omics-secure/TestStack/DataKey": "every 365 days", "PlainKey": "OFF"}
