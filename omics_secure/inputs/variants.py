"""Whole-template deployments: a template with its parameters and conditions decided, for judges that read a
template whole (cdk-nag's packs) and cannot follow ``Fn::If`` or a parameter themselves.

A parameter's default is one deployment among many (see :mod:`omics_secure.inputs.values`), so a template
becomes several *variants*: the first takes every parameter's first value (its pinned value, first allowed
value or default) and decides each undecided condition as true; each further variant changes one condition, or
one parameter that decides a condition or has at most :data:`ENUMERATION_LIMIT` allowed values, to another value
it can take, with everything it newly meets at its first value again (every such value is taken by some
variant, not every combination of them). A parameter that only fills a property with any of many values
(an instance type) keeps its first value: a judge that reads a whole template learns nothing from an unknown
one. At most :data:`VARIANT_LIMIT` variants are made; :attr:`TemplateVariants.complete` says whether that was
all of them.

In a variant every ``Fn::If`` is decided, every resource whose condition is false is gone, every parameter
with a value in the variant is replaced by it, and ``AWS::NoValue`` is applied. What stays unknown until
deployment (a parameter without a value, an import, a pseudo parameter) is written back as the expression it
was, so the variant is a template CloudFormation (and aws-cdk-lib's ``CfnInclude``) reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from omics_secure.inputs.values import (
    BranchKey,
    Resolution,
    TemplateValues,
    Text,
    Unknown,
    describe_branch,
)

VARIANT_LIMIT = 8
ENUMERATION_LIMIT = 4
# Template sections a variant keeps as they are; Resources are decided, Outputs and Rules are dropped (no
# judge reads them, and they may name resources a variant removed).
_KEPT_SECTIONS = ("AWSTemplateFormatVersion", "Parameters", "Mappings", "Conditions", "Transform")
# Resources no judge reads, left out so that the conditions they carry make no variants of their own (CDK's
# AWS::CDK::Metadata exists only in the regions where its condition CDKMetadataAvailable holds).
_UNJUDGED_TYPES = frozenset({"AWS::CDK::Metadata"})
# Resource attributes a variant resolves on its branch besides Properties.
_RESOLVED_ATTRIBUTES = ("DeletionPolicy", "UpdateReplacePolicy")


@dataclass(frozen=True)
class Variant:
    """One deployment of a template: what it fixes (``branch``), in words, and the decided template."""

    branch: Mapping[BranchKey, Any]
    template: Mapping[str, Any]

    @property
    def description(self) -> str:
        """'when Env is dev and condition IsProd is false', or '' for a template with a single deployment."""
        return describe_branch(self.branch)


@dataclass(frozen=True)
class TemplateVariants:
    variants: tuple[Variant, ...]
    complete: bool
    """False when more variants were possible than :data:`VARIANT_LIMIT`."""


def template_variants(template: Mapping[str, Any], parameters: Mapping[str, str] | None = None,
                      limit: int = VARIANT_LIMIT) -> TemplateVariants:
    """The variants of ``template`` with ``parameters`` pinned (see the module's description)."""
    values = TemplateValues(template, parameters)
    pending: list[dict[BranchKey, Any]] = [{}]
    seen: set[tuple[tuple[str, str], ...]] = set()
    expanded: set[BranchKey] = set()  # each key's other values are taken once, not in every combination
    made: list[Variant] = []
    while pending:
        forced = pending.pop(0)
        run = Resolution(values, dict(forced))
        decided = _decided_template(template, run)
        branch = run.branch
        identity = tuple(sorted((repr(key), repr(value)) for key, value in branch.items()))
        if identity in seen:
            continue
        if len(made) >= limit:
            return TemplateVariants(tuple(made), complete=False)
        seen.add(identity)
        made.append(Variant(branch, decided))
        for key in run.decided:
            if key in forced or key in expanded or not _varies(values, key, run):
                continue
            expanded.add(key)
            taken = run.assignment[key]
            for other in _others(values, key, taken):
                pending.append({**forced, key: other})
    return TemplateVariants(tuple(made), complete=True)


def _varies(values: TemplateValues, key: BranchKey, run: Resolution) -> bool:
    """Whether variants take ``key``'s other values: a condition's always; a parameter's when it decides a
    condition, or when it is one of a few allowed values (a Boolean, an enumeration such as Enabled/Suspended)."""
    if not isinstance(key, tuple):
        return True
    domain = values.domains[key[1]]
    return key[1] in run.deciding or (len(domain) <= ENUMERATION_LIMIT and not any(
        isinstance(value, Unknown) for value in domain))


def _others(values: TemplateValues, key: BranchKey, taken: Any) -> list[Any]:
    if isinstance(key, tuple):
        return [value for value in values.domains[key[1]] if value is not taken and value != taken]
    return [not taken]


def _decided_template(template: Mapping[str, Any], run: Resolution) -> dict[str, Any]:
    decided: dict[str, Any] = {key: template[key] for key in _KEPT_SECTIONS if key in template}
    resources: dict[str, Any] = {}
    for logical_id, body in (template.get("Resources") or {}).items():
        if not isinstance(body, Mapping) or body.get("Type") in _UNJUDGED_TYPES:
            continue
        resolved = run.resource(logical_id)
        if resolved is None:
            continue  # its condition is false on this branch
        out: dict[str, Any] = {key: value for key, value in body.items()
                               if key not in ("Properties", "Condition", *_RESOLVED_ATTRIBUTES)}
        out["Properties"] = as_cloudformation(resolved["Properties"])
        for attribute in _RESOLVED_ATTRIBUTES:
            if attribute in body:
                value = run.resolve(body[attribute])
                if value is not None:
                    out[attribute] = as_cloudformation(value)
        resources[logical_id] = out
    present = set(resources)
    for out in resources.values():
        depends = out.get("DependsOn")
        if isinstance(depends, str) and depends not in present:
            del out["DependsOn"]
        elif isinstance(depends, list):
            kept = [name for name in depends if name in present]
            out["DependsOn"] = kept if kept else None
            if not kept:
                del out["DependsOn"]
    decided["Resources"] = resources
    return decided


def as_cloudformation(value: Any) -> Any:
    """A resolved value written back as CloudFormation: an :class:`Unknown` as the expression it was, a
    :class:`Text` as an ``Fn::Join`` of its parts."""
    if isinstance(value, Unknown):
        return value.expression
    if isinstance(value, Text):
        return {"Fn::Join": ["", [as_cloudformation(part) for part in value.parts]]}
    if isinstance(value, Mapping):
        return {key: as_cloudformation(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_cloudformation(item) for item in value]
    return value
