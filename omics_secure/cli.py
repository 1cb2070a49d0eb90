"""The omics-secure command: check a CDK app against every compliance pack, write its data-protection
summary, or verify what is deployed.

Exit codes, the same for every subcommand: 0 every pack (or live check) that ran passed; 1 at least one
unacknowledged finding, error annotation or failed live check; 2 the check could not be made (bad
arguments, no app, the app failed to synthesize, a missing or malformed assembly, an unwritable output
path, a rule that raised, AWS errors in verify), printed as one line on standard error.
"""

from __future__ import annotations

import argparse
import os
import sys
import textwrap
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, replace
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from omics_secure._internal.acknowledgment_terms import ENDED_WARNING, ENDING_WARNING
from omics_secure._internal.clock import TODAY_VARIABLE, ClockError, pinned_today
from omics_secure.airlock_cli import add_airlock_parser, run_airlock
from omics_secure.cli_acknowledgments import (
    DESCRIPTION as ACKNOWLEDGMENTS_DESCRIPTION,
)
from omics_secure.cli_acknowledgments import (
    acknowledgment_book,
    add_acknowledgments_option,
    add_format_option,
    render_listing,
)
from omics_secure.compliance.bootstrap import PACKS_FILE
from omics_secure.compliance.model import Controls, Rule
from omics_secure.compliance.packs import OMICS_SECURE_PACK
from omics_secure.compliance.replay import ReplayError
from omics_secure.compliance.synthesis import (
    SynthesisError,
    Synthesized,
    check_context,
    parse_context,
    resolve_app_command,
    synthesize,
)
from omics_secure.compliance.unmatched import unmatched_acknowledgments
from omics_secure.inputs.acknowledgments import AcknowledgmentsFileError
from omics_secure.inputs.assembly import AssemblyError, StackArtifact, read_assembly
from omics_secure.inputs.templates import describe_unjudged
from omics_secure.reporting.hints import fix_of, generic_fix
from omics_secure.reporting.terminal import Notice, render_check
from omics_secure.reporting.validation_report import (
    PackResult,
    ReportedFinding,
    ValidationReportError,
    read_validation_report,
)
from omics_secure.reporting.writers import write_reports

if TYPE_CHECKING:
    from omics_secure.compliance.acknowledgments import AcknowledgmentBook
    from omics_secure.compliance.check import CheckOutcome
    from omics_secure.verify.checks import Rules

EXIT_PASS, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
ANNOTATIONS_PACK = "CDK annotations"
EXIT_CODES = """exit codes:
  0  every pack that ran passed
  1  at least one unacknowledged finding (or an error annotation, or a failed live check)
  2  the check could not be made: bad arguments, no app, synthesis failed, a missing or malformed
     assembly, manifest or template, an unwritable report path, a rule that raised; one line on stderr
"""


class CheckError(Exception):
    """A problem that stops the command; printed as one line."""


