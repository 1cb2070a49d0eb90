"""Judge plain CloudFormation templates (JSON or YAML, short-form tags included) with the project's pack.

Templates are read with cfn-lint's own decoder (``cfnlint.decode``), which understands ``!Ref``,
``!If``, ``!Sub`` and the other short forms, and reports a malformed file with its line. They become
the same :class:`~omics_secure.compliance.assembly.StackArtifact` objects a cloud assembly gives, so
the engine, the reports and the acknowledgment logic do not care where a template came from.

SAM templates (``Transform: AWS::Serverless-2016-10-31``) load as they are: their CloudFormation
resources (buckets, keys, roles ...) are judged, and their ``AWS::Serverless::*`` resources, which
the transform expands only at deployment, are listed as not judged.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from omics_secure.compliance.assembly import StackArtifact
from omics_secure.compliance.engine import Finding, evaluate_stacks
from omics_secure.compliance.model import Pack, Status
from omics_secure.reporting.validation_report import PackResult, ReportedFinding

# The exit codes of the check (issue 12's contract): 0 every pack passed, 1 an unacknowledged finding,
# 2 the check could not be made (a template that does not load, a rule that failed).
EXIT_PASSED, EXIT_FINDINGS, EXIT_NOT_CHECKED = 0, 1, 2
SERVERLESS_PREFIX = "AWS::Serverless::"


class TemplateError(Exception):
    """A template that cannot be read or is not a CloudFormation template; the message names file and line."""


def parse_parameters(assignments: Iterable[str]) -> dict[str, str]:
    """``NAME=VALUE`` strings (``--parameter``) as a mapping; raises TemplateError naming a malformed one."""
    parameters: dict[str, str] = {}
    for assignment in assignments:
        name, separator, value = assignment.partition("=")
        if not separator or not name.strip():
            raise TemplateError(f"--parameter {assignment!r} is not NAME=VALUE (for example "
                                "--parameter Environment=prod)")
        parameters[name.strip()] = value
    return parameters


def load_template(path: str | Path, parameters: Mapping[str, str] | None = None) -> StackArtifact:
    """The template at ``path`` as a stack named after the file, judged with ``parameters`` over the
    template's parameter defaults."""
    from cfnlint.decode import decode  # cfn-lint is imported only when a template is checked

    path = Path(path)
    if not path.is_file():
        raise TemplateError(f"{path}: no such file")
    template, problems = decode(str(path))
    if problems:
        first = problems[0]
        line = getattr(first, "linenumber", None)
        where = f"{path}:{line}" if line else str(path)
        raise TemplateError(f"{where}: {getattr(first, 'message', first)}")
    if not isinstance(template, Mapping):
        raise TemplateError(f"{path}: not a CloudFormation template (the file holds no mapping)")
    plain = json.loads(json.dumps(template, default=str))  # cfn-lint's nodes as plain dicts and strings
    resources = plain.get("Resources")
    if not isinstance(resources, Mapping) or not resources:
        raise TemplateError(f"{path}: not a CloudFormation template (no Resources section)")
    return StackArtifact(
        name=path.name,
        template_path=path,
        template=plain,
        construct_paths={logical_id: f"{path.name}/{logical_id}" for logical_id in resources},
        parameters=dict(parameters or {}),
    )


def not_judged(stack: StackArtifact) -> list[str]:
    """Logical ids of the template's SAM resources, which no rule judges before the transform runs."""
    return [logical_id for logical_id, body in stack.resources.items()
            if isinstance(body, Mapping) and str(body.get("Type", "")).startswith(SERVERLESS_PREFIX)]


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


def describe_unjudged(stacks: Sequence[StackArtifact]) -> list[str]:
    """One note per template with SAM resources no rule judged."""
    notes = []
    for stack in stacks:
        ids = not_judged(stack)
        if ids:
            notes.append(f"note: {stack.name}: {len(ids)} SAM resource(s) not judged ({', '.join(ids)}); the "
                         "AWS::Serverless-2016-10-31 transform expands them at deployment")
    return notes


def _declared_parameters(stack: StackArtifact) -> Mapping[str, object]:
    declared = stack.template.get("Parameters")
    return declared if isinstance(declared, Mapping) else {}
