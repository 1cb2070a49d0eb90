"""The omics-secure command as users run it: a subprocess, on apps and assemblies we did not shape to fit it.

Each app under tests/apps is synthesized once per session (the first run is itself the test of
synthesis); tests about reading an assembly reuse it with --assembly, or a copy with one part broken.
Every run asserts its exit code and that no traceback reaches the user.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.harness import REPOSITORY, lint_assembly

APPS = Path(__file__).resolve().parent / "apps"
COMMAND = [sys.executable, "-m", "omics_secure"]
ENVIRONMENT = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
pytestmark = pytest.mark.slow  # every test runs the command, most of them on an app it synthesizes


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        return self.out.rstrip("\n").splitlines()


def omics_secure(*args: str, cwd: Path = REPOSITORY, **environment: str) -> Run:
    completed = subprocess.run([*COMMAND, *args], cwd=cwd, env={**ENVIRONMENT, **environment}, capture_output=True,
                               text=True, timeout=900, check=False)
    run = Run(completed.returncode, completed.stdout, completed.stderr)
    assert "Traceback" not in run.out + run.err, run.out + run.err
    return run


def synthesized(tmp_path_factory: pytest.TempPathFactory, app: str, *extra: str, **environment: str
                ) -> tuple[Run, Path]:
    """``check --app`` on tests/apps/<app>.py, with the app's interpreter named by its absolute path."""
    output = tmp_path_factory.mktemp(app) / "cdk.out"
    run = omics_secure("check", "--app", f"{sys.executable} {APPS / f'{app}.py'}", "--output", str(output), *extra,
                       **environment)
    return run, output


def broken_copy(assembly: Path, destination: Path) -> Path:
    copy = destination / "cdk.out"
    shutil.copytree(assembly, copy)
    return copy


PROGRESS = re.compile(r"^omics-secure: (synthesizing|judging) .* \.\.\.$")


def one_error_line(run: Run) -> str:
    """The single line a code-2 run prints on stderr (after the progress lines, if any)."""
    assert run.code == 2, run.out + run.err
    lines = [line for line in run.err.splitlines() if not PROGRESS.match(line)]
    assert len(lines) == 1, run.err
    assert lines[0].startswith("omics-secure: error: ")
    return lines[0]