class _Output:
    """Standard output that goes quiet when its reader closes the pipe (``omics-secure check | head -1``):
    the reports are still written and the exit code still means what it means."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._closed = False

    def write(self, text: str) -> int:
        if not self._closed:
            try:
                self._stream.write(text)
            except BrokenPipeError:
                self._go_quiet()
        return len(text)

    def flush(self) -> None:
        if not self._closed:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._go_quiet()

    def _go_quiet(self) -> None:
        self._closed = True
        try:  # Python flushes stdout again at exit; point it at /dev/null so that flush cannot fail.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self._stream.fileno())
        except (OSError, ValueError):
            pass


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if getattr(args, "debug", False):
        os.environ["OMICS_SECURE_DEBUG"] = "1"  # compliance.engine.DEBUG_VARIABLE: rules raise, not error verdicts
    out = _Output(sys.stdout)
    try:
        if args.command == "airlock":
            return run_airlock(args, out=out)  # type: ignore[arg-type]
        if args.command == "verify":
            return _verify(args, out=out)  # type: ignore[arg-type]
        if args.command == "report":
            return _report(args, out=out, progress=sys.stderr)  # type: ignore[arg-type]
        if args.command == "acknowledgments":
            return _acknowledgments(args, out=out, progress=sys.stderr)  # type: ignore[arg-type]
        if args.command == "access":
            return _access(args, out=out, progress=sys.stderr)  # type: ignore[arg-type]
        return _check(args, out=out, progress=sys.stderr)  # type: ignore[arg-type]
    except (CheckError, SynthesisError, AssemblyError, ValidationReportError, AcknowledgmentsFileError,
            ClockError) as error:
        return _fail(args, str(error))
    except OSError as error:
        where = f" {error.filename}" if error.filename else ""
        return _fail(args, f"cannot use{where}: {error.strerror or error}; check the path and its permissions")
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # a bug of ours must still not greet the user with a traceback
        return _fail(args, f"unexpected {type(error).__name__}: {error}. This is a bug in omics-secure; "
                           "rerun with --debug and report the traceback")
    finally:
        out.flush()


def _fail(args: argparse.Namespace, message: str) -> int:
    if getattr(args, "debug", False):
        traceback.print_exc(file=sys.stderr)
    print(f"omics-secure: error: {message}", file=sys.stderr)
    return EXIT_ERROR


def _wrap(text: str) -> str:
    return textwrap.fill(text, width=100)


def _version() -> str:
    try:
        return metadata.version("omics-secure")
    except metadata.PackageNotFoundError:
        return "unknown (not installed)"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="omics-secure", formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EXIT_CODES,
        description=_wrap("Check a CDK app against cdk-nag's HIPAA.Security, NIST.800.53.R5 and AwsSolutions "
                          "packs and the OmicsSecure pack, write its data-protection summary, or verify what is "
                          "deployed."))
    parser.add_argument("--version", action="version", version=f"omics-secure {_version()}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", help="show the traceback behind an error")
    commands = parser.add_subparsers(dest="command", required=True,
                                     metavar="{check,report,access,acknowledgments,verify,airlock}")
    check = commands.add_parser(
        "check", parents=[common], formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EXIT_CODES,
        help="synthesize a CDK app and run every compliance pack over it",
        description=_wrap("Synthesize a CDK app (default: the app cdk.json in the current directory names), run "
                          "cdk-nag's HIPAA.Security, NIST.800.53.R5 and AwsSolutions packs and the OmicsSecure "
                          "pack over it, print every warning and error annotation the app made, and write JUnit, "
                          "SARIF and Markdown reports. A Python app gets every pack registered whatever "
                          "interpreter path --app names; any other app, or --assembly, is judged by the packs "
                          "that ran in it plus the OmicsSecure pack."))
    _add_app_source(check)
    _add_template_source(check)
    add_acknowledgments_option(check)
    check.add_argument("--report-dir", type=Path, metavar="DIR",
                       help="where to write the JUnit, SARIF and Markdown reports (default: the assembly directory)")
    check.add_argument("--verbose", action="store_true",
                       help="also list every acknowledged finding with its reason and the rule's explanation, "
                            "and the app's info annotations")
    report = commands.add_parser(
        "report", parents=[common], help="write the data-protection summary of a CDK app",
        description="Synthesize a CDK app (or read --assembly) and write the data-protection summary a Data "
                    "Access Committee, an IRB or a HIPAA security officer reads: a plain-language summary, the "
                    "environment drawn (SVG in HTML, Mermaid in Markdown), where the data lives, how it is "
                    "encrypted, who can reach it, what is logged, retention, and a control matrix. "
                    "Its first lines state the verdict of every pack and the number of open findings. Exits as "
                    "check does: 0 when every pack passed, 1 on any open finding (the summary is still written; "
                    "--exit-zero makes it 0), 2 when it cannot be written.")
    _add_app_source(report)
    add_acknowledgments_option(report)
    report.add_argument("--format", choices=("markdown", "html", "oscal"), default="markdown",
                        help="output format (default: markdown); oscal writes NIST OSCAL JSON: the library's "
                             "component definition and the app's assessment results (see --file)")
    report.add_argument("--file", type=Path, metavar="PATH",
                        help="write the summary to this file instead of standard output (with --format oscal: "
                             "the directory to write component-definition.json and assessment-results.json into, or "
                             "a FILE.json to write the assessment results to, with the component definition beside "
                             "it as FILE.component-definition.json)")
    report.add_argument("--exit-zero", action="store_true",
                        help="exit 0 even when there are open findings (as ruff's and flake8's --exit-zero): for a "
                             "job that publishes the summary and leaves the verdict to 'omics-secure check'")
    report.add_argument("--verify-report", type=Path, metavar="FILE",
                        help="with --format oscal: also record the live checks of this omics-secure verify report "
                             "(the omics-secure.junit.xml in verify's --report-dir)")
    from omics_secure.cli_access import add_access_parser

    add_access_parser(commands, common, EXIT_CODES, _add_app_source)
    acknowledgments = commands.add_parser(
        "acknowledgments", parents=[common], help="list every acknowledgment: who accepted which finding, until when",
        description=_wrap(ACKNOWLEDGMENTS_DESCRIPTION))
    _add_app_source(acknowledgments)
    _add_template_source(acknowledgments)
    add_acknowledgments_option(acknowledgments)
    add_format_option(acknowledgments)
    _add_verify_parser(commands, common)
    add_airlock_parser(commands, common)
    return parser


def _add_template_source(command: argparse.ArgumentParser) -> None:
    command.add_argument("--template", action="extend", nargs="+", default=[], metavar="FILE", type=Path,
                         help="judge CloudFormation templates (JSON or YAML, short forms included) instead of an "
                              "app: every pack runs on each, and on the local templates their nested stacks name "
                              "(repeatable; several files may follow one --template)")
    command.add_argument("--parameter", action="append", default=[], metavar="NAME=VALUE",
                         help="a template parameter's value, over its default (repeatable; with --template)")


def _add_app_source(command: argparse.ArgumentParser) -> None:
    """--app or --assembly, and --output: where the synthesized app comes from."""
    source = command.add_mutually_exclusive_group()
    source.add_argument("--app", metavar="CMD",
                        help="the command that runs the CDK app, e.g. 'python3 app.py' (default: cdk.json's app)")
    source.add_argument("--assembly", type=Path, metavar="DIR",
                        help="read an already synthesized cloud assembly directory")
    command.add_argument("--output", type=Path, default=Path("cdk.out"), metavar="DIR",
                         help="where to write the synthesized assembly (default: cdk.out)")
    command.add_argument("--context", "-c", action="append", default=[], metavar="KEY=VALUE",
                         help="a CDK context value for the app, over cdk.json and cdk.context.json, as 'cdk synth "
                              "-c' takes it (repeatable); a value starting with [, { or \" is JSON, e.g. a lookup's "
                              "answer: --context 'availability-zones:account=123456789012:region=us-east-1="
                              "[\"us-east-1a\",\"us-east-1b\"]'")


def _add_verify_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    verify = commands.add_parser(
        "verify", parents=[common], help="check deployed resources, live, against the controls the constructs promise",
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


def verify_rules() -> Rules:
    """The compliance rules' records and live judgments that verify's checks reuse (verify never imports compliance)."""
    from functools import partial

    from omics_secure.compliance import live
    from omics_secure.compliance.rules import access, audit, kms, network, omics, s3
    from omics_secure.verify.checks import Rules

    return Rules(
        phi_bucket_object_lock=s3.PHI_BUCKET_OBJECT_LOCK,
        phi_bucket_kms_encrypted=s3.PHI_BUCKET_KMS_ENCRYPTED,
        bucket_key_enabled=s3.BUCKET_KEY_ENABLED,
        bucket_policy_minimum_tls=s3.BUCKET_POLICY_MINIMUM_TLS,
        replication_kms_objects=s3.REPLICATION_KMS_OBJECTS,
        key_rotation_enabled=kms.KEY_ROTATION_ENABLED,
        grant_service_statements_scoped=kms.GRANT_SERVICE_STATEMENTS_SCOPED,
        key_policy_no_open_principal=kms.KEY_POLICY_NO_OPEN_PRINCIPAL,
        trail_all_regions=audit.TRAIL_ALL_REGIONS,
        trail_log_file_validation=audit.TRAIL_LOG_FILE_VALIDATION,
        trail_kms_encrypted=audit.TRAIL_KMS_ENCRYPTED,
        phi_bucket_data_events=audit.PHI_BUCKET_DATA_EVENTS,
        vpc_flow_logs_all_traffic=network.VPC_FLOW_LOGS_ALL_TRAFFIC,
        isolated_vpc_no_internet_path=network.ISOLATED_VPC_NO_INTERNET_PATH,
        omics_store_customer_managed_key=omics.OMICS_STORE_CUSTOMER_MANAGED_KEY,
        healthlake_datastore_customer_managed_key=omics.HEALTHLAKE_DATASTORE_CUSTOMER_MANAGED_KEY,
        people_role_mfa_and_expiry=access.PEOPLE_ROLE_MFA_AND_EXPIRY,
        kms_algorithms=tuple(s3.KMS_ALGORITHMS),
        minimum_tls_version=s3.MINIMUM_TLS_VERSION,
        tls_floor=s3.tls_floor,
        judge_grant_statements_scoped=partial(live.judge_key_policy, kms.GRANT_SERVICE_STATEMENTS_SCOPED),
        judge_key_policy_no_open_principal=partial(live.judge_key_policy, kms.KEY_POLICY_NO_OPEN_PRINCIPAL),
        judge_phi_bucket_data_events=live.judge_phi_bucket_data_events,
    )


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
        results = verify(AwsReader(session), selection, rules=verify_rules())
    except VerifyError as error:
        raise CheckError(str(error)) from error
    except (BotoCoreError, ClientError) as error:
        raise CheckError(" ".join(str(error).split())) from error
    print(render_summary(results), file=out)
    written = write_verify_reports(results, args.report_dir)
    print(f"reports: {', '.join(str(path) for path in written)}", file=out)
    return 1 if any(r.failed for r in results) else 0


def _assembly(args: argparse.Namespace, progress: TextIO) -> Synthesized:
    """The cloud assembly to judge: the app synthesized (with --context), or --assembly as given."""
    if args.assembly is None:
        resolve_app_command(args.app)  # no app, or an unreadable cdk.json: the error alone, without the progress line
        print(f"omics-secure: synthesizing {args.app or 'the app cdk.json names'} into {args.output} ...",
              file=progress, flush=True)
        return synthesize(args.app, args.output, parse_context(args.context))
    if args.context:
        raise CheckError("--context is for the app's synthesis; an --assembly is already synthesized: leave it out "
                         "or pass --app")
    assembly_dir: Path = args.assembly
    if not assembly_dir.is_dir():
        raise CheckError(f"--assembly {assembly_dir} is not a directory; pass the cloud assembly directory "
                         "'cdk synth' wrote (cdk.out)")
    if not (assembly_dir / "manifest.json").is_file():
        raise CheckError(f"{assembly_dir} is not a cloud assembly (no manifest.json); run 'cdk synth' first")
    return Synthesized(assembly_dir, packs_in_app=False, notes=tuple(check_context(assembly_dir)))


def _report(args: argparse.Namespace, *, out: TextIO, progress: TextIO) -> int:
    from omics_secure.compliance.datasheet import build_datasheet
    from omics_secure.reporting.summary import render_html, render_markdown

    if args.format == "oscal":
        return _report_oscal(args, progress=progress)
    if args.verify_report is not None:
        raise CheckError("--verify-report adds verify's live checks to the OSCAL assessment results; use it with "
                         "--format oscal --file DIR")
    synthesized = _assembly(args, progress)
    _print_notes(synthesized.notes, progress)
    assembly_dir = synthesized.assembly
    judged = _judge(args, _assembly_input(args, synthesized), progress)
    # The app's directory, whose git commit the summary states: where cdk.json is when the command synthesizes,
    # else the directory holding the given cloud assembly (cdk.out sits in the app's directory).
    app_dir = Path.cwd() if args.assembly is None else assembly_dir.resolve().parent
    sections = build_datasheet(assembly_dir, app_dir=app_dir, check=judged.packs)
    verdict = judged.verdict()
    text = (render_html(sections, verdict=verdict) if args.format == "html"
            else render_markdown(sections, verdict=verdict))
    if args.file is None:
        print(text, file=out)
    else:
        try:
            args.file.parent.mkdir(parents=True, exist_ok=True)
            args.file.write_text(text + "\n", encoding="utf-8")
        except OSError as error:
            raise CheckError(f"cannot write --file {args.file} ({error.strerror or error}); pass a writable path") \
                from error
        print(f"omics-secure: data-protection summary written to {args.file}", file=progress)
    return _report_exit(args, judged, progress)


def _report_exit(args: argparse.Namespace, judged: Judgment, progress: TextIO) -> int:
    """report's exit code, as check's: 1 on any open finding (the summary was still written), unless --exit-zero."""
    print(f"omics-secure: {judged.verdict()}", file=progress)
    if not judged.complete:
        raise CheckError(_incomplete_line(judged.packs))
    if judged.failed and not args.exit_zero:
        return EXIT_FINDINGS
    return EXIT_PASS


def _assembly_input(args: argparse.Namespace, synthesized: Synthesized) -> CheckInput:
    assembly_dir = synthesized.assembly
    reported = _with_clean_packs(read_validation_report(assembly_dir), assembly_dir)
    return CheckInput(read_assembly(assembly_dir), reported, "the assembly" if args.assembly is not None else "the app",
                      None, synthesized.notes)


def _report_oscal(args: argparse.Namespace, *, progress: TextIO) -> int:
    """report --format oscal: component-definition.json and assessment-results.json into the --file directory, or,
    when --file names a file (FILE.json, or an existing file), the assessment results to it and the component
    definition beside it."""
    target: Path | None = args.file
    if target is None:
        raise CheckError("--format oscal writes two files; pass --file DIR, the directory to write them into (or "
                         "--file FILE.json for the assessment results, with the component definition beside it)")
    single = target.is_file() or (target.suffix.lower() == ".json" and not target.is_dir())
    verify_report: Path | None = args.verify_report
    if verify_report is not None and not verify_report.is_file():
        raise CheckError(f"--verify-report {verify_report} is not a file; pass the omics-secure.junit.xml that "
                         "omics-secure verify wrote into its --report-dir")
    from omics_secure.compliance.assessment import check_results
    from omics_secure.compliance.components import CONSTRUCT_CONTROLS
    from omics_secure.reporting.oscal import (
        VerifyReportError,
        assessment_results,
        component_definition,
        read_verify_junit,
        write_oscal,
        write_oscal_file,
    )

    synthesized = _assembly(args, progress)
    _print_notes(synthesized.notes, progress)
    assembly_dir = synthesized.assembly
    stacks = read_assembly(assembly_dir)
    judged = _judge(args, _assembly_input(args, synthesized), progress, announce=False)
    results = check_results(assembly_dir, packs=judged.packs, book=judged.book)
    if verify_report is not None:
        try:
            results += read_verify_junit(verify_report, _verify_controls())
        except VerifyReportError as error:
            raise CheckError(str(error)) from error
    version = _version()
    component = component_definition(CONSTRUCT_CONTROLS, version=version)
    title = f"omics-secure check of {', '.join(s.name for s in stacks) or 'an empty app'}"
    description = (f"The compliance packs' results on {len(stacks)} stack(s) of {assembly_dir}"
                   + (f", and omics-secure verify's live checks from {verify_report}" if verify_report else "")
                   + ". cdk-nag's packs report only their violations, so only the OmicsSecure pack's passing "
                     "resources are observed.")
    assessment = assessment_results(results, title=title, version=version, description=description)
    try:
        written = (write_oscal_file if single else write_oscal)(target, component, assessment)
    except OSError as error:
        raise CheckError(f"cannot write OSCAL into --file {target} ({error.strerror or error}); pass a writable "
                         f"{'path' if single else 'directory'}") from error
    if single:
        print(f"omics-secure: OSCAL assessment results written to {written[0]}; the component definition of "
              f"omics-secure's constructs, the second OSCAL document, beside it in {written[1]}", file=progress)
    else:
        print(f"omics-secure: OSCAL written to {', '.join(str(path) for path in written)}", file=progress)
    return _report_exit(args, judged, progress)


def _verify_controls() -> dict[str, Controls]:
    """verify's check ids as its reports name them, to the controls each check cites."""
    from omics_secure.verify.checks import live_checks
    from omics_secure.verify.runner import PACK_PREFIX

    return {f"{PACK_PREFIX}-{check.id}": check.controls for check in live_checks(verify_rules())}


