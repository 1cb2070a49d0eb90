"""report --format oscal: the component definition and the assessment results, read back with trestle's models."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from omics_secure.cli import main, verify_rules
from omics_secure.compliance.assessment import cdk_nag_controls
from omics_secure.compliance.components import CONSTRUCT_CONTROLS
from omics_secure.compliance.controls import CONTROL_IDS, HIPAA, NIST_800_53, NIST_800_171, NIST_800_171_R3
from omics_secure.compliance.model import Controls
from omics_secure.reporting.oscal import control_id
from omics_secure.reporting.validation_report import PackResult, ReportedFinding
from omics_secure.reporting.writers import to_junit_xml
from omics_secure.verify.checks import KMS_KEY, live_checks
from omics_secure.verify.runner import PACK_PREFIX, TITLE
from tests.harness import CDK_CONTEXT

if TYPE_CHECKING:  # trestle's models take 1.5 s to import: only the tests that read documents load them
    from trestle.oscal.assessment_results import AssessmentResults
    from trestle.oscal.component import ComponentDefinition

R3_SOURCE = "NIST_SP800-171_rev3_catalog.json"
ACKNOWLEDGED_REASON = "Short-lived key for a synthetic data set; destroyed with the sandbox account"
WEAK_APP = f"""
import aws_cdk as cdk
from aws_cdk import aws_kms as kms
from omics_secure.compliance import acknowledge

