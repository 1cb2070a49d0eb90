"""Reading IAM policy documents as they appear in a synthesized template."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def statements(document: Any) -> list[Mapping[str, Any]]:
    if not isinstance(document, Mapping):
        return []
    return [s for s in as_list(document.get("Statement")) if isinstance(s, Mapping)]


def allow_statements(document: Any) -> list[Mapping[str, Any]]:
    return [s for s in statements(document) if s.get("Effect") == "Allow"]


def actions(statement: Mapping[str, Any]) -> list[str]:
    return [a for a in as_list(statement.get("Action")) if isinstance(a, str)]


def principal_values(statement: Mapping[str, Any]) -> dict[str, list[Any]]:
    """The statement's principals by kind (AWS, Service, Federated, CanonicalUser); ``"*"`` as {"*": ["*"]}."""
    principal = statement.get("Principal")
    if principal is None:
        return {}
    if isinstance(principal, str):
        return {principal: [principal]}
    if isinstance(principal, Mapping):
        return {str(kind): as_list(values) for kind, values in principal.items()}
    return {}


def is_wildcard_principal(statement: Mapping[str, Any]) -> bool:
    return any(value == "*" for values in principal_values(statement).values() for value in values)


def has_empty_principal(statement: Mapping[str, Any]) -> bool:
    kinds = principal_values(statement)
    if "Principal" in statement and not kinds:
        return True
    return any(values == [] or any(value == "" for value in values) for values in kinds.values())


def condition_keys(statement: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Every condition key (lower-cased) with its values, whatever the operator."""
    found: dict[str, list[Any]] = {}
    for block in (statement.get("Condition") or {}).values():
        if isinstance(block, Mapping):
            for key, value in block.items():
                found.setdefault(str(key).lower(), []).extend(as_list(value))
    return found


def mentions(values: list[Any], needle: str) -> bool:
    """True when any value, or any literal inside an intrinsic function, contains ``needle``."""
    return any(needle in _literals(value) for value in values)


def _literals(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return " ".join(_literals(v) for v in value.values())
    if isinstance(value, list):
        return " ".join(_literals(v) for v in value)
    return ""


def literal_text(value: Any) -> str:
    """Every literal string in ``value``, intrinsic functions included, joined by spaces."""
    return _literals(value)
