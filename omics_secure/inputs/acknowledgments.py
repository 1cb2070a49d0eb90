"""Acknowledgments, one model wherever they are written: in an app (CDK's ``aws:cdk:acknowledged-rules`` metadata,
with the owner, reference and dates ``acknowledge()`` records beside it) and in an acknowledgments file.

The file, ``omics-secure.acknowledgments.yaml`` (or ``--acknowledgments FILE``), lets template users and whole
teams accept findings in review like code::

    max_age_days: 365            # optional: how far ahead an entry may end (default 365)
    acknowledgments:
      - rule: "AwsSolutions::AwsSolutions-S1"
        resource: "DataBucket"   # a logical id, a construct path, or a glob of either
        reason: "Access logs of this bucket go to the organization trail's data events instead"
        owner: "security-officer@example.org"
        reference: "RISK-142"
        expires: 2026-06-30

It is checked against the JSON Schema shipped beside this module (``acknowledgments.schema.json``) and then
entry by entry (rule id, known pack, reason, dates within the maximum age); every problem is an
:class:`AcknowledgmentsFileError` naming the file, the line and the entry.
"""

from __future__ import annotations

import datetime
import fnmatch
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from omics_secure._internal.acknowledgment_terms import (
    DEFAULT_MAX_AGE_DAYS,
    RULE_ID_FIX,
    SOURCE_APP,
    SOURCE_CDK_NAG_2,
    SOURCE_FILE,
    SOURCE_LIBRARY,
    cleaned,
    expiry_problems,
    parse_rule_id,
    reason_problem,
    text_problem,
)
from omics_secure._internal.files import InputFileError, read_regular_file
from omics_secure._internal.naming import PHI_NAME_FIX, phi_like
from omics_secure._internal.tags import CDK_NAG_PACK_NAMES, OMICS_SECURE_PACK_NAME
from omics_secure.inputs import nag_suppressions

ACKNOWLEDGMENTS_FILE = "omics-secure.acknowledgments.yaml"
SCHEMA_FILE = Path(__file__).with_name("acknowledgments.schema.json")
KNOWN_PACKS = (*CDK_NAG_PACK_NAMES, OMICS_SECURE_PACK_NAME)
_MAX_FILE_BYTES = 4 * 1024 * 1024
_SHOWN_PROBLEMS = 3


@dataclass(frozen=True)
class Acknowledgment:
    """An accepted finding: the rule id as written (``Pack::RuleId``, or a bare ``RuleId`` CDK keeps no record
    of), its reason, and where it applies: ``construct_path`` and everything below it (made in an app), or the
    ``resource`` pattern of a file entry (a logical id, a construct path or a glob of either).

    ``owner``, ``reference`` and ``expires`` make it accountable; ``approved`` dates it. ``source`` says where it
    was written (:data:`SOURCE_APP`, :data:`SOURCE_FILE`, :data:`SOURCE_LIBRARY`, or another reader's, such as
    "cdk-nag 2 metadata"); ``origin`` where exactly (the construct path, or ``file:line``). A file found beside
    templates applies to their ``stacks`` only.
    """

    id: str
    reason: str
    construct_path: str = ""
    owner: str | None = None
    reference: str | None = None
    expires: datetime.date | None = None
    approved: datetime.date | None = None
    resource: str | None = None
    source: str = SOURCE_APP
    origin: str = ""
    stacks: frozenset[str] | None = field(default=None, compare=False)

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

    @property
    def stated_reason(self) -> str:
        """The reason as reports show it: a cdk-nag 2 suppression says that it is one."""
        return f"{self.source}: {self.reason}" if self.source == SOURCE_CDK_NAG_2 else self.reason

    def covers(self, rule_id: str) -> bool:
        """Whether it acknowledges the finding ``rule_id``: the same id, or, for a cdk-nag 2 suppression, as
        cdk-nag 2 applied it (every granular finding of the rule, or those ``applies_to`` names)."""
        if self.source == SOURCE_CDK_NAG_2:
            return nag_suppressions.covers(self.rule_id, rule_id)
        return self.rule_id == rule_id

    @property
    def pack(self) -> str:
        parsed = parse_rule_id(self.id)
        return parsed.pack if parsed else self.id.split("::", 1)[0]

    @property
    def where(self) -> str:
        """Where it applies, as written: the construct path or the resource pattern."""
        return self.resource if self.resource is not None else self.construct_path

    @property
    def by_library(self) -> bool:
        return self.source == SOURCE_LIBRARY

    @property
    def accountable(self) -> bool:
        """True when it names an owner and an end (or is the library's own, which ends with its release)."""
        return self.by_library or (self.owner is not None and self.expires is not None)

    def applies_to_stack(self, stack: str) -> bool:
        return self.stacks is None or stack in self.stacks

    def matches(self, construct_path: str, logical_id: str | None) -> bool:
        """Whether a file entry's ``resource`` names this resource: its logical id, its construct path or any
        construct above it (as CDK's acknowledgments cover everything below their construct)."""
        if self.resource is None:
            return False
        pattern = self.resource.strip().lstrip("/")
        if logical_id is not None and fnmatch.fnmatchcase(logical_id, pattern):
            return True
        parts = construct_path.strip("/").split("/")
        return any(fnmatch.fnmatchcase("/".join(parts[:depth]), pattern) for depth in range(len(parts), 0, -1))


