"""Reading IAM policy documents as they appear in a template, after value resolution.

Policy grammar: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html
(``Action``, ``Resource`` and principal values are a string or a list of strings; ``Condition`` maps
operators to key-value blocks).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from omics_secure.inputs.values import (
    CannotJudge,
    Unknown,
    items,
    literal_text,
    mappings,
    text,
)

__all__ = [
    "actions",
    "allow_statements",
    "as_list",
    "condition_keys",
    "has_empty_principal",
    "is_wildcard_principal",
    "literal_text",
    "mentions",
    "principal_values",
    "statements",
]


def as_list(value: Any) -> list[Any]:
    """A value as a list (a single value as one item); raises CannotJudge for a deploy-time value."""
    return items(value)


def statements(document: Any) -> list[Mapping[str, Any]]:
    if isinstance(document, Unknown):
        raise CannotJudge("the policy document", document)
    if not isinstance(document, Mapping):
        return []
    return mappings(document, "Statement")


def allow_statements(document: Any) -> list[Mapping[str, Any]]:
    return [s for s in statements(document) if text(s, "Effect") == "Allow"]


def actions(statement: Mapping[str, Any]) -> list[str]:
    """The statement's actions; raises CannotJudge when one is only known at deploy time."""
    found = []
    for action in items(statement, "Action"):
        if isinstance(action, Unknown):
            raise CannotJudge("Action", action)
        if isinstance(action, str):
            found.append(action)
    return found


def principal_values(statement: Mapping[str, Any]) -> dict[str, list[Any]]:
    """The statement's principals by kind (AWS, Service, Federated, CanonicalUser); ``"*"`` as {"*": ["*"]}."""
    principal = statement.get("Principal")
    if principal is None:
        return {}
    if isinstance(principal, Unknown):
        raise CannotJudge("Principal", principal)
    if isinstance(principal, str):
        return {principal: [principal]}
    if isinstance(principal, Mapping):
        return {str(kind): items(principal, kind) for kind in principal}
    return {}


def is_wildcard_principal(statement: Mapping[str, Any]) -> bool:
    """True for ``"*"`` or ``{"AWS": "*"}``; raises CannotJudge when a principal is a deploy-time value."""
    for values in principal_values(statement).values():
        for value in values:
            if isinstance(value, Unknown):
                raise CannotJudge("Principal", value)
            if value == "*":
                return True
    return False


def has_empty_principal(statement: Mapping[str, Any]) -> bool:
    kinds = principal_values(statement)
    if "Principal" in statement and not kinds:
        return True
    return any(values == [] or any(value == "" for value in values) for values in kinds.values())


def condition_keys(statement: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Every condition key (lower-cased) with its values, whatever the operator; mis-shaped blocks skipped."""
    found: dict[str, list[Any]] = {}
    condition = statement.get("Condition")
    if isinstance(condition, Unknown):
        raise CannotJudge("Condition", condition)
    if not isinstance(condition, Mapping):
        return found
    for block in condition.values():
        if isinstance(block, Mapping):
            for key, value in block.items():
                # The keys matter to the rules, not always their values: a deploy-time value stays as it is.
                found.setdefault(str(key).lower(), []).extend(value if isinstance(value, list) else [value])
    return found


def mentions(values: list[Any], needle: str) -> bool:
    """True when any value, or any literal part of a value built with Fn::Sub or Fn::Join, contains ``needle``."""
    return any(needle in literal_text(value) for value in values)
