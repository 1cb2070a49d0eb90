"""Read a synthesized cloud assembly (``cdk.out``) without jsii: templates, nested stacks, construct paths,
acknowledgments.

CDK writes, next to each stack template, a metadata file that maps every logical id to its construct
path and records every ``Validations.of(x).acknowledge(...)``. That is enough to run the project's
rules on any CDK app's output, in any language, and to honour the acknowledgments made in it.

A ``NestedStack``'s template is a file asset of its parent (``<id>.nested.template.json``), named in the
parent's metadata (``aws:cdk:templateFile`` at the nested stack's construct path, and ``aws:asset:path`` on the
``AWS::CloudFormation::Stack`` resource when the CDK CLI synthesized it). Each nested template becomes a stack
of its own here, judged like any other, with its resources' construct paths from the parent's metadata.

Every file the manifest names is read through :mod:`omics_secure._internal.files`: inside the assembly
directory after symbolic links, a regular file, under the size limit; anything else is an
:class:`AssemblyError` naming it, and nothing is read.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from omics_secure._internal.files import InputFileError, read_confined
from omics_secure.inputs.lines import resource_lines
from omics_secure.inputs.values import TemplateValues, fixed_values

ACKNOWLEDGED_RULES = "aws:cdk:acknowledged-rules"
_LOGICAL_ID = "aws:cdk:logicalId"
_CREATION_STACK = "aws:cdk:creationStack"
_TEMPLATE_FILE = "aws:cdk:templateFile"
_ASSET_PATH = "aws:asset:path"
NESTED_STACK_TYPE = "AWS::CloudFormation::Stack"
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
    nested_in: str | None = None
    """For a nested stack: the name of the stack whose ``AWS::CloudFormation::Stack`` resource creates it."""
    nested_resource: str | None = None
    """For a nested stack: the logical id of that ``AWS::CloudFormation::Stack`` resource in its parent."""
    parameter_bindings: Mapping[str, Any] = field(default_factory=dict)
    """For a nested stack: the parent resource's ``Parameters`` property as written, in the parent's terms."""
    unread_nested: Mapping[str, str] = field(default_factory=dict)
    """Logical id of each ``AWS::CloudFormation::Stack`` resource whose template could not be read -> why."""
    resource_lines: Mapping[str, int] = field(default_factory=dict)
    """Logical id -> the line of the template file where the resource starts, where known."""

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


def stacks_for_template(template_path: str | Path) -> list[StackArtifact]:
    """The stack whose template is ``template_path``, read with its assembly's metadata, and every stack nested
    in it. A template no artifact of the assembly names is read on its own."""
    template_path = Path(template_path)
    found: list[StackArtifact] = []
    top: str | None = None
    for stack in _stacks(template_path.parent, recurse=False):
        if top is None and stack.nested_in is None and stack.template_path.resolve() == template_path.resolve():
            top = stack.name
            found.append(stack)
        elif top is not None and stack.nested_in is not None:
            found.append(stack)
        elif top is not None:
            break
    if found:
        return found
    template, lines = _read_template(template_path.parent, template_path.name, what="the template")
    return [StackArtifact(name=template_path.name.removesuffix(".template.json"), template_path=template_path,
                          template=template, construct_paths={}, resource_lines=lines)]


def missing_context(directory: str | Path) -> list[str]:
    """The context lookups the app could not make (``missing`` in manifest.json): each needs AWS credentials
    or a value in cdk.context.json; the templates hold placeholders until then."""
    manifest = _read_json(Path(directory), "manifest.json", what="the manifest")
    missing = manifest.get("missing") or []
    return [str(entry.get("key", "?")) for entry in missing if isinstance(entry, Mapping)] if isinstance(
        missing, list) else []


def _stacks(directory: Path, *, recurse: bool = True) -> Iterator[StackArtifact]:
    if not (directory / "manifest.json").exists():
        raise AssemblyError(f"{directory} is not a cloud assembly: it has no manifest.json")
    manifest = _read_json(directory, "manifest.json", what="the manifest")
    artifacts = manifest.get("artifacts") or {}
    manifest_path = directory / "manifest.json"
    if not isinstance(artifacts, Mapping):
        raise AssemblyError(f"{manifest_path}: 'artifacts' is not an object")
    for name, artifact in artifacts.items():
        if not isinstance(artifact, Mapping):
            raise AssemblyError(f"{manifest_path}: artifact {name!r} is not an object")
        properties = artifact.get("properties") or {}
        if artifact.get("type") == "aws:cloudformation:stack":
            if not isinstance(properties, Mapping) or not isinstance(properties.get("templateFile"), str):
                raise AssemblyError(f"{manifest_path}: stack {name!r} names no templateFile")
            yield from _stack_and_nested(directory, str(name), artifact, properties)
        elif artifact.get("type") == "cdk:cloud-assembly" and recurse:
            if not isinstance(properties, Mapping) or not isinstance(properties.get("directoryName"), str):
                raise AssemblyError(f"{manifest_path}: nested assembly {name!r} names no directoryName")
            nested = _confined_directory(directory, properties["directoryName"], f"nested assembly {name!r}")
            yield from _stacks(nested)


@dataclass
class _Metadata:
    """What an artifact's metadata says, by construct path (without the leading '/')."""

    logical_ids: dict[str, str] = field(default_factory=dict)  # construct path -> logical id
    template_files: dict[str, str] = field(default_factory=dict)  # construct path of a stack -> its template
    acknowledgments: dict[str, list[Acknowledgment]] = field(default_factory=dict)
    annotations: list[Annotation] = field(default_factory=list)
    creation_stacks: dict[str, tuple[str, ...]] = field(default_factory=dict)


