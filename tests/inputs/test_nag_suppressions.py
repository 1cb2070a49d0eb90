"""cdk-nag 2's suppressions honoured as acknowledgments, read from the templates they are written into.

tests/inputs/cdk_nag_2/ holds a real cdk-nag 2 app (2.38.2) and the assembly it synthesized: a resource
suppression with a reason cdk-nag 2 base64-encoded (stale: its bucket has access logs), granular ones (a literal
and a regex ``applies_to``) copied to a role's children, a stack suppression, and one finding left open (IAM5 on
the bucket's objects), which cdk-nag 2 reported as an error annotation.
"""

from __future__ import annotations

import base64
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from omics_secure.compliance.check import repeats_a_finding
from omics_secure.inputs.assembly import (
    CDK_NAG_2_SUPPRESSION,
    Acknowledgment,
    Annotation,
    StackArtifact,
    read_assembly,
)
from omics_secure.inputs.nag_suppressions import Suppression, covers, suppressions
from omics_secure.reporting.validation_report import PackResult, ReportedFinding
from tests.harness import REPOSITORY

NAG_2_ASSEMBLY = Path(__file__).parent / "cdk_nag_2" / "cdk.out"


@pytest.mark.parametrize(("acknowledged", "finding", "expected"), [
    ("AwsSolutions-S1", "AwsSolutions-S1", True),
    ("AwsSolutions-S1", "AwsSolutions-S10", False),  # near miss: another rule that starts the same
    ("AwsSolutions-IAM5", "AwsSolutions-IAM5[Resource::*]", True),  # no applies_to: every finding of the rule
    ("AwsSolutions-IAM5[Resource::*]", "AwsSolutions-IAM5[Resource::*]", True),
    ("AwsSolutions-IAM5[Resource::*]", "AwsSolutions-IAM5[Action::s3:*]", False),
    ("AwsSolutions-IAM5[Resource::*]", "AwsSolutions-IAM5", False),  # a granular suppression is not the whole rule
    ("AwsSolutions-IAM5[regex:/^Action::s3:Get.*$/]", "AwsSolutions-IAM5[Action::s3:GetObject*]", True),
    ("AwsSolutions-IAM5[regex:/^Action::s3:Get.*$/]", "AwsSolutions-IAM5[Action::s3:PutObject*]", False),
    ("AwsSolutions-IAM5[regex:/^action::S3:get/i]", "AwsSolutions-IAM5[Action::s3:GetObject*]", True),
    ("AwsSolutions-IAM5[regex:/(?<x>a/]", "AwsSolutions-IAM5[Action::s3:GetObject*]", False),  # unreadable: no match
    ("AwsSolutions-IAM5[/^Action.*$/]", "AwsSolutions-IAM5[Action::s3:GetObject*]", False),  # a literal, not a regex
])
def test_a_suppression_covers_what_cdk_nag_2_applied_it_to(acknowledged, finding, expected):
    assert covers(acknowledged, finding) is expected


def test_suppressions_are_read_as_cdk_nag_2_writes_them():
    encoded = base64.b64encode("the organization\u2019s trail logs it".encode()).decode()
    metadata = {"cdk_nag": {"rules_to_suppress": [
        {"id": "AwsSolutions-S1", "reason": encoded, "is_reason_encoded": True},
        {"id": "AwsSolutions-IAM5", "reason": "reads every object", "applies_to": ["Resource::*", {"regex": "/^A/"}]},
        {"id": "AwsSolutions-IAM4[Policy::x]", "reason": "a finding in the id, which cdk-nag 2 refuses"},
        {"id": "AwsSolutions-L1", "reason": "!!not base64", "is_reason_encoded": True},
        {"id": "AwsSolutions-SMG4", "reason": "an applies_to it cannot read", "applies_to": [{"pattern": "x"}]},
        {"reason": "no id"}, "not an object"]}}
    assert suppressions(metadata) == [
        Suppression("AwsSolutions-S1", "the organization\u2019s trail logs it"),
        Suppression("AwsSolutions-IAM5", "reads every object", ("Resource::*", "regex:/^A/"))]
    assert suppressions({"cfn_nag": {"rules_to_suppress": [{"id": "W58", "reason": "cfn-nag's, not ours"}]}}) == []
    assert suppressions(None) == suppressions([]) == suppressions({"cdk_nag": "x"}) == []


