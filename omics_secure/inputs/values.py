"""What a CloudFormation value will be, read before deployment: the one place rules read properties through.

A rule sees a resource's properties after this layer has resolved them for one combination of the
template's conditions (a *branch*):

- ``Ref`` to a parameter is one of the values the parameter can take, explored like an undecided
  condition: a ``--parameter`` override pins it; otherwise each of its ``AllowedValues``; otherwise its
  ``Default`` and "any other value" (an :class:`Unknown` that is known not to be the default and to satisfy
  the parameter's ``AllowedPattern``, length and value bounds); a parameter without a default, or resolved
  from SSM, is :class:`Unknown`. A parameter's default is one deployment among many, so a verdict that
  changes with the value is reported for the values that fail. A ``CommaDelimitedList`` or ``List<...>``
  parameter becomes a list of strings;
- ``Fn::If`` takes the branch its condition decides. Conditions (``Fn::Equals``, ``Fn::And``, ``Fn::Or``,
  ``Fn::Not``, ``Condition``) are evaluated where their operands are known; an undecided condition is a
  free choice, and :func:`explore` judges the resource on every combination of the choices it meets;
- ``Ref: AWS::NoValue`` removes the property (or the list item) it stands for;
- ``Fn::Sub`` and ``Fn::Join`` become a plain string when every part is known, else a :class:`Text`
  whose parts keep the references (``arn:${AWS::Partition}:s3:::${Bucket}/`` still names ``Bucket``);
- ``Fn::Select``, ``Fn::Split`` and ``Fn::FindInMap`` are applied when their operands are known;
- ``Ref`` to a resource and ``Fn::GetAtt`` stay as written, so rules can tell which resource is meant;
- anything only known at deploy time (``Fn::ImportValue``, a parameter without a default, a pseudo
  parameter, an intrinsic this layer does not evaluate) becomes :class:`Unknown`.

Rules then read values with :func:`field`, :func:`mapping`, :func:`items`, :func:`text`, :func:`flag` and
:func:`number`, which apply CloudFormation's own coercions (``"true"``/``"True"`` for a Boolean, ``"30"``
for a Number) and raise :class:`CannotJudge` where the value a rule needs is :class:`Unknown`; the rule
engine turns that into a *cannot judge* verdict naming the property and the expression.

References: intrinsic functions
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference.html, condition
functions https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference-conditions.html,
parameters https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/parameters-section-structure.html,
pseudo parameters https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/pseudo-parameter-reference.html.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any, TypeVar

NO_VALUE = "AWS::NoValue"
PSEUDO_PARAMETERS = frozenset({
    "AWS::AccountId", "AWS::NotificationARNs", "AWS::Partition", "AWS::Region", "AWS::StackId",
    "AWS::StackName", "AWS::URLSuffix",
})
# More combinations of undecided conditions than this are not explored; the rest is reported as cannot judge.
BRANCH_LIMIT = 64
_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_LIST_PARAMETER = re.compile(r"^(CommaDelimitedList|List<.*>|AWS::SSM::Parameter::Value<List<.*>>)$")

T = TypeVar("T")


class _Removed:
    """What ``Ref: AWS::NoValue`` resolves to: dropped from the mapping or list that holds it."""

    def __repr__(self) -> str:
        return "AWS::NoValue"


_REMOVED = _Removed()


@dataclass(frozen=True)
class Constraints:
    """What CloudFormation lets a parameter's value be: its declared ``AllowedPattern``, ``MinLength``,
    ``MaxLength``, ``MinValue`` and ``MaxValue``, its ``Type`` (a ``Number`` is numeric), and the values the
    exploration has already taken separately (``excluded``). Parameters:
    https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/parameters-section-structure.html"""

    pattern: str | None = None
    min_length: int | None = None
    max_length: int | None = None
    min_value: float | None = None
    max_value: float | None = None
    numeric: bool = False
    excluded: tuple[str, ...] = ()

    def admits(self, candidate: str) -> bool:
        """True when the parameter could take ``candidate``."""
        if candidate in self.excluded:
            return False
        if self.min_length is not None and len(candidate) < self.min_length:
            return False
        if self.max_length is not None and len(candidate) > self.max_length:
            return False
        if self.numeric or self.min_value is not None or self.max_value is not None:
            try:
                number_value = float(candidate)
            except ValueError:
                return False
            if self.min_value is not None and number_value < self.min_value:
                return False
            if self.max_value is not None and number_value > self.max_value:
                return False
        if self.pattern is not None:
            try:
                return re.fullmatch(self.pattern, candidate) is not None
            except re.error:
                return True  # a Java pattern Python cannot compile: assume it admits the value
        return True

    def describe(self) -> str:
        parts = [f"not {', '.join(v if v.strip() else json.dumps(v) for v in self.excluded)}"] if self.excluded else []
        if self.pattern is not None:
            parts.append(f"matching {self.pattern}")
        return ", ".join(parts)


@dataclass(frozen=True)
class Unknown:
    """A value only known at deploy time; ``expression`` is the CloudFormation expression as written.

    A parameter's value carries the parameter's ``constraints``, so that a rule can ask whether it may be
    a value that matters (:func:`may_be`).
    """

    expression: Any
    constraints: Constraints | None = None

    def __str__(self) -> str:
        return show(self.expression)

    @property
    def parameter(self) -> str | None:
        """The parameter this value is, when it is one."""
        return self.expression.get("Ref") if isinstance(self.expression, Mapping) and isinstance(
            self.expression.get("Ref"), str) else None


def may_be(value: Any, candidate: str) -> bool:
    """True when ``value`` is, or at deploy time may be, the string ``candidate``.

    A parameter's :class:`Unknown` value may be any value its constraints admit; any other :class:`Unknown`
    may be anything.
    """
    if isinstance(value, Unknown):
        return value.constraints is None or value.constraints.admits(candidate)
    if isinstance(value, bool):
        return candidate == ("true" if value else "false")
    if isinstance(value, str | int | float):
        return str(value) == candidate
    return isinstance(value, Text)


@dataclass(frozen=True)
class Text:
    """A string built by ``Fn::Sub`` or ``Fn::Join`` whose parts are not all known.

    ``parts`` are literal strings, ``{"Ref": id}``, ``{"Fn::GetAtt": [id, attribute]}`` and :class:`Unknown`.
    """

    parts: tuple[Any, ...]

    def literal(self) -> str:
        """The literal parts, joined by spaces (for searching, not for display)."""
        return " ".join(part for part in self.parts if isinstance(part, str))

    def refers_to(self, logical_id: str) -> bool:
        return any(referenced_id(part) == logical_id for part in self.parts)

    def after(self, logical_id: str) -> str | None:
        """The text after the last reference to ``logical_id``, when all of it is literal; else None."""
        positions = [i for i, part in enumerate(self.parts) if referenced_id(part) == logical_id]
        if not positions:
            return None
        rest = self.parts[positions[-1] + 1:]
        return "".join(rest) if all(isinstance(part, str) for part in rest) else None

    def sub_string(self) -> str:
        """The string as Fn::Sub would write it: ``arn:${AWS::Partition}:s3:::${Bucket}/``."""
        return "".join(_sub_placeholder(part) for part in self.parts)

    def __str__(self) -> str:
        return "!Sub " + json.dumps(self.sub_string())


def _sub_placeholder(part: Any) -> str:
    if isinstance(part, str):
        return part
    if isinstance(part, Unknown):
        part = part.expression
    if isinstance(part, Mapping) and isinstance(part.get("Ref"), str):
        return "${" + str(part["Ref"]) + "}"
    attribute = part.get("Fn::GetAtt") if isinstance(part, Mapping) else None
    if isinstance(attribute, list) and len(attribute) == 2:
        return "${" + ".".join(str(a) for a in attribute) + "}"
    return "${" + show(part) + "}"


class CannotJudge(Exception):
    """The value a rule needs is only known at deploy time."""

    def __init__(self, where: str, value: Any, reason: str = "known only at deploy time") -> None:
        self.where = where
        self.value = value
        super().__init__(f"{where} is {show(value)}, {reason}")


class Narrow(CannotJudge):
    """A rule read a parameter's value where only a few values are valid (a Boolean, an enumerated property):
    :func:`explore` judges the branch again with the parameter at each of ``candidates`` its constraints
    admit, instead of giving up. Outside an exploration it is an ordinary :class:`CannotJudge`."""

    def __init__(self, where: str, value: Unknown, candidates: tuple[str, ...], *, ignore_case: bool = False) -> None:
        super().__init__(where, value)
        self.parameter = str(value.parameter)
        spellings = (lambda c: (c, c.lower(), c.upper(), c.title())) if ignore_case else (lambda c: (c,))
        self.candidates = tuple(c for c in candidates if any(may_be(value, s) for s in spellings(c)))


def choice(value: Any, *path: str | int, options: tuple[str, ...], ignore_case: bool = False) -> str | None:
    """The string at ``path`` of a property CloudFormation accepts only as one of ``options`` (a Boolean, an
    enumeration such as ``HttpTokens``); a parameter's value there is explored as each option it may be."""
    found = known_or_parameter(value, *path)
    if isinstance(found, Unknown):
        raise Narrow(_where(path), found, options, ignore_case=ignore_case)
    return text(value, *path)


