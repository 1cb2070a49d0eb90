"""Principals given as props: none may be a wildcard, which would open a secure default to every AWS account.

``iam.AnyPrincipal()``, ``iam.StarPrincipal()``, ``iam.ArnPrincipal("*")``, ``iam.AccountPrincipal("*")`` and
an ARN with ``*`` for its account (``arn:aws:iam::*:root``) all put ``*`` in a policy's Principal; in a key policy
or a role's trust that admits every principal of every account. The OmicsSecure rules report such a policy in
the template (``KMSKeyPolicyNoOpenPrincipal``); a construct refuses it as a prop, so that a default is never
widened silently. A ``*`` narrowed to one organization, account or principal by a condition the principal
carries (``iam.OrganizationPrincipal``, or ``with_conditions`` on ``aws:PrincipalOrgID``, ``aws:PrincipalAccount``,
``aws:PrincipalArn`` or ``kms:CallerAccount`` with fixed values) is a choice the user wrote down, and is accepted.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import aws_cdk as cdk

from omics_secure._internal.errors import ProblemCollector
from omics_secure.policy.conditions import parse_conditions, pins_caller


def check_principals(problems: ProblemCollector, stack: cdk.Stack, prop: str, principals: object,
                     admitted_to: str) -> None:
    """Record a problem for each principal of ``principals`` that is a wildcard nothing narrows.

    :param admitted_to: what the principal would be let do, for the fix, e.g. "use this key".
    """
    items = list(enumerate(principals)) if isinstance(principals, Sequence) and not isinstance(principals, str) \
        else [(None, principals)]
    for index, principal in items:
        if is_open(stack, principal):
            name = prop if index is None else f"{prop}[{index}]"
            problems.add(name, principal,
                         f"a wildcard principal lets principals of every AWS account {admitted_to}; name this account "
                         "(iam.AccountRootPrincipal()) or its roles (the iam.Role, or iam.ArnPrincipal with the role's "
                         "ARN), or narrow '*' to your organization with iam.OrganizationPrincipal('o-...')")


def is_open(stack: cdk.Stack, principal: object) -> bool:
    """True when ``principal`` puts a wildcard in a policy's Principal with no condition that narrows who."""
    try:
        fragment = principal.policy_fragment  # type: ignore[attr-defined]
        rendered = stack.resolve(fragment.principal_json)
        conditions = stack.resolve(fragment.conditions)
    except Exception:  # not a principal: its type is checked with the other props
        return False
    if not any("*" in text for text in _strings(rendered)):
        return False
    return not _narrows_who(conditions)


def _narrows_who(conditions: Any) -> bool:
    """A condition the principal carries pins who, as the key-policy rule judges it (:func:`pins_caller`)."""
    return isinstance(conditions, Mapping) and any(pins_caller(c) for c in parse_conditions(conditions))


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)
