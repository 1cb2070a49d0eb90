"""Reading role trust policies: who can assume a role, as far as its template shows it.

A role's trust (``AssumeRolePolicyDocument``) names principals by kind: ``Service``, ``AWS`` (accounts, roles,
users) and ``Federated`` (SAML and OIDC providers)
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html). Rules for
people's roles need to tell a *service role* (one only AWS services can reach) from a role a person can
assume:

- a statement whose principals are all service principals admits services only;
- a statement naming, as ``AWS`` principals or narrowed to them by ``aws:PrincipalArn``, only roles of the
  same template that are themselves service roles admits whatever those roles admit: services only. This
  is CDK Pipelines' action role, trusted by the pipeline's role, which only ``codepipeline.amazonaws.com``
  may assume;
- any other ``AWS`` principal is not: an account principal (``arn:aws:iam::<account>:root``) without such a
  narrowing admits every principal of the account whose IAM policy allows ``sts:AssumeRole`` on the role,
  people included, whatever the role was meant for, and a role outside the template may be anyone's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from omics_secure.compliance.model import Resource
from omics_secure.compliance.rules._policy import actions, allow_statements, as_list, principal_values
from omics_secure.inputs.values import Unknown, literal_text, referenced_id

ROLE = "AWS::IAM::Role"
ASSUME_ACTIONS = ("sts:assumerole", "sts:assumerolewithsaml", "sts:assumerolewithwebidentity")
_ROLE_NAME = re.compile(r":role/(?:[\w+=,.@-]+/)*([\w+=,.@-]+)\s*$")
_NARROWING_OPERATORS = ("arnequals", "arnlike", "stringequals", "stringlike")


def grants_assume(statement: Mapping[str, Any]) -> bool:
    return any(a.lower() in ASSUME_ACTIONS or a.lower() in ("sts:*", "*") for a in actions(statement))


def trust_statements(role: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The Allow statements of a role's trust policy that let a principal assume it."""
    properties = role.get("Properties")
    document = properties.get("AssumeRolePolicyDocument") if isinstance(properties, Mapping) else None
    return [s for s in allow_statements(document) if grants_assume(s)]


def roles_by_name(resource: Resource) -> dict[str, str]:
    """Literal RoleName of each role of the template, mapped to its logical id."""
    found = {}
    for logical_id, body in resource.others_of_type(ROLE):
        properties = body.get("Properties")
        name = properties.get("RoleName") if isinstance(properties, Mapping) else None
        if isinstance(name, str):
            found[name] = logical_id
    return found


def template_role(value: Any, resource: Resource, names: Mapping[str, str]) -> str | None:
    """The logical id of the role of this template that ``value`` (an ARN or a reference) denotes, if any."""
    logical_id = referenced_id(value)
    if logical_id is not None:
        body = resource.other(logical_id)
        return logical_id if isinstance(body, Mapping) and body.get("Type") == ROLE else None
    match = _ROLE_NAME.search(literal_text(value))
    return names.get(match.group(1)) if match else None


def principal_arn_narrowing(statement: Mapping[str, Any]) -> list[Any]:
    """The ``aws:PrincipalArn`` values an equality or ARN-match condition narrows the statement to."""
    condition = statement.get("Condition")
    found: list[Any] = []
    for operator, block in (condition.items() if isinstance(condition, Mapping) else ()):
        if str(operator).lower() in _NARROWING_OPERATORS and isinstance(block, Mapping):
            found += [v for key, value in block.items() if str(key).lower() == "aws:principalarn"
                      for v in as_list(value)]
    return found


def _assumers(statement: Mapping[str, Any], resource: Resource, names: Mapping[str, str]) -> set[str] | None:
    """The template roles a statement admits, when it admits nothing but services and such roles; else None."""
    kinds = principal_values(statement)
    if not kinds or set(kinds) - {"Service", "AWS"}:
        return None
    if any(isinstance(v, Unknown) for values in kinds.values() for v in values):
        return None
    if "AWS" not in kinds:
        return set()
    narrowed = principal_arn_narrowing(statement)
    for candidates in (kinds["AWS"], narrowed):
        roles = {template_role(value, resource, names) for value in candidates}
        if candidates and None not in roles:
            return {role for role in roles if role is not None}
    return None


def service_roles(resource: Resource) -> frozenset[str]:
    """Logical ids of the template's roles only AWS services can assume, directly or through such roles."""

    def compute() -> frozenset[str]:
        names = roles_by_name(resource)
        needs: dict[str, set[str]] = {}
        for logical_id, body in resource.others_of_type(ROLE):
            statements = trust_statements(body)
            found: set[str] = set()
            for statement in statements:
                assumers = _assumers(statement, resource, names)
                if assumers is None:
                    break
                found |= assumers
            else:
                if statements:
                    needs[logical_id] = found
        services: set[str] = set()
        changed = True
        while changed:
            changed = False
            for logical_id, assumers in needs.items():
                if logical_id not in services and assumers <= services:
                    services.add(logical_id)
                    changed = True
        return frozenset(services)

    found: frozenset[str] = resource.derived("service_roles", compute)
    return found


def only_service_roles(statement: Mapping[str, Any], resource: Resource) -> bool:
    """True when ``statement`` admits only services, or roles of this template only services can assume."""
    assumers = _assumers(statement, resource, roles_by_name(resource))
    return assumers is not None and assumers <= service_roles(resource)
