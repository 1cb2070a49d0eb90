"""Read CDK's validation-report.json: per pack, the findings left open and the acknowledged ones."""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omics_secure._internal.verdicts import RULE_ERROR_PREFIX
from omics_secure.inputs.acknowledgments import Acknowledgment

VALIDATION_REPORT = "validation-report.json"
RULE_THREW = "Rule threw an error during validation."
"""How cdk-nag 3 begins the description of a rule that raised instead of judging a resource."""
FINDING_MESSAGES = "omics-secure:findings"
"""The rule-metadata entry in which the OmicsSecure pack, run inside an app, records each resource's finding as
the pack words it on a template ("finding (what exactly is wrong)"): a JSON object from construct path to
message. CDK keeps one description per violation, shared by all its resources, so the detail of each would
otherwise be lost between the rule's verdict and the report."""


class ValidationReportError(ValueError):
    """validation-report.json exists but cannot be read as CDK writes it."""


@dataclass(frozen=True)
class ReportedFinding:
    pack: str
    rule_id: str
    description: str
    severity: str
    construct_path: str
    acknowledged_id: str | None = None
    reason: str | None = None
    is_error: bool = False
    """True when the rule could not judge the resource (it raised): the check of it is incomplete."""
    acknowledgment: Acknowledgment | None = None
    """The acknowledgment that hides the finding, with its owner, reference and dates; on an open finding, the
    one that hid it until it ended ("was acknowledged by ... until ...")."""
    acknowledged_until: datetime.date | None = None
    """The last day ``acknowledgment`` is in force: its expiry, or the day before its resource's data-use end
    date when that comes first; None when it has no end."""

    @property
    def acknowledged(self) -> bool:
        return self.acknowledged_id is not None

    @property
    def accepted_by(self) -> str:
        """'by OWNER (REF) until DATE' for the finding's acknowledgment (in force or ended), '' without one."""
        acknowledgment = self.acknowledgment
        if acknowledgment is None:
            return ""
        if acknowledgment.by_library:
            return "by the omics-secure construct that made it (an AWS constraint it documents)"
        reference = f" ({acknowledgment.reference})" if acknowledgment.reference else ""
        until = self.acknowledged_until
        return (f"by {acknowledgment.owner or 'no named owner'}{reference} "
                + (f"until {until.isoformat()}" if until else "with no end date"))

    @property
    def expired_acknowledgment(self) -> Acknowledgment | None:
        """The acknowledgment that no longer hides this open finding, if one did."""
        return self.acknowledgment if not self.acknowledged else None


@dataclass(frozen=True)
class PackCoverage:
    """Whether a pack judged one input (a stack or a template), and what the reader should know about it."""

    input: str
    judged: bool
    note: str = ""


@dataclass(frozen=True)
class PackResult:
    """A pack's findings: open errors fail the check; warnings and acknowledged findings do not.

    ``passed_checks`` lists checks that passed, when the source reports them (``verify`` does; CDK's
    validation report does not), so that JUnit shows each one as a passing case. ``errors`` are rules that
    could not judge a resource (they raised); ``coverage`` says which inputs the pack judged and which it
    could not. Either makes the check incomplete.
    """

    name: str
    open_findings: tuple[ReportedFinding, ...]
    acknowledged_findings: tuple[ReportedFinding, ...]
    warnings: tuple[ReportedFinding, ...] = ()
    passed_checks: tuple[ReportedFinding, ...] = ()
    errors: tuple[ReportedFinding, ...] = ()
    coverage: tuple[PackCoverage, ...] = ()

    @property
    def passed(self) -> bool:
        return not self.open_findings and self.complete

    @property
    def complete(self) -> bool:
        """True when the pack judged every input and every rule judged every resource."""
        return not self.errors and all(c.judged for c in self.coverage)

    @property
    def all_findings(self) -> tuple[ReportedFinding, ...]:
        return (*self.open_findings, *self.errors, *self.warnings, *self.acknowledged_findings)


def read_validation_report(assembly_dir: str | Path) -> list[PackResult]:
    """The pack results of the assembly's validation report; an empty list if no report was written."""
    path = Path(assembly_dir) / VALIDATION_REPORT
    if not path.is_file():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValidationReportError(f"{path} cannot be read as JSON ({error}); synthesize the app again") from error
    plugins = data.get("pluginReports") if isinstance(data, dict) else None
    if not isinstance(plugins, list) or not all(isinstance(p, dict) for p in plugins):
        raise ValidationReportError(f"{path} has no list of pluginReports; synthesize the app again")
    return [_pack_result(plugin) for plugin in plugins]


def _pack_result(plugin: dict[str, Any]) -> PackResult:
    name = str(plugin.get("pluginName", "?"))
    violations = _findings(name, plugin.get("violations", []))
    return PackResult(
        name=name,
        open_findings=tuple(f for f in violations if f.severity != "warning" and not f.is_error),
        acknowledged_findings=tuple(_findings(name, plugin.get("suppressedViolations", []))),
        warnings=tuple(f for f in violations if f.severity == "warning" and not f.is_error),
        errors=tuple(f for f in violations if f.is_error),
    )


def _findings(pack: str, violations: Any) -> list[ReportedFinding]:
    if not isinstance(violations, list):
        return []
    return [
        ReportedFinding(
            pack=pack,
            rule_id=str(violation.get("ruleName", "?")),
            description=_messages(violation).get(path, str(violation.get("description", ""))),
            severity=str(violation.get("severity", "error")),
            construct_path=path,
            acknowledged_id=violation.get("acknowledgedId"),
            reason=violation.get("reason"),
            is_error=str(violation.get("description", "")).startswith((RULE_THREW, RULE_ERROR_PREFIX)),
        )
        for violation in violations if isinstance(violation, dict)
        for resource in _resources(violation)
        for path in (str(resource.get("constructPath") or resource.get("resourceLogicalId") or "?"),)
    ]


def _messages(violation: dict[str, Any]) -> dict[str, str]:
    """Each resource's own message (:data:`FINDING_MESSAGES`), by construct path; {} when the violation has none
    (cdk-nag's packs, or an app whose OmicsSecure pack predates them)."""
    metadata = violation.get("ruleMetadata")
    recorded = metadata.get(FINDING_MESSAGES) if isinstance(metadata, dict) else None
    if not isinstance(recorded, str):
        return {}
    try:
        messages = json.loads(recorded)
    except json.JSONDecodeError:
        return {}
    if not isinstance(messages, dict):
        return {}
    return {str(path): message for path, message in messages.items() if isinstance(message, str) and message}


def _resources(violation: dict[str, Any]) -> list[dict[str, Any]]:
    resources = violation.get("violatingConstructs") or violation.get("violatingResources") or [{}]
    return [r for r in resources if isinstance(r, dict)] if isinstance(resources, list) else [{}]
