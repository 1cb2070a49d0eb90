"""The airlock's workflow, as AWS Lambda handlers. Standard library and boto3 only: this file is the functions' code.

Each handler runs in its own function, with its own role:

- :func:`submit` (invoked by a requester): records a request, the files already uploaded under its prefix of the
  staging bucket with, for each, what it is and which disclosure control was applied, and starts the workflow;
  or answers a "changes requested" with new versions and statements.
- :func:`decide` (invoked by a reviewer): approve, reject or ask for changes, file by file. The requester can
  never review their own request, and egress can require two reviewers who are different people.
- :func:`steps` (the workflow): read the malware scan's result, wait for a review or for changes, mark failed.
- :func:`release` (the workflow): copy the approved files to the destination, all or nothing.
- :func:`quarantine` (the workflow): tag rejected or infected files so that the bucket policy denies every read.

Who calls :func:`submit` and :func:`decide` is established by AWS STS, never taken from the caller's word: the
caller sends a signed ``sts:GetCallerIdentity`` request whose signature covers the header
``x-omics-secure-airlock`` carrying the SHA-256 of the payload, and the function sends that request to the
regional STS endpoint itself (the pattern of HashiCorp Vault's AWS auth method and the EKS
aws-iam-authenticator). STS answers with the caller's role session, which names the person.

Every step is recorded in the requests table and published to EventBridge (source ``omics-secure.airlock``).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import re
import urllib.error
import urllib.request
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# GuardDuty Malware Protection for S3 tags each scanned object with this key and one of these values:
# https://docs.aws.amazon.com/guardduty/latest/ug/monitoring-malware-protection-s3-scans-gdu.html
SCAN_TAG = "GuardDutyMalwareScanStatus"
SCAN_CLEAN = "NO_THREATS_FOUND"
SCAN_INFECTED = "THREATS_FOUND"
SCAN_NOT_SCANNED = ("UNSUPPORTED", "ACCESS_DENIED", "FAILED")
QUARANTINE_TAG = "omics-secure:airlock-state"
QUARANTINED = "quarantined"
RELEASED_FROM_TAG = "omics-secure:airlock-request"
PROOF_HEADER = "x-omics-secure-airlock"
EVENT_SOURCE = "omics-secure.airlock"
DIRECTIONS = ("ingress", "egress")
# Each direction has its own staging bucket; a request's files are uploaded under requests/<request id>/.
STAGING_PREFIX = "requests/"

SUBMITTED, SCANNING, AWAITING_REVIEW = "SUBMITTED", "SCANNING", "AWAITING_REVIEW"
CHANGES_REQUESTED = "CHANGES_REQUESTED"
APPROVED, RELEASED, REJECTED, QUARANTINED_STATUS, FAILED = "APPROVED", "RELEASED", "REJECTED", "QUARANTINED", "FAILED"
FINAL_STATUSES = (RELEASED, REJECTED, QUARANTINED_STATUS, FAILED)
APPROVE, REJECT, CHANGES = "approve", "reject", "changes"

REQUEST_ID = re.compile(r"^r-\d{8}-[0-9a-f]{8}$")
FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")
MAX_FILES = 100
MAX_STATEMENT = 1000
# CopyObject copies up to 5 GiB in one call; larger objects are copied part by part (UploadPartCopy).
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/copy-object.html
SINGLE_COPY_LIMIT = 5 * 1024**3
COPY_PART_SIZE = 512 * 1024**2
_STS_BODY = "Action=GetCallerIdentity&Version=2011-06-15"
_STS_NAMESPACE = "{https://sts.amazonaws.com/doc/2011-06-15/}"
_ASSUMED_ROLE = re.compile(r"^arn:aws[a-z-]*:sts::(\d{12}):assumed-role/([\w+=,.@-]+)/([\w+=,.@-]+)$")


class Refused(Exception):
    """A request the airlock refuses (not a reviewer, own request, not scanned yet ...): told to the caller."""


class ReleaseFailed(Exception):
    """The copy to the destination failed; what was copied has been removed and the request marked failed."""


class NotClean(Exception):
    """An approved file whose scan tag is not NO_THREATS_FOUND at release time: nothing is copied."""


# ---------------------------------------------------------------------------------------------- configuration

@dataclass(frozen=True)
class Config:
    """What the construct passes each function in its environment."""

    table: str
    staging: Mapping[str, str]
    destinations: Mapping[str, Mapping[str, str]]
    requester_roles: tuple[str, ...]
    reviewer_roles: Mapping[str, str]
    reviewers_required: Mapping[str, int]
    state_machine_arn: str
    region: str

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Config:
        env = os.environ if environ is None else environ

        def loaded(name: str, default: str) -> Any:
            return json.loads(env.get(name) or default)

        return cls(
            table=env.get("AIRLOCK_TABLE", ""),
            staging=loaded("AIRLOCK_STAGING", "{}"),
            destinations=loaded("AIRLOCK_DESTINATIONS", "{}"),
            requester_roles=tuple(loaded("AIRLOCK_REQUESTER_ROLES", "[]")),
            reviewer_roles={entry["role"]: entry["ends"] for entry in loaded("AIRLOCK_REVIEWER_ROLES", "[]")},
            reviewers_required={k: int(v) for k, v in loaded("AIRLOCK_REVIEWERS_REQUIRED", "{}").items()},
            state_machine_arn=env.get("AIRLOCK_STATE_MACHINE", ""),
            region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1",
        )


_CLIENTS: dict[str, Any] = {}


def aws(service: str) -> Any:
    """A boto3 client (``dynamodb`` is the table resource's service), made once per process."""
    if service not in _CLIENTS:
        import boto3

        _CLIENTS[service] = boto3.resource("dynamodb") if service == "dynamodb" else boto3.client(service)
    return _CLIENTS[service]


def reset_clients() -> None:
    """Forget the clients (tests make new ones inside each emulated account)."""
    _CLIENTS.clear()


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _today() -> datetime.date:
    return datetime.datetime.now(datetime.UTC).date()


# ---------------------------------------------------------------------------------------------- identity

def payload_digest(payload: Mapping[str, Any]) -> str:
    """The SHA-256 of the payload's canonical JSON: what the caller's STS signature is bound to."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def sts_host(region: str) -> str:
    return f"sts.{region}.amazonaws.com" + (".cn" if region.startswith("cn-") else "")


@dataclass(frozen=True)
class Caller:
    """A role session as STS names it: the role, and the session name, which names the person."""

    arn: str
    account: str
    role: str
    session: str

    def record(self) -> dict[str, str]:
        return {"arn": self.arn, "role": self.role, "session": self.session}


def parse_caller(arn: str) -> Caller:
    match = _ASSUMED_ROLE.match(arn or "")
    if match is None:
        raise Refused(f"{arn or 'the caller'} is not a role session: the airlock admits people only through "
                      "its requester and reviewer roles")
    return Caller(arn=arn, account=match[1], role=match[2], session=match[3])


def post_to_sts(url: str, headers: Mapping[str, str], body: str) -> tuple[int, str]:
    """POST the signed request to STS; (status, response text)."""
    request = urllib.request.Request(url, data=body.encode(), headers=dict(headers), method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


STS_POST: Callable[[str, Mapping[str, str], str], tuple[int, str]] = post_to_sts
"""How the signed request reaches STS; replaced in tests by an emulation that checks the signature."""


def verify_identity(proof: Any, digest: str, region: str, account: str | None = None) -> Caller:
    """The caller STS names for ``proof``, a signed GetCallerIdentity request bound to ``digest``.

    The URL is built here from the function's own region, never taken from the caller: a caller-chosen URL
    could answer with any identity. The proof must sign the host and the binding header; STS checks the
    signature and its age (15 minutes).
    """
    if not isinstance(proof, Mapping) or not isinstance(proof.get("headers"), Mapping):
        raise Refused("no identity proof: use the omics-secure airlock command, which signs one")
    headers = {str(k).lower(): str(v) for k, v in proof["headers"].items()}
    if proof.get("body") != _STS_BODY:
        raise Refused("the identity proof is not an sts:GetCallerIdentity request")
    if headers.get(PROOF_HEADER) != digest:
        raise Refused("the identity proof was signed for another request; sign this request's payload")
    signed = re.search(r"SignedHeaders=([^,\s]+)", headers.get("authorization", ""))
    signed_headers = set(signed[1].split(";")) if signed else set()
    if not {"host", PROOF_HEADER} <= signed_headers:
        raise Refused(f"the identity proof's signature does not cover host and {PROOF_HEADER}")
    forwarded = {name: value for name, value in headers.items()
                 if name == "authorization" or (name in signed_headers and name != "host")}
    status, text = STS_POST(f"https://{sts_host(region)}/", forwarded, _STS_BODY)
    if status != 200:
        code = re.search(r"<Code>([^<]+)</Code>", text)
        raise Refused(f"AWS STS refused the identity proof ({code[1] if code else status}); sign it again with "
                      "current credentials")
    root = ElementTree.fromstring(text)
    arn = root.findtext(f".//{_STS_NAMESPACE}Arn") or ""
    caller = parse_caller(arn)
    if account is not None and caller.account != account:
        raise Refused(f"{arn} is not of this account ({account})")
    return caller


def _account_of(context: Any) -> str | None:
    arn = getattr(context, "invoked_function_arn", "") or ""
    parts = arn.split(":")
    return parts[4] if len(parts) > 4 and parts[4] else None


# ---------------------------------------------------------------------------------------------- records

def _table(config: Config) -> Any:
    return aws("dynamodb").Table(config.table)


def load(config: Config, request_id: Any) -> dict[str, Any]:
    if not isinstance(request_id, str) or not REQUEST_ID.match(request_id):
        raise Refused(f"unknown request {request_id!r}: request ids look like r-20250101-0123abcd")
    item = _table(config).get_item(Key={"request_id": request_id}, ConsistentRead=True).get("Item")
    if item is None:
        raise Refused(f"unknown request {request_id}")
    return dict(item)


def _history(step: str, status: str, by: str, detail: str = "") -> dict[str, str]:
    return {"at": _now(), "step": step, "status": status, "by": by, "detail": detail}


def update(config: Config, request_id: str, *, status: str, step: str, by: str, detail: str = "",
           expected: Sequence[str] | None = None, values: Mapping[str, Any] | None = None,
           remove: Sequence[str] = (), reviews_before: int | None = None) -> None:
    """Set ``status`` and ``values``, append the step to the history; only from an ``expected`` status (and,
    with ``reviews_before``, only if no other review was recorded meanwhile)."""
    names = {"#status": "status", "#history": "history", "#updated": "updated_at"}
    attributes: dict[str, Any] = {":status": status, ":entry": [_history(step, status, by, detail)], ":empty": [],
                                  ":now": _now()}
    sets = ["#status = :status", "#updated = :now", "#history = list_append(if_not_exists(#history, :empty), :entry)"]
    for index, (name, value) in enumerate((values or {}).items()):
        names[f"#v{index}"] = name
        attributes[f":v{index}"] = value
        sets.append(f"#v{index} = :v{index}")
    expression = "SET " + ", ".join(sets)
    if remove:
        for index, name in enumerate(remove):
            names[f"#r{index}"] = name
        expression += " REMOVE " + ", ".join(f"#r{index}" for index in range(len(remove)))
    arguments: dict[str, Any] = {"Key": {"request_id": request_id}, "UpdateExpression": expression,
                                 "ExpressionAttributeNames": names, "ExpressionAttributeValues": attributes}
    conditions = []
    if expected is not None:
        conditions.append("(" + " OR ".join(f"#status = :expected{i}" for i in range(len(expected))) + ")")
        attributes.update({f":expected{i}": value for i, value in enumerate(expected)})
    if reviews_before is not None:
        names["#reviews"] = "reviews"
        attributes[":reviews_before"] = reviews_before
        conditions.append("size(#reviews) = :reviews_before")
    if conditions:
        arguments["ConditionExpression"] = " AND ".join(conditions)
    try:
        _table(config).update_item(**arguments)
    except Exception as error:
        if type(error).__name__ == "ConditionalCheckFailedException" or "ConditionalCheckFailed" in str(error):
            raise Refused(f"request {request_id} changed meanwhile (expected {', '.join(expected or ())}); "
                          "look at it again with 'omics-secure airlock show'") from error
        raise


def publish(item: Mapping[str, Any], step: str, by: str, **detail: Any) -> None:
    """The step as an EventBridge event. Ids, counts and people only: never file names or statements."""
    body = {"request_id": item.get("request_id"), "direction": item.get("direction"), "step": step, "by": by,
            "files": len(item.get("files") or []), **detail}
    aws("events").put_events(Entries=[{
        "Source": EVENT_SOURCE, "DetailType": f"Airlock {step}", "Detail": json.dumps(body, default=str),
    }])


def request_prefix(request_id: str) -> str:
    return f"{STAGING_PREFIX}{request_id}/"


def _file_name(item: Mapping[str, Any], key: str) -> str:
    return key[len(request_prefix(item["request_id"])):]


# ---------------------------------------------------------------------------------------------- submit

def _check_files(config: Config, direction: str, request_id: str, files: Any) -> list[dict[str, Any]]:
    if not isinstance(files, list) or not 1 <= len(files) <= MAX_FILES:
        raise Refused(f"a request names 1 to {MAX_FILES} files")
    bucket = config.staging[direction]
    prefix = request_prefix(request_id)
    checked, seen = [], set()
    for entry in files:
        if not isinstance(entry, Mapping):
            raise Refused("each file is an object with key, version_id, description and disclosure_control")
        key, version = entry.get("key"), entry.get("version_id")
        if not isinstance(key, str) or not key.startswith(prefix) or not FILE_NAME.match(key[len(prefix):]):
            raise Refused(f"file {key!r} is not a file name directly under {prefix}")
        if key in seen:
            raise Refused(f"file {key} is named twice")
        seen.add(key)
        statements = {}
        for field_name in ("description", "disclosure_control"):
            value = entry.get(field_name)
            if not isinstance(value, str) or not value.strip() or len(value) > MAX_STATEMENT:
                what = "what the file is" if field_name == "description" else "which disclosure control was applied"
                raise Refused(f"file {key[len(prefix):]}: state {what} ({field_name}, 1-{MAX_STATEMENT} characters)")
            statements[field_name] = value.strip()
        if not isinstance(version, str) or not version:
            raise Refused(f"file {key}: give the version id S3 returned on upload")
        # Listed, not read: the bucket policy denies reading an object until its scan is clean.
        listed = aws("s3").list_object_versions(Bucket=bucket, Prefix=key)
        found = [v for v in listed.get("Versions", []) if v.get("Key") == key and v.get("VersionId") == version]
        if not found:
            raise Refused(f"file {key} version {version} is not in the staging bucket: upload it first")
        checked.append({"key": key, "version_id": version, "size": int(found[0].get("Size", 0)),
                        "scan": "PENDING", "decision": "", **statements})
    return checked


def submit(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    """A requester submits a request (``action`` submit) or answers a changes request (``action`` amend)."""
    config = Config.from_environment()
    try:
        payload = event.get("payload") or {}
        caller = verify_identity(event.get("proof"), payload_digest(payload), config.region, _account_of(context))
        if caller.role not in config.requester_roles:
            raise Refused(f"not a requester: role {caller.role} may not request through this airlock")
        if payload.get("action") == "amend":
            return _amend(config, caller, payload)
        direction, request_id = str(payload.get("direction")), payload.get("request_id")
        if direction not in config.staging:
            raise Refused(f"direction {direction!r}: this airlock has {', '.join(sorted(config.staging))}")
        if not isinstance(request_id, str) or not REQUEST_ID.match(request_id):
            raise Refused(f"request id {request_id!r}: use r-YYYYMMDD-<8 hex digits>")
        files = _check_files(config, direction, request_id, payload.get("files"))
        item = {
            "request_id": request_id, "direction": direction, "status": SUBMITTED, "requester": caller.record(),
            "created_at": _now(), "updated_at": _now(), "files": files, "reviews": [], "round": 1,
            "reviewers_required": config.reviewers_required.get(direction, 1),
            "history": [_history("submitted", SUBMITTED, caller.session)],
        }
        try:
            _table(config).put_item(Item=item, ConditionExpression="attribute_not_exists(request_id)")
        except Exception as error:
            if "ConditionalCheckFailed" in type(error).__name__ + str(error):
                raise Refused(f"request {request_id} exists already; submit under a new id") from error
            raise
        execution = aws("stepfunctions").start_execution(
            stateMachineArn=config.state_machine_arn, name=request_id,
            input=json.dumps({"request_id": request_id, "attempt": 0}))
        update(config, request_id, status=SCANNING, step="workflow started", by="workflow",
               values={"execution_arn": execution["executionArn"]})
        publish(item, "request submitted", caller.session)
        return {"ok": True, "request_id": request_id, "status": SCANNING}
    except Refused as refused:
        return {"ok": False, "error": str(refused)}


def _amend(config: Config, caller: Caller, payload: Mapping[str, Any]) -> dict[str, Any]:
    item = load(config, payload.get("request_id"))
    if item["status"] != CHANGES_REQUESTED:
        raise Refused(f"request {item['request_id']} is {item['status']}: only a request with changes requested "
                      "can be amended")
    if caller.session != item["requester"]["session"]:
        raise Refused(f"request {item['request_id']} was submitted by {item['requester']['session']}; only they "
                      "can amend it")
    files = _check_files(config, item["direction"], item["request_id"], payload.get("files"))
    token = item.get("task_token")
    update(config, item["request_id"], status=SCANNING, step="changes made", by=caller.session,
           expected=[CHANGES_REQUESTED], values={"files": files, "reviews": [], "round": int(item.get("round", 1)) + 1},
           remove=["task_token"])
    if token:
        aws("stepfunctions").send_task_success(taskToken=token, output=json.dumps({"outcome": "AMENDED"}))
    publish(item, "changes made", caller.session)
    return {"ok": True, "request_id": item["request_id"], "status": SCANNING}


# ---------------------------------------------------------------------------------------------- decide

def _file_decisions(item: Mapping[str, Any], decision: str, files: Any) -> dict[str, str]:
    keys = [f["key"] for f in item["files"]]
    if decision != APPROVE:
        return dict.fromkeys(keys, decision)
    chosen = dict.fromkeys(keys, APPROVE)
    if files is None:
        return chosen
    if not isinstance(files, Mapping):
        raise Refused("files: map each file to approve or reject")
    for key, value in files.items():
        if key not in chosen:
            raise Refused(f"file {key} is not in request {item['request_id']}")
        if value not in (APPROVE, REJECT):
            raise Refused(f"file {key}: decide approve or reject, not {value!r}")
        chosen[key] = value
    return chosen


def decide(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    """A reviewer's decision: ``approve`` (with any files rejected), ``reject`` or ``changes``."""
    config = Config.from_environment()
    try:
        payload = event.get("payload") or {}
        caller = verify_identity(event.get("proof"), payload_digest(payload), config.region, _account_of(context))
        ends = config.reviewer_roles.get(caller.role)
        if ends is None:
            raise Refused(f"not a reviewer: role {caller.role} may not review requests of this airlock")
        if datetime.date.fromisoformat(ends) <= _today():
            raise Refused(f"expired approval: the reviewer approval of role {caller.role} ended on {ends}")
        decision, comment = payload.get("decision"), payload.get("comment") or ""
        if decision not in (APPROVE, REJECT, CHANGES):
            raise Refused(f"decision {decision!r}: use approve, reject or changes")
        if decision != APPROVE and not (isinstance(comment, str) and comment.strip()):
            raise Refused("say why: a rejection or a changes request carries a comment for the requester")
        item = load(config, payload.get("request_id"))
        if item["status"] in (SUBMITTED, SCANNING):
            raise Refused(f"request {item['request_id']} is {item['status']}: not scanned yet; review it once every "
                          "file's malware scan found no threats")
        if item["status"] != AWAITING_REVIEW:
            raise Refused(f"request {item['request_id']} is {item['status']}: it is not awaiting review")
        if caller.session == item["requester"]["session"]:
            publish(item, "self-review refused", caller.session)
            raise Refused(f"you ({caller.session}) submitted request {item['request_id']}: a different person must "
                          "review it")
        reviews = list(item.get("reviews") or [])
        if any(r["by"]["session"] == caller.session for r in reviews):
            raise Refused(f"you ({caller.session}) have already reviewed request {item['request_id']}: a second "
                          "reviewer must be a different person")
        chosen = _file_decisions(item, decision, payload.get("files"))
        if decision == APPROVE and all(value == REJECT for value in chosen.values()):
            decision = REJECT
            if not comment.strip():
                raise Refused("every file is rejected: say why in a comment")
        reviews.append({"by": caller.record(), "decision": decision, "files": chosen, "comment": str(comment)[:2000],
                        "at": _now()})
        return _conclude(config, item, reviews, caller)
    except Refused as refused:
        return {"ok": False, "error": str(refused)}


def _conclude(config: Config, item: dict[str, Any], reviews: list[dict[str, Any]], caller: Caller) -> dict[str, Any]:
    latest = reviews[-1]["decision"]
    approvals = [r for r in reviews if r["decision"] == APPROVE]
    required = int(item.get("reviewers_required", 1))
    if latest == APPROVE and len(approvals) < required:
        update(config, item["request_id"], status=AWAITING_REVIEW, step="reviewed", by=caller.session,
               detail=f"{len(approvals)} of {required} approvals", expected=[AWAITING_REVIEW],
               values={"reviews": reviews}, reviews_before=len(reviews) - 1)
        publish(item, "review requested", caller.session, approvals=len(approvals), required=required)
        return {"ok": True, "request_id": item["request_id"], "status": AWAITING_REVIEW,
                "detail": f"{len(approvals)} of {required} approvals: another reviewer must approve too"}
    files = [dict(f) for f in item["files"]]
    if latest == APPROVE:
        for entry in files:
            entry["decision"] = APPROVE if all(r["files"].get(entry["key"]) == APPROVE for r in approvals) else REJECT
        outcome = APPROVED if any(f["decision"] == APPROVE for f in files) else REJECTED
    else:
        outcome = REJECTED if latest == REJECT else CHANGES_REQUESTED
        for entry in files:
            entry["decision"] = latest
    token = item.get("task_token")
    update(config, item["request_id"], status=outcome, step="reviewed", by=caller.session,
           detail=reviews[-1]["comment"][:200], expected=[AWAITING_REVIEW],
           values={"reviews": reviews, "files": files}, remove=["task_token"], reviews_before=len(reviews) - 1)
    if token:
        aws("stepfunctions").send_task_success(
            taskToken=token, output=json.dumps({"request_id": item["request_id"], "outcome": outcome}))
    publish(item, "reviewed", caller.session, outcome=outcome)
    return {"ok": True, "request_id": item["request_id"], "status": outcome}


# ---------------------------------------------------------------------------------------------- workflow steps

def scan_results(config: Config, item: Mapping[str, Any]) -> dict[str, str]:
    """Each file's scan tag (``PENDING`` until GuardDuty has tagged that version)."""
    bucket = config.staging[item["direction"]]
    found = {}
    for entry in item["files"]:
        tags = aws("s3").get_object_tagging(Bucket=bucket, Key=entry["key"], VersionId=entry["version_id"])
        values = {t["Key"]: t["Value"] for t in tags.get("TagSet", [])}
        found[entry["key"]] = values.get(SCAN_TAG, "PENDING")
    return found


def steps(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    """The workflow's bookkeeping: ``check_scan``, ``await_review``, ``await_changes`` and ``fail``."""
    config = Config.from_environment()
    step = event.get("step")
    item = load(config, event.get("request_id"))
    if step == "check_scan":
        return _check_scan(config, item, int(event.get("attempt") or 0))
    if step in ("await_review", "await_changes"):
        waiting = AWAITING_REVIEW if step == "await_review" else CHANGES_REQUESTED
        update(config, item["request_id"], status=waiting, step=step.replace("_", " "), by="workflow",
               values={"task_token": event["task_token"]})
        if step == "await_review":
            publish(item, "review requested", "workflow", approvals=0, required=int(item.get("reviewers_required", 1)))
        else:
            publish(item, "changes requested", "workflow")
        return {"request_id": item["request_id"], "status": waiting}
    if step == "fail":
        error = event.get("error") or {}
        detail = f"{error.get('Error', 'error')}: {str(error.get('Cause', ''))[:300]}"
        update(config, item["request_id"], status=FAILED, step="failed", by="workflow", detail=detail,
               remove=["task_token"])
        publish(item, "request failed", "workflow", reason=str(error.get("Error", "error")))
        return {"request_id": item["request_id"], "status": FAILED}
    raise ValueError(f"unknown step {step!r}")


def _check_scan(config: Config, item: dict[str, Any], attempt: int) -> dict[str, Any]:
    results = scan_results(config, item)
    values = set(results.values())
    if SCAN_INFECTED in values:
        scan = "INFECTED"
    elif values & set(SCAN_NOT_SCANNED):
        scan = "FAILED"
    elif values == {SCAN_CLEAN}:
        scan = "CLEAN"
    else:
        scan = "PENDING"
    files = [{**f, "scan": results[f["key"]]} for f in item["files"]]
    if scan == "PENDING":
        pending = sum(value == "PENDING" for value in results.values())
        update(config, item["request_id"], status=SCANNING, step="scan pending", by="workflow",
               detail=f"{pending} file(s) not scanned yet", values={"files": files})
    else:
        update(config, item["request_id"], status=SCANNING, step="scanned", by="workflow", detail=scan,
               values={"files": files})
        publish(item, "scanned", "workflow", scan=scan)
    return {"request_id": item["request_id"], "scan": scan, "attempt": attempt + 1}


# ---------------------------------------------------------------------------------------------- release

def release(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    """Copy every approved file, after checking its scan tag again, to the destination; all or nothing."""
    config = Config.from_environment()
    item = load(config, event.get("request_id"))
    if item["status"] != APPROVED:
        raise Refused(f"request {item['request_id']} is {item['status']}, not APPROVED: nothing is released")
    destination = config.destinations[item["direction"]]
    source_bucket = config.staging[item["direction"]]
    approved = [f for f in item["files"] if f.get("decision") == APPROVE]
    scans = scan_results(config, item)
    dirty = [f["key"] for f in approved if scans[f["key"]] != SCAN_CLEAN or _is_quarantined(source_bucket, f)]
    if dirty:
        _fail_release(config, item, f"not clean at release time: {', '.join(_file_name(item, k) for k in dirty)}", [])
        raise NotClean(f"request {item['request_id']}: {len(dirty)} approved file(s) are not tagged {SCAN_CLEAN}")
    copied: list[dict[str, Any]] = []
    try:
        for entry in approved:
            target = f"{destination['prefix']}{item['request_id']}/{_file_name(item, entry['key'])}"
            version = _copy(source_bucket, entry, destination["bucket"], target, item["request_id"])
            copied.append({"key": target, "bucket": destination["bucket"], "version_id": version,
                           "source": entry["key"]})
    except Exception as error:
        leftovers = _roll_back(copied)
        _fail_release(config, item, f"{type(error).__name__}: {error}", leftovers)
        raise ReleaseFailed(f"request {item['request_id']}: copy failed after {len(copied)} of {len(approved)} "
                            f"file(s); {'removed them' if not leftovers else 'could not remove ' + str(leftovers)}") \
            from error
    update(config, item["request_id"], status=RELEASED, step="released", by="workflow",
           detail=f"{len(copied)} file(s) to s3://{destination['bucket']}/{destination['prefix']}{item['request_id']}/",
           expected=[APPROVED], values={"released": copied})
    publish(item, "released", "workflow", released=len(copied))
    return {"request_id": item["request_id"], "released": len(copied),
            "rejected_files": sum(1 for f in item["files"] if f.get("decision") != APPROVE)}


def _is_quarantined(bucket: str, entry: Mapping[str, Any]) -> bool:
    tags = aws("s3").get_object_tagging(Bucket=bucket, Key=entry["key"], VersionId=entry["version_id"])
    return any(t["Key"] == QUARANTINE_TAG for t in tags.get("TagSet", []))


def _copy(source_bucket: str, entry: Mapping[str, Any], bucket: str, key: str, request_id: str) -> str:
    """Copy one version; returns the destination's new version id. The destination's default encryption
    applies (no encryption headers are sent, which its bucket policy requires); S3 records a SHA-256 checksum of
    the copy (``ChecksumAlgorithm``)."""
    s3 = aws("s3")
    source = {"Bucket": source_bucket, "Key": entry["key"], "VersionId": entry["version_id"]}
    tagging = f"{RELEASED_FROM_TAG}={request_id}"
    if int(entry.get("size", 0)) <= SINGLE_COPY_LIMIT:
        response = s3.copy_object(CopySource=source, Bucket=bucket, Key=key, TaggingDirective="REPLACE",
                                  Tagging=tagging, MetadataDirective="COPY", ChecksumAlgorithm="SHA256")
        return str(response.get("VersionId", ""))
    upload = s3.create_multipart_upload(Bucket=bucket, Key=key, Tagging=tagging, ChecksumAlgorithm="SHA256")
    parts = []
    try:
        size = int(entry["size"])
        for number, start in enumerate(range(0, size, COPY_PART_SIZE), 1):
            end = min(start + COPY_PART_SIZE, size) - 1
            part = s3.upload_part_copy(Bucket=bucket, Key=key, UploadId=upload["UploadId"], PartNumber=number,
                                       CopySource=source, CopySourceRange=f"bytes={start}-{end}")
            parts.append({"PartNumber": number, "ETag": part["CopyPartResult"]["ETag"]})
        done = s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload["UploadId"],
                                            MultipartUpload={"Parts": parts})
    except Exception:
        s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload["UploadId"])
        raise
    return str(done.get("VersionId", ""))


def _roll_back(copied: Sequence[Mapping[str, Any]]) -> list[str]:
    """Delete the versions this release wrote (bypassing their GOVERNANCE retention); what could not be deleted."""
    leftovers = []
    for entry in copied:
        try:
            aws("s3").delete_object(Bucket=entry["bucket"], Key=entry["key"], VersionId=entry["version_id"],
                                    BypassGovernanceRetention=True)
        except Exception:
            leftovers.append(f"s3://{entry['bucket']}/{entry['key']}?versionId={entry['version_id']}")
    return leftovers


def _fail_release(config: Config, item: Mapping[str, Any], reason: str, leftovers: list[str]) -> None:
    detail = reason[:300] + (f"; left at the destination: {', '.join(leftovers)}" if leftovers else "")
    update(config, item["request_id"], status=FAILED, step="release failed", by="workflow", detail=detail)
    publish(item, "request failed", "workflow", reason="release failed", left_behind=len(leftovers))


# ---------------------------------------------------------------------------------------------- quarantine

QUARANTINE_REASONS = ("infected", "scan_failed", "scan_timeout", "rejected", "review_timeout", "rejected_files")


def quarantine(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    """Tag the request's files (all, or with ``rejected_files`` those not approved) quarantined: the staging
    bucket's policy denies every read of a quarantined object."""
    config = Config.from_environment()
    reason = event.get("reason")
    if reason not in QUARANTINE_REASONS:
        raise ValueError(f"unknown quarantine reason {reason!r}")
    item = load(config, event.get("request_id"))
    bucket = config.staging[item["direction"]]
    files = [f for f in item["files"] if reason != "rejected_files" or f.get("decision") != APPROVE]
    s3 = aws("s3")
    for entry in files:
        tags = s3.get_object_tagging(Bucket=bucket, Key=entry["key"], VersionId=entry["version_id"])
        merged = [t for t in tags.get("TagSet", []) if t["Key"] != QUARANTINE_TAG]
        s3.put_object_tagging(Bucket=bucket, Key=entry["key"], VersionId=entry["version_id"],
                              Tagging={"TagSet": [*merged, {"Key": QUARANTINE_TAG, "Value": QUARANTINED}]})
    if reason == "rejected_files":
        if files:
            publish(item, "files quarantined", "workflow", reason=reason, quarantined=len(files))
        return {"request_id": item["request_id"], "quarantined": len(files)}
    status = REJECTED if reason == "rejected" else QUARANTINED_STATUS
    update(config, item["request_id"], status=status, step="quarantined", by="workflow", detail=reason,
           remove=["task_token"])
    publish(item, "request quarantined" if status == QUARANTINED_STATUS else "request rejected", "workflow",
            reason=reason, quarantined=len(files))
    return {"request_id": item["request_id"], "status": status, "quarantined": len(files)}