def _access(args: argparse.Namespace, *, out: TextIO, progress: TextIO) -> int:
    """access: the policy evaluator's listing of an app, an assembly or templates (omics_secure/cli_access.py)."""
    from omics_secure.cli_access import baseline_stacks, run_access
    from omics_secure.inputs.templates import TemplateError, load_templates, parse_parameters

    try:
        parameters = parse_parameters(args.parameter)
        if args.template:
            if args.app or args.assembly:
                raise CheckError("--template reads template files; leave out --app and --assembly")
            stacks = load_templates(args.template, parameters)
        elif args.parameter:
            raise CheckError("--parameter sets a template parameter; use it with --template FILE")
        else:
            synthesized = _assembly(args, progress)
            _print_notes(synthesized.notes, progress)
            stacks = read_assembly(synthesized.assembly)
        if args.baseline is not None and not args.baseline.exists():
            raise CheckError(f"--baseline {args.baseline} does not exist; pass the base branch's cloud assembly "
                             "directory (cdk.out) or template file")
        return run_access(args, stacks, lambda path: baseline_stacks(path, parameters), out)
    except TemplateError as error:
        raise CheckError(str(error)) from error


def _check(args: argparse.Namespace, *, out: TextIO, progress: TextIO) -> int:
    given = _check_input(args, progress)
    stacks, report_dir = given.stacks, given.report_dir
    judged = _judge(args, given, progress)
    packs = judged.packs
    rules = {OMICS_SECURE_PACK.qualified_id(rule): rule for rule in OMICS_SECURE_PACK.rules}
    clock = [f"acknowledgments judged as of {judged.book.today.isoformat()} ({TODAY_VARIABLE} is set), not today"
             ] if pinned_today() else []
    lines = render_check(
        packs, stack_count=len(stacks), resource_count=sum(len(s.resources) for s in stacks), notices=judged.notices,
        fix_for=lambda finding: _fix(finding, rules), explain=lambda finding: _explain(finding, rules),
        verbose=args.verbose, notes=[*judged.notes, *clock], inputs=[s.name for s in stacks],
        accept_in_file=bool(args.template))
    print("\n".join([*lines, *describe_unjudged(stacks)]), file=out)
    if report_dir is not None:
        written = _write_reports([*packs, *_annotation_pack(judged.annotations)], stacks, report_dir)
        print(f"reports: {', '.join(str(path) for path in written)}", file=out)
    else:
        print("reports: not written (templates have no assembly directory to hold them); pass --report-dir DIR to "
              "write the JUnit, SARIF and Markdown reports there", file=out)
    if not judged.complete:
        raise CheckError(_incomplete_line(packs))
    return EXIT_FINDINGS if judged.failed else EXIT_PASS


