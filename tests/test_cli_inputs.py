"""Every stack, every pack, every input: nested stacks, assemblies no pack ran in, plain templates, and
hostile assemblies, through the command as users run it."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.test_cli import APPS, Run, omics_secure, one_error_line

pytestmark = pytest.mark.slow  # every test runs the command; most synthesize an app
FOUR_PACKS = ("HIPAA.Security", "NIST.800.53.R5", "AwsSolutions", "OmicsSecure")
_PACK_LINE = re.compile(r"^\s+(PASS|FAIL|INCOMPLETE)\s+(\S+)\s")


def verdicts(run: Run) -> dict[str, str]:
    return {m.group(2): m.group(1) for line in run.lines if (m := _PACK_LINE.match(line))}


def findings(report_dir: Path) -> set[tuple[str, str]]:
    """(rule, resource path with the stack's nesting left out) of every open finding in the SARIF report."""
    sarif = json.loads((report_dir / "omics-secure.sarif").read_text())
    found = set()
    for run in sarif["runs"]:
        for result in run["results"]:
            if "suppressions" in result:
                continue
            path = result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
            found.add((result["ruleId"], path.replace("Parent/Data/", "Parent/")))
    return found


@pytest.fixture(scope="module")
def nested_and_flat(tmp_path_factory: pytest.TempPathFactory) -> tuple[Run, Path, Run, Path]:
    runs = []
    for flat in ("", "1"):
        output = tmp_path_factory.mktemp("flat" if flat else "nested") / "cdk.out"
        run = omics_secure("check", "--app", f"{sys.executable} {APPS / 'nested.py'}", "--output", str(output),
                           OMICS_SECURE_TEST_FLAT=flat)
        runs += [run, output]
    return tuple(runs)  # type: ignore[return-value]


def test_an_app_with_its_data_in_a_nested_stack_fails_every_pack(nested_and_flat):
    nested = nested_and_flat[0]
    assert nested.code == 1, nested.out + nested.err
    assert verdicts(nested) == dict.fromkeys(FOUR_PACKS, "FAIL")
    assert "every pack judged Parent, Parent/Data" in nested.out
    assert "Parent/Data/Key/Resource: KMS key rotation off" in nested.out
    assert "Parent/Data/Cohort/Resource: S3 public access not blocked" in nested.out


def test_nesting_changes_no_finding(nested_and_flat):
    _, nested_output, flat, flat_output = nested_and_flat
    assert flat.code == 1
    nested_findings = findings(nested_output)
    assert nested_findings == findings(flat_output)
    assert ("OmicsSecure-KMSKeyPolicyNoOpenPrincipal", "Parent/Key/Resource") in nested_findings


def test_the_assembly_of_a_plain_synthesis_is_judged_by_every_pack(nested_and_flat, tmp_path):
    # The same app synthesized by plain python, without the packs: the check runs them itself.
    output = tmp_path / "cdk.out"
    subprocess.run([sys.executable, str(APPS / "nested.py")], check=True, capture_output=True,
                   env={**os.environ, "CDK_OUTDIR": str(output), "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"})
    run = omics_secure("check", "--assembly", str(output), "--report-dir", str(tmp_path / "reports"))
    assert run.code == 1 and verdicts(run) == dict.fromkeys(FOUR_PACKS, "FAIL")
    assert "did not run in the assembly; omics-secure ran them on its synthesized templates" in run.out
    assert findings(tmp_path / "reports") == findings(nested_and_flat[1])


def test_template_mode_reports_every_finding_the_app_mode_does(nested_and_flat, tmp_path):
    output = nested_and_flat[1]
    templates = sorted(str(path) for path in output.glob("*.template.json"))
    run = omics_secure("check", "--template", *templates, "--report-dir", str(tmp_path))
    assert run.code == 1 and verdicts(run) == dict.fromkeys(FOUR_PACKS, "FAIL")
    by_rule_and_logical_id = {(rule, path.rsplit("/", 1)[-1]) for rule, path in findings(tmp_path)}
    app_mode = json.loads((output / "omics-secure.sarif").read_text())
    for sarif_run in app_mode["runs"]:
        for result in sarif_run["results"]:
            logical_id = result["locations"][0]["logicalLocations"][0].get("name")
            assert (result["ruleId"], logical_id) in by_rule_and_logical_id, result["ruleId"]


def test_a_hand_written_template_gets_every_pack(tmp_path):
    template = tmp_path / "open.yaml"
    template.write_text((Path(__file__).parent / "corpus" / "bucket-phi-names.yaml").read_text())
    run = omics_secure("check", "--template", str(template))
    assert run.code == 1 and verdicts(run) == dict.fromkeys(FOUR_PACKS, "FAIL")
    assert f"every pack judged {template}" in run.out


# --- hostile assemblies -------------------------------------------------------------------------------------

SECRET = "do-not-print-this-secret"


@pytest.fixture
def hostile_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory outside the test's tmp_path, whose assemblies the cfn-lint fixture must not read."""
    return tmp_path_factory.mktemp("hostile")


def hostile(tmp_path: Path, template_file: str, *, prepare=None) -> Path:
    assembly = tmp_path / "cdk.out"
    assembly.mkdir()
    manifest = {"version": "55.0.0", "artifacts": {"S": {"type": "aws:cloudformation:stack",
                                                         "properties": {"templateFile": template_file}}}}
    (assembly / "manifest.json").write_text(json.dumps(manifest))
    (tmp_path / "secret.json").write_text(json.dumps({"Resources": {SECRET: {"Type": "AWS::S3::Bucket"}}}))
    if prepare is not None:
        prepare(assembly)
    return assembly


@pytest.mark.parametrize(("template_file", "prepare", "message"), [
    ("../secret.json", None, "resolves outside"),
    ("/etc/shadow", None, "is an absolute path"),
    ("link.json", lambda a: (a / "link.json").symlink_to(a.parent / "secret.json"), "resolves outside"),
    ("environ.json", lambda a: (a / "environ.json").symlink_to("/proc/self/environ"), "resolves outside"),
    ("zero.json", lambda a: (a / "zero.json").symlink_to("/dev/zero"), "resolves outside"),
    ("pipe.json", lambda a: os.mkfifo(a / "pipe.json"), "is not a regular file (a FIFO)"),
    ("dir.json", lambda a: (a / "dir.json").mkdir(), "is not a regular file (a directory)"),
])
def test_a_hostile_manifest_is_exit_2_fast_with_nothing_read_from_outside(hostile_dir, template_file, prepare,
                                                                           message):
    assembly = hostile(hostile_dir, template_file, prepare=prepare)
    started = time.monotonic()
    run = omics_secure("check", "--assembly", str(assembly))
    assert time.monotonic() - started < 20
    line = one_error_line(run)
    assert message in line and SECRET not in run.out + run.err


def test_a_manifest_that_is_a_link_out_of_the_assembly_is_refused(hostile_dir):
    assembly = hostile_dir / "cdk.out"
    assembly.mkdir()
    (hostile_dir / "elsewhere.json").write_text(json.dumps({"artifacts": {}}))
    (assembly / "manifest.json").symlink_to(hostile_dir / "elsewhere.json")
    assert "resolves outside" in one_error_line(omics_secure("check", "--assembly", str(assembly)))


def test_an_oversized_template_is_refused_before_it_is_read(hostile_dir):
    assembly = hostile(hostile_dir, "big.json")
    with (assembly / "big.json").open("wb") as handle:
        handle.truncate(600 * 1024 * 1024)  # sparse: no disk used
    started = time.monotonic()
    line = one_error_line(omics_secure("check", "--assembly", str(assembly)))
    assert "over the 536,870,912-byte limit" in line and time.monotonic() - started < 20
    shutil.rmtree(assembly)
