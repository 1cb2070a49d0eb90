"""``omics-secure airlock``: request, list, show, approve and reject airlock requests, on boto3.

Credentials come from the standard chain (``AWS_PROFILE``, ``--profile``, environment, SSO, instance role), the
region from ``--region``, ``AWS_REGION``/``AWS_DEFAULT_REGION`` or the profile. The airlock is found through its
SSM parameter under ``/omics-secure/airlock/`` (``--airlock NAME``, or the only one in the region).

The command checks what it can before it acts (not a reviewer, own request, not scanned yet, expired approval,
unknown request) and says so in one line with exit code 2; the airlock's functions check the same again, on the
caller's identity as AWS STS states it, because a command on someone's laptop is not a control.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from omics_secure._internal.naming import phi_like
from omics_secure.airlock.runtime import airlock_lambda as runtime

CONFIG_PATH = "/omics-secure/airlock/"
EXIT_OK, EXIT_ERROR = 0, 2
PART_SIZE = 64 * 1024**2
_STS_BODY = "Action=GetCallerIdentity&Version=2011-06-15"
NO_CREDENTIALS = ("no AWS credentials: sign in (aws sso login, or set AWS_PROFILE / --profile to a profile that "
                  "assumes your airlock role)")


class AirlockCommandError(Exception):
    """Something the command cannot do; printed as one line, exit code 2."""


# ---------------------------------------------------------------------------------------------- arguments

def add_airlock_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    """Register ``omics-secure airlock`` and its actions."""
    where = argparse.ArgumentParser(add_help=False, parents=[common])
    where.add_argument("--airlock", metavar="NAME",
                       help="the airlock's name (its SSM parameter /omics-secure/airlock/NAME); default: the only one")
    where.add_argument("--profile", help="the AWS profile (default: AWS_PROFILE or the default chain)")
    where.add_argument("--region", help="the AWS region (default: AWS_REGION / AWS_DEFAULT_REGION or the profile's)")
    airlock = commands.add_parser(
        "airlock", help="request, review and follow data movement through an airlock",
        description="Move data into or out of an isolated environment through its airlock: upload and submit a "
                    "request, list and show requests, approve or reject one. Exit code 2 with one line on standard "
                    "error when the command cannot act.")
    actions = airlock.add_subparsers(dest="action", required=True, metavar="{request,list,show,approve,reject}")
    request = actions.add_parser(
        "request", parents=[where], help="upload files and submit them for review",
        description="Upload files to the airlock's staging bucket and submit them as one request. State for every "
                    "file what it is and which disclosure control was applied: with --manifest (a JSON file "
                    '{"files": [{"path": ..., "description": ..., "disclosure_control": ...}]}), or with --description '
                    "and --control for the files named on the command line. --amend answers a changes request.")
    request.add_argument("direction", choices=runtime.DIRECTIONS,
                         help="into (ingress) or out of (egress) the environment")
    request.add_argument("paths", nargs="*", type=Path, metavar="FILE", help="files to move (or give --manifest)")
    request.add_argument("--manifest", type=Path, metavar="FILE", help="the files and their statements, as JSON")
    request.add_argument("--description", metavar="TEXT", help="what the files are (with FILE arguments)")
    request.add_argument("--control", metavar="TEXT",
                         help="the disclosure control applied, e.g. 'cells under 10 suppressed' (with FILE arguments)")
    request.add_argument("--amend", metavar="REQUEST", help="answer this request's changes request instead")
    listing = actions.add_parser("list", parents=[where], help="list requests")
    listing.add_argument("--status", help="only requests in this status, e.g. AWAITING_REVIEW")
    listing.add_argument("--direction", choices=runtime.DIRECTIONS)
    show = actions.add_parser("show", parents=[where], help="show one request: files, scans, reviews, history")
    show.add_argument("request_id", metavar="REQUEST")
    show.add_argument("--download", type=Path, metavar="DIR",
                      help="also download the request's files (their clean, reviewed versions) into DIR")
    approve = actions.add_parser("approve", parents=[where], help="approve a request (as a reviewer)")
    approve.add_argument("request_id", metavar="REQUEST")
    approve.add_argument("--reject-file", action="append", default=[], metavar="NAME",
                         help="reject this file and approve the others (repeatable)")
    approve.add_argument("--comment", default="", metavar="TEXT", help="a note for the record")
    reject = actions.add_parser("reject", parents=[where], help="reject a request, or ask for changes (as a reviewer)")
    reject.add_argument("request_id", metavar="REQUEST")
    reject.add_argument("--reason", required=True, metavar="TEXT", help="why, for the requester and the record")
    reject.add_argument("--changes", action="store_true",
                        help="send it back to the requester for changes instead of rejecting it")


# ---------------------------------------------------------------------------------------------- running

def run_airlock(args: argparse.Namespace, *, out: TextIO, progress: TextIO = sys.stderr,
                session_factory: Callable[..., Any] | None = None) -> int:
    """Run one airlock action; every failure is one line on standard error and exit code 2."""
    message: str | None
    try:
        client = AirlockClient.connect(args.profile, args.region, args.airlock, session_factory=session_factory)
        action = {"request": _request, "list": _list, "show": _show, "approve": _approve, "reject": _reject}
        return action[args.action](client, args, out, progress)
    except AirlockCommandError as error:
        message = str(error)
    except Exception as error:  # botocore's errors, without importing botocore before it is needed
        message = _aws_error(error)
        if message is None:
            raise
    if getattr(args, "debug", False):
        import traceback

        traceback.print_exc(file=sys.stderr)
    print(f"omics-secure: error: {message}", file=sys.stderr)
    return EXIT_ERROR


def _aws_error(error: Exception) -> str | None:
    name = type(error).__name__
    if name in ("NoCredentialsError", "PartialCredentialsError", "CredentialRetrievalError"):
        return NO_CREDENTIALS
    if name in ("ProfileNotFound", "NoRegionError", "EndpointConnectionError", "ConnectTimeoutError",
                "ReadTimeoutError", "SSOTokenLoadError", "TokenRetrievalError", "UnauthorizedSSOTokenError"):
        return " ".join(str(error).split())
    if name == "ClientError":
        response = getattr(error, "response", {}) or {}
        code = response.get("Error", {}).get("Code", "")
        text = " ".join(str(response.get("Error", {}).get("Message", error)).split())
        operation = getattr(error, "operation_name", "")
        if code in ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation"):
            return (f"not allowed: {operation} was denied ({text}); your role is not one of this airlock's, or its "
                    "approval has ended")
        if code in ("ExpiredToken", "ExpiredTokenException", "InvalidClientTokenId"):
            return f"your AWS credentials are not valid ({code}); sign in again"
        return f"{operation or 'an AWS call'} failed: {code} {text}".strip()
    return None


@dataclass
class AirlockClient:
    """The airlock as the command sees it: its settings and a boto3 session."""

    session: Any
    settings: Mapping[str, Any]
    name: str

    @classmethod
    def connect(cls, profile: str | None, region: str | None, name: str | None, *,
                session_factory: Callable[..., Any] | None = None) -> AirlockClient:
        if session_factory is None:
            import boto3

            session_factory = boto3.Session
        region = region or os.environ.get("AWS_REGION") or None  # boto3 itself reads AWS_DEFAULT_REGION only
        session = session_factory(profile_name=profile, region_name=region)
        if session.region_name is None:
            raise AirlockCommandError("no AWS region: pass --region or set AWS_REGION (or AWS_DEFAULT_REGION)")
        ssm = session.client("ssm")
        if name is None:
            found = ssm.get_parameters_by_path(Path=CONFIG_PATH).get("Parameters", [])
            if len(found) != 1:
                names = ", ".join(p["Name"][len(CONFIG_PATH):] for p in found) or "none"
                raise AirlockCommandError(f"{len(found)} airlocks in {session.region_name} ({names}); pass --airlock "
                                          "NAME" if found else f"no airlock in {session.region_name}: pass --region "
                                          "or --airlock, or deploy one")
            parameter = found[0]
        else:
            try:
                parameter = ssm.get_parameter(Name=f"{CONFIG_PATH}{name}")["Parameter"]
            except Exception as error:
                if type(error).__name__ == "ParameterNotFound":
                    raise AirlockCommandError(f"no airlock {name!r} in {session.region_name} (no SSM parameter "
                                              f"{CONFIG_PATH}{name}); check --airlock and --region") from error
                raise
        try:
            settings = json.loads(parameter["Value"])
        except ValueError as error:
            raise AirlockCommandError(f"the SSM parameter {parameter['Name']} is not the airlock's settings "
                                      "(not JSON)") from error
        return cls(session=session, settings=settings, name=parameter["Name"][len(CONFIG_PATH):])

    def client(self, service: str) -> Any:
        return self.session.client(service)

    def me(self) -> runtime.Caller:
        arn = self.client("sts").get_caller_identity()["Arn"]
        try:
            return runtime.parse_caller(arn)
        except runtime.Refused as refused:
            raise AirlockCommandError(str(refused)) from refused

    def item(self, request_id: str) -> dict[str, Any]:
        if not runtime.REQUEST_ID.match(request_id):
            raise AirlockCommandError(f"unknown request {request_id!r}: request ids look like r-20250101-0123abcd")
        found = self.session.resource("dynamodb").Table(self.settings["table"]).get_item(
            Key={"request_id": request_id}, ConsistentRead=True).get("Item")
        if found is None:
            raise AirlockCommandError(f"unknown request {request_id} in airlock {self.name}")
        return dict(found)

    def identity_proof(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """A signed sts:GetCallerIdentity request bound to ``payload`` (never sent by the command itself)."""
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest

        credentials = self.session.get_credentials()
        if credentials is None:
            raise AirlockCommandError(NO_CREDENTIALS)
        region = self.session.region_name
        request = AWSRequest(method="POST", url=f"https://{runtime.sts_host(region)}/", data=_STS_BODY, headers={
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
            runtime.PROOF_HEADER: runtime.payload_digest(payload)})
        SigV4Auth(credentials.get_frozen_credentials(), "sts", region).add_auth(request)
        return {"headers": dict(request.headers.items()), "body": _STS_BODY}

    def invoke(self, handler: str, payload: Mapping[str, Any]) -> dict[str, Any]:
        """Invoke the airlock's ``submit`` or ``decide`` function with ``payload`` and an identity proof."""
        event = {"payload": dict(payload), "proof": self.identity_proof(payload)}
        response = self.client("lambda").invoke(FunctionName=self.settings["functions"][handler],
                                                Payload=json.dumps(event).encode())
        body = json.loads(response["Payload"].read() or b"{}")
        if response.get("FunctionError"):
            raise AirlockCommandError(f"the airlock's {handler} function failed: {body.get('errorMessage', body)}")
        if not body.get("ok"):
            raise AirlockCommandError(str(body.get("error", "the airlock refused the request")))
        return dict(body)


