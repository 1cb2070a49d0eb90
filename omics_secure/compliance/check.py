"""The check: every pack on every stack of the input, whatever the input is.

An app's packs run inside it (the command registers them on a Python app; an app may register them itself) and
report through CDK's validation report. Whatever they did not judge is judged here: cdk-nag's packs that the
app did not run (a non-Python app, an assembly synthesized elsewhere, plain templates) run on the templates
through :mod:`omics_secure.compliance.replay`, and the OmicsSecure pack runs on the templates directly, nested
stacks included. Each pack's result says which inputs it judged (``PackResult.coverage``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from omics_secure._internal.clock import today
from omics_secure._internal.tags import CDK_NAG_PACK_NAMES, DATA_CLASSIFICATION_TAG, PHI
from omics_secure.compliance.acknowledgments import AcknowledgmentBook, Governed, govern
from omics_secure.compliance.engine import Finding, evaluate_stacks, judge_resource
from omics_secure.compliance.model import Pack, Status
from omics_secure.compliance.packs import OMICS_SECURE_PACK
from omics_secure.compliance.replay import describe_rule_error, replay_packs
from omics_secure.inputs.assembly import CDK_NAG_2_SUPPRESSION, Annotation, StackArtifact
from omics_secure.reporting.terminal import Notice
from omics_secure.reporting.validation_report import PackCoverage, PackResult, ReportedFinding

# Stores whose data is PHI by what they are, whatever their tags: HealthOmics stores, HealthLake datastores.
PHI_STORE_TYPES = frozenset({"AWS::Omics::SequenceStore", "AWS::Omics::ReferenceStore", "AWS::Omics::VariantStore",
                             "AWS::Omics::AnnotationStore", "AWS::HealthLake::FHIRDatastore"})


# cdk-nag rules (by name without the pack prefix) whose concern an OmicsSecure rule judges in full: when the
# cdk-nag rule raises on a value it cannot read (a security group's CidrIp that is the VPC's own CIDR block,
# Fn::GetAtt Vpc.CidrBlock, in every ordinary CDK app), the OmicsSecure rule's verdict on the same resource
# decides the concern. EC2NoOpenIngress refuses any ingress from 0.0.0.0/0 or ::/0 on any port, which covers
# EC2RestrictedSSH (port 22), EC2RestrictedCommonPorts (20, 21, 3306, 3389, 4333) and AwsSolutions-EC23
# (0.0.0.0/0 or ::/0 inbound): https://github.com/cdklabs/cdk-nag/blob/main/RULES.md
COVERING_RULES = {"EC2RestrictedSSH": "EC2NoOpenIngress", "EC2RestrictedCommonPorts": "EC2NoOpenIngress",
                  "EC23": "EC2NoOpenIngress"}


@dataclass(frozen=True)
class CheckOutcome:
    """Every pack's result on the input, in the order cdk-nag's packs, OmicsSecure, then any other plugin the
    app registered, with every acknowledgment decided (:mod:`omics_secure.compliance.acknowledgments`); notes
    the reader needs (which packs were run here, what no PHI marking means); and what the acknowledgments
    warn of, and which findings each one matched."""

    packs: tuple[PackResult, ...]
    notes: tuple[str, ...]
    acknowledgments: Governed = field(default_factory=lambda: Governed([], []))
    book: AcknowledgmentBook | None = None

    @property
    def warnings(self) -> tuple[Notice, ...]:
        """What the acknowledgments warn of: ending soon, no owner or end, cut short, matching nothing."""
        return tuple(self.acknowledgments.notices)

    @property
    def complete(self) -> bool:
        return all(pack.complete for pack in self.packs)


def run_check(stacks: Sequence[StackArtifact], reported: Sequence[PackResult] = (), *,
              source: str, pack: Pack = OMICS_SECURE_PACK, replay_dir: Path | None = None,
              book: AcknowledgmentBook | None = None, replay: bool = True) -> CheckOutcome:
    """The packs' results on ``stacks``: those ``reported`` by the app (its validation report), and every other
    pack of the four run here. ``source`` names the input for the notes ("the app", "the assembly", "the
    templates"). Acknowledgments are decided from ``book`` (default: the app's own, as of today). Without
    ``replay``, cdk-nag's packs the app did not run are left out instead of run on the templates."""
    notes: list[str] = []
    by_name = {result.name: result for result in reported}
    inputs = [stack.name for stack in stacks]
    for name, result in list(by_name.items()):  # the app's own runs judged its whole construct tree
        if not result.coverage:
            # The project's pack names the rule, the resource and what it raised; cdk-nag's say only that it threw.
            errors = result.errors if name == pack.name else tuple(
                replace(e, description=describe_rule_error(e, stacks)) for e in result.errors)
            by_name[name] = replace(result, coverage=tuple(PackCoverage(n, judged=True) for n in inputs),
                                    errors=errors)
    missing = [name for name in CDK_NAG_PACK_NAMES if name not in by_name]
    if missing and not replay:
        notes.append(f"{', '.join(missing)} did not run in {source}; this summary counts the findings of the packs "
                     "that did (omics-secure check runs them all)")
    elif missing:
        for result in replay_packs(stacks, missing, replay_dir):
            by_name[result.name] = result
        if source != "the templates":
            notes.append(f"{', '.join(missing)} did not run in {source}; omics-secure ran them on its synthesized "
                         "templates (register them in the app with omics_secure.compliance.add_compliance_packs(app) "
                         "to have cdk synth run them too)")
    if pack.name not in by_name:
        findings = evaluate_stacks(pack, stacks)
        by_name[pack.name] = replace(pack_result(pack, findings),
                                     coverage=tuple(PackCoverage(n, judged=True) for n in inputs))
    for name in CDK_NAG_PACK_NAMES:
        if name in by_name and by_name[name].errors:
            by_name[name] = _judged_by_covering_rules(by_name[name], stacks, pack)
    order = [*CDK_NAG_PACK_NAMES, pack.name]
    packs = [by_name[name] for name in order if name in by_name]
    packs += [result for name, result in by_name.items() if name not in order]
    honoured = sum(1 for result in packs for finding in result.acknowledged_findings
                   if (finding.reason or "").startswith(f"{CDK_NAG_2_SUPPRESSION}: "))
    if honoured:
        notes.append(f"{honoured} finding{'s' if honoured != 1 else ''} acknowledged by cdk-nag 2 suppressions "
                     "(NagSuppressions, in the templates' cdk_nag metadata); cdk-nag 3 has no NagSuppressions and "
                     "ignores them in cdk synth: move each to Validations.of(construct).acknowledge(Acknowledgment("
                     "id='Pack::RuleId', reason='...')), e.g. id='AwsSolutions::AwsSolutions-S1'")
    if stacks and not any(_marks_phi(stack) for stack in stacks):
        notes.append(f"no resource is marked as holding PHI, so the rules for PHI stores only (a customer-managed "
                     f"key, object lock) judged nothing: tag each bucket that holds PHI {DATA_CLASSIFICATION_TAG}="
                     f"{PHI} (PhiBucket does)")
    book = book or AcknowledgmentBook(stacks, today=today())
    governed = govern(packs, book)
    return CheckOutcome(tuple(governed.packs), tuple(notes), governed, book)


def _judged_by_covering_rules(result: PackResult, stacks: Sequence[StackArtifact], pack: Pack) -> PackResult:
    """``result`` with each rule error whose concern an OmicsSecure rule judged on the same resource (see
    :data:`COVERING_RULES`) turned into a warning that names that rule and its verdict."""
    rules = {rule.id: rule for rule in pack.rules}
    located = {path: (stack, logical_id) for stack in stacks for logical_id, path in stack.construct_paths.items()}
    errors, warnings = [], list(result.warnings)
    for error in result.errors:
        covering = rules.get(COVERING_RULES.get(error.rule_id.split("-", 1)[-1].split("[", 1)[0], ""))
        where = located.get(error.construct_path)
        verdict = None
        if covering is not None and where is not None:
            stack, logical_id = where
            verdict = judge_resource(covering, stack, logical_id)
        if covering is None or verdict is None or verdict.status not in (Status.COMPLIANT, Status.NON_COMPLIANT):
            errors.append(error)
            continue
        outcome = "compliant" if verdict.status is Status.COMPLIANT else f"non-compliant ({verdict.detail})"
        warnings.append(replace(error, is_error=False, severity="warning", description=(
            f"could not read this resource (a value known only at deployment); {pack.qualified_id(covering)}, "
            f"which judges the same concern, read it: {outcome}")))
    return replace(result, errors=tuple(errors), warnings=tuple(warnings))


def _marks_phi(stack: StackArtifact) -> bool:
    for body in stack.resources.values():
        if not isinstance(body, Mapping):
            continue
        if body.get("Type") in PHI_STORE_TYPES:
            return True
        properties = body.get("Properties")
        tags: Any = properties.get("Tags") if isinstance(properties, Mapping) else None
        for tag in tags if isinstance(tags, list) else []:
            if isinstance(tag, Mapping) and tag.get("Key") == DATA_CLASSIFICATION_TAG and tag.get("Value") == PHI:
                return True
    return False


# cdk-nag 2 reports a finding as an annotation of the resource: "AwsSolutions-S1: The S3 Bucket has ..." (its
# NagPack.createMessage), granular ones as "AwsSolutions-IAM5[Resource::*]: ...".
_CDK_NAG_2_MESSAGE = re.compile(r"^(?P<rule>[A-Za-z0-9.]+-[A-Za-z0-9]+(?:\[[^\]]*\])?): ")


def repeats_a_finding(annotation: Annotation, packs: Sequence[PackResult]) -> bool:
    """Whether ``annotation`` is cdk-nag 2's report, in the app, of a finding one of ``packs`` (cdk-nag 3's, run on
    the templates) reports on the same resource: shown once, as the pack's finding."""
    match = _CDK_NAG_2_MESSAGE.match(annotation.message)
    if match is None or annotation.level == "info":
        return False
    pack = next((result for result in packs if match["rule"].startswith(f"{result.name}-")), None)
    return pack is not None and any(
        finding.rule_id == match["rule"] and finding.construct_path == annotation.construct_path
        for finding in (*pack.open_findings, *pack.acknowledged_findings, *pack.warnings, *pack.errors))


def pack_result(pack: Pack, findings: Sequence[Finding]) -> PackResult:
    """Findings as a pack result: non-compliant verdicts open, cannot-judge ones warnings, a rule that failed
    on a resource an error (the check is incomplete)."""
    reported = [
        ReportedFinding(
            pack=f.pack, rule_id=f.rule_id, description=f.message, severity=f.severity,
            construct_path=f.construct_path,
            acknowledged_id=f.acknowledgment.id if f.acknowledgment else None,
            reason=f.acknowledgment.stated_reason if f.acknowledgment else None,
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
