"""The ``omics-secure`` command: check a CDK app against every pack, report on it, or verify what is deployed."""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from omics_secure._internal.node_runtime import silence_end_of_life_banner
from omics_secure.compliance.assembly import StackArtifact, read_assembly
from omics_secure.compliance.bootstrap import PACKS_FILE
from omics_secure.compliance.datasheet import build_datasheet, render_html, render_markdown
from omics_secure.compliance.engine import evaluate_stacks
from omics_secure.compliance.packs import OMICS_SECURE_PACK
from omics_secure.compliance.report import PackResult, ReportedFinding, read_validation_report
from omics_secure.compliance.reports import write_reports

EXPECTED_PACKS = ("HIPAA.Security", "NIST.800.53.R5", "AwsSolutions", OMICS_SECURE_PACK.name)


class CheckError(Exception):
    """A problem that stops the check before any pack ran; printed as one line."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="omics-secure", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser(
        "check", help="synthesize a CDK app and run every compliance pack over it",
        description="Synthesize a CDK app (default: the one cdk.json in the current directory names), "
                    "run cdk-nag's HIPAA.Security, NIST.800.53.R5 and AwsSolutions packs and the "
                    "OmicsSecure pack, and exit 1 if any finding is unacknowledged.")
    _add_app_source(check)
    check.add_argument("--report-dir", type=Path,
                       help="where to write the JUnit, SARIF and Markdown reports (default: the assembly directory)")
    report = commands.add_parser(
        "report", help="write the data-protection summary of a CDK app",
        description="Synthesize a CDK app (or read --assembly) and write the data-protection summary a Data "
                    "Access Committee, an IRB or a HIPAA security officer reads: where the data lives, how it "
                    "is encrypted, who can reach it, what is logged, retention, and a control matrix.")
    _add_app_source(report)
    report.add_argument("--format", choices=("markdown", "html"), default="markdown",
                        help="output format (default: markdown)")
    report.add_argument("--file", type=Path, help="write the summary to this file instead of standard output")
    _add_verify_parser(commands)
    args = parser.parse_args(argv)
    try:
        if args.command == "verify":
            return _verify(args, out=sys.stdout)
        if args.command == "report":
            return _report(args, out=sys.stdout, progress=sys.stderr)
        return _check(args, out=sys.stdout, progress=sys.stderr)
    except CheckError as error:
        print(f"omics-secure: error: {error}", file=sys.stderr)
        return 2


def _add_app_source(command: argparse.ArgumentParser) -> None:
    """--app or --assembly, and --output: where the synthesized app comes from."""
    source = command.add_mutually_exclusive_group()
    source.add_argument("--app", help="the command that runs the CDK app (default: cdk.json's 'app')")
    source.add_argument("--assembly", type=Path, help="read an already synthesized cloud assembly directory")
    command.add_argument("--output", type=Path, default=Path("cdk.out"),
                         help="where to write the synthesized assembly (default: cdk.out)")


def _add_verify_parser(commands: Any) -> None:
    verify = commands.add_parser(
        "verify", help="check deployed resources, live, against the controls the constructs promise",
        description="Read a deployed stack's resources through CloudFormation (--stack) or named resources, "
                    "with read-only AWS calls, and check what is running against the controls the constructs "
                    "promise: bucket versioning, object lock, encryption and bucket keys, public access, "
                    "ownership, TLS, replication and logging; key rotation and policy; trail logging, "
                    "validation, encryption and data events; VPC flow logs, gateways and endpoints; "
                    "HealthOmics stores and HealthLake datastores on customer-managed keys. Uses the standard "
                    "AWS configuration (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL ...). Exits 1 if any check fails.")
    for flag, help_text in (
            ("--stack", "a deployed CloudFormation stack whose supported resources to verify"),
            ("--bucket", "an S3 bucket name"), ("--key", "a KMS key id, ARN or alias"),
            ("--trail", "a CloudTrail trail name or ARN"), ("--vpc", "a VPC id"),
            ("--sequence-store", "a HealthOmics sequence store id or ARN"),
            ("--reference-store", "a HealthOmics reference store id or ARN"),
            ("--datastore", "a HealthLake data store id or ARN")):
        verify.add_argument(flag, action="append", default=[], metavar="NAME", help=f"{help_text} (repeatable)")
    verify.add_argument("--profile", help="the AWS profile to use (default: AWS_PROFILE or the default profile)")
    verify.add_argument("--region", help="the AWS region (default: AWS_REGION / AWS_DEFAULT_REGION or the profile's)")
    verify.add_argument("--report-dir", type=Path, default=Path("verify-reports"),
                        help="where to write the JUnit, SARIF and Markdown reports (default: verify-reports)")


def _verify(args: argparse.Namespace, *, out: TextIO) -> int:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    from omics_secure.verify.aws import AwsReader, VerifyError
    from omics_secure.verify.runner import Selection, render_summary, verify, write_verify_reports

    selection = Selection(stacks=args.stack, buckets=args.bucket, keys=args.key, trails=args.trail, vpcs=args.vpc,
                          sequence_stores=args.sequence_store, reference_stores=args.reference_store,
                          datastores=args.datastore)
    try:
        # boto3 reads AWS_DEFAULT_REGION only; AWS_REGION is what the AWS SDKs and CLI v2 read, so honour both.
        region = args.region or os.environ.get("AWS_REGION") or None
        session = boto3.Session(profile_name=args.profile, region_name=region)
        if session.region_name is None:
            raise VerifyError("no AWS region: pass --region or set AWS_DEFAULT_REGION (or AWS_REGION)")
        results = verify(AwsReader(session), selection)
    except VerifyError as error:
        raise CheckError(str(error)) from error
    except (BotoCoreError, ClientError) as error:
        raise CheckError(" ".join(str(error).split())) from error
    print(render_summary(results), file=out)
    written = write_verify_reports(results, args.report_dir)
    print(f"reports: {', '.join(str(path) for path in written)}", file=out)
    return 1 if any(r.failed for r in results) else 0


def _assembly(args: argparse.Namespace, progress: TextIO) -> Path:
    if args.assembly is None:
        return _synthesize(args.app, args.output, progress)
    assembly_dir: Path = args.assembly
    if not (assembly_dir / "manifest.json").is_file():
        raise CheckError(f"{assembly_dir} is not a cloud assembly (no manifest.json); run 'cdk synth' first")
    return assembly_dir


def _report(args: argparse.Namespace, *, out: TextIO, progress: TextIO) -> int:
    sections = build_datasheet(_assembly(args, progress))
    text = render_html(sections) if args.format == "html" else render_markdown(sections)
    if args.file is None:
        print(text, file=out)
    else:
        args.file.parent.mkdir(parents=True, exist_ok=True)
        args.file.write_text(text + "\n", encoding="utf-8")
        print(f"omics-secure: data-protection summary written to {args.file}", file=progress)
    return 0


def _check(args: argparse.Namespace, *, out: TextIO, progress: TextIO) -> int:
    assembly_dir = _assembly(args, progress)
    packs = _with_clean_packs(read_validation_report(assembly_dir), assembly_dir)
    packs = _with_project_pack(packs, assembly_dir)
    stacks = read_assembly(assembly_dir)
    print(render_summary(packs, stacks), file=out)
    missing = [name for name in EXPECTED_PACKS if name not in {p.name for p in packs}]
    if missing:
        print(f"note: the app did not register {', '.join(missing)}; add "
              "omics_secure.compliance.add_compliance_packs(app) to run them", file=out)
    written = write_reports(packs, stacks, args.report_dir or assembly_dir)
    print(f"reports: {', '.join(str(path) for path in written)}", file=out)
    return 0 if all(p.passed for p in packs) and not missing else 1


def _synthesize(app_command: str | None, output: Path, progress: TextIO) -> Path:
    cdk_json = _read_cdk_json(Path("cdk.json"))
    command = app_command or cdk_json.get("app")
    if not isinstance(command, str) or not command:
        raise CheckError("no CDK app to check: pass --app 'python3 app.py' or run where cdk.json names one")
    configured_context = cdk_json.get("context")
    context = dict(configured_context) if isinstance(configured_context, dict) else {}
    context.update(_read_cdk_json(Path("cdk.context.json")))
    output.mkdir(parents=True, exist_ok=True)
    silence_end_of_life_banner()
    environment = dict(os.environ, CDK_OUTDIR=str(output.resolve()), CDK_CONTEXT_JSON=json.dumps(context))
    for stale in ("validation-report.json", PACKS_FILE):
        (output / stale).unlink(missing_ok=True)
    print(f"omics-secure: synthesizing '{command}' into {output} ...", file=progress, flush=True)
    with tempfile.TemporaryFile(mode="w+") as captured:
        completed = subprocess.run(_argv(command), env=environment, stdout=captured,
                                   stderr=subprocess.STDOUT, check=False)
        captured.seek(0)
        log = captured.read()
    if not (output / "manifest.json").is_file() or (
            completed.returncode != 0 and not (output / "validation-report.json").is_file()):
        last_lines = " | ".join(line for line in log.strip().splitlines()[-3:])
        raise CheckError(f"'{command}' failed with exit code {completed.returncode}: {last_lines}")
    return output


def _argv(command: str) -> list[str]:
    """The app command's argv. A Python app runs under this interpreter (and its venv) through the
    bootstrap that registers every pack on it; any other command runs as it is."""
    argv = shlex.split(command)
    if len(argv) >= 2 and argv[0] in ("python", "python3") and argv[1].endswith(".py"):
        return [sys.executable, "-m", "omics_secure.compliance.bootstrap", *argv[1:]]
    return argv


def _with_clean_packs(packs: list[PackResult], assembly_dir: Path) -> list[PackResult]:
    """Add the packs that ran and found nothing, which CDK's validation report leaves out."""
    packs_file = assembly_dir / PACKS_FILE
    ran = json.loads(packs_file.read_text(encoding="utf-8")) if packs_file.is_file() else []
    reported = {p.name for p in packs}
    return [*packs, *(PackResult(name=n, open_findings=(), acknowledged_findings=()) for n in ran
                      if n not in reported)]