@pytest.fixture
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory outside the test's tmp_path, whose assemblies the suite's cfn-lint hook would read: these
    are broken on purpose or never finished."""
    return tmp_path_factory.mktemp("scratch")


@pytest.fixture(scope="session")
def ordinary(tmp_path_factory: pytest.TempPathFactory) -> tuple[Run, Path]:
    return synthesized(tmp_path_factory, "ordinary")


@pytest.fixture(scope="session")
def annotated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Run, Path]:
    # With the creation stacks of Python frames, which SARIF then points at.
    return synthesized(tmp_path_factory, "annotated", "--verbose", JSII_HOST_STACK_TRACES="1")


# --- an ordinary aws-cdk-lib app ---------------------------------------------------------------------------

def test_an_ordinary_app_gets_every_pack_and_fails_with_its_findings(ordinary):
    run, assembly = ordinary
    assert run.code == 1
    for pack in ("HIPAA.Security", "NIST.800.53.R5", "AwsSolutions", "OmicsSecure"):
        assert any(line.startswith(f"  FAIL  {pack}") for line in run.lines), run.out
    assert run.lines[-2].startswith("Result: FAIL - ")
    assert run.lines[-1].startswith("reports: ")
    assert not lint_assembly(assembly)


def test_one_problem_of_one_resource_is_one_entry_naming_every_pack(ordinary):
    run, _ = ordinary
    entries = [line for line in run.lines if line == "  Ordinary/Uploads/Resource: S3 requests without TLS"]
    assert len(entries) == 1, run.out
    reported = run.lines[run.lines.index(entries[0]) + 1]
    assert reported == ("    reported by: HIPAA.Security-S3BucketSSLRequestsOnly, "
                        "NIST.800.53.R5-S3BucketSSLRequestsOnly, AwsSolutions-S10")


def test_the_apps_own_findings_say_what_exactly_is_wrong_in_every_report(ordinary):
    """The OmicsSecure pack runs inside the app and reports through CDK's validation report; each resource's
    detail reaches the text, SARIF, Markdown and JUnit as a check of the templates words it."""
    run, assembly = ordinary
    detail = "(versioning is not configured (off), not Enabled)"
    entry = run.lines.index("  Ordinary/Uploads/Resource: S3 versioning off")
    assert run.lines[entry + 2] == ("    found: The bucket's versioning is not Enabled (suspended, or never "
                                    f"configured). {detail}")
    sarif = json.loads((assembly / "omics-secure.sarif").read_text())
    (message,) = [result["message"]["text"] for report in sarif["runs"] for result in report["results"]
                  if result["ruleId"] == "OmicsSecure-S3BucketVersioning"
                  and result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
                  == "Ordinary/Uploads/Resource"]
    assert detail in message
    assert f"{detail} |" in (assembly / "omics-secure.md").read_text()
    assert detail in (assembly / "omics-secure.junit.xml").read_text()


def test_each_finding_says_how_to_fix_it_and_how_to_accept_it(ordinary):
    run, _ = ordinary
    entry = run.lines.index("  Ordinary/Uploads/Resource: S3 requests without TLS")
    assert run.lines[entry + 2] == ("    fix: s3.Bucket(..., enforce_ssl=True) (PhiBucket and AccessLogBucket always "
                                    "do); in CloudFormation, a bucket policy statement that denies s3:* when "
                                    "aws:SecureTransport is false")
    assert run.lines[entry + 3] == "    accept (construct = Ordinary/Uploads):"
    assert run.lines[entry + 4] == (
        '      acknowledge(construct, "HIPAA.Security-S3BucketSSLRequestsOnly", "<why the risk is acceptable: the AWS '
        'constraint or compensating control>", owner="<who accepts it>", reference="<ticket or risk id>", '
        'expires="<YYYY-MM-DD>")')
    assert "'from omics_secure.compliance import acknowledge'" in run.out
    rds = run.lines.index("  Ordinary/Database/Resource: RDS not multi-AZ")
    assert run.lines[rds + 2] == "    fix: rds.DatabaseInstance(..., multi_az=True); in CloudFormation, MultiAZ true"


def test_a_rule_without_a_known_fix_points_at_cdk_nag_rule_list(ordinary):
    run, _ = ordinary
    assert "fix: see HIPAA.Security-VPCNoUnrestrictedRouteToIGW in cdk-nag's rule list" in run.out


def test_the_summary_and_oscal_of_an_ordinary_app_are_written(ordinary, scratch):
    """cdk-nag's own descriptions (a plain ec2.Vpc's, with their statement parts and separators) become
    OSCAL findings that trestle's models accept."""
    from trestle.oscal.assessment_results import AssessmentResults

    run, assembly = ordinary
    html = omics_secure("report", "--assembly", str(assembly), "--format", "html", "--file", str(scratch / "r.html"))
    # Written, and exit 1 as check's: the app has open findings, and the page says so before anything else.
    assert html.code == 1, html.err
    open_count = re.search(r"Result: FAIL - (\d+) unacknowledged", run.out)[1]  # type: ignore[index]
    verdict = f"Result: FAIL - {open_count} open findings"
    assert f"omics-secure: {verdict}" in html.err
    page = (scratch / "r.html").read_text()
    assert page.index(verdict) < page.index('<nav class="toc"')
    oscal = omics_secure("report", "--assembly", str(assembly), "--format", "oscal", "--file", str(scratch / "oscal"),
                         "--exit-zero")
    assert oscal.code == 0, oscal.err
    (result,) = AssessmentResults.oscal_read(scratch / "oscal" / "assessment-results.json").results
    targets = {finding.target.target_id for finding in result.findings or ()}
    assert all(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.-]*", t) for t in targets), targets
    assert any(re.fullmatch(r"[a-z]{2}-\d+(\.\d+)?_obj", t) for t in targets), targets  # from cdk-nag's NIST ids