def _read_metadata(directory: Path, name: str, artifact: Mapping[str, Any]) -> _Metadata:
    metadata: Any = artifact.get("metadata") or {}
    if "additionalMetadataFile" in artifact:
        metadata = _read_json(directory, artifact["additionalMetadataFile"], what=f"the metadata file of {name!r}")
    if not isinstance(metadata, Mapping):
        raise AssemblyError(f"the metadata of stack {name!r} in {directory} is not an object")
    read = _Metadata()
    for raw_path, entries in metadata.items():
        path = str(raw_path).lstrip("/")
        for entry in entries if isinstance(entries, list) else []:
            if not isinstance(entry, Mapping):
                continue
            kind, data = entry.get("type"), entry.get("data")
            if kind in ANNOTATION_LEVELS:
                read.annotations.append(Annotation(ANNOTATION_LEVELS[str(kind)], path, _message(data)))
            elif kind == _CREATION_STACK and isinstance(data, list):
                read.creation_stacks[path] = tuple(str(frame) for frame in data)
            elif kind == _LOGICAL_ID and isinstance(data, str):
                read.logical_ids[path] = data
            elif kind == _TEMPLATE_FILE and isinstance(data, str):
                read.template_files[path] = data
            elif kind == ACKNOWLEDGED_RULES:
                for written_id, reason in (data.items() if isinstance(data, Mapping) else ()):
                    read.acknowledgments.setdefault(path, []).append(
                        Acknowledgment(_strip_bare_prefix(str(written_id)), str(reason), path))
    return read


def _stack_and_nested(directory: Path, name: str, artifact: Mapping[str, Any],
                      properties: Mapping[str, Any]) -> Iterator[StackArtifact]:
    """The artifact's stack, then every nested stack below it, parents before children."""
    metadata = _read_metadata(directory, name, artifact)
    template_file = str(properties["templateFile"])
    top_path = next((path for path, file in metadata.template_files.items() if file == template_file), None)
    nested_paths = sorted(path for path, file in metadata.template_files.items() if path != top_path)
    stack_paths = [p for p in (top_path, *nested_paths) if p is not None]

    def owner(construct_path: str) -> str | None:
        """The construct path of the deepest stack (top-level or nested) that holds ``construct_path``."""
        holders = [p for p in stack_paths if construct_path.startswith(p + "/")]
        return max(holders, key=len) if holders else None

    paths_by_stack: dict[str | None, dict[str, str]] = {}
    for construct_path, logical_id in metadata.logical_ids.items():
        paths_by_stack.setdefault(owner(construct_path), {})[logical_id] = construct_path
    acknowledgments = {path: tuple(acks) for path, acks in metadata.acknowledgments.items()}
    environment = str(artifact.get("environment", "aws://unknown-account/unknown-region"))
    template, lines = _read_template(directory, template_file, what=f"the template of stack {name!r}")
    top = StackArtifact(
        name=str(artifact.get("displayName", name)),
        template_path=directory / template_file,
        template=template,
        construct_paths=paths_by_stack.get(top_path, {}) if top_path is not None else
        {lid: path for own, paths in paths_by_stack.items() if own is None for lid, path in paths.items()},
        acknowledgments=acknowledgments,
        environment=environment,
        annotations=tuple(metadata.annotations),
        creation_stacks=metadata.creation_stacks,
        resource_lines=lines,
    )
    read: dict[str, StackArtifact] = {top_path or "": top}
    unread: dict[str, dict[str, str]] = {}
    nested_stacks: list[StackArtifact] = []
    for nested_path in nested_paths:  # sorted, so a parent is read before the stacks nested in it
        parent = read.get(owner(nested_path) or "")
        if parent is None:
            continue  # its parent could not be read; that parent's own resource says so
        resource_id = _nested_resource_id(nested_path, parent)
        try:
            nested_template, nested_lines = _read_template(
                directory, metadata.template_files[nested_path], what=f"the template of nested stack {nested_path!r}")
        except AssemblyError as error:
            if resource_id is not None:
                unread.setdefault(parent.name, {})[resource_id] = str(error)
            continue
        bindings = _parameters_of(parent, resource_id)
        declared = nested_template.get("Parameters")
        passed = fixed_values(TemplateValues(parent.template, parent.parameters), bindings)
        nested = StackArtifact(
            name=nested_path,
            template_path=directory / metadata.template_files[nested_path],
            template=nested_template,
            construct_paths=paths_by_stack.get(nested_path, {}),
            acknowledgments=acknowledgments,
            environment=environment,
            creation_stacks=metadata.creation_stacks,
            nested_in=parent.name,
            nested_resource=resource_id,
            parameter_bindings=bindings,
            parameters={name: value for name, value in passed.items()
                        if isinstance(declared, Mapping) and name in declared},
            resource_lines=nested_lines,
        )
        read[nested_path] = nested
        nested_stacks.append(nested)
    for stack in (top, *nested_stacks):
        found = {s.nested_resource for s in nested_stacks if s.nested_in == stack.name}
        missing = {lid: why for lid, why in unread.get(stack.name, {}).items()}
        for logical_id, body in stack.resources.items():
            if (isinstance(body, Mapping) and body.get("Type") == NESTED_STACK_TYPE and logical_id not in found
                    and logical_id not in missing):
                missing[logical_id] = ("the assembly names no template for it (no aws:cdk:templateFile metadata of "
                                       "its nested stack)")
        yield replace(stack, unread_nested=missing) if missing else stack