@dataclass(frozen=True)
class Judgment:
    """Every pack's result on the input with its acknowledgments decided from ``book``, the app's annotations
    (cdk-nag 2's repeats of a finding and acknowledge()'s own warnings about ending acknowledgments left out),
    the notices shown with them (annotations, the book's warnings and unmatched acknowledgments) and the notes
    for the reader."""

    outcome: CheckOutcome
    book: AcknowledgmentBook
    annotations: list[Notice]
    notices: list[Notice]
    notes: tuple[str, ...]

    @property
    def packs(self) -> list[PackResult]:
        return list(self.outcome.packs)

    @property
    def complete(self) -> bool:
        return self.outcome.complete

    @property
    def open_count(self) -> int:
        """Unacknowledged findings and error annotations: what fails the check."""
        return (sum(len(p.open_findings) for p in self.outcome.packs)
                + sum(1 for notice in self.notices if notice.level == "error"))

    @property
    def failed(self) -> bool:
        return any(not p.passed for p in self.outcome.packs) or self.open_count > 0

    def verdict(self) -> str:
        """One line: the result, the open findings and the acknowledged ones, as the check's summary ends."""
        acknowledged = sum(len(p.acknowledged_findings) for p in self.outcome.packs)
        result = "INCOMPLETE" if not self.complete else "FAIL" if self.failed else "PASS"
        return (f"Result: {result} - {_count(self.open_count, 'open finding')} (unacknowledged findings and error "
                f"annotations; 'omics-secure check' lists each with its fix), {acknowledged} acknowledged, by "
                f"{', '.join(p.name for p in self.outcome.packs)}")


