"""Read a synthesized cloud assembly (``cdk.out``) without jsii: templates, construct paths, acknowledgments.

CDK writes, next to each stack template, a metadata file that maps every logical id to its construct
path and records every ``Validations.of(x).acknowledge(...)``. That is enough to run the project's
rules on any CDK app's output, in any language, and to honour the acknowledgments made in it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ACKNOWLEDGED_RULES = "aws:cdk:acknowledged-rules"
_LOGICAL_ID = "aws:cdk:logicalId"
_BARE_ACKNOWLEDGMENT_PREFIX = "annotation::"


@dataclass(frozen=True)
class Acknowledgment:
    """An acknowledged finding: the id as written (``Pack::RuleId`` or a bare ``RuleId``) and its reason."""

    id: str
    reason: str
    construct_path: str

    @property
    def rule_id(self) -> str:
        return self.id.split("::", 1)[1] if self.is_recorded else self.id

    @property
    def is_recorded(self) -> bool:
        """True for the ``Pack::RuleId`` form, which CDK records in validation-report.json.

        A granular id carries '::' inside its brackets (``AwsSolutions-IAM5[Action::s3:*]``), so only
        a '::' before any '[' is the pack prefix.
        """
        return "::" in self.id.split("[", 1)[0]


@dataclass(frozen=True)
class StackArtifact:
    name: str
    template_path: Path
    template: Mapping[str, Any]
    construct_paths: Mapping[str, str]
    acknowledgments: Mapping[str, tuple[Acknowledgment, ...]] = field(default_factory=dict)
    environment: str = "aws://unknown-account/unknown-region"
    # Values of the template's parameters (and pseudo parameters) to judge with, over their defaults.
    parameters: Mapping[str, str] = field(default_factory=dict)

    @property
    def account(self) -> str:
        return self.environment.removeprefix("aws://").split("/")[0]

    @property
    def region(self) -> str:
        return self.environment.removeprefix("aws://").split("/")[-1]

    @property
    def resources(self) -> Mapping[str, Mapping[str, Any]]:
        resources = self.template.get("Resources") or {}
        return resources if isinstance(resources, Mapping) else {}

    def construct_path(self, logical_id: str) -> str:
        return self.construct_paths.get(logical_id, f"{self.name}/{logical_id}")

    def acknowledgment_for(self, logical_id: str, rule_id: str) -> Acknowledgment | None:
        """The acknowledgment of ``rule_id`` on the resource or any construct above it, nearest first."""
        path = self.construct_path(logical_id)
        parts = path.split("/")
        for depth in range(len(parts), 0, -1):
            for acknowledgment in self.acknowledgments.get("/".join(parts[:depth]), ()):
                if acknowledgment.rule_id == rule_id:
                    return acknowledgment
        return None


def read_assembly(directory: str | Path) -> list[StackArtifact]:
    """Every stack of the assembly in ``directory``, nested stages included, in manifest order."""
    return list(_stacks(Path(directory)))


def stack_for_template(template_path: str | Path) -> StackArtifact:
    """The stack whose template is ``template_path``, read with its assembly's metadata."""
    template_path = Path(template_path)
    for stack in _stacks(template_path.parent, recurse=False):
        if stack.template_path.resolve() == template_path.resolve():
            return stack
    return StackArtifact(
        name=template_path.name.removesuffix(".template.json"),
        template_path=template_path,
        template=_read_json(template_path),
        construct_paths={},
    )


def _stacks(directory: Path, *, recurse: bool = True) -> Iterator[StackArtifact]:
    manifest_path = directory / "manifest.json"
    if not manifest_path.is_file():
        raise FileNotFoundError(f"{directory} is not a cloud assembly: it has no manifest.json")
    artifacts = _read_json(manifest_path).get("artifacts", {})
    for name, artifact in artifacts.items():
        properties = artifact.get("properties", {})
        if artifact.get("type") == "aws:cloudformation:stack":
            yield _stack(directory, name, artifact, properties)
        elif artifact.get("type") == "cdk:cloud-assembly" and recurse:
            yield from _stacks(directory / properties["directoryName"])


def _stack(directory: Path, name: str, artifact: Mapping[str, Any],
           properties: Mapping[str, Any]) -> StackArtifact:
    metadata: Mapping[str, Any] = artifact.get("metadata") or {}
    if "additionalMetadataFile" in artifact:
        metadata = _read_json(directory / artifact["additionalMetadataFile"])
    construct_paths: dict[str, str] = {}
    acknowledgments: dict[str, list[Acknowledgment]] = {}
    for raw_path, entries in metadata.items():
        path = raw_path.lstrip("/")
        for entry in entries:
            if entry.get("type") == _LOGICAL_ID:
                construct_paths[str(entry["data"])] = path
            elif entry.get("type") == ACKNOWLEDGED_RULES:
                for written_id, reason in (entry.get("data") or {}).items():
                    acknowledgment_id = _strip_bare_prefix(str(written_id))
                    acknowledgments.setdefault(path, []).append(
                        Acknowledgment(acknowledgment_id, str(reason), path)
                    )
    template_path = directory / properties["templateFile"]
    return StackArtifact(
        name=str(artifact.get("displayName", name)),
        template_path=template_path,
        template=_read_json(template_path),
        construct_paths=construct_paths,
        acknowledgments={path: tuple(acks) for path, acks in acknowledgments.items()},
        environment=str(artifact.get("environment", "aws://unknown-account/unknown-region")),
    )


def _strip_bare_prefix(written_id: str) -> str:
    # aws-cdk-lib records a bare acknowledgment id as 'Annotation::<id>' (before 2.262.1: 'annotation::').
    if written_id.lower().startswith(_BARE_ACKNOWLEDGMENT_PREFIX):
        return written_id[len(_BARE_ACKNOWLEDGMENT_PREFIX):]
    return written_id


def _read_json(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        data = json.load(handle)
    return data if isinstance(data, dict) else {}