def known_or_parameter(value: Any, *path: str | int) -> Any:
    """Like :func:`known`, but a parameter's :class:`Unknown` value (with its constraints) is returned."""
    found = field(value, *path)
    if isinstance(found, Unknown) and (found.parameter is None or found.constraints is None):
        raise CannotJudge(_where(path), found)
    return found


def referenced_id(value: Any) -> str | None:
    """The logical id a ``Ref`` or ``Fn::GetAtt`` names, else None."""
    if isinstance(value, Mapping) and len(value) == 1:
        if isinstance(value.get("Ref"), str):
            return str(value["Ref"])
        attribute = value.get("Fn::GetAtt")
        if isinstance(attribute, list) and attribute and isinstance(attribute[0], str):
            return attribute[0]
        if isinstance(attribute, str):
            return attribute.split(".", 1)[0]
    return None


def refers_to(value: Any, logical_id: str) -> bool:
    """True when ``value`` is a ``Ref`` or ``Fn::GetAtt`` of ``logical_id``."""
    return referenced_id(value) == logical_id


def mentions_resource(value: Any, logical_id: str) -> bool:
    """True when ``value``, at any depth (a :class:`Text` included), refers to ``logical_id``."""
    if referenced_id(value) == logical_id:
        return True
    if isinstance(value, Text):
        return value.refers_to(logical_id)
    if isinstance(value, Mapping):
        return any(mentions_resource(v, logical_id) for v in value.values())
    if isinstance(value, list):
        return any(mentions_resource(v, logical_id) for v in value)
    return False