def test_the_reports_keep_one_result_per_pack_and_rule(ordinary):
    _, assembly = ordinary
    sarif = json.loads((assembly / "omics-secure.sarif").read_text())
    tls_rules = {"HIPAA.Security-S3BucketSSLRequestsOnly", "NIST.800.53.R5-S3BucketSSLRequestsOnly", "AwsSolutions-S10"}
    tls = [(run["tool"]["driver"]["name"], result["ruleId"]) for run in sarif["runs"] for result in run["results"]
           if result["ruleId"] in tls_rules
           and result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == "Ordinary/Uploads/Resource"]
    assert sorted(tls) == [("AwsSolutions", "AwsSolutions-S10"),
                           ("HIPAA.Security", "HIPAA.Security-S3BucketSSLRequestsOnly"),
                           ("NIST.800.53.R5", "NIST.800.53.R5-S3BucketSSLRequestsOnly")]


def test_reading_the_assembly_again_gives_the_same_verdict(ordinary, scratch):
    run, assembly = ordinary
    again = omics_secure("check", "--assembly", str(assembly), "--report-dir", str(scratch / "reports"))
    assert again.code == 1
    assert again.lines[:-1] == run.lines[:-1]


def test_output_into_a_closed_pipe_ends_quietly(ordinary):
    _, assembly = ordinary
    process = subprocess.Popen([*COMMAND, "check", "--assembly", str(assembly), "--report-dir", str(assembly)],
                               cwd=REPOSITORY, env=ENVIRONMENT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()
    err = process.stderr.read()
    assert process.wait(timeout=300) == 1
    assert "Traceback" not in err and "BrokenPipe" not in err and "Exception ignored" not in err


def test_check_piped_into_head_prints_its_first_line_only(ordinary):
    _, assembly = ordinary
    shell = subprocess.run(f"{sys.executable} -m omics_secure check --assembly '{assembly}' | head -1",
                           shell=True, cwd=REPOSITORY, env=ENVIRONMENT, capture_output=True, text=True, check=False,
                           timeout=300)
    assert shell.stdout.startswith("omics-secure check: 1 stack, ")
    assert shell.stdout.count("\n") == 1
    assert "Traceback" not in shell.stderr and "BrokenPipe" not in shell.stderr


# --- the reference app -------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[Run, Path]:
    """``check`` where cdk.json names the app, as ``make check`` runs it."""
    output = tmp_path_factory.mktemp("reference") / "cdk.out"
    return omics_secure("check", "--output", str(output)), output


def test_the_reference_app_passes_in_at_most_14_lines(reference):
    run, assembly = reference
    assert run.code == 0, run.out
    assert len(run.lines) <= 14, run.out  # with the line that explains a warning's [ack: ID]
    # The trail's and the replica's fixed names are the constructs' own acknowledgments (AWS constraints).
    assert "RetainedResourceFixedName" not in run.out
    assert "  PASS  OmicsSecure     0 open, 3 acknowledged, 1 warning" in run.lines
    assert "  every pack judged OmicsSecureReplica, OmicsSecurePrimary" in run.lines
    for pack in ("HIPAA.Security", "NIST.800.53.R5", "AwsSolutions", "OmicsSecure"):
        assert any(line.startswith(f"  PASS  {pack}") for line in run.lines)
    assert run.lines[-2].startswith("Result: PASS - 0 unacknowledged findings, ")
    assert "(--verbose lists them with their reasons)" in run.lines[-2]
    assert not lint_assembly(assembly)


def test_verbose_lists_each_acknowledgment_with_its_reason_and_the_rule(reference, scratch):
    _, assembly = reference
    run = omics_secure("check", "--assembly", str(assembly), "--verbose", "--report-dir", str(scratch))
    assert run.code == 0
    entry = next(i for i, line in enumerate(run.lines)
                 if line.startswith("  OmicsSecurePrimary/AccessLogs/Resource/Resource: S3 default encryption not "
                                    "SSE-KMS [HIPAA.Security-S3DefaultEncryptionKMS, "
                                    "NIST.800.53.R5-S3DefaultEncryptionKMS]"))
    assert run.lines[entry + 1].startswith("    reason: S3 server access logging destination buckets support only "
                                           "SSE-S3")
    assert run.lines[entry + 2] == ("    accepted by the omics-secure construct that made it (an AWS constraint it "
                                    "documents)")
    assert run.lines[entry + 3].startswith("    rule: The S3 Bucket is not encrypted with a KMS Key by default")


@pytest.mark.parametrize(("files", "message"), [
    ({"cdk.json": "{not json"}, "cdk.json is not valid JSON"),
    ({}, "no CDK app to check: pass --app 'python3 app.py'"),
    ({"cdk.json": '{"app": "python3 \'app.py"}'}, "cannot parse the app command"),
])
def test_a_project_without_a_usable_app_is_exit_2(scratch, files, message):
    for name, text in files.items():
        (scratch / name).write_text(text)
    assert message in one_error_line(omics_secure("check", cwd=scratch))


# --- what the app itself said -------------------------------------------------------------------------------

def test_warning_and_error_annotations_are_printed_and_an_error_fails(annotated):
    run, _ = annotated
    assert run.code == 1
    assert "  Annotated/Key: error: The key must name a data steward before it is deployed." in run.lines
    assert any(line.startswith("  Annotated/Key: The key's data-use agreement ends in 2027.")
               for line in run.lines), run.out
    assert run.lines[-2].startswith("Result: FAIL - 0 unacknowledged findings, 1 error annotation, ")


def test_acknowledgments_that_match_nothing_are_warnings_with_their_construct_path(annotated):
    run, _ = annotated
    assert ("  Annotated/Key: 'AwsSolutions::AwsSolutions-KMS55' matches no AwsSolutions finding on this "
            "construct or below it; remove it, or fix its id or its construct") in run.lines
    assert ("  Annotated/Key: 'HIPAA.Security-S3BucketSSLRequestsOnly' has no 'HIPAA.Security::' prefix, so CDK "
            "keeps no record of it in validation-report.json; write "
            "id=\"HIPAA.Security::HIPAA.Security-S3BucketSSLRequestsOnly\"") in run.lines


def test_error_annotations_are_in_the_reports(annotated):
    _, assembly = annotated
    junit = (assembly / "omics-secure.junit.xml").read_text()
    assert '<testsuite name="CDK annotations" tests="2" failures="1"' in junit
    assert "The key must name a data steward before it is deployed." in junit


def test_sarif_points_at_the_line_of_the_app_that_created_the_construct(annotated):
    _, assembly = annotated
    sarif = json.loads((assembly / "omics-secure.sarif").read_text())
    [annotations] = [run for run in sarif["runs"] if run["tool"]["driver"]["name"] == "CDK annotations"]
    error = next(r for r in annotations["results"] if r["ruleId"] == "aws:cdk:error")
    location = error["locations"][0]
    assert location["logicalLocations"][0]["fullyQualifiedName"] == "Annotated/Key"
    key_line = next(number for number, line in enumerate((APPS / "annotated.py").read_text().splitlines(), 1)
                    if line.startswith("key = kms.Key("))
    assert location["physicalLocation"] == {"artifactLocation": {"uri": "tests/apps/annotated.py"},
                                            "region": {"startLine": key_line}}


def test_an_app_with_warnings_only_passes_and_still_prints_them(annotated, scratch):
    _, assembly = annotated
    copy = broken_copy(assembly, scratch)
    metadata_file = copy / "Annotated.metadata.json"
    metadata = json.loads(metadata_file.read_text())
    metadata["/Annotated/Key"] = [e for e in metadata["/Annotated/Key"] if e["type"] != "aws:cdk:error"]
    metadata_file.write_text(json.dumps(metadata))
    run = omics_secure("check", "--assembly", str(copy))
    assert run.code == 0, run.out
    assert any(line.startswith("  Annotated/Key: The key's data-use agreement ends in 2027.") for line in run.lines)
    assert run.lines[-2].startswith("Result: PASS - ")


# --- synthesis that fails ------------------------------------------------------------------------------------

def test_an_app_that_raises_is_exit_2_with_its_own_message(scratch):
    run = omics_secure("check", "--app", f"python3 {APPS / 'raises.py'}", "--output", str(scratch / "out"))
    line = one_error_line(run)
    assert line.endswith("ValueError: bucket_name 'My_Bucket' is not a valid S3 bucket name")
    assert "failed (exit code 1)" in line
    assert "Result: PASS" not in run.out


def test_an_app_that_needs_credentials_for_a_lookup_is_exit_2_saying_what_to_do(scratch):
    run = omics_secure("check", "--app", f"python3 {APPS / 'lookup.py'}", "--output", str(scratch / "out"))
    line = one_error_line(run)
    assert ('context lookups that only AWS credentials can answer: add to cdk.context.json "vpc-provider:account='
            '111122223333:filter.vpc-id=vpc-0123456789abcdef0:region=us-east-1:returnAsymmetricSubnets=true": '
            "<vpc-provider lookup result; cdk synth with credentials writes it>") in line


def test_an_app_command_that_does_not_exist_is_exit_2(scratch):
    run = omics_secure("check", "--app", "no-such-cdk-app --flag", "--output", str(scratch / "out"))
    assert "cannot run the app 'no-such-cdk-app --flag': no-such-cdk-app not found" in one_error_line(run)


# --- assemblies with a broken part -------------------------------------------------------------------------

def test_a_manifest_that_is_not_json_is_exit_2_naming_it(annotated, scratch):
    copy = broken_copy(annotated[1], scratch)
    (copy / "manifest.json").write_text('{"version": "55.0.0", "artifacts": ')
    line = one_error_line(omics_secure("check", "--assembly", str(copy)))
    assert f"{copy / 'manifest.json'} is not valid JSON" in line


def test_a_missing_template_is_exit_2_naming_it(annotated, scratch):
    copy = broken_copy(annotated[1], scratch)
    (copy / "Annotated.template.json").unlink()
    line = one_error_line(omics_secure("check", "--assembly", str(copy)))
    assert f"{copy / 'Annotated.template.json'} is missing" in line


def test_a_template_that_is_not_json_is_exit_2_naming_it(annotated, scratch):
    copy = broken_copy(annotated[1], scratch)
    (copy / "Annotated.template.json").write_text("Resources:\n  Key: {Type: AWS::KMS::Key}\n")
    line = one_error_line(omics_secure("check", "--assembly", str(copy)))
    assert f"{copy / 'Annotated.template.json'} is not valid JSON" in line


def test_a_validation_report_that_is_not_json_is_exit_2_naming_it(annotated, scratch):
    copy = broken_copy(annotated[1], scratch)
    (copy / "validation-report.json").write_text("{")
    line = one_error_line(omics_secure("check", "--assembly", str(copy)))
    assert f"{copy / 'validation-report.json'} cannot be read as JSON" in line


@pytest.mark.parametrize("kind", ["a file", "missing"])
def test_an_assembly_argument_that_is_not_a_directory_is_exit_2(scratch, kind):
    path = scratch / "cdk.out"
    if kind == "a file":
        path.write_text("not a directory")
    line = one_error_line(omics_secure("check", "--assembly", str(path)))
    assert f"--assembly {path} is not a directory" in line


def test_an_unwritable_report_dir_is_exit_2_naming_it(annotated, scratch):
    (scratch / "occupied").write_text("a file where the report directory should go")
    report_dir = scratch / "occupied" / "reports"
    line = one_error_line(omics_secure("check", "--assembly", str(annotated[1]), "--report-dir", str(report_dir)))
    assert f"cannot write the reports into {report_dir}" in line and "--report-dir" in line


def test_an_unwritable_report_file_is_exit_2_naming_it(annotated, scratch):
    (scratch / "occupied").write_text("a file where a directory should go")
    target = scratch / "occupied" / "summary.md"
    line = one_error_line(omics_secure("report", "--assembly", str(annotated[1]), "--file", str(target)))
    assert f"cannot write --file {target}" in line


def test_an_assembly_without_cdk_nag_results_warns_and_judges_by_what_ran(annotated, scratch):
    copy = broken_copy(annotated[1], scratch)
    (copy / "validation-report.json").unlink()
    (copy / "omics-secure.packs.json").unlink()
    run = omics_secure("check", "--assembly", str(copy))
    assert run.code == 1  # the error annotation; every pack judged the key
    text = "\n".join(run.lines)
    assert "  PASS  OmicsSecure" in text and "  PASS  HIPAA.Security" in text
    assert "note: HIPAA.Security, NIST.800.53.R5, AwsSolutions did not run in the assembly; omics-secure ran them " \
           "on its synthesized templates" in text


def test_a_rule_that_raises_is_exit_2_naming_the_rule_and_the_resource(annotated, scratch, monkeypatch, capsys):
    from omics_secure import cli
    from omics_secure.compliance.model import Pack, Rule

    def broken(resource: object) -> object:
        raise KeyError("KeyPolicy")

    raising = Rule(id="Raising", resource_types=frozenset({"AWS::KMS::Key"}), finding="f", explanation="e",
                   controls=cli.OMICS_SECURE_PACK.rules[0].controls, check=broken)  # type: ignore[arg-type]
    monkeypatch.setattr(cli, "OMICS_SECURE_PACK", Pack("OmicsSecure", (raising,)))
    copy = broken_copy(annotated[1], scratch)
    (copy / "validation-report.json").unlink()
    (copy / "omics-secure.packs.json").unlink()
    assert cli.main(["check", "--assembly", str(copy)]) == 2
    captured = capsys.readouterr()
    line = captured.err.strip().splitlines()[-1]
    assert line.startswith("omics-secure: error: the check is incomplete: OmicsSecure-Raising could not judge "
                           "Annotated/Key/Resource: ")
    assert "Raising raised KeyError: 'KeyPolicy'" in line and "--debug" in line
    assert "OmicsSecure-Raising" in captured.out  # listed with the findings too
    monkeypatch.setenv("OMICS_SECURE_DEBUG", "")  # --debug sets it; monkeypatch unsets it after the test
    assert cli.main(["check", "--assembly", str(copy), "--debug"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" in err and "KeyError: 'KeyPolicy'" in err


# --- the command itself -------------------------------------------------------------------------------------

def test_version_prints_the_package_version():
    from importlib.metadata import version

    run = omics_secure("--version")
    assert run.code == 0 and run.out.strip() == f"omics-secure {version('omics-secure')}"


def test_the_console_script_and_python_m_are_the_same_command():
    script = Path(sys.executable).with_name("omics-secure")
    completed = subprocess.run([str(script), "--version"], capture_output=True, text=True, check=False)
    assert completed.returncode == 0 and completed.stdout == omics_secure("--version").out


@pytest.mark.parametrize("command", [[], ["check"], ["report"], ["verify"]])
def test_help_has_no_restructuredtext_markup_and_documents_the_exit_codes(command):
    run = omics_secure(*command, "--help")
    assert run.code == 0
    assert "``" not in run.out and ":func:" not in run.out
    if command in ([], ["check"]):
        assert "2  the check could not be made" in run.out
    if command == ["report"]:
        assert ("Exits as check does: 0 when every pack passed, 1 on any open finding (the summary is still "
                "written; --exit-zero makes it 0), 2 when it cannot be written.") in " ".join(run.out.split())


def test_bad_arguments_are_exit_2():
    run = omics_secure("check", "--app", "python3 app.py", "--assembly", "cdk.out")
    assert run.code == 2 and "not allowed with argument" in run.err