def _judge(args: argparse.Namespace, given: CheckInput, progress: TextIO, *, announce: bool = True) -> Judgment:
    """Run every pack on the input (those the app did not run), decide its acknowledgments from the input's own
    and its acknowledgments file (``args``), and gather what the summary shows; ``announce`` tells ``progress``
    what is judged."""
    from omics_secure.compliance.check import repeats_a_finding, run_check

    stacks = given.stacks
    book = acknowledgment_book(args, stacks, progress)
    if announce:
        print(f"omics-secure: judging {_count(len(stacks), 'stack')} of {given.source} ...", file=progress,
              flush=True)
    try:
        outcome = run_check(stacks, given.reported, source=given.source, pack=OMICS_SECURE_PACK, book=book)
    except ReplayError as error:
        raise CheckError(str(error)) from error
    packs = list(outcome.packs)
    # acknowledge()'s own synthesis warnings about ending acknowledgments: the check says the same, judged today.
    annotations = [Notice(a.level, a.construct_path, a.message) for s in stacks for a in s.annotations
                   if not repeats_a_finding(a, packs)
                   and not a.message.endswith((f"[ack: {ENDED_WARNING}]", f"[ack: {ENDING_WARNING}]"))]
    notices = [*annotations, *outcome.warnings,
               *(Notice("warning", u.acknowledgment.construct_path, u.problem)
                 for u in unmatched_acknowledgments(stacks, packs))]
    return Judgment(outcome, book, annotations, notices, (*given.notes, *outcome.notes))