# --- showing values as CloudFormation does -----------------------------------------------------------------

def show(value: Any) -> str:
    """``value`` as a template author would write it: ``!Ref Tokens``, ``!GetAtt Vpc.CidrBlock``, ``[a, b]``."""
    if value is None:
        return "absent"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    if isinstance(value, Unknown | Text):
        return str(value)
    if isinstance(value, Mapping):
        if len(value) == 1:
            name, argument = next(iter(value.items()))
            if name == "Ref":
                return f"!Ref {show(argument)}"
            if name == "Fn::GetAtt":
                joined = ".".join(show(a) for a in argument) if isinstance(argument, list) else show(argument)
                return f"!GetAtt {joined}"
            if isinstance(name, str) and name.startswith("Fn::"):
                return f"!{name[4:]} {_show_argument(argument)}"
            if name == "Condition":
                return f"!Condition {show(argument)}"
        return "{" + ", ".join(f"{k}: {show(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(show(v) for v in value) + "]"
    return str(value)


def _show_argument(argument: Any) -> str:
    if isinstance(argument, str):
        return json.dumps(argument) if any(c in argument for c in " :${}[],") else argument
    return show(argument)


# --- reading resolved values in rules ----------------------------------------------------------------------

def _where(path: tuple[str | int, ...]) -> str:
    return ".".join(str(p) for p in path) or "the value"


def field(value: Any, *path: str | int) -> Any:
    """The value at ``path`` inside ``value`` (mapping keys or list indexes), None when absent or mis-shaped.

    Raises :class:`CannotJudge` when the path runs through a value only known at deploy time.
    """
    current = value
    for depth, step in enumerate(path):
        if isinstance(current, Unknown):
            raise CannotJudge(_where(path[:depth]), current)
        if isinstance(step, int):
            current = current[step] if isinstance(current, list) and -len(current) <= step < len(current) else None
        else:
            current = current.get(step) if isinstance(current, Mapping) else None
    return current


def known(value: Any, *path: str | int) -> Any:
    """Like :func:`field`, and raises :class:`CannotJudge` when the value itself is only known at deploy time."""
    found = field(value, *path)
    if isinstance(found, Unknown):
        raise CannotJudge(_where(path), found)
    return found


def mapping(value: Any, *path: str | int) -> Mapping[str, Any]:
    """The mapping at ``path``; an empty mapping when absent or not a mapping."""
    found = known(value, *path)
    return found if isinstance(found, Mapping) else {}


def items(value: Any, *path: str | int) -> list[Any]:
    """The list at ``path``: a single value as a one-item list, absent as an empty list."""
    found = known(value, *path)
    if found is None:
        return []
    return list(found) if isinstance(found, list) else [found]


def mappings(value: Any, *path: str | int) -> list[Mapping[str, Any]]:
    """The mappings of the list at ``path``; other items (mis-shaped) are skipped."""
    return [item for item in items(value, *path) if isinstance(item, Mapping)]


