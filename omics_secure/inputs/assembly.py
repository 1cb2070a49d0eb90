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
_CREATION_STACK = "aws:cdk:creationStack"
# Annotations.of(construct).add_error/add_warning_v2/add_info, as aws-cdk-lib records them per construct path.
ANNOTATION_LEVELS = {"aws:cdk:error": "error", "aws:cdk:warning": "warning", "aws:cdk:info": "info"}
_BARE_ACKNOWLEDGMENT_PREFIX = "annotation::"


class AssemblyError(ValueError):
    """A cloud assembly that cannot be read: a missing or malformed manifest, metadata file or template."""


@dataclass(frozen=True)
class Annotation:
    """What the app said about one of its constructs: ``level`` is error, warning or info."""

    level: str
    construct_path: str
    message: str


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
    annotations: tuple[Annotation, ...] = ()
    creation_stacks: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Construct path -> the frames CDK recorded where the construct was created (``aws:cdk:creationStack``)."""
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


def missing_context(directory: str | Path) -> list[str]:
    """The context lookups the app could not make (``missing`` in manifest.json): each needs AWS credentials
    or a value in cdk.context.json; the templates hold placeholders until then."""
    manifest = _read_json(Path(directory) / "manifest.json")
    missing = manifest.get("missing") or []
    return [str(entry.get("key", "?")) for entry in missing if isinstance(entry, Mapping)] if isinstance(
        missing, list) else []


def _stacks(directory: Path, *, recurse: bool = True) -> Iterator[StackArtifact]:
    manifest_path = directory / "manifest.json"
    if not manifest_path.is_file():
        raise AssemblyError(f"{directory} is not a cloud assembly: it has no manifest.json")
    artifacts = _read_json(manifest_path).get("artifacts") or {}
    if not isinstance(artifacts, Mapping):
        raise AssemblyError(f"{manifest_path}: 'artifacts' is not an object")
    for name, artifact in artifacts.items():
        if not isinstance(artifact, Mapping):
            raise AssemblyError(f"{manifest_path}: artifact {name!r} is not an object")
        properties = artifact.get("properties") or {}
        if artifact.get("type") == "aws:cloudformation:stack":
            if not isinstance(properties, Mapping) or not isinstance(properties.get("templateFile"), str):
                raise AssemblyError(f"{manifest_path}: stack {name!r} names no templateFile")
            yield _stack(directory, str(name), artifact, properties)
        elif artifact.get("type") == "cdk:cloud-assembly" and recurse:
            if not isinstance(properties, Mapping) or not isinstance(properties.get("directoryName"), str):
                raise AssemblyError(f"{manifest_path}: nested assembly {name!r} names no directoryName")
            yield from _stacks(directory / properties["directoryName"])


def _stack(directory: Path, name: str, artifact: Mapping[str, Any],
           properties: Mapping[str, Any]) -> StackArtifact:
    metadata: Mapping[str, Any] = artifact.get("metadata") or {}
    if "additionalMetadataFile" in artifact:
        metadata = _read_json(directory / artifact["additionalMetadataFile"])
    if not isinstance(metadata, Mapping):
        raise AssemblyError(f"the metadata of stack {name!r} in {directory} is not an object")
    construct_paths: dict[str, str] = {}
    acknowledgments: dict[str, list[Acknowledgment]] = {}
    annotations: list[Annotation] = []
    creation_stacks: dict[str, tuple[str, ...]] = {}
    for raw_path, entries in metadata.items():
        path = str(raw_path).lstrip("/")
        for entry in entries if isinstance(entries, list) else []:
            if not isinstance(entry, Mapping):
                continue
            if entry.get("type") in ANNOTATION_LEVELS:
                annotations.append(Annotation(ANNOTATION_LEVELS[entry["type"]], path, _message(entry.get("data"))))
            elif entry.get("type") == _CREATION_STACK and isinstance(entry.get("data"), list):
                creation_stacks[path] = tuple(str(frame) for frame in entry["data"])
            elif entry.get("type") == _LOGICAL_ID:
                construct_paths[str(entry["data"])] = path
            elif entry.get("type") == ACKNOWLEDGED_RULES:
                data = entry.get("data")
                for written_id, reason in (data.items() if isinstance(data, Mapping) else ()):
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
        annotations=tuple(annotations),
        creation_stacks=creation_stacks,
    )


def _message(data: Any) -> str:
    return data if isinstance(data, str) else json.dumps(data)


def _strip_bare_prefix(written_id: str) -> str:
    # aws-cdk-lib records a bare acknowledgment id as 'Annotation::<id>' (before 2.262.1: 'annotation::').
    if written_id.lower().startswith(_BARE_ACKNOWLEDGMENT_PREFIX):
        return written_id[len(_BARE_ACKNOWLEDGMENT_PREFIX):]
    return written_id


def _read_json(path: Path) -> dict[str, Any]:
    """The JSON object in ``path``; an :class:`AssemblyError` naming the file when it is missing or malformed."""
    try:
        with path.open(encoding="utf-8") as handle:
            data = json.load(handle)
    except FileNotFoundError as error:
        raise AssemblyError(f"{path} is missing; synthesize the app again") from error
    except (OSError, UnicodeDecodeError) as error:
        raise AssemblyError(f"{path} cannot be read: {error}") from error
    except json.JSONDecodeError as error:
        raise AssemblyError(f"{path} is not valid JSON ({error.msg} at line {error.lineno}, "
                            f"column {error.colno}); synthesize the app again") from error
    if not isinstance(data, dict):
        raise AssemblyError(f"{path} does not hold a JSON object")
    return data
