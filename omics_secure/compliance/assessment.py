"""What a check of a synthesized app found, per rule and resource, for the OSCAL assessment results.

The OmicsSecure pack is run here over every resource, so that passing resources are observed too. cdk-nag's
packs are read from CDK's validation report, which lists only their violations (open and acknowledged):
their passing resources cannot be observed from an assembly.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from omics_secure.compliance.engine import judge
from omics_secure.compliance.model import Controls, Pack, Resource, Rule, Status, TemplateIndex, Verdict
from omics_secure.compliance.packs import OMICS_SECURE_PACK
from omics_secure.inputs.assembly import StackArtifact, read_assembly
from omics_secure.inputs.values import TemplateValues
from omics_secure.reporting.oscal import ACKNOWLEDGED, ERROR, FAIL, PASS, WARNING, AssessedResult
from omics_secure.reporting.validation_report import PackResult, ReportedFinding, read_validation_report


def check_results(assembly_dir: str | Path, *, pack: Pack = OMICS_SECURE_PACK,
                  packs: Sequence[PackResult] | None = None) -> list[AssessedResult]:
    """Every applicable (rule, resource) result of ``pack`` and every violation of the other packs: those of
    ``packs`` (the check's results, cdk-nag's packs run on the templates where the app did not run them), else
    those CDK's validation report lists."""
    stacks = read_assembly(assembly_dir)
    results = [result for stack in stacks for result in _pack_results(pack, stack)]
    for reported in packs if packs is not None else read_validation_report(assembly_dir):
        if reported.name != pack.name:
            results += _reported_results(reported)
    return results


def _pack_results(pack: Pack, stack: StackArtifact) -> list[AssessedResult]:
    index = TemplateIndex(stack.resources)
    values = TemplateValues(stack.template, stack.parameters)
    results = []
    for logical_id, body in stack.resources.items():
        if not isinstance(body, dict):
            continue
        resource = Resource.from_template(logical_id, body, stack.resources, index, values)
        for rule in pack.rules:
            verdict = judge(rule, resource)
            if verdict.status is Status.NOT_APPLICABLE:
                continue
            rule_id = pack.qualified_id(rule)
            acknowledgment = stack.acknowledgment_for(logical_id, rule_id)
            result = _result_of(rule, verdict)
            reason = ""
            if acknowledgment is not None and result in (FAIL, WARNING):
                result, reason = ACKNOWLEDGED, acknowledgment.reason
            results.append(AssessedResult(
                source="check", pack=pack.name, rule_id=rule_id, subject=stack.construct_path(logical_id),
                result=result, description=_description(rule, verdict), reason=reason, controls=rule.controls))
    return results


def _result_of(rule: Rule, verdict: Verdict) -> str:
    if verdict.status is Status.COMPLIANT:
        return PASS
    if verdict.status is Status.ERROR:
        return ERROR
    if verdict.status is Status.CANNOT_JUDGE or rule.severity == "warning":
        return WARNING
    return FAIL


def _description(rule: Rule, verdict: Verdict) -> str:
    if verdict.status is Status.COMPLIANT:
        return f"Compliant with {rule.id}. {rule.explanation}"
    if verdict.status is Status.CANNOT_JUDGE:
        return f"Cannot judge before deployment: {verdict.detail}. {rule.finding}"
    if verdict.status is Status.ERROR:
        return f"The rule could not judge the resource: {verdict.detail}."
    return f"{rule.finding} ({verdict.detail})" if verdict.detail else rule.finding


# cdk-nag's HIPAA.Security and NIST.800.53.R5 packs end each description with the controls of their rule.
_CDK_NAG_CONTROLS = re.compile(r"- \(Control IDs: (?P<ids>.+)\)\.?\s*$")


def cdk_nag_controls(pack: str, description: str) -> Controls:
    """The controls a cdk-nag finding's description names: HIPAA sections for HIPAA.Security, SP 800-53 r5
    controls for NIST.800.53.R5 (statement parts dropped: ``CM-6a`` is CM-6); none for other packs."""
    match = _CDK_NAG_CONTROLS.search(description)
    if match is None or pack not in ("HIPAA.Security", "NIST.800.53.R5"):
        return Controls()
    # cdk-nag separates ids with ", " or ",\xa0" (a non-breaking space); \s matches both.
    ids = [part.strip() for part in re.split(r",\s*", match["ids"]) if part.strip()]
    if pack == "HIPAA.Security":
        return Controls(hipaa=tuple(dict.fromkeys(ids)))
    return Controls(nist_800_53_r5=tuple(dict.fromkeys(_control_of_statement(i) for i in ids)))


def _control_of_statement(part: str) -> str:
    """The SP 800-53 control (or enhancement) a statement part belongs to: ``AC-17(4)(a)`` and ``AC-17(4)b``
    are AC-17(4), ``CM-6a`` is CM-6, ``AC-2i.2`` is AC-2."""
    return re.sub(r"(?<=[\d)])(?:\([a-z]+\)|[a-z]).*$", "", part)


def _reported_results(pack: PackResult) -> list[AssessedResult]:
    def results(result: str, findings: tuple[ReportedFinding, ...]) -> list[AssessedResult]:
        return [AssessedResult(source="check", pack=pack.name, rule_id=f.rule_id, subject=f.construct_path,
                               result=result, description=f.description, reason=f.reason or "",
                               controls=cdk_nag_controls(pack.name, f.description))
                for f in findings]

    return [*results(FAIL, pack.open_findings), *results(WARNING, pack.warnings),
            *results(ACKNOWLEDGED, pack.acknowledged_findings), *results(ERROR, pack.errors)]