def text(value: Any, *path: str | int) -> str | None:
    """The string at ``path`` as CloudFormation passes it (numbers and Booleans as their string form).

    None when absent or not a scalar; raises :class:`CannotJudge` for a value built from deploy-time parts.
    """
    found = known(value, *path)
    if isinstance(found, bool):
        return "true" if found else "false"
    if isinstance(found, str | int | float):
        return str(found)
    if isinstance(found, Text) or referenced_id(found) is not None:
        raise CannotJudge(_where(path), found)
    return None


def flag(value: Any, *path: str | int) -> bool | None:
    """The Boolean at ``path``: ``true``/``false`` or CloudFormation's strings ``"true"``/``"True"``/``"false"``.

    None when absent or not a Boolean. A parameter's value is explored as true and as false, where its
    constraints admit them.
    """
    found = choice(value, *path, options=("true", "false"), ignore_case=True)
    if found is None:
        return None
    return {"true": True, "false": False}.get(found.lower())


def number(value: Any, *path: str | int) -> float | None:
    """The number at ``path`` (a number or a numeric string, as CloudFormation accepts); None otherwise."""
    found = known(value, *path)
    if isinstance(found, bool):
        return None
    if isinstance(found, int | float):
        return float(found)
    if isinstance(found, str):
        try:
            return float(found)
        except ValueError:
            return None
    if isinstance(found, Text) or referenced_id(found) is not None:
        raise CannotJudge(_where(path), found)
    return None


def literal_text(value: Any) -> str:
    """Every literal string in ``value`` (references and deploy-time parts left out), joined by spaces."""
    if isinstance(value, str):
        return value
    if isinstance(value, Text):
        return value.literal()
    if isinstance(value, Mapping):
        return " ".join(literal_text(v) for v in value.values())
    if isinstance(value, list):
        return " ".join(literal_text(v) for v in value)
    return ""


def each(values: Iterable[T], judge: Callable[[T], Iterable[str]]) -> tuple[list[str], list[CannotJudge]]:
    """Judge every item, so that one item known only at deploy time does not hide another's problem.

    Returns the problems found and the items that could not be judged.
    """
    problems: list[str] = []
    unknown: list[CannotJudge] = []
    for value in values:
        try:
            problems.extend(judge(value))
        except Narrow:
            raise  # the exploration judges every candidate value; each item is judged again there
        except CannotJudge as cannot:
            unknown.append(cannot)
    return problems, unknown


# --- the template's parameters, conditions and mappings -----------------------------------------------------

class TemplateValues:
    """The parameters (their possible values), conditions, mappings and resources of one template."""

    def __init__(self, template: Mapping[str, Any], overrides: Mapping[str, str] | None = None) -> None:
        overrides = dict(overrides or {})
        self.resources: Mapping[str, Any] = _as_mapping(template.get("Resources"))
        self.conditions: Mapping[str, Any] = _as_mapping(template.get("Conditions"))
        self.mappings: Mapping[str, Any] = _as_mapping(template.get("Mappings"))
        self.domains: dict[str, tuple[Any, ...]] = {}
        """Each parameter's values to explore, the first being the one a deployment without overrides gets."""
        for name, declaration in _as_mapping(template.get("Parameters")).items():
            name = str(name)
            declaration = _as_mapping(declaration)
            if name in overrides:
                self.domains[name] = (_parameter_value(overrides.pop(name), declaration.get("Type")),)
            else:
                self.domains[name] = parameter_domain(name, declaration)
        # Overrides of pseudo parameters (AWS::Region=...) and of names the template does not declare.
        self.pseudo: dict[str, Any] = dict(overrides)
        self._unconditional: dict[str, Any] = {}
        self._derived: dict[str, Any] = {}

    @property
    def parameters(self) -> dict[str, Any]:
        """Each parameter's first value: its override, else its first allowed value or default."""
        return {name: domain[0] for name, domain in self.domains.items()}

    @classmethod
    def of_resources(cls, resources: Mapping[str, Any]) -> TemplateValues:
        return cls({"Resources": resources})


SSM_PARAMETER_TYPE = "AWS::SSM::Parameter::Value<"


def parameter_constraints(declaration: Mapping[str, Any], excluded: tuple[str, ...] = ()) -> Constraints:
    """The constraints CloudFormation enforces on a value of the parameter ``declaration``."""
    def integer(key: str) -> int | None:
        try:
            return int(str(declaration[key])) if key in declaration else None
        except ValueError:
            return None

    def decimal(key: str) -> float | None:
        try:
            return float(str(declaration[key])) if key in declaration else None
        except ValueError:
            return None

    pattern = declaration.get("AllowedPattern")
    type_ = str(declaration.get("Type", "String"))
    return Constraints(pattern=str(pattern) if isinstance(pattern, str | int | float) else None,
                       min_length=integer("MinLength"), max_length=integer("MaxLength"),
                       min_value=decimal("MinValue"), max_value=decimal("MaxValue"),
                       numeric=type_ == "Number", excluded=excluded)