@dataclass(frozen=True)
class CheckInput:
    """The stacks to judge, the packs' results the app reported, what the input is (for the summary's notes),
    where the reports go, and what synthesis noted."""

    stacks: list[StackArtifact]
    reported: list[PackResult]
    source: str
    report_dir: Path | None
    notes: tuple[str, ...] = ()


def _check_input(args: argparse.Namespace, progress: TextIO) -> CheckInput:
    from omics_secure.inputs.templates import TemplateError, load_templates, parse_parameters

    if args.template:
        if args.app or args.assembly:
            raise CheckError("--template judges template files; leave out --app and --assembly")
        try:
            stacks = load_templates(args.template, parse_parameters(args.parameter))
        except TemplateError as error:
            raise CheckError(str(error)) from error
        return CheckInput(stacks, [], "the templates", getattr(args, "report_dir", None))
    if args.parameter:
        raise CheckError("--parameter sets a template parameter; use it with --template FILE")
    synthesized = _assembly(args, progress)
    return replace(_assembly_input(args, synthesized),
                   report_dir=getattr(args, "report_dir", None) or synthesized.assembly)


def _print_notes(notes: Sequence[str], stream: TextIO) -> None:
    for note in notes:
        print(f"omics-secure: note: {note}", file=stream)


def _acknowledgments(args: argparse.Namespace, *, out: TextIO, progress: TextIO) -> int:
    """omics-secure acknowledgments: the packs run as in check, then every acknowledgment is listed."""
    judged = _judge(args, _check_input(args, progress), progress)
    print(render_listing(judged.outcome, output_format=args.format), file=out)
    return EXIT_PASS


