"""The airlock's functions and command against moto: an emulated account with the airlock's buckets, table,
state machine and people, and an STS that checks identity proofs' signatures the way STS does."""

from __future__ import annotations

import datetime
import functools
import io
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import boto3
import botocore.loaders
import botocore.session
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from omics_secure.airlock.runtime import airlock_lambda as runtime

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's account
TODAY = datetime.datetime.now(datetime.UTC).date()
ENDS = (TODAY + datetime.timedelta(days=365)).isoformat()
ENDED = (TODAY - datetime.timedelta(days=1)).isoformat()
BUCKETS = {"ingress": "airlock-ingress-staging", "egress": "airlock-egress-staging"}
DESTINATION, RELEASE = "project-phi-data", "airlock-release"
TABLE = "airlock-requests"


class Context:
    invoked_function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:airlock"


@pytest.fixture(autouse=True)
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                        ("AWS_SESSION_TOKEN", "testing"), ("AWS_DEFAULT_REGION", REGION), ("AWS_REGION", REGION),
                        ("AWS_CONFIG_FILE", "/nonexistent/omics-secure-test-config"),
                        ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/omics-secure-test-credentials")):
        monkeypatch.setenv(name, value)


_shared_loader = functools.cache(botocore.loaders.create_loader)


@pytest.fixture(autouse=True)
def botocore_reads_its_service_models_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """One botocore loader for every session (see tests/verify/conftest.py)."""
    monkeypatch.setattr(botocore.session, "create_loader", _shared_loader)


@pytest.fixture
def aws() -> Iterator[None]:
    from moto import mock_aws

    runtime.reset_clients()
    with mock_aws():
        yield
    runtime.reset_clients()