def parameter_domain(name: str, declaration: Mapping[str, Any]) -> tuple[Any, ...]:
    """The values to explore for parameter ``name`` when no override pins it.

    ``AllowedValues`` are every value it can take (the default first); a parameter with a ``Default`` and no
    ``AllowedValues`` can take its default or any other value its constraints admit; one without a default,
    or resolved from SSM Parameter Store at deployment, is :class:`Unknown`.
    """
    type_ = declaration.get("Type")
    reference = {"Ref": name}
    if isinstance(type_, str) and type_.startswith(SSM_PARAMETER_TYPE):
        return (Unknown(reference),)
    default = declaration.get("Default")
    allowed = declaration.get("AllowedValues")
    if isinstance(allowed, list) and allowed:
        values = [_parameter_value(v, type_) for v in allowed]
        if default is not None:
            first = _parameter_value(default, type_)
            values = [first, *(v for v in values if v != first)] if first in values else values
        return tuple(values)
    if default is None:
        return (Unknown(reference, parameter_constraints(declaration)),)
    value = _parameter_value(default, type_)
    shown = ",".join(value) if isinstance(value, list) else str(value)
    return (value, Unknown(reference, parameter_constraints(declaration, excluded=(shown,))))


def _as_mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _parameter_value(value: Any, type_: Any) -> Any:
    if isinstance(value, bool):
        value = "true" if value else "false"
    if isinstance(value, list):
        return [str(v) for v in value]
    value = str(value)
    if isinstance(type_, str) and _LIST_PARAMETER.match(type_):
        return [part.strip() for part in value.split(",")]
    return value


# --- resolution of one branch -------------------------------------------------------------------------------

BranchKey = str | tuple[str, str]
"""What a branch fixes: a condition, by its name, or a parameter, as ``("parameter", name)``."""