def _incomplete_line(packs: Sequence[PackResult]) -> str:
    """One line for a check some pack could not finish: which pack, on what, and that it fails the check."""
    errors = [f for p in packs for f in p.errors]
    unjudged = [(p.name, c) for p in packs for c in p.coverage if not c.judged]
    parts = []
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more, listed above)" if len(errors) > 1 else ""
        detail = f": {first.description}" if first.pack == OMICS_SECURE_PACK.name else ""
        parts.append(f"{first.rule_id} could not judge {first.construct_path}{detail}{more}")
    if unjudged:
        name, coverage = unjudged[0]
        more = f" (and {len(unjudged) - 1} more, listed above)" if len(unjudged) > 1 else ""
        parts.append(f"{name} could not judge {coverage.input}: {coverage.note}{more}")
    return ("the check is incomplete: " + "; ".join(parts) + ". Rerun with --debug for a rule of "
            "omics-secure's own that raised; acknowledge a cdk-nag rule on a resource once you have checked it by hand")


def _write_reports(packs: list[PackResult], stacks: list[StackArtifact], report_dir: Path) -> list[Path]:
    try:
        return write_reports(packs, stacks, report_dir, version=_version())
    except OSError as error:
        raise CheckError(f"cannot write the reports into {report_dir} ({error.strerror or error}); pass "
                         "--report-dir with a writable directory") from error


