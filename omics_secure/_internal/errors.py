"""The project's single error type for bad construct props, and a collector for it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_cdk import Token


@dataclass(frozen=True)
class Problem:
    """One bad prop: its name, the value received and how to fix it."""

    prop: str
    value: Any
    fix: str

    def __str__(self) -> str:
        return f"{self.prop}={self.value!r}: {self.fix}"


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

    def raise_if_any(self) -> None:
        if self._problems:
            raise OmicsSecureConfigError(self._construct, self._problems)


def is_unresolved(value: Any) -> bool:
    """True for a CDK token whose value is only known at deploy time; such values are not validated."""
    return isinstance(value, str | int | float) and Token.is_unresolved(value)
