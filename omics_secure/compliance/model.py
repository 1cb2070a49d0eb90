"""What a compliance rule is: a pure function over one synthesized CloudFormation resource.

Rules never import constructs; they judge what CloudFormation will receive, so they work on any CDK
app (and on plain templates), and they see escape-hatch overrides that construct-level checks miss.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class Status(Enum):
    COMPLIANT = "compliant"
    NON_COMPLIANT = "non-compliant"
    NOT_APPLICABLE = "not-applicable"


@dataclass(frozen=True)
class Verdict:
    status: Status
    detail: str = ""


COMPLIANT = Verdict(Status.COMPLIANT)
NOT_APPLICABLE = Verdict(Status.NOT_APPLICABLE)


def non_compliant(detail: str) -> Verdict:
    """A failing verdict; ``detail`` says what exactly is wrong in this resource."""
    return Verdict(Status.NON_COMPLIANT, detail)


@dataclass(frozen=True)
class Controls:
    """The controls a rule evidences, by framework.

    hipaa: HIPAA Security Rule sections (45 CFR 164.3xx); nist_800_53_r5: NIST SP 800-53 rev. 5;
    nist_800_171_r2: NIST SP 800-171 rev. 2 (required of NIH controlled-access data users since 2025);
    dbgap: control areas of the AWS genomic-data (dbGaP) security whitepaper.
    """

    hipaa: tuple[str, ...] = ()
    nist_800_53_r5: tuple[str, ...] = ()
    nist_800_171_r2: tuple[str, ...] = ()
    dbgap: tuple[str, ...] = ()

    def summary(self) -> str:
        parts = [
            ("HIPAA", self.hipaa),
            ("NIST 800-53r5", self.nist_800_53_r5),
            ("NIST 800-171r2", self.nist_800_171_r2),
            ("dbGaP", self.dbgap),
        ]
        return "; ".join(f"{name} {', '.join(ids)}" for name, ids in parts if ids)


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
    deletion_policy: str | None = None
    template_resources: Mapping[str, Mapping[str, Any]] = field(default_factory=dict, repr=False)
    index: TemplateIndex | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_template(cls, logical_id: str, body: Mapping[str, Any],
                      template_resources: Mapping[str, Mapping[str, Any]] | None = None,
                      index: TemplateIndex | None = None) -> Resource:
        return cls(
            logical_id=logical_id,
            type=str(body.get("Type", "")),
            properties=body.get("Properties") or {},
            deletion_policy=body.get("DeletionPolicy"),
            template_resources=template_resources or {},
            index=index,
        )

    def others_of_type(self, *types: str) -> list[tuple[str, Mapping[str, Any]]]:
        """Resources of ``types`` in the same template (this one included if it matches)."""
        index = self.index if self.index is not None else TemplateIndex(self.template_resources)
        return index.of_type(*types)


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
        if resource.type not in self.resource_types:
            return NOT_APPLICABLE
        return self.check(resource)


@dataclass(frozen=True)
class Pack:
    """A named list of rules. Rule ids are reported as ``<pack name>-<rule id>``."""

    name: str
    rules: tuple[Rule, ...]

    def qualified_id(self, rule: Rule) -> str:
        return f"{self.name}-{rule.id}"
