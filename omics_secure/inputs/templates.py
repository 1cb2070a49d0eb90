"""Read plain CloudFormation templates (JSON or YAML, short-form tags included) as stacks.

JSON is read with the standard library (a 50 MB template in seconds); YAML with cfn-lint's own decoder
(``cfnlint.decode``), which understands ``!Ref``, ``!If``, ``!Sub`` and the other short forms and reports a
malformed file with its line. Either way the template becomes the same
:class:`~omics_secure.inputs.assembly.StackArtifact` a cloud assembly gives, so the rules, the reports and
the acknowledgment logic do not care where a template came from.

A template that is not a CloudFormation template (no ``Resources``, a resource that is not a mapping or has
no ``Type``, a parameter of a type CloudFormation does not know, a default its type refuses) is a
:class:`TemplateError` naming the file and the problem, never a template judged as empty. So is a
``--parameter`` value the template's own ``AllowedValues``, ``AllowedPattern``, length or value bounds refuse.

A nested stack (``AWS::CloudFormation::Stack``) whose ``TemplateURL`` names a local file (as templates do
before ``aws cloudformation package`` uploads them), or whose ``aws:asset:path`` metadata names one (as the
CDK CLI writes), is read too, confined to the directory of the template that names it; one that cannot be
read is recorded on its parent (``unread_nested``) and reported as not judged.

SAM templates (``Transform: AWS::Serverless-2016-10-31``) load as they are: their CloudFormation
resources (buckets, keys, roles ...) are judged, and their ``AWS::Serverless::*`` resources, which
the transform expands only at deployment, are listed as not judged.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from omics_secure._internal.files import InputFileError, confined, read_regular_file
from omics_secure.inputs.assembly import NESTED_STACK_TYPE, StackArtifact
from omics_secure.inputs.lines import resource_lines
from omics_secure.inputs.values import SSM_PARAMETER_TYPE, TemplateValues, fixed_values, parameter_constraints

SERVERLESS_PREFIX = "AWS::Serverless::"
_CDK_PATH = "aws:cdk:path"
_ASSET_PATH = "aws:asset:path"
_REMOTE_URL = re.compile(r"^(https?|s3)://", re.IGNORECASE)
_NESTING_LIMIT = 16


class TemplateError(Exception):
    """A template that cannot be read or is not a CloudFormation template; the message names file and line."""


def parse_parameters(assignments: Iterable[str]) -> dict[str, str]:
    """``NAME=VALUE`` strings (``--parameter``) as a mapping; raises TemplateError naming a malformed one."""
    parameters: dict[str, str] = {}
    for assignment in assignments:
        name, separator, value = assignment.partition("=")
        if not separator or not name.strip():
            raise TemplateError(f"--parameter {assignment!r} is not NAME=VALUE (for example "
                                "--parameter Environment=prod)")
        parameters[name.strip()] = value
    return parameters


def load_templates(paths: Iterable[str | Path], parameters: Mapping[str, str] | None = None) -> list[StackArtifact]:
    """Every template in ``paths`` and the local templates nested in them, parents first.

    ``parameters`` pin the values of the parameters of that name in every top-level template that declares
    them; a name no template declares, or a value a template's constraints refuse, is a TemplateError.
    """
    parameters = dict(parameters or {})
    stacks: list[StackArtifact] = []
    names: set[str] = set()
    for path in paths:
        for stack in _with_nested(load_template(path, parameters)):
            if stack.name in names:
                continue  # the same file given twice, or nested in two templates given
            names.add(stack.name)
            stacks.append(stack)
    declared = {str(name) for stack in stacks if stack.nested_in is None for name in _declared(stack)}
    unknown = sorted(name for name in parameters if name not in declared and not name.startswith("AWS::"))
    if unknown:
        raise TemplateError(f"--parameter {', '.join(unknown)}: no template declares such a parameter "
                            f"(they declare {', '.join(sorted(declared)) or 'none'})")
    return stacks


def load_template(path: str | Path, parameters: Mapping[str, str] | None = None, *,
                  name: str | None = None) -> StackArtifact:
    """The template at ``path`` as a stack named after the path (or ``name``), its parameters pinned to
    the values of ``parameters`` it declares."""
    path = Path(path)
    shown = name or str(path)
    if not path.exists():
        raise TemplateError(f"{path}: no such file")
    try:
        raw = read_regular_file(path.resolve(), what=f"template {path}")
    except InputFileError as error:
        raise TemplateError(str(error)) from error
    except OSError as error:
        raise TemplateError(f"{path}: cannot be read ({error.strerror or error})") from error
    template, lines = decode_template(raw, path)
    _check_structure(template, path)
    template = with_json_documents(template)
    declared = _as_mapping(template.get("Parameters"))
    pinned = {key: value for key, value in (parameters or {}).items() if key in declared or key.startswith("AWS::")}
    for key, value in pinned.items():
        if key in declared:
            problem = parameter_value_problem(declared[key], value)
            if problem:
                raise TemplateError(f"--parameter {key}={value}: {problem} ({path} declares {key})")
    resources = template["Resources"]
    return StackArtifact(
        name=shown,
        template_path=path,
        template=template,
        construct_paths={logical_id: _construct_path(shown, logical_id, body)
                         for logical_id, body in resources.items()},
        parameters=pinned,
        resource_lines=lines,
    )


def decode_template(raw: bytes, path: Path) -> tuple[dict[str, Any], dict[str, int]]:
    """The template in ``raw`` as plain dicts, lists and strings, and each resource's line.

    JSON (a document that starts with ``{``) is decoded by the standard library; anything else, and JSON the
    standard library refuses, by cfn-lint's decoder, which reads YAML's short forms and names the line of a
    problem.
    """
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise TemplateError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start}); a CloudFormation "
                            "template is UTF-8 JSON or YAML") from error
    if text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            pass  # YAML's flow style, or a JSON error cfn-lint's decoder reports with its line
        except RecursionError as error:
            raise TemplateError(f"{path}: nested too deeply to be a CloudFormation template") from error
        else:
            if not isinstance(data, dict):
                raise TemplateError(f"{path}: not a CloudFormation template (the file holds no mapping)")
            return data, resource_lines(text)
    return _decode_with_cfn_lint(text, path)


def _decode_with_cfn_lint(text: str, path: Path) -> tuple[dict[str, Any], dict[str, int]]:
    from cfnlint.decode import decode_str  # imported only when a YAML template is read (1-2 s)

    try:
        template, problems = decode_str(text)
    except RecursionError as error:
        raise TemplateError(f"{path}: nested too deeply to be a CloudFormation template") from error
    except Exception as error:  # cfn-lint's decoder raises what its YAML and JSON parsers raise
        raise TemplateError(f"{path}: cannot be decoded as JSON or YAML ({type(error).__name__}: {error})") from error
    if problems:
        first = problems[0]
        line = getattr(first, "linenumber", None)
        where = f"{path}:{line}" if line else str(path)
        raise TemplateError(f"{where}: {getattr(first, 'message', first)}")
    if not isinstance(template, Mapping):
        raise TemplateError(f"{path}: not a CloudFormation template (the file holds no mapping)")
    lines: dict[str, int] = {}
    resources = template.get("Resources")
    if isinstance(resources, Mapping):
        for key in resources:
            mark = getattr(key, "start_mark", None)
            lines[str(key)] = mark.line + 1 if mark is not None else 1
    try:
        plain = json.loads(json.dumps(template, default=str))  # cfn-lint's nodes as plain dicts and strings
    except (RecursionError, ValueError) as error:
        raise TemplateError(f"{path}: cannot be read as a CloudFormation template ({error})") from error
    return plain, lines


def with_json_documents(template: dict[str, Any]) -> dict[str, Any]:
    """``template`` with each JSON document written as a string (a policy document, a key policy) read as the
    object it holds, where CloudFormation's schema types the property as JSON (``["object", "string"]``):
    CloudFormation accepts either form, and a rule that expects the object would see no statement in the
    string. Templates without such a string are returned as they are, without loading the schemas."""
    resources = template.get("Resources")
    if not isinstance(resources, Mapping) or not _has_json_string(resources):
        return template
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER  # loaded only for a template that needs it

    converted = dict(resources)
    for logical_id, body in resources.items():
        if not isinstance(body, Mapping) or not _has_json_string(body.get("Properties")):
            continue
        try:
            schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", str(body.get("Type"))).schema
        except Exception:  # a type cfn-lint does not know (custom resources, SAM): nothing is typed JSON there
            continue
        properties = _json_documents(body.get("Properties"), schema, schema)
        converted[logical_id] = {**body, "Properties": properties}
    return {**template, "Resources": converted}


def _has_json_string(value: Any) -> bool:
    if isinstance(value, str):
        return value.lstrip().startswith("{")
    if isinstance(value, Mapping):
        return any(_has_json_string(item) for item in value.values())
    if isinstance(value, list):
        return any(_has_json_string(item) for item in value)
    return False


def _json_documents(value: Any, schema: Mapping[str, Any], root: Mapping[str, Any], depth: int = 0) -> Any:
    """``value`` with the JSON strings at JSON-typed places of ``schema`` (a resource's, ``$ref`` resolved in
    ``root``) parsed."""
    while isinstance(schema.get("$ref"), str) and schema["$ref"].startswith("#/definitions/") and depth < 32:
        schema = _as_mapping(_as_mapping(root.get("definitions")).get(schema["$ref"].rsplit("/", 1)[-1]))
        depth += 1
    types = schema.get("type")
    types = set(types) if isinstance(types, list) else {types}
    if isinstance(value, str) and {"object", "string"} <= types:
        try:
            parsed = json.loads(value)
        except ValueError:
            return value
        return parsed if isinstance(parsed, dict) else value
    if isinstance(value, Mapping) and depth < 32:
        properties = _as_mapping(schema.get("properties"))
        return {key: _json_documents(item, _as_mapping(properties.get(key)), root, depth + 1)
                for key, item in value.items()}
    if isinstance(value, list) and depth < 32:
        items = _as_mapping(schema.get("items"))
        return [_json_documents(item, items, root, depth + 1) for item in value]
    return value


def _check_structure(template: Mapping[str, Any], path: Path) -> None:
    """TemplateError for what makes a file not a CloudFormation template, or one CloudFormation refuses
    before it creates anything. Template anatomy:
    https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/template-anatomy.html"""
    if "Resources" not in template:
        raise TemplateError(f"{path}: not a CloudFormation template (no Resources section)")
    resources = template["Resources"]
    if not isinstance(resources, Mapping):
        raise TemplateError(f"{path}: Resources is {_kind(resources)}, not a mapping of logical ids to resources")
    if not resources:
        raise TemplateError(f"{path}: Resources is empty; CloudFormation requires at least one resource")
    for logical_id, body in resources.items():
        if not isinstance(body, Mapping):
            raise TemplateError(f"{path}: resource {logical_id} is {_kind(body)}, not a mapping with a Type")
        if not isinstance(body.get("Type"), str) or not body["Type"]:
            raise TemplateError(f"{path}: resource {logical_id} has no Type")
        if "Properties" in body and body["Properties"] is not None and not isinstance(body["Properties"], Mapping):
            raise TemplateError(f"{path}: the Properties of resource {logical_id} are {_kind(body['Properties'])}, "
                                "not a mapping")
    for section in ("Parameters", "Conditions", "Mappings", "Outputs"):
        if section in template and template[section] is not None and not isinstance(template[section], Mapping):
            raise TemplateError(f"{path}: {section} is {_kind(template[section])}, not a mapping")
    for name, declaration in _as_mapping(template.get("Parameters")).items():
        problem = parameter_declaration_problem(declaration)
        if problem:
            raise TemplateError(f"{path}: parameter {name} {problem}")


def parameter_declaration_problem(declaration: Any) -> str | None:
    """Why CloudFormation refuses a parameter declaration (its type, its default), or None. Parameter types:
    https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/parameters-section-structure.html"""
    from cfnlint.helpers import VALID_PARAMETER_TYPES

    if not isinstance(declaration, Mapping):
        return f"is {_kind(declaration)}, not a mapping with a Type"
    type_ = declaration.get("Type")
    if not isinstance(type_, str):
        return "has no Type"
    if type_ not in VALID_PARAMETER_TYPES and not type_.startswith(SSM_PARAMETER_TYPE):
        return f"has Type {type_}, which CloudFormation does not know (String, Number, CommaDelimitedList, ...)"
    allowed = declaration.get("AllowedValues")
    if allowed is not None and not isinstance(allowed, list):
        return f"has AllowedValues {_kind(allowed)}, not a list"
    if "Default" in declaration and not type_.startswith(SSM_PARAMETER_TYPE):
        default = declaration["Default"]
        if isinstance(default, Mapping | list) and not (isinstance(default, list) and _is_list_type(type_)):
            return f"has a Default that is {_kind(default)}"
        problem = _type_problem(type_, default)
        if problem:
            return f"has Default {default!r}, which {problem}"
    return None


def parameter_value_problem(declaration: Mapping[str, Any], value: str) -> str | None:
    """Why CloudFormation refuses ``value`` for the declared parameter, or None."""
    type_ = str(declaration.get("Type", "String"))
    problem = _type_problem(type_, value)
    if problem:
        return problem
    allowed = declaration.get("AllowedValues")
    if isinstance(allowed, list) and allowed and value not in [_as_text(v) for v in allowed]:
        return f"not one of its AllowedValues ({', '.join(_as_text(v) for v in allowed)})"
    parts = [part.strip() for part in value.split(",")] if _is_list_type(type_) else [value]
    constraints = parameter_constraints(declaration)
    for part in parts:
        if not constraints.admits(part):
            bounds = [f"{key} {declaration[key]}" for key in ("AllowedPattern", "MinLength", "MaxLength", "MinValue",
                                                             "MaxValue") if key in declaration]
            return f"outside what the parameter allows ({', '.join(bounds)})"
    return None


def _type_problem(type_: str, value: Any) -> str | None:
    if type_ in ("Number", "List<Number>"):
        parts = value if isinstance(value, list) else str(value).split(",") if type_ == "List<Number>" else [value]
        for part in parts:
            try:
                float(_as_text(part).strip())
            except ValueError:
                return f"is not a number, as its Type {type_} requires"
    return None


def _is_list_type(type_: str) -> bool:
    return type_ == "CommaDelimitedList" or type_.startswith("List<")


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _kind(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "a Boolean"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the string {value[:40]!r}"
    if isinstance(value, list):
        return "a list"
    return "a mapping" if isinstance(value, Mapping) else type(value).__name__


def _as_mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _declared(stack: StackArtifact) -> Mapping[str, Any]:
    return _as_mapping(stack.template.get("Parameters"))


def _construct_path(name: str, logical_id: str, body: Any) -> str:
    """The path CDK recorded for the resource (``aws:cdk:path`` metadata, when a CDK app made the template),
    else ``<template>/<logical id>``."""
    metadata = body.get("Metadata") if isinstance(body, Mapping) else None
    path = metadata.get(_CDK_PATH) if isinstance(metadata, Mapping) else None
    return path if isinstance(path, str) and path else f"{name}/{logical_id}"


def _with_nested(top: StackArtifact) -> Iterator[StackArtifact]:
    """``top``, then each template nested in it through a local file, recursively, parents first; a nested
    stack that cannot be read is recorded on its parent's ``unread_nested``."""
    pending = [(top, 0)]
    while pending:
        stack, depth = pending.pop(0)
        unread: dict[str, str] = {}
        children: list[StackArtifact] = []
        for logical_id, body in stack.resources.items():
            if not isinstance(body, Mapping) or body.get("Type") != NESTED_STACK_TYPE:
                continue
            try:
                child = _nested_template(stack, logical_id, body, depth)
            except TemplateError as error:
                unread[logical_id] = str(error)
                continue
            children.append(child)
        if unread:
            stack = replace(stack, unread_nested=unread)
        yield stack
        pending.extend((child, depth + 1) for child in children)


def _nested_template(parent: StackArtifact, logical_id: str, body: Mapping[str, Any], depth: int) -> StackArtifact:
    properties = _as_mapping(body.get("Properties"))
    metadata = _as_mapping(body.get("Metadata"))
    url = properties.get("TemplateURL")
    local = metadata.get(_ASSET_PATH) if isinstance(metadata.get(_ASSET_PATH), str) else None
    if local is None:
        if not isinstance(url, str):
            what = "built at deploy time" if isinstance(url, Mapping) else _kind(url)
            raise TemplateError(f"its TemplateURL is {what}, so the nested template is not in the input")
        if _REMOTE_URL.match(url):
            raise TemplateError(f"its TemplateURL {url} is not a local file; pass the nested template with "
                                "another --template to judge it")
        local = url.removeprefix("file://")
    if depth >= _NESTING_LIMIT:
        raise TemplateError(f"it is nested {depth + 1} deep, past the {_NESTING_LIMIT} levels this check follows")
    directory = parent.template_path.parent
    try:
        target = confined(directory, local, what=f"the nested template of {logical_id}")
    except InputFileError as error:
        raise TemplateError(str(error)) from error
    child = load_template(target, name=f"{parent.name}/{logical_id}")
    bindings = _as_mapping(properties.get("Parameters"))
    declared = _declared(child)
    passed = fixed_values(TemplateValues(parent.template, parent.parameters), bindings)
    return replace(child, nested_in=parent.name, nested_resource=logical_id, parameter_bindings=bindings,
                   parameters={name: value for name, value in passed.items() if name in declared})


def not_judged(stack: StackArtifact) -> list[str]:
    """Logical ids of the template's SAM resources, which no rule judges before the transform runs."""
    return [logical_id for logical_id, body in stack.resources.items()
            if isinstance(body, Mapping) and str(body.get("Type", "")).startswith(SERVERLESS_PREFIX)]


def describe_unjudged(stacks: Sequence[StackArtifact]) -> list[str]:
    """One note per template with SAM resources no rule judged, and per nested stack whose template could
    not be read."""
    notes = []
    for stack in stacks:
        ids = not_judged(stack)
        if ids:
            notes.append(f"note: {stack.name}: {len(ids)} SAM resource(s) not judged ({', '.join(ids)}); the "
                         "AWS::Serverless-2016-10-31 transform expands them at deployment")
    return notes