def _nested_resource_id(nested_path: str, parent: StackArtifact) -> str | None:
    """The logical id, in ``parent``, of the ``AWS::CloudFormation::Stack`` resource that creates the nested
    stack at ``nested_path``: CDK puts it at ``<nested path>.NestedStack/<id>.NestedStackResource``."""
    resource_path = f"{nested_path}.NestedStack/{nested_path.rsplit('/', 1)[-1]}.NestedStackResource"
    for logical_id, path in parent.construct_paths.items():
        if path == resource_path:
            return logical_id
    for logical_id, body in parent.resources.items():  # synthesized by the CDK CLI: the asset path is recorded
        metadata = body.get("Metadata") if isinstance(body, Mapping) else None
        if isinstance(metadata, Mapping) and metadata.get("aws:cdk:path") == resource_path:
            return logical_id
    return None


def _parameters_of(parent: StackArtifact, resource_id: str | None) -> Mapping[str, Any]:
    body = parent.resources.get(resource_id) if resource_id is not None else None
    properties = body.get("Properties") if isinstance(body, Mapping) else None
    parameters = properties.get("Parameters") if isinstance(properties, Mapping) else None
    return parameters if isinstance(parameters, Mapping) else {}


def _message(data: Any) -> str:
    return data if isinstance(data, str) else json.dumps(data)


def _strip_bare_prefix(written_id: str) -> str:
    # aws-cdk-lib records a bare acknowledgment id as 'Annotation::<id>' (before 2.262.1: 'annotation::').
    if written_id.lower().startswith(_BARE_ACKNOWLEDGMENT_PREFIX):
        return written_id[len(_BARE_ACKNOWLEDGMENT_PREFIX):]
    return written_id


def _read_json(directory: Path, relative: str, *, what: str) -> dict[str, Any]:
    """The JSON object in ``directory / relative``, read through the confinement of
    :func:`~omics_secure._internal.files.read_confined`; an :class:`AssemblyError` naming the file when it is
    missing, outside the assembly, not a regular file, too large or malformed."""
    data, _ = _decode(directory, relative, what=what)
    return data


def _read_template(directory: Path, relative: str, *, what: str) -> tuple[dict[str, Any], dict[str, int]]:
    """A template of the assembly and the line on which each of its resources starts."""
    return _decode(directory, relative, what=what, lines=True)


def _decode(directory: Path, relative: str, *, what: str, lines: bool = False) -> tuple[dict[str, Any], dict[str, int]]:
    path = directory / relative
    try:
        raw = read_confined(directory, relative, what=what)
    except InputFileError as error:
        if "does not exist" in str(error):
            raise AssemblyError(f"{path} is missing; synthesize the app again") from error
        raise AssemblyError(f"{directory}: {error}") from error
    try:
        text = raw.decode("utf-8")
        data = json.loads(text)
    except UnicodeDecodeError as error:
        raise AssemblyError(f"{path} cannot be read: it is not UTF-8 text ({error.reason})") from error
    except json.JSONDecodeError as error:
        raise AssemblyError(f"{path} is not valid JSON ({error.msg} at line {error.lineno}, "
                            f"column {error.colno}); synthesize the app again") from error
    except RecursionError as error:
        raise AssemblyError(f"{path} is nested too deeply to be a CloudFormation template or manifest") from error
    if not isinstance(data, dict):
        raise AssemblyError(f"{path} does not hold a JSON object")
    return data, (resource_lines(text) if lines else {})


def _confined_directory(directory: Path, relative: str, what: str) -> Path:
    from omics_secure._internal.files import confined

    try:
        target = confined(directory, relative, what=what)
    except InputFileError as error:
        raise AssemblyError(f"{directory / 'manifest.json'}: {error}") from error
    if not target.is_dir():
        raise AssemblyError(f"{directory / 'manifest.json'}: {what} {relative!r} is not a directory")
    return target
