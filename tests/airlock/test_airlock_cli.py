"""``omics-secure airlock`` against moto: the commands people run, their functions invoked in-process (moto runs
Lambda functions only in Docker), and every way they refuse, in one line with exit code 2."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest

from omics_secure.airlock.runtime import airlock_lambda as runtime
from omics_secure.airlock_cli import AirlockClient, new_request_id, run_airlock, upload
from omics_secure.cli import _parser
from tests.airlock.conftest import BUCKETS, ENDED, ENDS, REGION, TABLE, Account, Context

pytestmark = pytest.mark.slow  # moto's emulated account, and one subprocess


class InProcessLambda:
    """The airlock's functions as the Lambda service would run them, here and now."""

    def invoke(self, FunctionName: str, Payload: bytes) -> dict[str, Any]:  # boto3's argument names
        handler = {"airlock-submit": runtime.submit, "airlock-decide": runtime.decide}[FunctionName]
        result = handler(json.loads(Payload), Context())
        return {"StatusCode": 200, "Payload": io.BytesIO(json.dumps(result).encode())}


class Session:
    """A person's boto3 session, whose Lambda client runs the functions in-process."""

    def __init__(self, session: boto3.Session) -> None:
        self._session = session
        self.region_name = session.region_name

    def client(self, service: str) -> Any:
        return InProcessLambda() if service == "lambda" else self._session.client(service)

    def resource(self, service: str) -> Any:
        return self._session.resource(service)

    def get_credentials(self) -> Any:
        return self._session.get_credentials()


@pytest.fixture
def airlock(account: Account) -> Account:
    settings = {"version": 1, "region": REGION, "table": TABLE, "staging": BUCKETS, "release": "airlock-release",
                "functions": {"submit": "airlock-submit", "decide": "airlock-decide"},
                "requesters": ["Requester"],
                "reviewers": [{"role": "DataSteward", "ends": ENDS, "approval": "data-stewards"},
                              {"role": "ExpiredSteward", "ends": ENDED, "approval": "former-stewards"}],
                "reviewers_required": {"ingress": 1, "egress": 2}}
    boto3.client("ssm", region_name=REGION).put_parameter(
        Name="/omics-secure/airlock/project", Type="String", Value=json.dumps(settings))
    return account


def run(account: Account, who: str, *argv: str) -> tuple[int, str, str]:
    args = _parser().parse_args(["airlock", *argv])
    out, err = io.StringIO(), io.StringIO()
    stderr, sys.stderr = sys.stderr, err
    try:
        code = run_airlock(args, out=out, progress=err,
                           session_factory=lambda **_: Session(account.people[who].session))
    finally:
        sys.stderr = stderr
    return code, out.getvalue(), err.getvalue()


def test_a_request_goes_from_upload_to_two_approvals(airlock: Account, tmp_path: Path):
    (tmp_path / "counts.csv").write_text("group,count\nA,120\nB,95\n")
    code, out, err = run(airlock, "alice", "request", "egress", str(tmp_path / "counts.csv"),
                         "--description", "participants per group", "--control", "cells under 10 suppressed")
    assert code == 0, err
    request_id = out.split(":")[0]
    assert runtime.REQUEST_ID.match(request_id) and "SCANNING (1 file(s), egress)" in out
    assert f"counts.csv: 100% of {(tmp_path / 'counts.csv').stat().st_size} bytes" in err
    airlock.scan(request_id)
    airlock.step("check_scan", request_id, attempt=0)
    airlock.step("await_review", request_id, task_token="token")
    assert run(airlock, "bob", "approve", request_id, "--comment", "aggregate only") == (
        0, f"{request_id}: AWAITING_REVIEW (1 of 2 approvals: another reviewer must approve too)\n", "")
    assert run(airlock, "carol", "approve", request_id)[:2] == (0, f"{request_id}: APPROVED\n")
    code, listing, _ = run(airlock, "bob", "list", "--status", "approved")
    assert code == 0 and request_id in listing and "alice" in listing
    code, shown, _ = run(airlock, "bob", "show", request_id)
    assert "what it is: participants per group" in shown and "disclosure control: cells under 10 suppressed" in shown
    assert "bob (DataSteward) approve" in shown and "carol (DataSteward) approve" in shown


def test_a_manifest_states_each_file(airlock: Account, tmp_path: Path):
    (tmp_path / "a.csv").write_text("x\n")
    (tmp_path / "b.png").write_bytes(b"\x89PNG")
    (tmp_path / "manifest.json").write_text(json.dumps({"files": [
        {"path": "a.csv", "description": "table 1", "disclosure_control": "rounded to 5"},
        {"path": "b.png", "description": "figure 2", "disclosure_control": "no individual points"}]}))
    code, out, err = run(airlock, "alice", "request", "ingress", "--manifest", str(tmp_path / "manifest.json"))
    assert code == 0, err
    item = airlock.item(out.split(":")[0])
    assert [(f["description"], f["disclosure_control"]) for f in item["files"]] == [
        ("table 1", "rounded to 5"), ("figure 2", "no individual points")]


def test_reviewers_reject_or_ask_for_changes(airlock: Account):
    request_id = airlock.to_review("alice", "ingress")
    assert run(airlock, "bob", "reject", request_id, "--reason", "suppress small cells", "--changes")[:2] == (
        0, f"{request_id}: CHANGES_REQUESTED\n")
    second = airlock.to_review("alice", "ingress", request_id="r-20250102-0123abcd")
    assert run(airlock, "bob", "reject", second, "--reason", "row-level data")[:2] == (0, f"{second}: REJECTED\n")


