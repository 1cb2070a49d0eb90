"""The data-protection summary: every data store, key and role named; every control answered."""

from __future__ import annotations

from datetime import UTC, datetime

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3

from omics_secure import (
    AccountSecurityServices,
    AuditTrail,
    ConfigRule,
    FhirDatastore,
    KeyService,
    PhiBucket,
    PhiKey,
    ReferenceStore,
    WorkflowRunRole,
)
from omics_secure.compliance import OMICS_SECURE_PACK
from omics_secure.compliance.cli import main
from omics_secure.compliance.controls import CONTROLS
from omics_secure.compliance.datasheet import (
    build_datasheet,
    controls_without_catalogue_entry,
    render_html,
    render_markdown,
)
from tests.harness import ENV, make_app


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
    assert key[:6] == ("TestStack/DataKey/Resource", "alias/omics-secure/TestStack/DataKey", "us-east-1",
                       "every 365 days", "30 days", "Retain")
    assert key[6] == "logs, s3"
    assert "TestStack/Reads/Resource" in key[8] and "TestStack/Pipeline/Resource" in key[8]
    (store,) = found["Data stores@How it is encrypted"].rows
    assert store == ("TestStack/Reads/Resource", "aws:kms + bucket key", "ref:DataKey17AFBB84.Arn")
    (role,) = found["Roles@Who can reach it, and from where"].rows
    assert role[0] == "TestStack/AnalystRole/Resource"
    assert "TestStack/Reads/Resource" in role[2] and "TestStack/DataKey/Resource" in role[2]
    (bucket,) = found["Buckets@How long it is kept"].rows
    assert bucket[1:4] == ("yes", "GOVERNANCE 30 days", "2030-06-30T00:00:00Z")
    (group,) = found["Log groups@What is logged and alerted"].rows
    assert group == ("TestStack/Pipeline/Resource", "365", "yes")


def test_every_control_points_at_evidence_or_the_user(assembly):
    (matrix,) = [t for s in build_datasheet(assembly) if s.title == "Control matrix" for t in s.tables]
    assert len(matrix.rows) == len(CONTROLS)
    for framework, control, _title, evidence, responsibility in matrix.rows:
        assert (evidence != "-") != (responsibility != "-"), f"{framework} {control}"
    by_control = {row[1]: row for row in matrix.rows}
    assert "OmicsSecure-KMSKeyRotationEnabled: 1 resource(s), all pass" in by_control["SC-12"][3]
    assert by_control["164.308(b)(1)"][4].startswith("sign the AWS Business Associate Addendum")


def test_every_rule_maps_to_controls_in_the_catalogue():
    assert controls_without_catalogue_entry(OMICS_SECURE_PACK) == []


def test_markdown_and_html_render_every_section(assembly):
    sections = build_datasheet(assembly)
    markdown = render_markdown(sections)
    assert markdown.startswith("# Data-protection summary")
    assert "## Control matrix" in markdown and "**Keys**" in markdown
    page = render_html(sections)
    assert page.count("<h2>") == len(sections) and "<td>TestStack/Reads/Resource</td>" in page


def test_report_command_writes_html(assembly, tmp_path, capsys):
    target = tmp_path / "summary.html"
    assert main(["report", "--assembly", assembly, "--format", "html", "--file", str(target)]) == 0
    assert target.read_text().startswith("<!DOCTYPE html>")
    assert main(["report", "--assembly", assembly]) == 0
    assert "| TestStack/DataKey/Resource |" in capsys.readouterr().out


def test_health_stores_show_their_key_and_managed_policy_roles_their_reach(app, stack):
    key = PhiKey(stack, "DataKey")
    data = PhiBucket(stack, "Data", key=key)
    ReferenceStore(stack, "Refs", key=key)
    FhirDatastore(stack, "Fhir", key=key)
    WorkflowRunRole(stack, "RunRole", inputs=[data])
    found = tables(build_datasheet(app.synth().directory))
    stores = {row[0]: row[1:] for row in found["Data stores@How it is encrypted"].rows}
    assert stores["TestStack/Fhir/Resource"] == ("CUSTOMER_MANAGED_KMS_KEY", "ref:DataKey17AFBB84.Arn")
    assert stores["TestStack/Refs/Resource"] == ("KMS", "ref:DataKey17AFBB84.Arn")
    roles = {row[0]: row for row in found["Roles@Who can reach it, and from where"].rows}
    run_role = roles["TestStack/RunRole/Resource/Resource"]
    assert run_role[1] == "omics.amazonaws.com"
    assert "TestStack/Data/Resource/Resource" in run_role[2] and "TestStack/DataKey/Resource" in run_role[2]
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
        ("Audit/Account/ConfigRecorder", "AWS Config recorder"),
        ("Audit/Account/RuleCloudTrailEnabled/Resource", "AWS Config rule"),
        ("Audit/Account/MacieSession", "Amazon Macie"),
    }
    (trail_row,) = found["Trails@What is logged and alerted"].rows
    assert trail_row == ("Audit/Trail/Resource", "yes", "yes", "yes", "0")


def test_the_reference_report_names_every_key_bucket_store_datastore_and_trail(reference_app):
    from omics_secure.compliance.assembly import read_assembly

    assembly = reference_app.assembly_dir
    markdown = render_markdown(build_datasheet(assembly))
    named = {"AWS::KMS::Key", "AWS::S3::Bucket", "AWS::Omics::SequenceStore", "AWS::Omics::ReferenceStore",
             "AWS::HealthLake::FHIRDatastore", "AWS::CloudTrail::Trail"}
    expected = [stack.construct_path(logical_id) for stack in read_assembly(assembly)
                for logical_id, body in stack.resources.items() if body["Type"] in named]
    assert len(expected) >= 12
    missing = [path for path in expected if f"| {path} |" not in markdown]
    assert missing == []
    (matrix,) = [t for s in build_datasheet(assembly) if s.title == "Control matrix" for t in s.tables]
    assert all((row[3] != "-") != (row[4] != "-") for row in matrix.rows)
