"""What a compliance rule is: a pure function over one synthesized CloudFormation resource.

Rules never import constructs; they judge what CloudFormation will receive, so they work on any CDK
app (and on plain templates), and they see escape-hatch overrides that construct-level checks miss.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from omics_secure._internal import verdicts as _verdicts
from omics_secure.inputs.assembly import StackArtifact
from omics_secure.inputs.values import (
    BranchKey,
    CannotJudge,
    Narrow,
    Resolution,
    TemplateValues,
    describe_branch,
    explore,
)

# The verdict vocabulary lives in _internal/, shared with verify; the rules keep reading it from here.
COMPLIANT = _verdicts.COMPLIANT
NOT_APPLICABLE = _verdicts.NOT_APPLICABLE
Controls = _verdicts.Controls
Status = _verdicts.Status
Verdict = _verdicts.Verdict
cannot_judge = _verdicts.cannot_judge
non_compliant = _verdicts.non_compliant
rule_error = _verdicts.rule_error


def worst(verdicts: list[tuple[Mapping[BranchKey, Any], Verdict]]) -> Verdict:
    """The most severe of the branches' verdicts, its detail naming the branches that gave it.

    When only some branches gave the worst verdict, each detail says on which branch ("when Env is not prod:
    ...", "when condition IsProd is false: ..."), naming only what those branches share: a parameter or
    condition that takes several values among the branches with the same detail did not decide it. When
    every branch agrees, the details are given as they are.
    """
    top = max(verdict.status.severity for _, verdict in verdicts)
    chosen = [(branch, verdict) for branch, verdict in verdicts if verdict.status.severity == top]
    status = chosen[0][1].status
    if status in (Status.COMPLIANT, Status.NOT_APPLICABLE):
        return Verdict(status)
    every_branch = len(chosen) == len(verdicts)
    by_detail: dict[str, list[Mapping[BranchKey, Any]]] = {}
    for branch, verdict in chosen:
        by_detail.setdefault(verdict.detail, []).append(branch)
    details: list[str] = []
    for detail, branches in by_detail.items():
        shared = "" if every_branch else describe_branch(_shared(branches))
        text = f"{shared}: {detail}" if shared else detail
        if text and text not in details:
            details.append(text)
    return Verdict(status, "; ".join(details))


def _shared(branches: list[Mapping[BranchKey, Any]]) -> dict[BranchKey, Any]:
    """What every branch fixes to the same value."""
    first, *rest = branches
    return {key: value for key, value in first.items()
            if all(key in other and other[key] == value for other in rest)}


class TemplateIndex:
    """The resources of one template by type, built once and shared by every resource of the template.

    Cross-resource rules ask "which bucket policies / subnets / trails are there"; answering from an
    index keeps a rule's cost per resource constant however large the template grows.
    """

    def __init__(self, resources: Mapping[str, Mapping[str, Any]]) -> None:
        self._by_type: dict[str, list[tuple[str, Mapping[str, Any]]]] = {}
        for logical_id, body in resources.items():
            if isinstance(body, Mapping):
                self._by_type.setdefault(str(body.get("Type", "")), []).append((logical_id, body))

    def of_type(self, *types: str) -> list[tuple[str, Mapping[str, Any]]]:
        """(logical id, resource body) of every resource of ``types``, in template order within a type."""
        return [entry for type_ in types for entry in self._by_type.get(type_, [])]


@dataclass(frozen=True)
class Resource:
    """One resource of a synthesized template, with the template it stands in.

    ``template_resources`` lets the rare cross-resource rule (a key referenced by a trail, a bucket
    covered by data events) look around without leaving the template.
    """

    logical_id: str
    type: str
    properties: Mapping[str, Any]
    deletion_policy: Any = None
    template_resources: Mapping[str, Mapping[str, Any]] = field(default_factory=dict, repr=False)
    index: TemplateIndex | None = field(default=None, repr=False, compare=False)
    condition: Any = None
    values: TemplateValues | None = field(default=None, repr=False, compare=False)
    # Set on the view a rule's check receives: the branch its properties were resolved on.
    branch: Resolution | None = field(default=None, repr=False, compare=False)
    stack: StackArtifact | None = field(default=None, repr=False, compare=False)
    """The stack the resource is in, when the engine judges a whole input (its nested stacks, its name)."""

    @classmethod
    def from_template(cls, logical_id: str, body: Mapping[str, Any],
                      template_resources: Mapping[str, Mapping[str, Any]] | None = None,
                      index: TemplateIndex | None = None, values: TemplateValues | None = None,
                      stack: StackArtifact | None = None) -> Resource:
        return cls(
            logical_id=logical_id,
            type=str(body.get("Type", "")),
            properties=body.get("Properties") or {},
            deletion_policy=body.get("DeletionPolicy"),
            template_resources=template_resources or {},
            index=index,
            condition=body.get("Condition"),
            values=values,
            stack=stack,
        )

    def template_values(self) -> TemplateValues:
        if self.values is not None:
            return self.values
        resources = dict(self.template_resources)
        resources.setdefault(self.logical_id, {"Type": self.type})
        return TemplateValues.of_resources(resources)

    def on_branch(self, branch: Resolution) -> Resource | None:
        """This resource with its properties resolved on ``branch``; None when it does not exist there."""
        if self.values is not None and self.logical_id in self.values.resources:
            # The engine's resources are the template's own: resolved once, shared by every rule.
            resolved = branch.resource(self.logical_id)
            if resolved is None:
                return None
            return dataclasses.replace(self, properties=resolved["Properties"],
                                       deletion_policy=resolved["DeletionPolicy"], branch=branch)
        body = branch.resolve_body({"Type": self.type, "Properties": self.properties,
                                    "DeletionPolicy": self.deletion_policy, "Condition": self.condition})
        if body is None:
            return None
        return dataclasses.replace(self, properties=body["Properties"], deletion_policy=body["DeletionPolicy"],
                                   branch=branch)

    def others_of_type(self, *types: str) -> list[tuple[str, Mapping[str, Any]]]:
        """Resources of ``types`` in the same template (this one included if it matches), resolved on this
        resource's branch; resources whose condition is false on the branch are left out."""
        index = self.index if self.index is not None else TemplateIndex(self.template_resources)
        found = index.of_type(*types)
        if self.branch is None:
            return found
        resolved = ((logical_id, self.branch.resource(logical_id)) for logical_id, _ in found)
        return [(logical_id, body) for logical_id, body in resolved if body is not None]

    def derived(self, key: str, compute: Callable[[], Any]) -> Any:
        """``compute()``, computed once per template and branch (see :meth:`Resolution.derived`)."""
        return compute() if self.branch is None else self.branch.derived(key, compute)

    def other(self, logical_id: str | None) -> Mapping[str, Any] | None:
        """The body of resource ``logical_id`` of the same template, resolved on this branch; None if absent."""
        if logical_id is None:
            return None
        if self.branch is None:
            body = self.template_resources.get(logical_id)
            return body if isinstance(body, Mapping) else None
        return self.branch.resource(logical_id)


@dataclass(frozen=True)
class Rule:
    """A compliance rule: id, one-line finding, why it matters, the controls it maps to, its check, and how
    to fix a non-compliant resource (the construct or prop of ours that does it, or the CloudFormation
    property to set).

    ``severity`` is ``"error"`` (a finding fails the check) or ``"warning"`` (it is reported, and the
    check still passes): for risks the template cannot settle, such as a name that may already exist.
    """

    id: str
    resource_types: frozenset[str]
    finding: str
    explanation: str
    controls: Controls
    check: Callable[[Resource], Verdict]
    fix: str = ""
    severity: str = "error"

    def evaluate(self, resource: Resource) -> Verdict:
        """The verdict on ``resource``: its check on every branch of the template's undecided conditions,
        the worst verdict winning. A rule that raises lets the exception through; the engine's
        :func:`~omics_secure.compliance.engine.judge` turns it into an error verdict."""
        if resource.type not in self.resource_types:
            return NOT_APPLICABLE
        if resource.branch is not None:
            return self._check_on(resource)

        def on_branch(branch: Resolution) -> Verdict:
            view = resource.on_branch(branch)
            return NOT_APPLICABLE if view is None else self._check_on(view)

        outcomes, complete = explore(resource.template_values(), on_branch)
        verdicts: list[tuple[Mapping[BranchKey, Any], Verdict]] = list(outcomes)
        if not complete:
            verdicts.append(({}, cannot_judge(f"more than {len(outcomes)} combinations of undecided "
                                              "conditions; the rest were not judged")))
        return worst(verdicts)

    def _check_on(self, view: Resource) -> Verdict:
        try:
            return self.check(view)
        except Narrow as narrow:
            if not narrow.candidates:
                # The parameter's constraints admit none of the values the property accepts: CloudFormation
                # refuses this branch at deployment, so nothing deployed can be non-compliant on it.
                return NOT_APPLICABLE
            taken = view.branch.assignment.get(("parameter", narrow.parameter)) if view.branch else None
            if view.branch is not None and not isinstance(taken, str):
                raise  # explore() judges the branch again with the parameter at each value it may take
            return cannot_judge(str(narrow))
        except CannotJudge as cannot:
            return cannot_judge(str(cannot))


@dataclass(frozen=True)
class Pack:
    """A named list of rules. Rule ids are reported as ``<pack name>-<rule id>``."""

    name: str
    rules: tuple[Rule, ...]

    def qualified_id(self, rule: Rule) -> str:
        return f"{self.name}-{rule.id}"
