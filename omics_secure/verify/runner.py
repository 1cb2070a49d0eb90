"""Run verify: collect the live state of the targets, judge it, and report in the formats of ``check``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from omics_secure.reporting.validation_report import PackResult, ReportedFinding
from omics_secure.reporting.writers import write_reports
from omics_secure.verify.aws import AwsReader, VerifyError
from omics_secure.verify.checks import (
    FHIR_DATASTORE,
    KINDS,
    KMS_KEY,
    S3_BUCKET,
    TRAIL,
    VPC,
    CheckResult,
    Rules,
    evaluate,
    live_checks,
)
from omics_secure.verify.collect import REFERENCE_STORE, SEQUENCE_STORE, Target, collect, stack_targets

PACK_PREFIX = "OmicsSecureVerify"
TITLE = "omics-secure verify"


@dataclass(frozen=True)
class Selection:
    """What to verify: whole stacks, and resources named directly."""

    stacks: Sequence[str] = ()
    buckets: Sequence[str] = ()
    keys: Sequence[str] = ()
    trails: Sequence[str] = ()
    vpcs: Sequence[str] = ()
    sequence_stores: Sequence[str] = ()
    reference_stores: Sequence[str] = ()
    datastores: Sequence[str] = ()

    def named(self) -> list[Target]:
        kinds = ((S3_BUCKET, self.buckets), (KMS_KEY, self.keys), (TRAIL, self.trails), (VPC, self.vpcs),
                 (SEQUENCE_STORE, self.sequence_stores), (REFERENCE_STORE, self.reference_stores),
                 (FHIR_DATASTORE, self.datastores))
        return [Target(kind, name) for kind, names in kinds for name in names]


def verify(aws: AwsReader, selection: Selection, *, rules: Rules) -> list[CheckResult]:
    """Every check of every selected resource; a resource named twice (stack and flag) is checked once.

    ``rules`` are the compliance rules' records and judgments the checks reuse; the command passes them in.
    """
    targets = [t for stack in selection.stacks for t in stack_targets(aws, stack)] + selection.named()
    if not targets:
        raise VerifyError("nothing to verify: pass --stack NAME or name resources with --bucket, --key, --trail, --vpc")
    unique: dict[tuple[str, str], Target] = {}
    for target in targets:
        unique.setdefault((target.kind, target.id), target)
    return evaluate(collect(aws, list(unique.values())), live_checks(rules))


def resource_label(result: CheckResult) -> str:
    resource = result.resource
    if resource.logical_id:
        return f"{resource.stack}/{resource.logical_id} ({resource.name})"
    return resource.name


def pack_results(results: Sequence[CheckResult]) -> list[PackResult]:
    """One pack per resource kind, for the JUnit, SARIF and Markdown writers ``check`` uses."""
    packs = []
    for kind in KINDS:
        of_kind = [r for r in results if r.resource.kind == kind]
        if not of_kind:
            continue
        packs.append(PackResult(
            name=f"{PACK_PREFIX}.{kind}",
            open_findings=tuple(_finding(r) for r in of_kind if r.failed),
            acknowledged_findings=(),
            passed_checks=tuple(_finding(r) for r in of_kind if r.passed),
        ))
    return packs


def _finding(result: CheckResult) -> ReportedFinding:
    detail = f" {result.verdict.detail[:1].upper()}{result.verdict.detail[1:]}." if result.verdict.detail else ""
    return ReportedFinding(
        pack=f"{PACK_PREFIX}.{result.resource.kind}",
        rule_id=f"{PACK_PREFIX}-{result.check.id}",
        description=f"{result.check.finding}{detail} Controls: {result.check.controls.summary()}.",
        severity="error",
        construct_path=resource_label(result),
    )


def render_summary(results: Sequence[CheckResult]) -> str:
    """A line per resource kind (resources, checks, failures), then every failed check with its finding."""
    resources = {(r.resource.kind, r.resource.name) for r in results}
    not_applicable = sum(not r.failed and not r.passed for r in results)
    lines = [f"{TITLE}: {len(resources)} resource(s), {len(results) - not_applicable} check(s), "
             f"{not_applicable} not applicable"]
    for kind in KINDS:
        of_kind = [r for r in results if r.resource.kind == kind]
        if not of_kind:
            continue
        failed = sum(r.failed for r in of_kind)
        count = len({r.resource.name for r in of_kind})
        skipped = sum(not r.failed and not r.passed for r in of_kind)
        lines.append(f"  {'FAIL' if failed else 'PASS'}  {kind:<20} {count} resource(s), "
                     f"{len(of_kind) - skipped} check(s), {failed} failed, {skipped} not applicable")
    failures = [r for r in results if r.failed]
    if failures:
        lines += ["", "Failed checks:"]
        lines += [f"  {PACK_PREFIX}-{r.check.id}\n    at {resource_label(r)}\n    {r.verdict.detail}\n"
                  f"    controls: {r.check.controls.summary()}" for r in failures]
    lines += ["", f"Result: {'FAIL' if failures else 'PASS'} - {len(failures)} failed check(s)"]
    return "\n".join(lines)


def write_verify_reports(results: Sequence[CheckResult], report_dir: Path) -> list[Path]:
    """JUnit, SARIF and Markdown as ``check`` writes them; live resources have no template location, so
    SARIF results carry a logical location (stack/logical id and the resource's name or ARN) only."""
    return write_reports(pack_results(results), [], report_dir, title=TITLE,
                         scope=f"{len({r.resource.name for r in results})} resource(s)")