def governed(acknowledgment: Acknowledgment, record: Mapping[str, Any]) -> Acknowledgment:
    """``acknowledgment`` (read from CDK's ``aws:cdk:acknowledged-rules``) with the owner, reference, dates and
    source ``acknowledge()`` recorded for it (the ``omics-secure:acknowledgment`` metadata of its construct)."""
    return Acknowledgment(
        id=acknowledgment.id, reason=acknowledgment.reason or cleaned(record.get("reason")),
        construct_path=acknowledgment.construct_path,
        owner=_text_or_none(record.get("owner")), reference=_text_or_none(record.get("reference")),
        expires=_date_or_none(record.get("expires")), approved=_date_or_none(record.get("approved")),
        source=str(record.get("source") or SOURCE_APP), origin=acknowledgment.construct_path)


def _text_or_none(value: Any) -> str | None:
    return cleaned(value) or None if value is not None else None


def _date_or_none(value: Any) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


class AcknowledgmentsFileError(ValueError):
    """The acknowledgments file cannot be used: the message names the file, the line and the entry."""


@dataclass(frozen=True)
class AcknowledgmentsFile:
    """An acknowledgments file, read and checked."""

    path: Path
    acknowledgments: tuple[Acknowledgment, ...]
    max_age_days: int = DEFAULT_MAX_AGE_DAYS
    require_expiry: bool = True


def find_acknowledgments_file(directory: Path) -> Path | None:
    """``omics-secure.acknowledgments.yaml`` in ``directory``, when there is one."""
    candidate = directory / ACKNOWLEDGMENTS_FILE
    return candidate if candidate.exists() else None


def read_acknowledgments_file(path: Path, *, today: datetime.date, stacks: frozenset[str] | None = None,
                              shown: str | None = None) -> AcknowledgmentsFile:
    """The acknowledgments of the file at ``path``, judged against the schema and the terms of an
    acknowledgment as of ``today``; ``stacks`` limits where its entries apply. ``shown`` is how messages name
    the file (default: the path as given)."""
    name = shown or str(path)
    try:
        raw = read_regular_file(path, what=f"acknowledgments file {name}", limit=_MAX_FILE_BYTES)
    except InputFileError as error:
        raise AcknowledgmentsFileError(str(error)) from error
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise AcknowledgmentsFileError(f"{name} is not UTF-8 text ({error.reason})") from error
    data, lines = _load_yaml(text, name)
    found = list(_schema_problems(data))
    problems = [(lines.get(location, 1), f"{name}:{lines.get(location, 1)}: {problem}") for location, problem in found]
    malformed = {location[1] for location, _ in found if len(location) >= 2 and location[0] == "acknowledgments"}
    whole_file = any(not (len(location) >= 2 and location[0] == "acknowledgments") for location, _ in found)
    entries = [] if whole_file else list(_entries(data, name, lines, today, stacks, problems, skip=malformed))
    if problems:
        listed = [problem for _, problem in sorted(problems, key=lambda item: item[0])]
        more = f" (and {len(listed) - _SHOWN_PROBLEMS} more)" if len(listed) > _SHOWN_PROBLEMS else ""
        raise AcknowledgmentsFileError("; ".join(listed[:_SHOWN_PROBLEMS]) + more)
    return AcknowledgmentsFile(path=path, acknowledgments=tuple(entries),
                               max_age_days=int(data.get("max_age_days", DEFAULT_MAX_AGE_DAYS)),
                               require_expiry=bool(data.get("require_expiry", True)))


# --- YAML with the line of every value -----------------------------------------------------------------------

Location = tuple[str | int, ...]


