"""Rules about the input's stacks themselves: a nested stack whose template the check could not read."""

from __future__ import annotations

from omics_secure.compliance.model import (
    COMPLIANT,
    Controls,
    Resource,
    Rule,
    Verdict,
    cannot_judge,
)

NESTED_STACK = frozenset({"AWS::CloudFormation::Stack"})


def _nested_stack_judged(resource: Resource) -> Verdict:
    stack = resource.stack
    if stack is None:
        return cannot_judge("the check was given this resource without its stack, so its nested template was "
                            "not read")
    why = stack.unread_nested.get(resource.logical_id)
    return cannot_judge(f"its template was not read: {why}") if why is not None else COMPLIANT


NESTED_STACK_JUDGED = Rule(
    id="NestedStackJudged",
    resource_types=NESTED_STACK,
    finding="A nested stack's template is not in the input, so none of its resources was judged.",
    explanation=(
        "Apps near CloudFormation's 500-resource limit keep their data in nested stacks; a check that cannot "
        "read a nested template has not judged the buckets, keys and roles in it. CDK apps' nested templates are "
        "in their cloud assembly; a template's nested stack is read when its TemplateURL (or aws:asset:path "
        "metadata) names a file beside the template."
    ),
    controls=Controls(
        hipaa=("164.308(a)(1)(ii)(A)",),
        nist_800_53_r5=("CM-6",),
        nist_800_171_r2=("3.4.2",),
        dbgap=("Auditing, Logging, and Monitoring",),
    ),
    check=_nested_stack_judged,
    fix=("pass the nested template too (another --template), or check the app's cloud assembly, which holds every "
         "nested template"),
)

STACK_RULES = (NESTED_STACK_JUDGED,)