@pytest.mark.parametrize(("who", "argv", "error"), [
    ("bob", ("approve", "r-20990101-deadbeef"), "unknown request r-20990101-deadbeef in airlock project"),
    ("bob", ("show", "not-an-id"), "unknown request 'not-an-id': request ids look like r-20250101-0123abcd"),
    ("mallory", ("approve", "{request}"), "not a reviewer: your role Outsider is not a reviewer role of airlock "
                                          "project"),
    ("alice-as-steward", ("approve", "{request}"), "own request: you (alice) submitted {request}; a different "
                                                   "person must review it"),
    ("dave", ("reject", "{request}", "--reason", "x"), "expired approval: your reviewer approval former-stewards "
                                                       "ended on " + ENDED),
    ("bob", ("approve", "{request}", "--reject-file", "other.csv"), "--reject-file other.csv: not in request "
                                                                    "{request} (its files: figure.png, table.csv)"),
    ("bob", ("approve", "{request}", "--airlock", "elsewhere"), "no airlock 'elsewhere' in us-east-1 (no SSM "
                                                                "parameter /omics-secure/airlock/elsewhere); check "
                                                                "--airlock and --region"),
])
def test_refusals_are_one_line_with_exit_code_2(airlock: Account, who, argv, error):
    request_id = airlock.to_review("alice", "ingress")
    code, out, err = run(airlock, who, *(a.format(request=request_id) for a in argv))
    assert (code, out) == (2, "")
    assert err == f"omics-secure: error: {error.format(request=request_id)}\n"


def test_a_request_not_scanned_yet_cannot_be_reviewed(airlock: Account):
    assert airlock.submit("alice", "egress")["ok"]
    code, _, err = run(airlock, "bob", "approve", "r-20250101-0123abcd")
    assert code == 2 and err == ("omics-secure: error: request r-20250101-0123abcd is SCANNING: not scanned yet; "
                                 "review it once every file's malware scan found no threats\n")


def test_the_function_refuses_what_the_command_did_not_check(airlock: Account, monkeypatch):
    """A command that skips its own checks still meets the function's: the reviewer list is the function's."""
    request_id = airlock.to_review("alice", "ingress")
    client = AirlockClient(Session(airlock.people["alice-as-steward"].session), {"functions": {
        "decide": "airlock-decide"}}, "project")
    with pytest.raises(Exception, match="a different person must review it"):
        client.invoke("decide", {"request_id": request_id, "decision": "approve", "comment": ""})


def test_requests_are_only_made_by_requesters_with_stated_files(airlock: Account, tmp_path: Path):
    data = tmp_path / "out.csv"
    data.write_text("x\n")
    assert run(airlock, "bob", "request", "egress", str(data), "--description", "d", "--control", "c")[2] == (
        "omics-secure: error: not a requester: your role DataSteward may not request through airlock project\n")
    assert run(airlock, "alice", "request", "egress", str(data), "--description", "d")[2] == (
        "omics-secure: error: out.csv: state its disclosure control (--description and --control, or the "
        "manifest's description and disclosure_control)\n")
    assert run(airlock, "alice", "request", "egress", str(tmp_path / "missing.csv"), "--description", "d",
               "--control", "c")[2] == f"omics-secure: error: {tmp_path / 'missing.csv'} is not a readable file\n"
    named = tmp_path / "jane.doe@example.org.csv"
    named.write_text("x\n")
    assert "looks like PHI" in run(airlock, "alice", "request", "egress", str(named), "--description", "d",
                                   "--control", "c")[2]


def test_large_uploads_go_in_parts_with_progress(airlock: Account, tmp_path: Path, monkeypatch):
    big = tmp_path / "matrix.tsv"
    big.write_bytes(b"0" * (11 * 1024**2))
    progress = io.StringIO()
    version = upload(boto3.client("s3", region_name=REGION), big, BUCKETS["egress"], "requests/x/matrix.tsv",
                     progress, part_size=5 * 1024**2)
    head = boto3.client("s3", region_name=REGION).head_object(Bucket=BUCKETS["egress"], Key="requests/x/matrix.tsv",
                                                              VersionId=version)
    assert head["ContentLength"] == 11 * 1024**2
    lines = progress.getvalue().splitlines()
    assert lines == ["matrix.tsv: 45% of 11.0 MiB", "matrix.tsv: 90% of 11.0 MiB", "matrix.tsv: 100% of 11.0 MiB"]


def test_request_ids_are_dated_and_random():
    first, second = new_request_id(), new_request_id()
    assert first != second and runtime.REQUEST_ID.match(first)


def test_missing_credentials_are_one_line_with_exit_code_2(tmp_path: Path):
    environment = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    environment.update(AWS_CONFIG_FILE=str(tmp_path / "none"), AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
                       AWS_EC2_METADATA_DISABLED="true", AWS_REGION=REGION)
    done = subprocess.run([sys.executable, "-m", "omics_secure", "airlock", "list"], env=environment,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == ("omics-secure: error: no AWS credentials: sign in (aws sso login, or set AWS_PROFILE / "
                           "--profile to a profile that assumes your airlock role)\n")