def _load_yaml(text: str, name: str) -> tuple[Any, dict[Location, int]]:
    """The document and the line of each value in it (by its path of keys and indexes). Dates stay strings
    (they are checked as dates after the schema), and a key written twice in one mapping is an error."""
    import yaml

    loader = _loader_class()(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise AcknowledgmentsFileError(f"{name} is empty; it holds 'acknowledgments:' and a list of entries")
        lines: dict[Location, int] = {}
        _index_lines(node, (), lines, name)
        return loader.construct_document(node), lines
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise AcknowledgmentsFileError(f"{name}:{line}: not valid YAML ({error.problem or error.context})") from error
    except yaml.YAMLError as error:
        raise AcknowledgmentsFileError(f"{name}: not valid YAML ({error})") from error
    except RecursionError as error:
        raise AcknowledgmentsFileError(f"{name} is nested too deeply to be an acknowledgments file") from error
    finally:
        loader.dispose()


@cache
def _loader_class() -> type[Any]:
    import yaml

    def compose_node(self: Any, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            raise yaml.MarkedYAMLError(problem="YAML aliases (*name) are not accepted in an acknowledgments file: "
                                               "write each entry out", problem_mark=self.peek_event().start_mark)
        return yaml.SafeLoader.compose_node(self, parent, index)

    # YAML's safe loader without timestamps (``expires: 2026-06-30`` stays the text written) and without aliases,
    # which no acknowledgments file needs and which let a small file expand into a huge document (billion laughs).
    loader: type[Any] = type("Loader", (yaml.SafeLoader,), {"compose_node": compose_node})
    loader.yaml_implicit_resolvers = {
        first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
    return loader


def _index_lines(node: Any, location: Location, lines: dict[Location, int], name: str) -> None:
    import yaml

    lines[location] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        keys: dict[str, int] = {}
        for key, value in node.value:
            written = str(key.value)
            if written in keys:
                raise AcknowledgmentsFileError(
                    f"{name}:{key.start_mark.line + 1}: '{written}' is written twice in one entry (first on line "
                    f"{keys[written]}); keep one")
            keys[written] = key.start_mark.line + 1
            _index_lines(value, (*location, written), lines, name)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _index_lines(item, (*location, index), lines, name)


# --- the schema, then the terms of each entry ----------------------------------------------------------------

@cache
def schema() -> Mapping[str, Any]:
    """The JSON Schema of the acknowledgments file (``acknowledgments.schema.json``, shipped in the package)."""
    loaded: Mapping[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return loaded


_FIXES = {
    "rule": "name the finding's rule with its pack, as the reports print it, e.g. 'AwsSolutions::AwsSolutions-S1'",
    "resource": "name where it applies: a logical id, a construct path, or a glob of either",
    "reason": "give the specific reason the finding is acceptable",
    "owner": "name the person or role who accepted the finding (e.g. an e-mail address)",
    "reference": "name the ticket, risk-register entry or approval id that records the acceptance",
    "expires": "give the last day it is in force, YYYY-MM-DD (set require_expiry: false to allow none)",
    "approved": "give the day it was approved, YYYY-MM-DD",
}


def _schema_problems(data: Any) -> Iterator[tuple[Location, str]]:
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema())
    for error in sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path]):
        location: Location = tuple(error.absolute_path)
        yield location, _explain(error, location, data)


def _explain(error: Any, location: Location, data: Any) -> str:
    where = _entry_name(location, data)
    field_name = str(location[-1]) if location and isinstance(location[-1], str) else None
    if error.validator == "required":
        missing = str(error.message).split("'")[1]
        return f"{where}: '{missing}' is missing; {_FIXES.get(missing, 'add it')}"
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        unexpected = sorted(set(error.instance) - set(allowed)) if isinstance(error.instance, Mapping) else []
        return (f"{where}: unknown key {', '.join(repr(k) for k in unexpected)}; the keys are "
                f"{', '.join(allowed)}")
    if field_name in ("expires", "approved") and error.validator in ("pattern", "type"):
        return f"{where}: {field_name} {error.instance!r} is not a date; write YYYY-MM-DD"
    if field_name == "rule" and error.validator == "pattern":
        return f"{where}: rule {error.instance!r} is not a Pack::RuleId id; {_FIXES['rule']}"
    if error.validator == "type" and not location:
        return (f"the file is {_kind(error.instance)}, not a mapping; it holds 'acknowledgments:' and a list of "
                "entries")
    if error.validator == "type":
        return f"{where}: {field_name or 'it'} is {_kind(error.instance)}, not {_expected(error.schema)}" + (
            f"; {_FIXES[field_name]}" if field_name in _FIXES else "")
    if error.validator == "minLength":
        return f"{where}: {field_name} is empty; {_FIXES.get(field_name or '', 'fill it in')}"
    return f"{where}: {error.message}"


def _entry_name(location: Location, data: Any) -> str:
    """'entry 3 (AwsSolutions::AwsSolutions-S1 on DataBucket)' for a location inside an entry, else the key."""
    if len(location) >= 2 and location[0] == "acknowledgments" and isinstance(location[1], int):
        entries = data.get("acknowledgments") if isinstance(data, Mapping) else None
        entry = entries[location[1]] if isinstance(entries, list) and location[1] < len(entries) else None
        return _describe_entry(location[1], entry)
    return str(location[0]) if location else "the file"


def _describe_entry(index: int, entry: Any) -> str:
    if not isinstance(entry, Mapping):
        return f"entry {index + 1}"
    rule, resource = entry.get("rule"), entry.get("resource")
    said = " on ".join(str(part) for part in (rule, resource) if isinstance(part, str) and part)
    return f"entry {index + 1}" + (f" ({said})" if said else "")


def _kind(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    return {dict: "a mapping", list: "a list", str: "text", int: "a number", float: "a number"}.get(
        type(value), type(value).__name__)


def _expected(schema_part: Mapping[str, Any]) -> str:
    expected = schema_part.get("type")
    names = {"string": "text", "integer": "a whole number", "boolean": "true or false", "object": "a mapping",
             "array": "a list"}
    kinds = expected if isinstance(expected, list) else [expected]
    return " or ".join(names.get(str(kind), str(kind)) for kind in kinds)


def _entries(data: Mapping[str, Any], name: str, lines: Mapping[Location, int], today: datetime.date,
             stacks: frozenset[str] | None, problems: list[tuple[int, str]], *, skip: set[Any]
             ) -> Iterator[Acknowledgment]:
    """The acknowledgment of each entry that meets every term; the problems of the others go into ``problems``
    (line, message). Entries in ``skip`` broke the schema already."""
    max_age = int(data.get("max_age_days", DEFAULT_MAX_AGE_DAYS))
    for index, entry in enumerate(data.get("acknowledgments") or []):
        if index in skip:
            continue
        line = lines.get(("acknowledgments", index), 1)
        found = list(_entry_problems(entry, today, max_age))
        for key, message in found:
            at = lines.get(("acknowledgments", index, key), line)
            problems.append((at, f"{name}:{at}: {_describe_entry(index, entry)}: {message}"))
        rule = parse_rule_id(entry["rule"])
        if found or rule is None:
            continue
        yield Acknowledgment(
            id=rule.recorded, reason=cleaned(entry["reason"]), owner=cleaned(entry["owner"]),
            reference=cleaned(str(entry["reference"])), expires=_date_or_none(entry.get("expires")),
            approved=_date_or_none(entry.get("approved")), resource=cleaned(entry["resource"]), source=SOURCE_FILE,
            origin=f"{name}:{line}", stacks=stacks)


def _entry_problems(entry: Mapping[str, Any], today: datetime.date, max_age: int) -> Iterator[tuple[str, str]]:
    """(key, message) for each term of an acknowledgment the entry does not meet."""
    rule = parse_rule_id(entry["rule"])
    if rule is None:
        yield "rule", f"rule {entry['rule']!r}: {RULE_ID_FIX}, with its pack prefix"
        return
    if rule.pack not in KNOWN_PACKS:
        yield "rule", f"unknown pack {rule.pack!r}; the packs are {', '.join(KNOWN_PACKS)}"
    reason = cleaned(entry["reason"])
    fix = reason_problem(reason, rule.bare)
    if fix is None and (kind := phi_like(reason)) is not None:
        fix = f"it looks like it contains a {kind}; {PHI_NAME_FIX}"
    if fix:
        yield "reason", f"reason {reason!r}: {fix}"
    for key, what in (("owner", "person or role who accepted it"), ("reference", "ticket, risk or approval record")):
        value = cleaned(str(entry[key]))
        fix = text_problem(value, what)
        if fix is None and key == "reference" and (kind := phi_like(value)) is not None:
            fix = f"it looks like it contains a {kind}; {PHI_NAME_FIX}"
        if fix:
            yield key, f"{key} {value!r}: {fix}"
    dates: dict[str, datetime.date] = {}
    for key in ("expires", "approved"):
        if key in entry:
            try:
                dates[key] = datetime.date.fromisoformat(entry[key])
            except ValueError:
                yield key, f"{key} {entry[key]!r} is not a date; write a real day as YYYY-MM-DD"
    if "expires" in dates:
        for key, fix in expiry_problems(dates["expires"], dates.get("approved"), today, max_age):
            yield key, f"{key} {entry[key]}: {fix}" + (" (max_age_days)" if "maximum age" in fix else "")
