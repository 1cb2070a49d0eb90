"""Reading plain JSON policy documents and template bodies, as AWS returns them: no rule logic, no AWS calls.

Policy grammar: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html
(``Action``, ``Resource`` and principal values are a string or a list of strings). The compliance rules
read templates through their own deploy-time-aware helpers (:mod:`omics_secure.compliance.rules._policy`);
these are for documents whose values are all known, such as the live ones ``verify`` reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["actions", "as_list", "is_wildcard_principal", "refers_to", "statements"]


def as_list(value: Any) -> list[Any]:
    """A value as a list: a single value as one item, absent (None) as an empty list."""
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def statements(document: Any) -> list[Mapping[str, Any]]:
    """The document's statements that are mappings; none when it is not a mapping."""
    if not isinstance(document, Mapping):
        return []
    return [s for s in as_list(document.get("Statement")) if isinstance(s, Mapping)]


def actions(statement: Mapping[str, Any]) -> list[str]:
    """The statement's actions that are strings."""
    return [a for a in as_list(statement.get("Action")) if isinstance(a, str)]


def is_wildcard_principal(statement: Mapping[str, Any]) -> bool:
    """True for ``"*"`` or any principal kind naming ``"*"`` (``{"AWS": "*"}``)."""
    principal = statement.get("Principal")
    if isinstance(principal, str):
        return principal == "*"
    if isinstance(principal, Mapping):
        return any(value == "*" for kind in principal for value in as_list(principal.get(kind)))
    return False


def refers_to(value: Any, logical_id: str) -> bool:
    """True when a template value is a ``Ref`` or ``Fn::GetAtt`` of ``logical_id``."""
    if not isinstance(value, Mapping) or len(value) != 1:
        return False
    if isinstance(value.get("Ref"), str):
        return bool(value["Ref"] == logical_id)
    attribute = value.get("Fn::GetAtt")
    if isinstance(attribute, list) and attribute and isinstance(attribute[0], str):
        return bool(attribute[0] == logical_id)
    if isinstance(attribute, str):
        return attribute.split(".", 1)[0] == logical_id
    return False