@dataclass
class EmulatedSts:
    """STS's side of an identity proof: the signature recomputed over the headers the function forwarded, with the
    secret of the access key that signed, and the identity of that key's session."""

    sessions: dict[str, tuple[Credentials, str]] = field(default_factory=dict)
    urls: list[str] = field(default_factory=list)

    def register(self, credentials: Mapping[str, str], arn: str) -> None:
        self.sessions[credentials["AccessKeyId"]] = (Credentials(
            credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"]), arn)

    def __call__(self, url: str, headers: Mapping[str, str], body: str) -> tuple[int, str]:
        self.urls.append(url)
        authorization = headers.get("authorization", "")
        found = re.search(r"Credential=([^/]+)/\d{8}/([^/]+)/sts/aws4_request, SignedHeaders=([^,]+), "
                          r"Signature=([0-9a-f]+)", authorization)
        if found is None or found[1] not in self.sessions:
            return 403, "<ErrorResponse><Error><Code>InvalidClientTokenId</Code></Error></ErrorResponse>"
        credentials, arn = self.sessions[found[1]]
        signed = found[3].split(";")
        request = AWSRequest(method="POST", url=url, data=body,
                             headers={name: headers[name] for name in signed if name in headers})
        if any(name != "host" and name not in headers for name in signed):
            return 403, "<ErrorResponse><Error><Code>IncompleteSignature</Code></Error></ErrorResponse>"
        signer = SigV4Auth(credentials, "sts", found[2])
        request.context["timestamp"] = headers["x-amz-date"]
        canonical = signer.canonical_request(request)
        if signer.signature(signer.string_to_sign(request, canonical), request) != found[4]:
            return 403, "<ErrorResponse><Error><Code>SignatureDoesNotMatch</Code></Error></ErrorResponse>"
        return 200, ('<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
                     f"<GetCallerIdentityResult><Arn>{arn}</Arn><UserId>AROAEXAMPLE:x</UserId>"
                     f"<Account>{ACCOUNT}</Account></GetCallerIdentityResult></GetCallerIdentityResponse>")


@dataclass
class Person:
    """Someone signed in to one of the airlock's roles: a boto3 session with that role session's credentials."""

    role: str
    name: str
    session: boto3.Session

    def proof(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        from omics_secure.airlock_cli import AirlockClient

        return AirlockClient(self.session, {}, "test").identity_proof(payload)


@dataclass
class Account:
    """The emulated airlock: its people, its STS, and helpers that act as the workflow and as GuardDuty."""

    sts: EmulatedSts
    people: dict[str, Person]
    events: Callable[[], list[dict[str, Any]]]

    def s3(self) -> Any:
        return boto3.client("s3", region_name=REGION)

    def table(self) -> Any:
        return boto3.resource("dynamodb", region_name=REGION).Table(TABLE)

    def item(self, request_id: str) -> dict[str, Any]:
        return dict(self.table().get_item(Key={"request_id": request_id})["Item"])

    def upload(self, direction: str, request_id: str, name: str, body: bytes = b"aggregate,count\nall,1200\n") -> str:
        key = f"{runtime.request_prefix(request_id)}{name}"
        return str(self.s3().put_object(Bucket=BUCKETS[direction], Key=key, Body=body)["VersionId"])

    def submit(self, who: str, direction: str, names: tuple[str, ...] = ("table.csv", "figure.png"),
               request_id: str = "r-20250101-0123abcd", action: str = "submit") -> dict[str, Any]:
        files = [{"key": f"{runtime.request_prefix(request_id)}{name}",
                  "version_id": self.upload(direction, request_id, name), "description": f"{name}: counts by group",
                  "disclosure_control": "cells under 10 suppressed"} for name in names]
        payload = {"action": action, "request_id": request_id, "direction": direction, "files": files}
        return runtime.submit({"payload": payload, "proof": self.people[who].proof(payload)}, Context())

    def decide(self, who: str, request_id: str, decision: str = "approve", comment: str = "",
               files: Mapping[str, str] | None = None) -> dict[str, Any]:
        payload: dict[str, Any] = {"request_id": request_id, "decision": decision, "comment": comment}
        if files is not None:
            payload["files"] = dict(files)
        return runtime.decide({"payload": payload, "proof": self.people[who].proof(payload)}, Context())

    def scan(self, request_id: str, result: str = runtime.SCAN_CLEAN, only: str | None = None) -> None:
        """Tag the request's current versions as GuardDuty does after a scan."""
        item = self.item(request_id)
        for entry in item["files"]:
            if only is None or entry["key"].endswith(only):
                self.s3().put_object_tagging(
                    Bucket=BUCKETS[item["direction"]], Key=entry["key"], VersionId=entry["version_id"],
                    Tagging={"TagSet": [{"Key": runtime.SCAN_TAG, "Value": result}]})

    def step(self, step: str, request_id: str, **extra: Any) -> dict[str, Any]:
        return runtime.steps({"step": step, "request_id": request_id, **extra}, Context())

    def to_review(self, who: str, direction: str, request_id: str = "r-20250101-0123abcd",
                  names: tuple[str, ...] = ("table.csv", "figure.png")) -> str:
        """Submitted, scanned clean and awaiting review, as the workflow leaves it."""
        submitted = self.submit(who, direction, names, request_id)
        assert submitted["ok"], submitted
        self.scan(request_id)
        assert self.step("check_scan", request_id, attempt=0)["scan"] == "CLEAN"
        self.step("await_review", request_id, task_token="review-token")
        return request_id

    def objects(self, bucket: str, prefix: str = "") -> list[dict[str, Any]]:
        listed = self.s3().list_object_versions(Bucket=bucket, Prefix=prefix)
        return [*listed.get("Versions", []), *listed.get("DeleteMarkers", [])]


@pytest.fixture
def account(aws: None, monkeypatch: pytest.MonkeyPatch) -> Account:
    s3 = boto3.client("s3", region_name=REGION)
    for bucket in (*BUCKETS.values(), RELEASE):
        s3.create_bucket(Bucket=bucket)
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    # The destination is a PhiBucket: object lock with a GOVERNANCE default retention.
    s3.create_bucket(Bucket=DESTINATION, ObjectLockEnabledForBucket=True)
    s3.put_object_lock_configuration(Bucket=DESTINATION, ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 30}}})
    boto3.client("dynamodb", region_name=REGION).create_table(
        TableName=TABLE, KeySchema=[{"AttributeName": "request_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "request_id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    iam = boto3.client("iam", region_name=REGION)
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                               "Principal": {"AWS": ACCOUNT}}]})
    for role in ("Requester", "DataSteward", "ExpiredSteward", "Outsider", "StatesRole"):
        iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust)
    machine = boto3.client("stepfunctions", region_name=REGION).create_state_machine(
        name="airlock", roleArn=f"arn:aws:iam::{ACCOUNT}:role/StatesRole",
        definition=json.dumps({"StartAt": "Wait", "States": {"Wait": {"Type": "Pass", "End": True}}}))
    # What the functions publish, as EventBridge receives it (moto's delivery to rule targets needs jsonpath-ng,
    # which the project does not install; the entries are what a rule would match).
    published: list[dict[str, Any]] = []
    events = runtime.aws("events")
    put_events = events.put_events

    def recording(**arguments: Any) -> Any:
        published.extend({"source": e["Source"], "detail-type": e["DetailType"], "detail": json.loads(e["Detail"])}
                         for e in arguments["Entries"])
        return put_events(**arguments)

    monkeypatch.setattr(events, "put_events", recording)
    # moto refuses a CopyObject into a bucket with default retention unless it carries an upload's integrity header;
    # S3 does not ask it of a copy, which has no request body, so the tests add what moto looks for.
    runtime.aws("s3").meta.events.register("before-sign.s3.CopyObject", _integrity_header_for_moto)
    for name, value in {
        "AIRLOCK_TABLE": TABLE, "AIRLOCK_STAGING": json.dumps(BUCKETS),
        "AIRLOCK_DESTINATIONS": json.dumps({"ingress": {"bucket": DESTINATION, "prefix": "airlock/"},
                                            "egress": {"bucket": RELEASE, "prefix": "released/"}}),
        "AIRLOCK_REQUESTER_ROLES": json.dumps(["Requester"]),
        "AIRLOCK_REVIEWER_ROLES": json.dumps([{"role": "DataSteward", "ends": ENDS},
                                              {"role": "ExpiredSteward", "ends": ENDED}]),
        "AIRLOCK_REVIEWERS_REQUIRED": json.dumps({"ingress": 1, "egress": 2}),
        "AIRLOCK_STATE_MACHINE": machine["stateMachineArn"],
    }.items():
        monkeypatch.setenv(name, value)
    sts = EmulatedSts()
    monkeypatch.setattr(runtime, "STS_POST", sts)
    people = {}
    for key, role, name in (("alice", "Requester", "alice"), ("bob", "DataSteward", "bob"),
                            ("carol", "DataSteward", "carol"), ("alice-as-steward", "DataSteward", "alice"),
                            ("dave", "ExpiredSteward", "dave"), ("mallory", "Outsider", "mallory")):
        assumed = boto3.client("sts", region_name=REGION).assume_role(
            RoleArn=f"arn:aws:iam::{ACCOUNT}:role/{role}", RoleSessionName=name)
        credentials = assumed["Credentials"]
        sts.register(credentials, assumed["AssumedRoleUser"]["Arn"])
        people[key] = Person(role, name, boto3.Session(
            aws_access_key_id=credentials["AccessKeyId"], aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"], region_name=REGION))

    def received_events() -> list[dict[str, Any]]:
        found = list(published)
        published.clear()
        return found

    return Account(sts, people, received_events)


def _integrity_header_for_moto(request: Any, **_: Any) -> None:
    request.headers["x-amz-sdk-checksum-algorithm"] = "SHA256"


def payload_of(event: Mapping[str, Any]) -> dict[str, Any]:
    return dict(event["detail"])


def stream() -> io.StringIO:
    return io.StringIO()
