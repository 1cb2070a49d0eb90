"""Run a pack's rules over synthesized stacks and say which findings are acknowledged."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from omics_secure._internal.verdicts import RULE_ERROR_PREFIX
from omics_secure.compliance.model import Pack, Resource, Rule, Status, TemplateIndex, Verdict, rule_error
from omics_secure.inputs.assembly import Acknowledgment, StackArtifact, read_assembly
from omics_secure.inputs.values import TemplateValues

# Set by ``omics-secure --debug``: a rule that raises propagates, so that its traceback is shown.
DEBUG_VARIABLE = "OMICS_SECURE_DEBUG"
# The verdicts that become findings; compliant and not-applicable ones do not.
REPORTED_STATUSES = frozenset({Status.NON_COMPLIANT, Status.CANNOT_JUDGE, Status.ERROR})


@dataclass(frozen=True)
class Finding:
    """A reported verdict. ``status`` is NON_COMPLIANT (fails the check), CANNOT_JUDGE (a warning: a value
    only known at deploy time) or ERROR (the rule failed on this resource: the check could not be made)."""

    pack: str
    rule: Rule
    rule_id: str
    stack: str
    logical_id: str
    construct_path: str
    detail: str
    acknowledgment: Acknowledgment | None = None
    status: Status = Status.NON_COMPLIANT

    @property
    def message(self) -> str:
        if self.status is Status.ERROR:
            return (f"{RULE_ERROR_PREFIX} {self.logical_id}: {self.detail}. This is a defect of the rule, "
                    "not of the template; report it.")
        if self.status is Status.CANNOT_JUDGE:
            return f"Cannot judge before deployment: {self.detail}. {self.rule.finding}"
        return f"{self.rule.finding} ({self.detail})" if self.detail else self.rule.finding

    @property
    def severity(self) -> str:
        """'warning' for a cannot-judge verdict or a finding of a warning rule, else 'error'."""
        if self.status is Status.CANNOT_JUDGE:
            return "warning"
        return "error" if self.status is Status.ERROR else self.rule.severity


def judge(rule: Rule, resource: Resource) -> Verdict:
    """``rule``'s verdict on ``resource``; an exception the rule raises becomes an error verdict naming it,
    so that one defective rule never stops the others or the check."""
    try:
        return rule.evaluate(resource)
    except Exception as error:
        if os.environ.get(DEBUG_VARIABLE):
            raise  # omics-secure --debug: the rule's own traceback
        return rule_error(f"{rule.id} raised {type(error).__name__}: {error}")


def evaluate_stack(pack: Pack, stack: StackArtifact) -> list[Finding]:
    """Every reported (rule, resource) verdict of ``stack``, with its acknowledgment if it has one."""
    findings = []
    template_resources = stack.resources
    index = TemplateIndex(template_resources)
    values = TemplateValues(stack.template, stack.parameters)
    for logical_id, body in template_resources.items():
        if not isinstance(body, dict):
            continue
        resource = Resource.from_template(logical_id, body, template_resources, index, values, stack)
        for rule in pack.rules:
            verdict = judge(rule, resource)
            if verdict.status not in REPORTED_STATUSES:
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
                status=verdict.status,
            ))
    return findings


def judge_resource(rule: Rule, stack: StackArtifact, logical_id: str) -> Verdict | None:
    """``rule``'s verdict on one resource of ``stack``; None when the stack has no such resource."""
    body = stack.resources.get(logical_id)
    if not isinstance(body, dict):
        return None
    resources = stack.resources
    resource = Resource.from_template(logical_id, body, resources, TemplateIndex(resources),
                                      TemplateValues(stack.template, stack.parameters), stack)
    return judge(rule, resource)


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
