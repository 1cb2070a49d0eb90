"""omics-secure access: the listing's JSON shape, its formats, the --baseline gate and its exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from omics_secure.cli import main

BUCKET_POLICY_TAGS = [{"Key": "omics-secure:data-classification", "Value": "phi"}]


def template(*readers: str) -> dict[str, Any]:
    resources: dict[str, Any] = {"Data": {"Type": "AWS::S3::Bucket", "Properties": {"Tags": BUCKET_POLICY_TAGS}},
                                 "Logs": {"Type": "AWS::S3::Bucket", "Properties": {}}}
    for name in readers:
        resources[name] = {"Type": "AWS::IAM::Role", "Properties": {
            "AssumeRolePolicyDocument": {"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                        "Principal": {"Service": "ec2.amazonaws.com"}}]},
            "Policies": [{"PolicyName": "read", "PolicyDocument": {"Statement": [{
                "Effect": "Allow", "Action": "s3:GetObject", "Resource": {"Fn::Sub": "${Data.Arn}/*"},
                "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}]}}]}}
    return {"Resources": resources}


def write(path: Path, content: dict[str, Any]) -> Path:
    path.write_text(json.dumps(content), encoding="utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["access", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_json_follows_the_documented_shape(tmp_path, capsys):
    path = write(tmp_path / "app.json", template("Analyst"))
    code, out, _ = run(capsys, "--template", str(path), "--format", "json")
    assert code == 0
    stores = json.loads(out)["stores"]
    data = next(s for s in stores if s["resource"] == "Data")
    assert set(data) == {"stack", "resource", "type", "phi", "readers", "writers", "admins"}
    assert (data["stack"], data["type"], data["phi"]) == (str(path), "AWS::S3::Bucket", True)
    assert data["readers"] == [{"principal": f"{path}/Analyst",
                                "conditions": ["aws:MultiFactorAuthPresent Bool true"]}]
    assert next(s for s in stores if s["resource"] == "Logs")["phi"] is False


def test_text_and_markdown_name_every_store(tmp_path, capsys):
    path = write(tmp_path / "app.json", template("Analyst"))
    _, text, _ = run(capsys, "--template", str(path))
    assert f"{path}/Data (AWS::S3::Bucket, PHI)" in text
    assert f"{path}/Analyst when aws:MultiFactorAuthPresent Bool true" in text
    _, markdown, _ = run(capsys, "--template", str(path), "--format", "markdown")
    assert f"| readers | {path}/Analyst | aws:MultiFactorAuthPresent Bool true |" in markdown


def test_baseline_exits_1_when_a_phi_store_gains_a_reader(tmp_path, capsys):
    (tmp_path / "base").mkdir()
    base = write(tmp_path / "base" / "app.json", template())
    change = write(tmp_path / "app.json", template("Analyst"))
    code, out, _ = run(capsys, "--template", str(change), "--baseline", str(base))
    assert code == 1
    assert "app.json/Data (PHI): readers" in out and "+ app.json/Analyst" in out
    code, out, _ = run(capsys, "--template", str(base), "--baseline", str(change))
    assert code == 0 and "- app.json/Analyst" in out  # a reader removed is reported, and passes
    code, _, _ = run(capsys, "--template", str(change), "--baseline", str(change))
    assert code == 0


def test_a_store_the_input_removed_or_added_is_reported(tmp_path, capsys):
    (tmp_path / "base").mkdir()
    base = write(tmp_path / "base" / "app.json", template())
    without = template()
    del without["Resources"]["Data"]
    head = write(tmp_path / "app.json", without)
    code, out, _ = run(capsys, "--template", str(head), "--baseline", str(base))
    assert code == 0  # nothing gained a reader; the deletion is said all the same
    assert out.splitlines() == ["app.json/Data (AWS::S3::Bucket, PHI): REMOVED (in the baseline, not in this input)",
                                "No other store gained or lost a reader, writer or administrator."]
    code, out, _ = run(capsys, "--template", str(head), "--baseline", str(base), "--format", "json")
    assert json.loads(out) == {"changes": [], "stores_added": [], "stores_removed": [
        {"store": "app.json/Data", "type": "AWS::S3::Bucket", "phi": True}]}
    code, out, _ = run(capsys, "--template", str(base), "--baseline", str(head))
    assert code == 0
    assert out.splitlines() == ["app.json/Data (AWS::S3::Bucket, PHI): added (not in the baseline)",
                                "No other store gained or lost a reader, writer or administrator."]
    (tmp_path / "next").mkdir()
    with_reader = write(tmp_path / "next" / "app.json", template("Analyst"))
    code, out, _ = run(capsys, "--template", str(with_reader), "--baseline", str(head))
    assert code == 1  # a new PHI store with a reader is a gain
    assert out.splitlines()[:3] == ["app.json/Data (AWS::S3::Bucket, PHI): added (not in the baseline)",
                                    "app.json/Data (PHI): readers", "  + app.json/Analyst when "
                                    "aws:MultiFactorAuthPresent Bool true"]


def test_an_input_without_data_stores_says_so_and_what_counts_as_one(tmp_path, capsys):
    roles_only = template("Analyst")
    del roles_only["Resources"]["Data"], roles_only["Resources"]["Logs"]
    path = write(tmp_path / "roles.json", roles_only)
    code, out, err = run(capsys, "--template", str(path))
    assert code == 0 and err == ""
    (line,) = out.splitlines()
    assert line.startswith("No data store found: the input has no S3 bucket, KMS key, HealthOmics sequence or "
                           "reference store or HealthLake datastore")
    assert "A PHI store is a bucket tagged omics-secure:data-classification=phi" in line
    code, out, _ = run(capsys, "--template", str(path), "--format", "markdown")
    assert code == 0 and "No data store found: " in out
    code, out, _ = run(capsys, "--template", str(path), "--format", "json")
    assert code == 0 and json.loads(out) == {"stores": []}


def test_a_resource_policys_principal_is_worded_as_a_condition_on_the_caller(tmp_path, capsys):
    """The template's account is known only at deployment: the role decrypts only where the key policy's account
    is its own, a condition from the key policy (not from the role's trust policy, which trusts another account)."""
    content = template()
    content["Resources"]["Data"]["Properties"]["BucketEncryption"] = {"ServerSideEncryptionConfiguration": [{
        "ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms",
                                          "KMSMasterKeyID": {"Fn::GetAtt": ["Key", "Arn"]}}}]}
    content["Resources"]["Key"] = {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": {"Statement": [{
        "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*",
        "Resource": "*"}]}}}
    content["Resources"]["Analyst"] = {"Type": "AWS::IAM::Role", "Properties": {
        "AssumeRolePolicyDocument": {"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                    "Principal": {"AWS": "arn:aws:iam::444455556666:root"}}]},
        "Policies": [{"PolicyName": "read", "PolicyDocument": {"Statement": [{
            "Effect": "Allow", "Action": ["s3:GetObject", "kms:Decrypt"], "Resource": "*"}]}}]}}
    path = write(tmp_path / "app.json", content)
    code, out, _ = run(capsys, "--template", str(path))
    assert code == 0
    lines = out.splitlines()
    readers = lines[lines.index(f"{path}/Data (AWS::S3::Bucket, PHI)") + 1:][:2]
    assert readers == ["  readers:", f"    {path}/Analyst when the principal is in account 111122223333 (a resource "
                                     "policy's Principal)"]
    assert "ArnEquals" not in out


def test_a_narrower_grant_is_not_a_gain(tmp_path, capsys):
    wider = template("Analyst")
    narrower = json.loads(json.dumps(wider))
    statement = narrower["Resources"]["Analyst"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"][0]
    statement["Condition"]["DateLessThan"] = {"aws:CurrentTime": "2030-01-01T00:00:00Z"}
    (tmp_path / "base").mkdir()
    base = write(tmp_path / "base" / "app.json", wider)
    change = write(tmp_path / "app.json", narrower)
    code, _, _ = run(capsys, "--template", str(change), "--baseline", str(base))
    assert code == 0
    code, _, _ = run(capsys, "--template", str(base), "--baseline", str(change))
    assert code == 1


@pytest.mark.parametrize(("args", "message"), [
    (["--template", "missing.yaml"], "missing.yaml: no such file"),
    (["--parameter", "A=1"], "--parameter sets a template parameter"),
    (["--template", "{t}", "--baseline", "nowhere"], "--baseline nowhere does not exist"),
    (["--assembly", "{d}"], "is not a cloud assembly"),
])
def test_mistakes_exit_2_with_one_line(tmp_path, capsys, args, message):
    path = write(tmp_path / "t.json", template())
    code, _, err = run(capsys, *[a.format(t=path, d=tmp_path) for a in args])
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1


@pytest.mark.slow
def test_the_reference_app_as_a_subprocess(reference_app, tmp_path):
    completed = subprocess.run([sys.executable, "-m", "omics_secure", "access", "--assembly",
                                str(reference_app.assembly_dir), "--format", "json"],
                               capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stderr
    stores = json.loads(completed.stdout)["stores"]
    phi = {s["resource"]: s for s in stores if s["phi"] and s["stack"] == "OmicsSecurePrimary"}
    bucket = next(s for name, s in phi.items() if name.startswith("PhiData"))
    readers = {g["principal"] for g in bucket["readers"]}
    assert any(r.startswith("OmicsSecurePrimary/ExampleApproval") for r in readers)
    assert "account:444455556666" in readers  # the collaborator, through its access point
    assert "*" not in readers and "account:self" not in readers
    assert {s["type"] for s in phi.values()} >= {"AWS::Omics::SequenceStore", "AWS::HealthLake::FHIRDatastore"}
    assert "JSII" not in completed.stderr and "Node.js" not in completed.stderr
