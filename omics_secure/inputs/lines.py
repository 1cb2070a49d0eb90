"""Where each resource of a template starts, for reports that point at a line (SARIF, code scanning)."""

from __future__ import annotations

import re

# A line that opens a mapping key: JSON's '"Key": ...' or block YAML's 'Key: ...' (quoted or not).
_KEY_LINE = re.compile(r"""(?P<indent>[ \t]*)(?P<quote>["']?)(?P<key>[^"'#:\s{}\[\],][^"':]*?)(?P=quote)\s*:(?:\s|$)""")
_LOGICAL_ID = re.compile(r"[A-Za-z0-9]+")  # CloudFormation's logical ids are alphanumeric


def resource_lines(text: str) -> dict[str, int]:
    """The line (1-based) of each resource's key in the template's ``Resources`` section, in one pass.

    Works on the layouts templates are written in: indented JSON (``cdk synth``'s one space, or any other
    indentation) and block YAML. The top level is the indentation of the file's first key; ``Resources`` is the
    first key at that level so named, and its resources are the keys at the indentation of its first child,
    until the next top-level key. A template on one line (minified JSON) or in YAML's flow style gives no
    lines: its findings point at line 1.
    """
    lines: dict[str, int] = {}
    top: int | None = None
    section: int | None = None  # the indentation of Resources' key, once found
    child: int | None = None
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.lstrip(" \t")
        if not stripped or stripped[0] in "#}]{[" or (section is not None and child is not None
                                                      and len(line) - len(stripped) > child):
            continue
        match = _KEY_LINE.match(line)
        if match is None:
            continue
        indent = len(match["indent"])
        if top is None:
            top = indent
        if section is None:
            if indent == top and match["key"] == "Resources":
                section = indent
            continue
        if indent <= section:
            break
        child = indent if child is None else child
        if indent == child and _LOGICAL_ID.fullmatch(match["key"]):
            lines.setdefault(match["key"], number)
    return lines