@dataclass
class Resolution:
    """One branch: the template's values with some undecided conditions and some parameters fixed
    (``assignment``: a condition's name -> its value, ``("parameter", name)`` -> the parameter's value).

    An undecided condition met for the first time is taken as true, and a parameter with several possible
    values as its first; each is recorded in ``decided``, so that :func:`explore` can come back and take the
    others.
    """

    values: TemplateValues
    assignment: dict[BranchKey, Any] = dataclass_field(default_factory=dict)
    decided: list[BranchKey] = dataclass_field(default_factory=list)
    _free: set[BranchKey] = dataclass_field(default_factory=set)
    _resources: dict[str, Any] = dataclass_field(default_factory=dict)
    _evaluating: set[str] = dataclass_field(default_factory=set)
    _free_reads: int = 0
    deciding: set[str] = dataclass_field(default_factory=set)
    """The parameters read while evaluating a condition: the ones that decide the template's structure."""
    _narrowed_at_start: bool | None = None

    @property
    def branch(self) -> dict[BranchKey, Any]:
        """The undecided conditions and the parameters this branch fixed."""
        return {key: value for key, value in self.assignment.items() if key in self._free}

    # conditions and parameters

    def _fixed(self, key: BranchKey, first: Any) -> Any:
        """The value of ``key`` on this branch: as assigned, else ``first``, recorded as decided here."""
        self._free.add(key)
        self._free_reads += 1
        if key in self.assignment:
            return self.assignment[key]
        self.assignment[key] = first
        self.decided.append(key)
        return first

    def condition(self, name: Any) -> bool:
        """The value of condition ``name`` on this branch, deciding it (true first) when it is undecided."""
        name = str(name)
        if name in self.assignment:
            return bool(self._fixed(name, True))
        value = self._static_condition(name)
        if value is not None:
            return value
        return bool(self._fixed(name, True))

    def parameter(self, name: str) -> Any:
        """The value of parameter ``name`` on this branch: its only value, or the one this branch takes."""
        key: BranchKey = ("parameter", name)
        if self._evaluating:
            self.deciding.add(name)
        domain = self.values.domains[name]
        if len(domain) == 1 and key not in self.assignment:
            return domain[0]
        return self._fixed(key, domain[0])

    def _static_condition(self, name: str) -> bool | None:
        if name in self.assignment:
            return bool(self._fixed(name, True))
        if name not in self.values.conditions or name in self._evaluating:
            return None
        self._evaluating.add(name)
        try:
            return self._evaluate(self.values.conditions[name])
        finally:
            self._evaluating.discard(name)

    def _evaluate(self, expression: Any) -> bool | None:
        if isinstance(expression, bool):
            return expression
        if isinstance(expression, str):
            return {"true": True, "false": False}.get(expression.lower())
        if not isinstance(expression, Mapping) or len(expression) != 1:
            return None
        name, argument = next(iter(expression.items()))
        if name == "Condition":
            return self._static_condition(str(argument))
        if name == "Fn::Equals":
            if not isinstance(argument, list) or len(argument) != 2:
                return None
            left_value, right_value = (self.resolve(a) for a in argument)
            left, right = _comparable(left_value), _comparable(right_value)
            if left is None or right is None:
                return _unequal_by_constraints(left_value, right_value)
            return bool(left == right)
        operands = argument if isinstance(argument, list) else [argument]
        if name == "Fn::Not":
            inner = self._evaluate(operands[0]) if len(operands) == 1 else None
            return None if inner is None else not inner
        if name in ("Fn::And", "Fn::Or"):
            results = [self._evaluate(operand) for operand in operands]
            decisive: bool = name == "Fn::Or"  # the value that decides the whole: true for Or, false for And
            if decisive in results:
                return decisive
            return None if None in results else not decisive
        return None

    # values

    def resolve(self, value: Any) -> Any:
        """``value`` on this branch; None where it resolves to ``AWS::NoValue``."""
        resolved = self._resolve(value)
        return None if resolved is _REMOVED else resolved

    def _resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [item for item in (self._resolve(v) for v in value) if item is not _REMOVED]
        if not isinstance(value, Mapping):
            return value
        if len(value) == 1:
            name = next(iter(value))
            if name == "Ref" or (isinstance(name, str) and name.startswith("Fn::")):
                return self._intrinsic(str(name), value[name], value)
        return {key: item for key, item in ((k, self._resolve(v)) for k, v in value.items()) if item is not _REMOVED}

    def _intrinsic(self, name: str, argument: Any, expression: Mapping[str, Any]) -> Any:
        if name == "Ref":
            return self._ref(argument, expression)
        if name == "Fn::GetAtt":
            if isinstance(argument, str) and "." in argument:
                return {"Fn::GetAtt": argument.split(".", 1)}
            if isinstance(argument, list) and len(argument) == 2 and all(isinstance(a, str) for a in argument):
                return {"Fn::GetAtt": list(argument)}
            return Unknown(expression)
        if name == "Fn::If":
            if not isinstance(argument, list) or len(argument) != 3 or not isinstance(argument[0], str):
                return Unknown(expression)
            return self._resolve(argument[1] if self.condition(argument[0]) else argument[2])
        if name == "Fn::Sub":
            return self._sub(argument, expression)
        if name == "Fn::Join":
            return self._join(argument, expression)
        if name == "Fn::Select":
            return self._select(argument, expression)
        if name == "Fn::Split":
            if isinstance(argument, list) and len(argument) == 2:
                delimiter, source = argument[0], self._resolve(argument[1])
                if isinstance(delimiter, str) and delimiter and isinstance(source, str):
                    return source.split(delimiter)
            return Unknown(expression)
        if name == "Fn::FindInMap":
            return self._find_in_map(argument, expression)
        # Fn::ImportValue, Fn::GetAZs, Fn::Cidr, Fn::Base64, Fn::Length, Fn::ToJsonString, Fn::Transform ...
        return Unknown(expression)

    def _ref(self, argument: Any, expression: Mapping[str, Any]) -> Any:
        if not isinstance(argument, str):
            return Unknown(expression)
        if argument == NO_VALUE:
            return _REMOVED
        if argument in self.values.domains:
            return self.parameter(argument)
        if argument in self.values.pseudo:
            return self.values.pseudo[argument]
        if argument in PSEUDO_PARAMETERS:
            return Unknown({"Ref": argument})
        return {"Ref": argument}  # a resource (CloudFormation refuses a template whose Ref names nothing)

    def _variable(self, name: str) -> Any:
        """A ``${name}`` of ``Fn::Sub`` without a variable map entry: a parameter, pseudo parameter or resource."""
        if "." in name and name not in self.values.domains:
            return {"Fn::GetAtt": name.split(".", 1)}
        return self._ref(name, {"Ref": name})

    def _sub(self, argument: Any, expression: Mapping[str, Any]) -> Any:
        variables: Mapping[str, Any] = {}
        if isinstance(argument, list) and len(argument) == 2 and isinstance(argument[1], Mapping):
            argument, variables = argument[0], argument[1]
        if not isinstance(argument, str):
            return Unknown(expression)
        parts: list[Any] = []
        position = 0
        for match in _SUB_VARIABLE.finditer(argument):
            parts.append(argument[position:match.start()])
            position = match.end()
            name = match.group(1)
            if name.startswith("!"):
                parts.append("${" + name[1:] + "}")
                continue
            value = self._resolve(variables[name]) if name in variables else self._variable(name)
            if isinstance(value, list | Mapping) and referenced_id(value) is None:
                return Unknown(expression)
            parts.append(value)
        parts.append(argument[position:])
        return _text(parts)

    def _join(self, argument: Any, expression: Mapping[str, Any]) -> Any:
        if not isinstance(argument, list) or len(argument) != 2 or not isinstance(argument[0], str):
            return Unknown(expression)
        values = self._resolve(argument[1])
        if not isinstance(values, list):
            return Unknown(expression)
        parts: list[Any] = []
        for index, value in enumerate(values):
            if index:
                parts.append(argument[0])
            if isinstance(value, list) or (isinstance(value, Mapping) and referenced_id(value) is None):
                return Unknown(expression)
            parts.append(value)
        return _text(parts)

    def _select(self, argument: Any, expression: Mapping[str, Any]) -> Any:
        if isinstance(argument, list) and len(argument) == 2:
            index, values = self._resolve(argument[0]), self._resolve(argument[1])
            try:
                position = int(index)
            except (TypeError, ValueError):
                return Unknown(expression)
            if isinstance(values, list) and 0 <= position < len(values):
                return values[position]
        return Unknown(expression)

    def _find_in_map(self, argument: Any, expression: Mapping[str, Any]) -> Any:
        if isinstance(argument, list) and len(argument) in (3, 4):
            keys = [self._resolve(a) for a in argument[:3]]
            if all(isinstance(k, str) for k in keys):
                found = _as_mapping(_as_mapping(self.values.mappings.get(keys[0])).get(keys[1])).get(keys[2])
                if found is not None:
                    return self._resolve(found)
            if len(argument) == 4 and isinstance(argument[3], Mapping) and "DefaultValue" in argument[3]:
                return self._resolve(argument[3]["DefaultValue"])
        return Unknown(expression)

    def derived(self, key: str, compute: Callable[[], T]) -> T:
        """``compute()``, shared by every resource of the template when no undecided condition changes it.

        Cross-resource rules use it to index the template once (bucket policies by bucket) rather than
        scan it for every resource.
        """
        if not self.assignment and key in self.values._derived:
            return self.values._derived[key]  # type: ignore[no-any-return]
        reads, unassigned = self._free_reads, not self.assignment
        result = compute()
        if unassigned and self._free_reads == reads:
            self.values._derived[key] = result
        return result

    # resources

    def resource(self, logical_id: str) -> Mapping[str, Any] | None:
        """The resource's body on this branch (Properties and DeletionPolicy resolved); None when the
        resource is not in the template or its condition is false on this branch."""
        if logical_id in self._resources:
            return self._resources[logical_id]  # type: ignore[no-any-return]
        cached = None if self._narrowed() else self.values._unconditional.get(logical_id)
        if cached is not None:
            self._resources[logical_id] = cached
            return cached  # type: ignore[no-any-return]
        body = self.values.resources.get(logical_id)
        resolved = self.resolve_body(body, logical_id) if isinstance(body, Mapping) else None
        self._resources[logical_id] = resolved
        return resolved

    def _narrowed(self) -> bool:
        """True when the branch gives a parameter of a single possible value a value of its own (a Boolean or
        enumerated property explored as each value it may take): resolutions shared by every branch do not
        hold here. Only a forced assignment can do that, so it is decided once, on the first call."""
        if self._narrowed_at_start is None:
            self._narrowed_at_start = any(isinstance(key, tuple) and len(self.values.domains.get(key[1], ())) <= 1
                                          for key in self.assignment)
        return self._narrowed_at_start

    def resolve_body(self, body: Mapping[str, Any], logical_id: str | None = None) -> Mapping[str, Any] | None:
        free_reads = self._free_reads
        condition = body.get("Condition")
        if condition is not None and not self.condition(condition):
            return None
        properties = self.resolve(body.get("Properties"))
        resolved = {
            "Type": body.get("Type"),
            "Properties": properties if isinstance(properties, Mapping) else {},
            "DeletionPolicy": self.resolve(body.get("DeletionPolicy")),
        }
        if logical_id is not None and self._free_reads == free_reads and not self._narrowed():
            self.values._unconditional[logical_id] = resolved
        return resolved


