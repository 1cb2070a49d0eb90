"""Acknowledgments that acknowledge nothing: a typo, a bare rule id, a resource that changed.

cdk-nag v3 and CDK accept an acknowledgment that matches no finding without a word (cdk-nag issue
800), so a misspelt one hides nothing today and a renamed resource's old one silently outlives it.
Every acknowledgment recorded in the assembly is compared here with the findings of every pack that ran.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass

from omics_secure.inputs.acknowledgments import Acknowledgment
from omics_secure.inputs.assembly import CDK_NAG_2_SUPPRESSION, StackArtifact
from omics_secure.reporting.validation_report import PackResult, ReportedFinding


@dataclass(frozen=True)
class UnmatchedAcknowledgment:
    acknowledgment: Acknowledgment
    problem: str


def unmatched_acknowledgments(stacks: Sequence[StackArtifact],
                              packs: Sequence[PackResult]) -> list[UnmatchedAcknowledgment]:
    """Every acknowledgment that is bare (so CDK keeps no record of it) or matches no finding of its pack.

    Acknowledgments for packs that did not run (another validation plugin's, such as aws-cdk-lib's own
    ``CloudFormation-Validate::W3010``) cannot be judged and are left alone.
    """
    findings: dict[str, list[ReportedFinding]] = {
        pack.name: [*pack.open_findings, *pack.acknowledged_findings, *pack.warnings] for pack in packs}
    known_packs = set(findings)
    unmatched = []
    for stack in stacks:
        copies: dict[tuple[str, str], list[Acknowledgment]] = {}
        for acknowledgments in stack.acknowledgments.values():
            for acknowledgment in acknowledgments:
                if acknowledgment.source == CDK_NAG_2_SUPPRESSION:
                    copies.setdefault((acknowledgment.id, acknowledgment.reason), []).append(acknowledgment)
                    continue
                problem = _problem(acknowledgment, findings, known_packs)
                if problem:
                    unmatched.append(UnmatchedAcknowledgment(acknowledgment, problem))
        # cdk-nag 2's apply_to_children copies a suppression onto every resource below the construct, most of
        # which have nothing to suppress: a suppression matches nothing only when none of its copies does.
        for same in copies.values():
            problems = [_nag_2_problem(acknowledgment, findings) for acknowledgment in same]
            if all(problems) and problems[0] is not None:
                unmatched.append(UnmatchedAcknowledgment(same[0], problems[0]))
    return unmatched


def _problem(acknowledgment: Acknowledgment, findings: dict[str, list[ReportedFinding]],
             known_packs: set[str]) -> str | None:
    if not acknowledgment.is_recorded:
        pack = next((name for name in sorted(known_packs, key=len, reverse=True)
                     if acknowledgment.id.startswith(f"{name}-")), None)
        if pack is None:
            return None
        return (f"'{acknowledgment.id}' has no '{pack}::' prefix, so CDK keeps no record of it in "
                f"validation-report.json; write id=\"{pack}::{acknowledgment.id}\"")
    pack, rule_id = acknowledgment.id.split("::", 1)
    if pack not in known_packs:
        return None
    path = acknowledgment.construct_path
    under = [f for f in findings[pack] if f.construct_path == path or f.construct_path.startswith(f"{path}/")]
    if any(f.rule_id == rule_id for f in under):
        return None
    close = difflib.get_close_matches(rule_id, sorted({f.rule_id for f in under}), n=1, cutoff=0.6)
    hint = f" (did you mean '{pack}::{close[0]}'?)" if close else "; remove it, or fix its id or its construct"
    return f"'{acknowledgment.id}' matches no {pack} finding on this construct or below it{hint}"


def _nag_2_problem(acknowledgment: Acknowledgment, findings: dict[str, list[ReportedFinding]]) -> str | None:
    """A cdk-nag 2 suppression of a rule of a pack that ran, which covers no finding on its construct or below."""
    pack = next((name for name in sorted(findings, key=len, reverse=True)
                 if acknowledgment.id.startswith(f"{name}-")), None)
    if pack is None:
        return None
    path = acknowledgment.construct_path
    if any(acknowledgment.covers(f.rule_id) for f in findings[pack]
           if f.construct_path == path or f.construct_path.startswith(f"{path}/")):
        return None
    return (f"the cdk-nag 2 suppression '{acknowledgment.id}' matches no {pack} finding on this construct or below "
            "it; remove it")
