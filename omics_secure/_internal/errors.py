"""The project's single error type for bad construct props, and a collector for it."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from enum import Enum
from typing import Any

from aws_cdk import Duration, Token, Tokenization
from constructs import Construct

_MAX_SHOWN = 200


@dataclass(frozen=True)
class Problem:
    """One bad prop: its name, the value received and how to fix it."""

    prop: str
    value: Any
    fix: str

    def __str__(self) -> str:
        return f"{self.prop}={readable(self.value)}: {self.fix}"


class OmicsSecureConfigError(ValueError):
    """Raised when a construct's props are invalid or would weaken a secure default.

    The message names every bad prop, the value received and the fix, so a user never has to read
    a jsii stack trace to find a mistake in their own props.
    """

    def __init__(self, construct: str, problems: list[Problem]) -> None:
        self.construct = construct
        self.problems = list(problems)
        lines = "\n".join(f"  - {problem}" for problem in self.problems)
        super().__init__(f"{construct}: invalid props\n{lines}")


# Users meet it as omics_secure.OmicsSecureConfigError (a traceback's last line names the class by its module).
OmicsSecureConfigError.__module__ = "omics_secure"

# The wrong-typed props of the call being checked (omics_secure._internal.props.checked_props), which every
# ProblemCollector of that call raises with its own value problems, so one error names them all.
_PENDING: ContextVar[tuple[Problem, ...]] = ContextVar("omics_secure_pending_problems", default=())


@contextlib.contextmanager
def pending(problems: list[Problem]) -> Iterator[None]:
    """While the body of a call whose ``problems`` (wrong types) are known runs its value checks: any
    :meth:`ProblemCollector.raise_if_any` in it raises them together with its own."""
    token = _PENDING.set(tuple(problems))
    try:
        yield
    finally:
        _PENDING.reset(token)


class ProblemCollector:
    """Collects every problem of one construct so that they are raised together, once."""

    def __init__(self, construct: str) -> None:
        self._construct = construct
        self._problems: list[Problem] = []

    def add(self, prop: str, value: Any, fix: str) -> None:
        self._problems.append(Problem(prop, value, fix))

    def require(self, condition: bool, prop: str, value: Any, fix: str) -> None:
        if not condition:
            self.add(prop, value, fix)

    @property
    def problems(self) -> list[Problem]:
        return list(self._problems)

    def raise_if_any(self) -> None:
        """Raise every problem collected, and the wrong-typed props of the call (:func:`pending`): a value check
        of a prop whose type is already wrong is left out, since it judged a value of the wrong kind."""
        typed = _PENDING.get()
        wrong = {problem.prop.split("[", 1)[0].split(".", 1)[0] for problem in typed}
        found = [*typed, *(p for p in self._problems if p.prop.split("[", 1)[0].split(".", 1)[0] not in wrong)]
        if found:
            raise OmicsSecureConfigError(self._construct, found)


def is_unresolved(value: Any) -> bool:
    """True for a CDK token whose value is only known at deploy time; such values are not validated."""
    return isinstance(value, str | int | float) and Token.is_unresolved(value)


def readable(value: Any) -> str:
    """``value`` as a user recognises it: a construct's path (and literal ARN), an enum member, a literal.

    Never an object repr such as ``<aws_cdk.aws_s3.Bucket object at 0x...>``.
    """
    if is_unresolved(value):
        return _token_words(value)
    if isinstance(value, str):
        text = repr(value)
        return text if len(text) <= _MAX_SHOWN else f"{text[:_MAX_SHOWN]}...' ({len(value)} characters)"
    if isinstance(value, bool | int | float) or value is None:
        return repr(value)
    if isinstance(value, Enum):
        return f"{type(value).__name__}.{value.name}"
    path = _construct_path(value)
    if path is not None:
        arn = _literal_arn(value)
        name = type(value).__name__
        kind = name if isinstance(value, Construct) and not name.startswith("_") else "imported resource"
        return f"{kind} at {path}" + (f" ({arn})" if arn else "")
    if isinstance(value, Duration):
        return f"Duration {value.to_human_string()}"
    if isinstance(value, list | tuple | set | frozenset):
        return "[" + ", ".join(readable(item) for item in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{readable(k)}: {readable(v)}" for k, v in value.items()) + "}"
    if type(value).__module__.startswith("aws_cdk") and hasattr(value, "to_string"):
        return str(value.to_string())  # principals and other jsii values: ServicePrincipal(ec2.amazonaws.com)
    text = repr(value)
    if " object at 0x" in text or len(text) > _MAX_SHOWN:
        cls = type(value)
        module = "omics_secure" if cls.__module__.startswith("omics_secure") else cls.__module__
        return f"a {module}.{cls.__qualname__} object"
    return text


def _token_words(value: str | int | float) -> str:
    """A token as what it stands for: "the Arn of App/Data/Resource (known at deployment)" for a reference to a
    resource's attribute, else that it is known only at deployment; never ``${Token[TOKEN.14]}``."""
    try:
        resolvables = (Tokenization.reverse_string(value).tokens if isinstance(value, str)
                       else [Tokenization.reverse_number(value)])
    except Exception:  # jsii could not reverse it: say what it is without its internals
        resolvables = []
    described = []
    for resolvable in resolvables:
        target, attribute = getattr(resolvable, "target", None), getattr(resolvable, "display_name", None)
        path = _construct_path(target) if target is not None else None
        if path is not None and isinstance(attribute, str):
            described.append(f"the {attribute} of {path}")
    if described:
        return f"{' and '.join(described)} (known at deployment)"
    return "a value known only at deployment (a CDK token)"


def _construct_path(value: Any) -> str | None:
    """The construct path of a construct or of a jsii proxy of one (an imported resource)."""
    if isinstance(value, Construct):
        return value.node.path
    if type(value).__module__.startswith("jsii"):
        try:
            path = value.node.path
        except Exception:  # not a construct after all
            return None
        return path if isinstance(path, str) else None
    return None


def _literal_arn(construct: Any) -> str | None:
    for attribute in ("key_arn", "bucket_arn", "role_arn", "topic_arn"):
        if hasattr(type(construct), attribute) or type(construct).__module__.startswith("jsii"):
            try:
                arn = getattr(construct, attribute)
            except Exception:  # a jsii getter that cannot answer is no reason to hide the real error
                continue
            return arn if isinstance(arn, str) and not Token.is_unresolved(arn) else None
    return None
