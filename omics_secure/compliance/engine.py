"""Run a pack's rules over synthesized stacks and say which findings are acknowledged."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from omics_secure.compliance.assembly import Acknowledgment, StackArtifact, read_assembly
from omics_secure.compliance.model import Pack, Resource, Rule, Status, TemplateIndex


@dataclass(frozen=True)
class Finding:
    pack: str
    rule: Rule
    rule_id: str
    stack: str
    logical_id: str
    construct_path: str
    detail: str
    acknowledgment: Acknowledgment | None = None

    @property
    def message(self) -> str:
        return f"{self.rule.finding} ({self.detail})" if self.detail else self.rule.finding


def evaluate_stack(pack: Pack, stack: StackArtifact) -> list[Finding]:
    """Every non-compliant (rule, resource) pair of ``stack``, with its acknowledgment if it has one."""
    findings = []
    template_resources = stack.resources
    index = TemplateIndex(template_resources)
    for logical_id, body in template_resources.items():
        if not isinstance(body, dict):
            continue
        resource = Resource.from_template(logical_id, body, template_resources, index)
        for rule in pack.rules:
            verdict = rule.evaluate(resource)
            if verdict.status is not Status.NON_COMPLIANT:
                continue
            rule_id = pack.qualified_id(rule)
            findings.append(Finding(
                pack=pack.name,
                rule=rule,
                rule_id=rule_id,
                stack=stack.name,
                logical_id=logical_id,
                construct_path=stack.construct_path(logical_id),
                detail=verdict.detail,
                acknowledgment=stack.acknowledgment_for(logical_id, rule_id),
            ))
    return findings


CLOUDFORMATION_RESOURCE_LIMIT = 500
CLOUDFORMATION_TEMPLATE_BYTES_LIMIT = 1_000_000  # a template uploaded through S3, as CDK deploys them
LIMIT_WARNING_FRACTION = 0.8
STACK_LIMITS_RULE_ID = "StackWithinCloudFormationLimits"


def stack_limit_warning(stack: StackArtifact) -> str | None:
    """A warning when ``stack`` has used 80% of CloudFormation's resource count or template size."""
    resources = len(stack.resources)
    size = stack.template_path.stat().st_size
    problems = []
    if resources >= LIMIT_WARNING_FRACTION * CLOUDFORMATION_RESOURCE_LIMIT:
        problems.append(f"{resources} of CloudFormation's {CLOUDFORMATION_RESOURCE_LIMIT} resources")
    if size >= LIMIT_WARNING_FRACTION * CLOUDFORMATION_TEMPLATE_BYTES_LIMIT:
        problems.append(f"{size:,} of {CLOUDFORMATION_TEMPLATE_BYTES_LIMIT:,} template bytes")
    if not problems:
        return None
    return (f"Stack {stack.name} uses {' and '.join(problems)}; deployment fails at the limit. Move "
            "constructs into another stack (data stores: with their logical ids unchanged) before it does.")


def evaluate_stacks(pack: Pack, stacks: Iterable[StackArtifact]) -> list[Finding]:
    return [finding for stack in stacks for finding in evaluate_stack(pack, stack)]


def evaluate_assembly(pack: Pack, directory: str | Path) -> list[Finding]:
    return evaluate_stacks(pack, read_assembly(directory))