def test_an_assembly_of_a_cdk_nag_2_app_carries_its_suppressions_as_acknowledgments():
    [stack] = read_assembly(NAG_2_ASSEMBLY)
    nag = {(a.construct_path, a.id, a.reason) for acks in stack.acknowledgments.values() for a in acks
           if a.source == CDK_NAG_2_SUPPRESSION}
    assert nag == {
        ("NagTwo", "HIPAA.Security-S3BucketReplicationEnabled", "A single-region pilot, no PHI yet"),
        ("NagTwo/Uploads/Resource", "AwsSolutions-S1",
         "Uploads log to the Data bucket; the organization\u2019s trail logs it"),
        *((f"NagTwo/Reader/{child}", f"AwsSolutions-IAM5[{entry}]", "The reader lists and reads the bucket's objects")
           for child in ("Resource", "DefaultPolicy/Resource")
           for entry in ("Action::s3:List*", "regex:/^Action::s3:Get.*$/"))}
    policy = next(lid for lid, path in stack.construct_paths.items() if path == "NagTwo/Reader/DefaultPolicy/Resource")
    data = next(lid for lid, path in stack.construct_paths.items() if path == "NagTwo/Data/Resource")
    assert stack.acknowledgment_for(policy, "AwsSolutions-IAM5[Action::s3:GetObject*]") is not None
    assert stack.acknowledgment_for(policy, "AwsSolutions-IAM5[Resource::<Data666C94C7.Arn>/*]") is None
    assert stack.acknowledgment_for(data, "HIPAA.Security-S3BucketReplicationEnabled") is not None  # the stack's
    assert stack.acknowledgment_for(data, "NIST.800.53.R5-S3BucketReplicationEnabled") is None
    assert stack.acknowledgment_for(data, "AwsSolutions-S1") is None  # suppressed on Uploads, not on Data


def test_reading_is_idempotent_and_keeps_the_apps_own_acknowledgments():
    [stack] = read_assembly(NAG_2_ASSEMBLY)
    from dataclasses import replace

    again = replace(stack, name="Again")
    assert sum(map(len, again.acknowledgments.values())) == sum(map(len, stack.acknowledgments.values()))
    assert any(a.id == "CloudFormation-Validate::W3045" for acks in stack.acknowledgments.values() for a in acks)


def test_a_template_without_paths_keeps_stack_suppressions_at_the_stack():
    template = {"Metadata": {"cdk_nag": {"rules_to_suppress": [{"id": "AwsSolutions-S1", "reason": "logs elsewhere"}]}},
                "Resources": {"Data": {"Type": "AWS::S3::Bucket"}, "Logs": {"Type": "AWS::S3::Bucket"}}}
    stack = StackArtifact("plain.yaml", Path("plain.yaml"), template, {})
    assert stack.acknowledgments == {"plain.yaml": (Acknowledgment("AwsSolutions-S1", "logs elsewhere", "plain.yaml",
                                                                   source=CDK_NAG_2_SUPPRESSION),)}
    assert stack.acknowledgment_for("Logs", "AwsSolutions-S1").stated_reason == (
        "cdk-nag 2 NagSuppressions: logs elsewhere")


def test_cdk_nag_2s_annotation_of_a_finding_a_pack_reports_is_shown_once():
    finding = ReportedFinding(pack="AwsSolutions", rule_id="AwsSolutions-S1", description="no logs",
                              severity="error", construct_path="NagTwo/Data/Resource")
    packs = [PackResult(name="AwsSolutions", open_findings=(finding,), acknowledged_findings=())]
    said = "AwsSolutions-S1: The S3 Bucket has server access logs disabled."
    assert repeats_a_finding(Annotation("error", "NagTwo/Data/Resource", said), packs)
    assert not repeats_a_finding(Annotation("error", "NagTwo/Uploads/Resource", said), packs)  # another resource
    assert not repeats_a_finding(Annotation("error", "NagTwo/Data/Resource",
                                            "PCI.DSS.321-S3BucketLoggingEnabled: no logs"), packs)  # a pack not run
    assert not repeats_a_finding(Annotation("error", "NagTwo/Data/Resource", "bucket has no logs"), packs)


@pytest.mark.slow
def test_check_of_a_cdk_nag_2_assembly_honours_its_suppressions_and_says_how_to_move_them(tmp_path):
    copy = tmp_path / "cdk.out"
    shutil.copytree(NAG_2_ASSEMBLY, copy)
    completed = subprocess.run([sys.executable, "-m", "omics_secure", "check", "--assembly", str(copy), "--verbose"],
                               cwd=REPOSITORY, capture_output=True, text=True, check=False, timeout=600)
    out = completed.stdout
    assert completed.returncode == 1, out + completed.stderr
    assert "  FAIL  AwsSolutions             1 open, 3 acknowledged" in out
    assert "note: 5 findings acknowledged by cdk-nag 2 suppressions" in out
    assert "move each to Validations.of(construct).acknowledge(Acknowledgment(id='Pack::RuleId'" in out
    assert "    reason: cdk-nag 2 NagSuppressions: A single-region pilot, no PHI yet" in out
    # The stale one: Uploads has access logs, so its S1 suppression suppresses nothing.
    assert ("  NagTwo/Uploads/Resource: the cdk-nag 2 suppression 'AwsSolutions-S1' matches no AwsSolutions finding "
            "on this construct or below it; remove it") in out
    # cdk-nag 2 reported the open IAM5 as an error annotation; it is shown once, as AwsSolutions' finding.
    assert "error: AwsSolutions-IAM5" not in out
    assert "    reported by: AwsSolutions-IAM5[Resource::<Data666C94C7.Arn>/*]" in out
