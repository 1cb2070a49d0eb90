"""Judge plain CloudFormation templates (read by :mod:`omics_secure.inputs.templates`) with the project's pack."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from omics_secure.compliance.engine import Finding, evaluate_stacks
from omics_secure.compliance.model import Pack, Status
from omics_secure.inputs.assembly import StackArtifact
from omics_secure.inputs.templates import TemplateError, load_template
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
    """Findings as a pack result: non-compliant and error verdicts open, cannot-judge ones warnings."""
    reported = [
        ReportedFinding(
            pack=f.pack, rule_id=f.rule_id, description=f.message, severity=f.severity,
            construct_path=f.construct_path,
            acknowledged_id=f.acknowledgment.id if f.acknowledgment else None,
            reason=f.acknowledgment.reason if f.acknowledgment else None,
        )
        for f in findings
    ]
    return PackResult(
        name=pack.name,
        open_findings=tuple(f for f in reported if not f.acknowledged and f.severity != "warning"),
        acknowledged_findings=tuple(f for f in reported if f.acknowledged),
        warnings=tuple(f for f in reported if not f.acknowledged and f.severity == "warning"),
    )


def check_templates(pack: Pack, paths: Iterable[str | Path], parameters: Mapping[str, str] | None = None
                    ) -> TemplateCheck:
    """Judge every template in ``paths`` with ``pack``; raises TemplateError for one that does not load."""
    stacks = tuple(load_template(path, parameters) for path in paths)
    declared = {str(name) for stack in stacks for name in _declared_parameters(stack)}
    unknown = sorted(name for name in (parameters or {}) if name not in declared and not name.startswith("AWS::"))
    if unknown:
        raise TemplateError(f"--parameter {', '.join(unknown)}: no template declares such a parameter "
                            f"(they declare {', '.join(sorted(declared)) or 'none'})")
    findings = tuple(evaluate_stacks(pack, stacks))
    return TemplateCheck(result=pack_result(pack, findings), stacks=stacks, findings=findings)


def _declared_parameters(stack: StackArtifact) -> Mapping[str, object]:
    declared = stack.template.get("Parameters")
    return declared if isinstance(declared, Mapping) else {}