def _read_cdk_json(path: Path) -> dict[str, object]:
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise CheckError(f"{path} is not valid JSON: {error}") from error
    return data if isinstance(data, dict) else {}


def _with_project_pack(packs: list[PackResult], assembly_dir: Path) -> list[PackResult]:
    """Add the OmicsSecure pack's result from the assembly when the app did not register the pack."""
    if any(p.name == OMICS_SECURE_PACK.name for p in packs):
        return packs
    findings = evaluate_stacks(OMICS_SECURE_PACK, read_assembly(assembly_dir))
    reported = [
        ReportedFinding(
            pack=f.pack, rule_id=f.rule_id, description=f.message, severity="error",
            construct_path=f.construct_path,
            acknowledged_id=f.acknowledgment.id if f.acknowledgment else None,
            reason=f.acknowledgment.reason if f.acknowledgment else None,
        )
        for f in findings
    ]
    return [*packs, PackResult(
        name=OMICS_SECURE_PACK.name,
        open_findings=tuple(f for f in reported if not f.acknowledged),
        acknowledged_findings=tuple(f for f in reported if f.acknowledged),
    )]


def render_summary(packs: Sequence[PackResult], stacks: Sequence[StackArtifact]) -> str:
    """A short summary: a line per pack, then every open finding and every acknowledgment with its reason."""
    resource_count = sum(len(stack.resources) for stack in stacks)
    lines = [f"omics-secure check: {len(stacks)} stack(s), {resource_count} resource(s), {len(packs)} pack(s)"]
    width = max((len(p.name) for p in packs), default=10)
    for pack in packs:
        verdict = "PASS" if pack.passed else "FAIL"
        warning_count = f", {len(pack.warnings)} warning(s)" if pack.warnings else ""
        lines.append(f"  {verdict}  {pack.name:<{width}}  {len(pack.open_findings)} open, "
                     f"{len(pack.acknowledged_findings)} acknowledged{warning_count}")
    open_findings = [f for p in packs for f in p.open_findings]
    if open_findings:
        lines.append("")
        lines.append("Unacknowledged findings:")
        lines.extend(f"  {f.rule_id}\n    at {f.construct_path}\n    {f.description}" for f in open_findings)
    warnings = [f for p in packs for f in p.warnings]
    if warnings:
        lines.append("")
        lines.append("Warnings (do not fail the check):")
        lines.extend(f"  {f.rule_id}\n    at {f.construct_path}\n    {f.description}" for f in warnings)
    acknowledged = [f for p in packs for f in p.acknowledged_findings]
    if acknowledged:
        lines.append("")
        lines.append("Acknowledged findings:")
        lines.extend(f"  {f.rule_id} at {f.construct_path}\n    reason: {f.reason}" for f in acknowledged)
    lines.append("")
    total = len(open_findings)
    lines.append(f"Result: {'PASS' if total == 0 else 'FAIL'} - {total} unacknowledged finding(s), "
                 f"{len(acknowledged)} acknowledged")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
