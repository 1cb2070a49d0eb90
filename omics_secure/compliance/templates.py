"""Judge plain CloudFormation templates (read by :mod:`omics_secure.inputs.templates`) with the project's pack."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from omics_secure.compliance.engine import Finding, evaluate_stacks
from omics_secure.compliance.model import Pack, Status
from omics_secure.inputs.assembly import StackArtifact
from omics_secure.inputs.templates import load_templates
from omics_secure.reporting.validation_report import PackResult, ReportedFinding

# The exit codes of the check (issue 12's contract): 0 every pack passed, 1 an unacknowledged finding,
# 2 the check could not be made (a template that does not load, a rule that failed).
EXIT_PASSED, EXIT_FINDINGS, EXIT_NOT_CHECKED = 0, 1, 2


@dataclass(frozen=True)
class TemplateCheck:
    """The outcome of judging templates: the pack's result, the stacks, and the exit code."""

    result: PackResult
    stacks: tuple[StackArtifact, ...]
    findings: tuple[Finding, ...]

    @property
    def rule_errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.status is Status.ERROR)

    @property
    def exit_code(self) -> int:
        if self.rule_errors:
            return EXIT_NOT_CHECKED
        return EXIT_FINDINGS if self.result.open_findings else EXIT_PASSED


def pack_result(pack: Pack, findings: Sequence[Finding]) -> PackResult:
    """Findings as a pack result: non-compliant verdicts open, cannot-judge ones warnings, a rule that failed
    on a resource an error (the check is incomplete)."""
    reported = [
        ReportedFinding(
            pack=f.pack, rule_id=f.rule_id, description=f.message, severity=f.severity,
            construct_path=f.construct_path,
            acknowledged_id=f.acknowledgment.id if f.acknowledgment else None,
            reason=f.acknowledgment.reason if f.acknowledgment else None,
            is_error=f.status is Status.ERROR,
        )
        for f in findings
    ]
    return PackResult(
        name=pack.name,
        open_findings=tuple(f for f in reported if not f.acknowledged and not f.is_error and f.severity != "warning"),
        acknowledged_findings=tuple(f for f in reported if f.acknowledged),
        warnings=tuple(f for f in reported if not f.acknowledged and f.severity == "warning"),
        errors=tuple(f for f in reported if not f.acknowledged and f.is_error),
    )


def check_templates(pack: Pack, paths: Iterable[str | Path], parameters: Mapping[str, str] | None = None
                    ) -> TemplateCheck:
    """Judge every template in ``paths`` (and the local templates nested in them) with ``pack``; raises
    TemplateError for one that does not load."""
    stacks = tuple(load_templates(paths, parameters))
    findings = tuple(evaluate_stacks(pack, stacks))
    return TemplateCheck(result=pack_result(pack, findings), stacks=stacks, findings=findings)