app = cdk.App()
stack = cdk.Stack(app, "Weak", env=cdk.Environment(account="111122223333", region="us-east-1"))
kms.Key(stack, "Unrotated", enable_key_rotation=False)
accepted = kms.Key(stack, "Accepted", enable_key_rotation=False)
acknowledge(accepted, "OmicsSecure-KMSKeyRotationEnabled", "{ACKNOWLEDGED_REASON}")
app.synth()
"""


def read_oscal(directory: Path) -> tuple[ComponentDefinition, AssessmentResults]:
    from trestle.oscal.assessment_results import AssessmentResults
    from trestle.oscal.component import ComponentDefinition

    component = ComponentDefinition.oscal_read(directory / "component-definition.json")
    results = AssessmentResults.oscal_read(directory / "assessment-results.json")
    assert component is not None and results is not None
    return component, results


def value(token) -> str:
    """The text of a trestle token, whichever member of its union (a root model or an enum) it parsed as."""
    return str(getattr(token, "root", getattr(token, "value", token)))


def props(item) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for prop in item.props or []:
        found.setdefault(prop.name, []).append(prop.value)
    return found


@pytest.mark.parametrize(("field", "control", "expected"), [
    ("nist_800_53_r5", "AC-2", "ac-2"),
    ("nist_800_53_r5", "SC-28(1)", "sc-28.1"),
    ("nist_800_171_r3", "03.13.08", "SP_800_171_03.13.08"),
    ("nist_800_171_r2", "3.13.16", "SP_800_171_3.13.16"),
    ("hipaa", "164.312(a)(2)(iv)", "HIPAA_164.312_a_2_iv"),
])
def test_control_ids_take_the_form_of_nists_oscal_catalogs(field, control, expected):
    assert control_id(field, control) == expected


def test_cdk_nag_findings_cite_the_controls_their_description_names():
    nist = cdk_nag_controls("NIST.800.53.R5", "No replication - (Control IDs: AU-9(2), CM-6a, CP-6(1), CP-10).")
    assert nist.nist_800_53_r5 == ("AU-9(2)", "CM-6", "CP-6(1)", "CP-10")
    hipaa = cdk_nag_controls("HIPAA.Security", "No replication - (Control IDs: 164.308(a)(7)(i), 164.312(b)).")
    assert hipaa.hipaa == ("164.308(a)(7)(i)", "164.312(b)")
    assert cdk_nag_controls("AwsSolutions", "The IAM entity contains wildcard permissions.") == Controls()


def test_cdk_nag_control_lists_as_cdk_nag_writes_them_give_catalog_ids():
    """The default security group finding of a plain ec2.Vpc, separators and statement parts as cdk-nag prints
    them: ", " or ",\xa0", parts like ``AC-17b`` and ``AC-17(4)(a)``."""
    description = ("The VPC's default security group allows inbound or outbound traffic - (Control IDs: AC-4(21),"
                   "\xa0AC-17b, AC-17(1), AC-17(1), AC-17(4)(a), CM-6a, SC-7(24)(b), SI-4(17), AC-2i.2).")
    controls = cdk_nag_controls("NIST.800.53.R5", description)
    assert controls.nist_800_53_r5 == ("AC-4(21)", "AC-17", "AC-17(1)", "AC-17(4)", "CM-6", "SC-7(24)", "SI-4(17)",
                                       "AC-2")
    assert [control_id("nist_800_53_r5", c) for c in controls.nist_800_53_r5] == [
        "ac-4.21", "ac-17", "ac-17.1", "ac-17.4", "cm-6", "sc-7.24", "si-4.17", "ac-2"]


def test_every_public_construct_has_a_component_entry_with_catalogued_controls():
    from constructs import Construct

    import omics_secure

    public = {name for name in omics_secure.__all__
              if isinstance(value := getattr(omics_secure, name), type) and issubclass(value, Construct)}
    missing = public - set(CONSTRUCT_CONTROLS)
    assert not missing, f"add {sorted(missing)} to omics_secure/compliance/components.py"
    assert set(CONSTRUCT_CONTROLS) <= public, "an entry names no public construct"
    for name, entry in CONSTRUCT_CONTROLS.items():
        controls = entry.controls
        for framework, ids in ((HIPAA, controls.hipaa), (NIST_800_53, controls.nist_800_53_r5),
                               (NIST_800_171, controls.nist_800_171_r2), (NIST_800_171_R3, controls.nist_800_171_r3)):
            assert ids, f"{name} cites no {framework} control"
            assert set(ids) <= CONTROL_IDS[framework], f"{name}: {sorted(set(ids) - CONTROL_IDS[framework])}"
        assert entry.how.endswith(".") and "\n" not in entry.how


@pytest.fixture(scope="module")
def reference_oscal(reference_app, tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("oscal") / "reference"
    assert main(["report", "--assembly", str(reference_app.assembly_dir), "--format", "oscal",
                 "--file", str(directory)]) == 0
    return directory


def test_the_component_definition_lists_each_construct_per_framework_source(reference_oscal):
    component, _ = read_oscal(reference_oscal)
    by_title = {c.title: c for c in component.components}
    assert set(by_title) == set(CONSTRUCT_CONTROLS)
    bucket = by_title["PhiBucket"]
    assert value(bucket.type) == "software"
    sources = {impl.source.rsplit("/", 1)[-1]: {r.control_id for r in impl.implemented_requirements}
               for impl in bucket.control_implementations}
    assert {"sc-28", "sc-28.1", "cp-9"} <= sources["NIST_SP-800-53_rev5_catalog.json"]
    assert "SP_800_171_03.13.08" in sources[R3_SOURCE]
    assert "SP_800_171_3.13.16" in sources["final"]
    assert "HIPAA_164.312_a_2_iv" in sources["subpart-C"]
    requirement = bucket.control_implementations[0].implemented_requirements[0]
    assert requirement.description == CONSTRUCT_CONTROLS["PhiBucket"].how


def unescaped(markup: str) -> str:
    """An OSCAL markup field's text: Markdown's backslash escapes undone."""
    return re.sub(r"\\(.)", r"\1", markup)


def test_the_reference_app_is_observed_per_rule_and_resource_with_its_acknowledgments_as_risks(reference_oscal):
    _, assessment = read_oscal(reference_oscal)
    (result,) = assessment.results
    observed = [props(o) for o in result.observations]
    ours = [p for p in observed if p["pack"] == ["OmicsSecure"]]
    assert any(p["result"] == ["pass"] for p in ours)
    assert any(c.endswith(f"{R3_SOURCE}#SP_800_171_03.13.08") for p in ours for c in p.get("control", []))
    # OSCAL's title fields are Markdown: construct paths come escaped ("OmicsSecurePrimary\\/...").
    subjects = {unescaped(o.subjects[0].title) for o in result.observations}
    assert any(s.startswith("OmicsSecurePrimary/") for s in subjects), sorted(subjects)[:5]
    inventory = {item.uuid for item in result.local_definitions.inventory_items}
    assert {o.subjects[0].subject_uuid for o in result.observations} == inventory
    cdk_nag = [p for p in observed if p["pack"] == ["NIST.800.53.R5"]]
    assert cdk_nag and all(any("#" in c for c in p["control"]) for p in cdk_nag)
    assert not result.findings  # the reference app passes every pack
    assert result.risks
    for risk in result.risks:
        assert value(risk.status.root) == "deviation-approved"
        # Every acknowledgment of the reference app is one of the constructs' own, of an AWS constraint.
        assert unescaped(risk.statement).startswith("Accepted by the omics-secure construct that made the resource")
        assert "(no reason given)" not in risk.statement and risk.deadline is None


@pytest.mark.slow  # synthesizes the weak app in a subprocess
def test_a_failing_app_gets_a_finding_per_failing_resource_and_a_risk_with_the_reason(tmp_path):
    (tmp_path / "app.py").write_text(textwrap.dedent(WEAK_APP))
    (tmp_path / "cdk.json").write_text(json.dumps({"app": "python3 app.py", "context": CDK_CONTEXT}))
    check = next(c for c in live_checks(verify_rules()) if c.kind == KMS_KEY)
    verify_report = tmp_path / "verify.junit.xml"
    failed = ReportedFinding(pack=f"{PACK_PREFIX}.{KMS_KEY}", rule_id=f"{PACK_PREFIX}-{check.id}",
                             description=f"{check.finding} Key rotation is off.", severity="error",
                             construct_path="Live/Key (alias/phi)")
    verify_report.write_text(to_junit_xml([PackResult(f"{PACK_PREFIX}.{KMS_KEY}", (failed,), ())], title=TITLE))
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(tmp_path)
        # Written, and exit 1: the app has open findings.
        assert main(["report", "--format", "oscal", "--file", "oscal", "--verify-report", str(verify_report)]) == 1
    _, assessment = read_oscal(tmp_path / "oscal")
    (result,) = assessment.results
    findings = {unescaped(f.title): f for f in result.findings}
    unrotated = findings["OmicsSecure-KMSKeyRotationEnabled fails on Weak/Unrotated/Resource"]
    assert value(unrotated.target.status.state) == "not-satisfied"
    assert unrotated.target.target_id.endswith("_obj")
    assert "OmicsSecure-KMSKeyRotationEnabled fails on Weak/Accepted/Resource" not in findings
    accepted = "OmicsSecure-KMSKeyRotationEnabled accepted on Weak/Accepted/Resource"
    (risk,) = [r for r in result.risks if unescaped(r.title) == accepted]
    # acknowledge() without owner, reference or end: recorded as such (and the check warns of it).
    assert unescaped(risk.statement) == f"Accepted in the app by no named owner with no end date: {ACKNOWLEDGED_REASON}"
    live = findings[f"{PACK_PREFIX}-{check.id} fails on Live/Key (alias/phi)"]
    (observation,) = [o for o in result.observations if o.uuid == live.related_observations[0].observation_uuid]
    assert props(observation)["source"] == ["verify"]
    assert any(c.endswith("#" + control_id("nist_800_53_r5", check.controls.nist_800_53_r5[0]))
               for c in props(observation)["control"])


@pytest.mark.slow  # report runs every pack, as check does
def test_a_file_named_json_gets_the_assessment_results_and_the_component_definition_beside_it(stack, tmp_path,
                                                                                            capsys):
    from aws_cdk import aws_kms as kms
    from trestle.oscal.assessment_results import AssessmentResults
    from trestle.oscal.component import ComponentDefinition

    kms.Key(stack, "Unrotated", enable_key_rotation=False)
    assembly = stack.node.root.synth().directory
    target = tmp_path / "out" / "oscal.json"
    assert main(["report", "--assembly", assembly, "--format", "oscal", "--file", str(target)]) == 1
    beside = tmp_path / "out" / "oscal.component-definition.json"
    assert sorted(p.name for p in target.parent.iterdir()) == ["oscal.component-definition.json", "oscal.json"]
    (result,) = AssessmentResults.oscal_read(target).results
    assert any("Unrotated" in f.title for f in result.findings or ())
    assert ComponentDefinition.oscal_read(beside).components
    assert (f"omics-secure: OSCAL assessment results written to {target}; the component definition of "
            f"omics-secure's constructs, the second OSCAL document, beside it in {beside}") in capsys.readouterr().err
    # A directory, even one named like a file, still gets both documents under their own names.
    directory = tmp_path / "named.json"
    directory.mkdir()
    assert main(["report", "--assembly", assembly, "--format", "oscal", "--file", str(directory)]) == 1
    assert sorted(p.name for p in directory.iterdir()) == ["assessment-results.json", "component-definition.json"]


def test_errors_are_one_line_naming_the_flag(reference_app, tmp_path, capsys):
    assembly = str(reference_app.assembly_dir)
    occupied = tmp_path / "occupied.json"
    occupied.write_text("{}")
    not_junit = tmp_path / "not.xml"
    not_junit.write_text("<testsuites name='omics-secure check'/>")
    cases = [
        (["--format", "oscal"], "pass --file DIR"),
        (["--format", "oscal", "--file", str(occupied / "below.json")], "cannot write OSCAL into --file"),
        (["--format", "oscal", "--file", str(occupied / "below")], "cannot write OSCAL into --file"),
        (["--format", "oscal", "--file", str(tmp_path / "out"), "--verify-report", str(tmp_path / "missing.xml")],
         "is not a file"),
        (["--format", "oscal", "--file", str(tmp_path / "out"), "--verify-report", str(occupied)], "is not XML"),
        (["--format", "oscal", "--file", str(tmp_path / "out"), "--verify-report", str(not_junit)],
         "is not a report of omics-secure verify"),
        (["--verify-report", str(not_junit)], "use it with --format oscal"),
    ]
    for flags, expected in cases:
        assert main(["report", "--assembly", assembly, *flags]) == 2, flags
        error = capsys.readouterr().err.strip().splitlines()
        assert len(error) == 1 and expected in error[0], (flags, error)


@pytest.mark.slow  # runs cdk-nag's packs in a generated app
def test_an_assembly_no_pack_ran_in_is_assessed_by_every_pack_and_a_rule_that_cannot_judge_is_a_finding(
        tmp_path_factory):
    assembly = tmp_path_factory.mktemp("plain") / "cdk.out"  # not linted: the group's CIDR is a parameter
    assembly.mkdir()
    template = {"Parameters": {"Cidr": {"Type": "String"}}, "Resources": {
        "Data": {"Type": "AWS::S3::Bucket"},
        "Group": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "ssh", "SecurityGroupIngress": [
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": {"Ref": "Cidr"}}]}}}}
    (assembly / "S.template.json").write_text(json.dumps(template, indent=1))
    (assembly / "manifest.json").write_text(json.dumps({"version": "55.0.0", "artifacts": {"S": {
        "type": "aws:cloudformation:stack", "properties": {"templateFile": "S.template.json"}}}}))
    output = assembly.parent / "oscal"
    # Written, and exit 2 as check's: a rule could not judge the group, so the check is incomplete.
    assert main(["report", "--format", "oscal", "--assembly", str(assembly), "--file", str(output)]) == 2
    _, assessment = read_oscal(output)
    (result,) = assessment.results
    packs = {p["pack"][0] for p in (props(o) for o in result.observations)}
    assert {"HIPAA.Security", "NIST.800.53.R5", "AwsSolutions", "OmicsSecure"} <= packs
    unjudged = [f for f in result.findings if "could not judge" in unescaped(f.title)]
    assert unjudged and all(value(f.target.status.reason) == "other" for f in unjudged)
