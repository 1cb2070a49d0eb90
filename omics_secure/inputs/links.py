"""What one stack of an input takes from another: exports and ``Fn::ImportValue``, and the parameters a parent
stack passes to a nested stack.

CloudFormation resolves an import to the value of the output that exports that name, in any stack of the same
account and region (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/outputs-section-structure.html,
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference-importvalue.html).
CDK writes its cross-stack references the same way (``Fn::ImportValue`` of an output it adds to the producer).
A nested stack's parameters are the ``Parameters`` property of its ``AWS::CloudFormation::Stack`` resource in the
parent (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-cloudformation-stack.html).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from omics_secure.inputs.assembly import StackArtifact
from omics_secure.inputs.values import Resolution, TemplateValues


def pseudo_parameters(stack: StackArtifact) -> dict[str, str]:
    """The pseudo parameters a stack's environment settles (its name; account and region when not agnostic),
    under the values the user passed (``--parameter``)."""
    known = {"AWS::StackName": stack.name}
    if stack.account.isdigit():
        known["AWS::AccountId"] = stack.account
    if stack.region not in ("unknown-region", ""):
        known["AWS::Region"] = stack.region
    return {**known, **stack.parameters}


def values_of(stack: StackArtifact) -> TemplateValues:
    """The stack's template values, with its pseudo parameters known."""
    return TemplateValues(stack.template, pseudo_parameters(stack))


@dataclass(frozen=True)
class Export:
    """An output that exports ``name``: the stack and the output's ``Value`` as written."""

    name: str
    stack: StackArtifact
    value: Any


class Links:
    """The exports of every stack of one input, by name, and the parameters of nested stacks."""

    def __init__(self, stacks: Sequence[StackArtifact]) -> None:
        self.stacks = tuple(stacks)
        self.values: dict[str, TemplateValues] = {}
        """Each stack's template values, once read (the evaluator fills it)."""
        self._exports: dict[str, Export] = {}
        for stack in stacks:
            outputs = stack.template.get("Outputs")
            if not isinstance(outputs, Mapping):
                continue
            resolution = Resolution(values_of(stack))
            for output in outputs.values():
                if not isinstance(output, Mapping) or not isinstance(output.get("Export"), Mapping):
                    continue
                name = resolution.resolve(output["Export"].get("Name"))
                if isinstance(name, str):
                    self._exports.setdefault(name, Export(name, stack, output.get("Value")))

    def export(self, name: str) -> Export | None:
        """The output that exports ``name``, or None when no stack of the input exports it."""
        return self._exports.get(name)

    def parameter_bindings(self, stack: StackArtifact) -> tuple[StackArtifact, Mapping[str, Any]] | None:
        """For a nested stack: its parent and the ``Parameters`` the parent passes (in the parent's terms)."""
        parent_name = getattr(stack, "nested_in", None)
        bindings = getattr(stack, "parameter_bindings", None)
        if not parent_name or not isinstance(bindings, Mapping):
            return None
        parent = next((s for s in self.stacks if s.name == parent_name), None)
        return (parent, bindings) if parent is not None else None
