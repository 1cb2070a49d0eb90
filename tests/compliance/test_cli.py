"""omics-secure check: any Python CDK app, a plain assembly, and one-line errors."""

from __future__ import annotations

import json
import textwrap

import pytest

from omics_secure.compliance.cli import main
from tests.harness import CDK_CONTEXT

APP_TEMPLATE = """
import aws_cdk as cdk
from aws_cdk import aws_kms as kms

app = cdk.App()
stack = cdk.Stack(app, "Checked", env=cdk.Environment(account="111122223333", region="us-east-1"))
kms.Key(stack, "Key", enable_key_rotation={rotation})
app.synth()
"""


def write_project(directory, *, rotation: bool) -> None:
    (directory / "app.py").write_text(textwrap.dedent(APP_TEMPLATE.format(rotation=rotation)))
    (directory / "cdk.json").write_text(json.dumps({"app": "python3 app.py", "context": CDK_CONTEXT}))


@pytest.mark.slow
def test_a_weak_app_that_registers_no_packs_fails_with_its_findings(tmp_path, monkeypatch, capsys):
    write_project(tmp_path, rotation=False)
    monkeypatch.chdir(tmp_path)
    assert main(["check"]) == 1
    out = capsys.readouterr().out
    assert "  FAIL  AwsSolutions" in out and "  FAIL  OmicsSecure" in out and "  PASS  HIPAA.Security" in out
    assert "AwsSolutions-KMS5\n    at Checked/Key/Resource" in out
    assert "OmicsSecure-KMSKeyRotationEnabled" in out
    assert "Result: FAIL - 3 unacknowledged finding(s), 0 acknowledged" in out
    assert out.rstrip().splitlines()[-1].startswith("reports: cdk.out/omics-secure.junit.xml")


@pytest.mark.slow
def test_a_clean_app_passes_every_pack(tmp_path, monkeypatch, capsys):
    write_project(tmp_path, rotation=True)
    monkeypatch.chdir(tmp_path)
    assert main(["check", "--output", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    for pack in ("HIPAA.Security", "NIST.800.53.R5", "AwsSolutions", "OmicsSecure"):
        assert f"  PASS  {pack}" in out
    assert "Result: PASS - 0 unacknowledged finding(s)" in out


@pytest.mark.slow
def test_an_assembly_without_packs_gets_the_project_pack_and_a_note(tmp_path, monkeypatch, capsys):
    write_project(tmp_path, rotation=False)
    monkeypatch.chdir(tmp_path)
    assert main(["check"]) == 1
    (tmp_path / "cdk.out" / "validation-report.json").unlink()
    (tmp_path / "cdk.out" / "omics-secure.packs.json").unlink()
    capsys.readouterr()
    assert main(["check", "--assembly", "cdk.out"]) == 1
    out = capsys.readouterr().out
    assert "omics-secure check: 1 stack(s), 1 resource(s), 1 pack(s)" in out
    assert "OmicsSecure-KMSKeyRotationEnabled" in out
    assert "note: the app did not register HIPAA.Security, NIST.800.53.R5, AwsSolutions" in out


@pytest.mark.parametrize(("files", "args", "message"), [
    ({"cdk.json": "{not json"}, ["check"], "cdk.json is not valid JSON"),
    ({}, ["check"], "no CDK app to check"),
    ({"cdk.json": '{"app": "python3 app.py"}', "app.py": "raise SystemExit('broken app')"}, ["check"],
     "'python3 app.py' failed with exit code 1: broken app"),
    ({}, ["check", "--assembly", "missing"], "missing is not a cloud assembly"),
])
def test_errors_are_one_line(tmp_path, monkeypatch, capsys, files, args, message):
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    monkeypatch.chdir(tmp_path)
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("omics-secure: error: ") and message in err[-1]


@pytest.mark.slow
def test_the_reference_app_passes(tmp_path, monkeypatch, capsys):
    from tests.harness import REPOSITORY

    monkeypatch.chdir(REPOSITORY)
    assert main(["check", "--output", str(tmp_path / "cdk.out")]) == 0
    out = capsys.readouterr().out
    assert "4 pack(s)" in out and "Result: PASS - 0 unacknowledged finding(s)" in out


WEAK_BUCKET_APP = """
import aws_cdk as cdk
from aws_cdk import aws_s3 as s3

app = cdk.App()
stack = cdk.Stack(app, "Weak", env=cdk.Environment(account="111122223333", region="us-east-1"))
bucket = s3.Bucket(stack, "Reads", encryption=s3.BucketEncryption.S3_MANAGED)
cdk.Tags.of(bucket).add("omics-secure:data-classification", "phi")
app.synth()
"""


@pytest.mark.slow
def test_a_deliberately_weak_phi_bucket_fails_every_pack(tmp_path, monkeypatch, capsys):
    (tmp_path / "app.py").write_text(textwrap.dedent(WEAK_BUCKET_APP))
    (tmp_path / "cdk.json").write_text(json.dumps({"app": "python3 app.py", "context": CDK_CONTEXT}))
    monkeypatch.chdir(tmp_path)
    assert main(["check"]) == 1
    out = capsys.readouterr().out
    for pack in ("HIPAA.Security", "NIST.800.53.R5", "AwsSolutions", "OmicsSecure"):
        assert f"  FAIL  {pack}" in out
    for rule in ("HIPAA.Security-S3BucketLoggingEnabled", "AwsSolutions-S1", "AwsSolutions-S10",
                 "OmicsSecure-S3PhiBucketObjectLock", "OmicsSecure-S3PhiBucketKmsEncrypted",
                 "OmicsSecure-S3BucketPolicyMinimumTls"):
        assert f"  {rule}\n    at Weak/Reads/Resource" in out