def _annotation_pack(notices: Sequence[Notice]) -> list[PackResult]:
    """The app's error and warning annotations, as a pack of their own in the reports."""
    def finding(notice: Notice) -> ReportedFinding:
        return ReportedFinding(pack=ANNOTATIONS_PACK, rule_id=f"aws:cdk:{notice.level}", description=notice.message,
                               severity=notice.level, construct_path=notice.construct_path)
    errors = tuple(finding(n) for n in notices if n.level == "error")
    warnings = tuple(finding(n) for n in notices if n.level == "warning")
    if not errors and not warnings:
        return []
    return [PackResult(name=ANNOTATIONS_PACK, open_findings=errors, acknowledged_findings=(), warnings=warnings)]


def _fix(finding: ReportedFinding, rules: dict[str, Rule]) -> str:
    rule = rules.get(finding.rule_id) if finding.pack == OMICS_SECURE_PACK.name else None
    if rule is not None:
        return rule.fix or rule.explanation
    return fix_of(finding.pack, finding.rule_id, finding.construct_path) or generic_fix(finding.pack, finding.rule_id)


def _explain(finding: ReportedFinding, rules: dict[str, Rule]) -> str:
    rule = rules.get(finding.rule_id) if finding.pack == OMICS_SECURE_PACK.name else None
    return rule.explanation if rule is not None else finding.description


def _with_clean_packs(packs: list[PackResult], assembly_dir: Path) -> list[PackResult]:
    """Add the packs that ran and found nothing, which CDK's validation report leaves out."""
    import json

    packs_file = assembly_dir / PACKS_FILE
    try:
        ran = json.loads(packs_file.read_text(encoding="utf-8")) if packs_file.is_file() else []
    except (OSError, ValueError) as error:
        raise CheckError(f"{packs_file} is not valid JSON; synthesize the app again") from error
    reported = {p.name for p in packs}
    return [*packs, *(PackResult(name=str(n), open_findings=(), acknowledged_findings=())
                      for n in (ran if isinstance(ran, list) else []) if n not in reported)]


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


if __name__ == "__main__":
    sys.exit(main())