def _unequal_by_constraints(left: Any, right: Any) -> bool | None:
    """False when one side is a parameter's :class:`Unknown` value that cannot be the other side's known
    string (it was explored separately, or its constraints exclude it); None when it is undecided."""
    for unknown, other in ((left, right), (right, left)):
        candidate = _comparable(other)
        if isinstance(unknown, Unknown) and isinstance(candidate, str) and not may_be(unknown, candidate):
            return False
    return None


def _comparable(value: Any) -> Any:
    """A resolved operand of Fn::Equals as CloudFormation compares it (strings), or None if not known."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    if isinstance(value, list):
        parts = [_comparable(v) for v in value]
        return None if None in parts else tuple(parts)
    return None


def _text(parts: list[Any]) -> Any:
    """A plain string when every part is literal, else a :class:`Text` (adjacent literals merged)."""
    flat: list[Any] = []
    for part in parts:
        if isinstance(part, bool):
            part = "true" if part else "false"
        elif isinstance(part, int | float):
            part = str(part)
        pieces = part.parts if isinstance(part, Text) else (part,)
        for piece in pieces:
            if piece == "":
                continue
            if isinstance(piece, str) and flat and isinstance(flat[-1], str):
                flat[-1] += piece
            else:
                flat.append(piece)
    if all(isinstance(part, str) for part in flat):
        return "".join(flat)
    return Text(tuple(flat))


# --- judging every branch -------------------------------------------------------------------------------

def explore(values: TemplateValues, judge: Callable[[Resolution], T],
            limit: int = BRANCH_LIMIT) -> tuple[list[tuple[dict[BranchKey, Any], T]], bool]:
    """``judge`` on every combination of the undecided conditions and parameter values it meets, at most
    ``limit`` of them.

    Returns (the branch's conditions and parameters, the outcome) for each branch judged, and whether every
    branch was. Only what ``judge`` actually reads is explored, so a resource whose properties use no
    condition and no parameter with several values is judged once.
    """
    pending: list[dict[BranchKey, Any]] = [{}]
    outcomes: list[tuple[dict[BranchKey, Any], T]] = []
    while pending:
        if len(outcomes) >= limit:
            return outcomes, False
        forced = pending.pop()
        run = Resolution(values, dict(forced))
        try:
            outcome = judge(run)
        except Narrow as narrow:
            key: BranchKey = ("parameter", narrow.parameter)
            if isinstance(forced.get(key), str) or not narrow.candidates:
                raise CannotJudge(narrow.where, narrow.value) from narrow
            pending.extend({**forced, key: candidate} for candidate in reversed(narrow.candidates))
            continue
        outcomes.append((run.branch, outcome))
        prefix = dict(forced)
        for key in run.decided:
            taken = run.assignment[key]
            for other in _alternatives(values, key, taken):
                pending.append({**prefix, key: other})
            prefix[key] = taken
    return outcomes, True


def fixed_values(values: TemplateValues, expressions: Mapping[str, Any]) -> dict[str, str]:
    """Of ``expressions`` (written in the terms of the template of ``values``), each that resolves to the same
    plain string, number or Boolean whatever the template's parameters and conditions: the values a parent
    stack passes its nested stack for certain, as CloudFormation passes them (strings)."""
    fixed: dict[str, str] = {}
    for name, expression in expressions.items():
        run = Resolution(values)
        value = run.resolve(expression)
        if run.decided or run._free_reads:
            continue
        if isinstance(value, bool):
            fixed[str(name)] = "true" if value else "false"
        elif isinstance(value, str | int | float):
            fixed[str(name)] = str(value)
    return fixed


def _alternatives(values: TemplateValues, key: BranchKey, taken: Any) -> list[Any]:
    if isinstance(key, tuple):
        return [value for value in values.domains[key[1]] if value is not taken and value != taken]
    return [not taken]


def describe_branch(branch: Mapping[BranchKey, Any]) -> str:
    """'when Env is dev and condition IsProd is false' for a branch; '' when nothing was fixed."""
    if not branch:
        return ""
    parameters = sorted((key[1], value) for key, value in branch.items() if isinstance(key, tuple))
    conditions = sorted((key, value) for key, value in branch.items() if isinstance(key, str))
    parts = [_describe_parameter(name, value) for name, value in parameters]
    parts += [f"condition {name} is {'true' if value else 'false'}" for name, value in conditions]
    return f"when {' and '.join(parts)}"


def _describe_parameter(name: str, value: Any) -> str:
    if isinstance(value, Unknown):
        constraints = value.constraints.describe() if value.constraints is not None else ""
        return f"{name} is {constraints or 'another value'}"
    shown = ",".join(str(v) for v in value) if isinstance(value, list) else show(value)
    return f"{name} is {shown if shown.strip() else json.dumps(shown)}"
