"""Read plain CloudFormation templates (JSON or YAML, short-form tags included) as stacks.

Templates are read with cfn-lint's own decoder (``cfnlint.decode``), which understands ``!Ref``,
``!If``, ``!Sub`` and the other short forms, and reports a malformed file with its line. They become
the same :class:`~omics_secure.inputs.assembly.StackArtifact` objects a cloud assembly gives, so
the rules, the reports and the acknowledgment logic do not care where a template came from.

SAM templates (``Transform: AWS::Serverless-2016-10-31``) load as they are: their CloudFormation
resources (buckets, keys, roles ...) are judged, and their ``AWS::Serverless::*`` resources, which
the transform expands only at deployment, are listed as not judged.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from omics_secure.inputs.assembly import StackArtifact

SERVERLESS_PREFIX = "AWS::Serverless::"


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


def load_template(path: str | Path, parameters: Mapping[str, str] | None = None) -> StackArtifact:
    """The template at ``path`` as a stack named after the file, judged with ``parameters`` over the
    template's parameter defaults."""
    from cfnlint.decode import decode  # cfn-lint is imported only when a template is checked

    path = Path(path)
    if not path.is_file():
        raise TemplateError(f"{path}: no such file")
    template, problems = decode(str(path))
    if problems:
        first = problems[0]
        line = getattr(first, "linenumber", None)
        where = f"{path}:{line}" if line else str(path)
        raise TemplateError(f"{where}: {getattr(first, 'message', first)}")
    if not isinstance(template, Mapping):
        raise TemplateError(f"{path}: not a CloudFormation template (the file holds no mapping)")
    plain = json.loads(json.dumps(template, default=str))  # cfn-lint's nodes as plain dicts and strings
    resources = plain.get("Resources")
    if not isinstance(resources, Mapping) or not resources:
        raise TemplateError(f"{path}: not a CloudFormation template (no Resources section)")
    return StackArtifact(
        name=path.name,
        template_path=path,
        template=plain,
        construct_paths={logical_id: f"{path.name}/{logical_id}" for logical_id in resources},
        parameters=dict(parameters or {}),
    )


def not_judged(stack: StackArtifact) -> list[str]:
    """Logical ids of the template's SAM resources, which no rule judges before the transform runs."""
    return [logical_id for logical_id, body in stack.resources.items()
            if isinstance(body, Mapping) and str(body.get("Type", "")).startswith(SERVERLESS_PREFIX)]


def describe_unjudged(stacks: Sequence[StackArtifact]) -> list[str]:
    """One note per template with SAM resources no rule judged."""
    notes = []
    for stack in stacks:
        ids = not_judged(stack)
        if ids:
            notes.append(f"note: {stack.name}: {len(ids)} SAM resource(s) not judged ({', '.join(ids)}); the "
                         "AWS::Serverless-2016-10-31 transform expands them at deployment")
    return notes