# ---------------------------------------------------------------------------------------------- request

@dataclass(frozen=True)
class _File:
    path: Path
    description: str
    disclosure_control: str


def _files(args: argparse.Namespace) -> list[_File]:
    if args.manifest is not None:
        if args.paths or args.description or args.control:
            raise AirlockCommandError("give either --manifest, or FILE arguments with --description and --control")
        try:
            manifest = json.loads(args.manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise AirlockCommandError(f"--manifest {args.manifest}: cannot read it as JSON ({error})") from error
        entries = manifest.get("files") if isinstance(manifest, Mapping) else None
        if not isinstance(entries, list) or not entries:
            raise AirlockCommandError(f"--manifest {args.manifest}: give {{\"files\": [{{\"path\": ..., "
                                      "\"description\": ..., \"disclosure_control\": ...}]}")
        base = args.manifest.parent
        files = []
        for index, entry in enumerate(entries):
            if not isinstance(entry, Mapping) or not isinstance(entry.get("path"), str):
                raise AirlockCommandError(f"--manifest {args.manifest}: files[{index}] needs a path")
            path = Path(entry["path"])
            files.append(_File(path if path.is_absolute() else base / path, str(entry.get("description") or ""),
                               str(entry.get("disclosure_control") or "")))
    else:
        if not args.paths:
            raise AirlockCommandError("name the files to move, or give --manifest")
        files = [_File(path, args.description or "", args.control or "") for path in args.paths]
    names = set()
    for entry in files:
        name = entry.path.name
        if not entry.path.is_file():
            raise AirlockCommandError(f"{entry.path} is not a readable file")
        if phi_like(name):
            raise AirlockCommandError(f"{name}: the file name looks like PHI ({phi_like(name)}); rename the file")
        if not runtime.FILE_NAME.match(name):
            raise AirlockCommandError(f"{name}: use a file name of letters, digits, '.', '_' and '-' (1-200)")
        if name in names:
            raise AirlockCommandError(f"two files are named {name}; file names in a request must differ")
        names.add(name)
        for field_name, value in (("description", entry.description), ("disclosure control", entry.disclosure_control)):
            if not value.strip():
                raise AirlockCommandError(f"{name}: state its {field_name} (--description and --control, or the "
                                          "manifest's description and disclosure_control)")
    if len(files) > runtime.MAX_FILES:
        raise AirlockCommandError(f"{len(files)} files: a request holds at most {runtime.MAX_FILES}")
    return files


def _request(client: AirlockClient, args: argparse.Namespace, out: TextIO, progress: TextIO) -> int:
    files = _files(args)
    me = client.me()
    if me.role not in client.settings.get("requesters", []):
        raise AirlockCommandError(f"not a requester: your role {me.role} may not request through airlock "
                                  f"{client.name}")
    direction = args.direction
    if direction not in client.settings.get("staging", {}):
        raise AirlockCommandError(f"airlock {client.name} has no {direction} direction")
    if args.amend:
        item = client.item(args.amend)
        if item["status"] != runtime.CHANGES_REQUESTED:
            raise AirlockCommandError(f"request {args.amend} is {item['status']}: only a request with changes "
                                      "requested can be amended")
        if item["requester"]["session"] != me.session:
            raise AirlockCommandError(f"request {args.amend} was submitted by {item['requester']['session']}, not you")
        request_id, direction = args.amend, item["direction"]
    else:
        request_id = new_request_id()
    bucket = client.settings["staging"][direction]
    uploaded = []
    for entry in files:
        key = f"{runtime.request_prefix(request_id)}{entry.path.name}"
        version = upload(client.client("s3"), entry.path, bucket, key, progress)
        uploaded.append({"key": key, "version_id": version, "description": entry.description.strip(),
                         "disclosure_control": entry.disclosure_control.strip()})
    payload: dict[str, Any] = {"action": "amend" if args.amend else "submit", "request_id": request_id,
                               "direction": direction, "files": uploaded}
    result = client.invoke("submit", payload)
    print(f"{request_id}: {result.get('status', 'submitted')} ({len(uploaded)} file(s), {direction}); reviewers are "
          "notified once every file's malware scan is clean", file=out)
    return EXIT_OK


def new_request_id(today: datetime.date | None = None) -> str:
    today = today or datetime.datetime.now(datetime.UTC).date()
    return f"r-{today.strftime('%Y%m%d')}-{uuid.uuid4().hex[:8]}"


class _Progress:
    """Upload progress on standard error: a rewritten line on a terminal, every 10% otherwise."""

    def __init__(self, name: str, size: int, stream: TextIO) -> None:
        self.name, self.size, self.stream, self.done, self.shown = name, size, stream, 0, -1
        self.terminal = bool(getattr(stream, "isatty", lambda: False)())

    def __call__(self, count: int) -> None:
        self.done += count
        percent = 100 if self.size == 0 else min(100, self.done * 100 // self.size)
        if self.terminal:
            end = "\n" if percent == 100 else ""
            print(f"\r{self.name}: {percent:3d}% of {_size(self.size)}", end=end, file=self.stream, flush=True)
        elif percent // 10 > self.shown:
            self.shown = percent // 10
            print(f"{self.name}: {percent}% of {_size(self.size)}", file=self.stream, flush=True)


def _size(count: int) -> str:
    value = float(count)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{count} bytes"


class _Reading:
    """A file read through ``progress``."""

    def __init__(self, handle: BinaryIO, progress: _Progress, limit: int | None = None) -> None:
        self.handle, self.progress, self.left = handle, progress, limit

    def read(self, size: int = -1) -> bytes:
        if self.left is not None:
            size = self.left if size < 0 else min(size, self.left)
        data = self.handle.read(size)
        if self.left is not None:
            self.left -= len(data)
        self.progress(len(data))
        return data


def upload(s3: Any, path: Path, bucket: str, key: str, stream: TextIO, part_size: int = PART_SIZE) -> str:
    """Upload ``path`` with progress and return the version id S3 gave it (the version the request names). No
    encryption headers: the staging bucket's default key applies, and its policy refuses any other."""
    size = path.stat().st_size
    progress = _Progress(path.name, size, stream)
    with path.open("rb") as handle:
        if size <= part_size:
            body = _Reading(handle, progress).read()
            return str(s3.put_object(Bucket=bucket, Key=key, Body=body).get("VersionId", ""))
        upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
        try:
            parts = []
            for number in range(1, -(-size // part_size) + 1):
                body = _Reading(handle, progress, part_size).read()
                part = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=body)
                parts.append({"PartNumber": number, "ETag": part["ETag"]})
            done = s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id,
                                                MultipartUpload={"Parts": parts})
        except BaseException:
            s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
            raise
    return str(done.get("VersionId", ""))


# ---------------------------------------------------------------------------------------------- list and show

def _list(client: AirlockClient, args: argparse.Namespace, out: TextIO, progress: TextIO) -> int:
    table = client.session.resource("dynamodb").Table(client.settings["table"])
    items: list[Mapping[str, Any]] = []
    arguments: dict[str, Any] = {}
    while True:
        page = table.scan(**arguments)
        items += page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            break
        arguments["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    chosen = [i for i in items if (args.status is None or i.get("status") == args.status.upper())
              and (args.direction is None or i.get("direction") == args.direction)]
    chosen.sort(key=lambda i: str(i.get("created_at", "")), reverse=True)
    if not chosen:
        print("no requests", file=out)
        return EXIT_OK
    rows = [("REQUEST", "DIRECTION", "STATUS", "REQUESTER", "FILES", "UPDATED")]
    rows += [(str(i["request_id"]), str(i.get("direction", "")), str(i.get("status", "")),
              str((i.get("requester") or {}).get("session", "")), str(len(i.get("files") or [])),
              str(i.get("updated_at", ""))) for i in chosen]
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip(), file=out)
    return EXIT_OK


def describe(item: Mapping[str, Any]) -> list[str]:
    """A request in lines: who, what (each file with its statements, scan and decision), reviews, history."""
    prefix = runtime.request_prefix(str(item["request_id"]))
    lines = [f"request {item['request_id']} ({item.get('direction')}): {item.get('status')}",
             f"  requested by {item['requester']['session']} ({item['requester']['role']}) at {item.get('created_at')}",
             f"  reviewers required: {item.get('reviewers_required', 1)}", "  files:"]
    for entry in item.get("files") or []:
        lines.append(f"    {str(entry['key'])[len(prefix):]}  {entry.get('size', 0)} bytes  scan {entry.get('scan')}"
                     f"  decision {entry.get('decision') or '-'}")
        lines.append(f"      what it is: {entry.get('description')}")
        lines.append(f"      disclosure control: {entry.get('disclosure_control')}")
    reviews = item.get("reviews") or []
    lines.append("  reviews:" if reviews else "  reviews: none yet")
    for review in reviews:
        rejected = [str(k)[len(prefix):] for k, v in (review.get("files") or {}).items() if v != runtime.APPROVE]
        lines.append(f"    {review['by']['session']} ({review['by']['role']}) {review['decision']} at {review['at']}"
                     + (f"; rejected {', '.join(rejected)}" if rejected and review["decision"] == runtime.APPROVE
                        else "") + (f": {review['comment']}" if review.get("comment") else ""))
    lines.append("  history:")
    lines += [f"    {h['at']}  {h['step']}  {h['status']}  by {h['by']}" + (f"  ({h['detail']})" if h.get("detail")
                                                                             else "")
              for h in item.get("history") or []]
    for released in item.get("released") or []:
        lines.append(f"  released: s3://{released['bucket']}/{released['key']}")
    return lines


def _show(client: AirlockClient, args: argparse.Namespace, out: TextIO, progress: TextIO) -> int:
    item = client.item(args.request_id)
    print("\n".join(describe(item)), file=out)
    if args.download is not None:
        unclean = [f["key"] for f in item["files"] if f.get("scan") != runtime.SCAN_CLEAN]
        if unclean:
            raise AirlockCommandError(f"request {args.request_id} is not scanned clean yet ({len(unclean)} file(s)); "
                                      "files are readable once their malware scan found no threats")
        args.download.mkdir(parents=True, exist_ok=True)
        bucket = client.settings["staging"][item["direction"]]
        s3 = client.client("s3")
        prefix = runtime.request_prefix(args.request_id)
        for entry in item["files"]:
            target = args.download / str(entry["key"])[len(prefix):]
            s3.download_file(bucket, entry["key"], str(target), ExtraArgs={"VersionId": entry["version_id"]})
            print(f"downloaded {target}", file=progress)
    return EXIT_OK


# ---------------------------------------------------------------------------------------------- decisions

def _reviewable(client: AirlockClient, request_id: str) -> tuple[dict[str, Any], runtime.Caller]:
    """The request and the reviewer, after every check the command can make itself."""
    me = client.me()
    reviewers = {r["role"]: r for r in client.settings.get("reviewers", [])}
    reviewer = reviewers.get(me.role)
    if reviewer is None:
        raise AirlockCommandError(f"not a reviewer: your role {me.role} is not a reviewer role of airlock "
                                  f"{client.name}")
    if datetime.date.fromisoformat(reviewer["ends"]) <= datetime.datetime.now(datetime.UTC).date():
        raise AirlockCommandError(f"expired approval: your reviewer approval {reviewer.get('approval', '')} ended on "
                                  f"{reviewer['ends']}")
    item = client.item(request_id)
    if item["status"] in (runtime.SUBMITTED, runtime.SCANNING):
        raise AirlockCommandError(f"request {request_id} is {item['status']}: not scanned yet; review it once every "
                                  "file's malware scan found no threats")
    if item["status"] != runtime.AWAITING_REVIEW:
        raise AirlockCommandError(f"request {request_id} is {item['status']}: it is not awaiting review")
    if item["requester"]["session"] == me.session:
        raise AirlockCommandError(f"own request: you ({me.session}) submitted {request_id}; a different person must "
                                  "review it")
    if any(r["by"]["session"] == me.session for r in item.get("reviews") or []):
        raise AirlockCommandError(f"you ({me.session}) have already reviewed {request_id}; a second reviewer must be "
                                  "a different person")
    return item, me


def _approve(client: AirlockClient, args: argparse.Namespace, out: TextIO, progress: TextIO) -> int:
    item, _ = _reviewable(client, args.request_id)
    prefix = runtime.request_prefix(args.request_id)
    names = {str(f["key"])[len(prefix):]: str(f["key"]) for f in item["files"]}
    unknown = [name for name in args.reject_file if name not in names]
    if unknown:
        raise AirlockCommandError(f"--reject-file {', '.join(unknown)}: not in request {args.request_id} (its files: "
                                  f"{', '.join(sorted(names))})")
    files = {key: runtime.REJECT if name in args.reject_file else runtime.APPROVE for name, key in names.items()}
    result = client.invoke("decide", {"request_id": args.request_id, "decision": runtime.APPROVE, "files": files,
                                      "comment": args.comment})
    print(f"{args.request_id}: {result['status']}" + (f" ({result['detail']})" if result.get("detail") else ""),
          file=out)
    return EXIT_OK


def _reject(client: AirlockClient, args: argparse.Namespace, out: TextIO, progress: TextIO) -> int:
    _reviewable(client, args.request_id)
    if not args.reason.strip():
        raise AirlockCommandError("--reason: say why, for the requester and the record")
    decision = runtime.CHANGES if args.changes else runtime.REJECT
    result = client.invoke("decide", {"request_id": args.request_id, "decision": decision, "comment": args.reason})
    print(f"{args.request_id}: {result['status']}", file=out)
    return EXIT_OK
